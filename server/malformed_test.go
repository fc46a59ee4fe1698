package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"den/sdk"
	"den/server/servertest"
)

// assertInvalid checks that err is a 400 naming field.
func assertInvalid(t *testing.T, err error, field string) {
	t.Helper()
	var apiErr *sdk.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusBadRequest {
		t.Fatalf("err = %v, want a 400 naming %q", err, field)
	}
	for _, v := range apiErr.Validations {
		if v.Field == field {
			return
		}
	}
	t.Fatalf("400 %q does not name field %q (validations %+v)", apiErr.Message, field, apiErr.Validations)
}

func TestMalformedRequests(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := servertest.New(t)
	owner, _ := srv.FirstUser(t)
	post := func(c *sdk.Client, path, body string) (int, sdk.Error) {
		t.Helper()
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL.String()+path, strings.NewReader(body))
		req.Header.Set(sdk.SessionTokenHeader, c.SessionToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var e sdk.Error
		if resp.StatusCode >= 400 {
			if err := json.Unmarshal(b, &e); err != nil || e.Message == "" {
				t.Fatalf("%s %q: status %d body %q is not the error envelope", path, body, resp.StatusCode, b)
			}
		}
		return resp.StatusCode, e
	}
	cases := []struct {
		name, path, body string
		field            string // "" when the message alone explains
	}{
		{"empty body", "/api/v2/users", "", ""},
		{"not JSON", "/api/v2/users", "username=ada", ""},
		{"truncated", "/api/v2/users", `{"username": "ada"`, ""},
		{"array", "/api/v2/users", `[1,2]`, ""},
		{"trailing data", "/api/v2/users", `{} {}`, ""},
		{"wrong type", "/api/v2/users", `{"username": 7}`, "username"},
		{"wrong list type", "/api/v2/users", `{"roles": "owner"}`, "roles"},
		{"unknown field", "/api/v2/users", `{"usrname": "ada"}`, "usrname"},
		{"missing username", "/api/v2/users", `{"email": "a@example.com", "password": "password123"}`, "username"},
		{"missing email", "/api/v2/users", `{"username": "ada", "password": "password123"}`, "email"},
		{"bad email", "/api/v2/users", `{"username": "ada", "email": "Ada <a@example.com>", "password": "password123"}`, "email"},
		{"short password", "/api/v2/users", `{"username": "ada", "email": "a@example.com", "password": "short"}`, "password"},
		{"bad username", "/api/v2/users", `{"username": "-ada-", "email": "a@example.com", "password": "password123"}`, "username"},
		{"reserved username", "/api/v2/users", `{"username": "me", "email": "a@example.com", "password": "password123"}`, "username"},
		{"unknown role", "/api/v2/users", `{"username": "ada", "email": "a@example.com", "password": "password123", "roles": ["king"]}`, "roles[0]"},
		{"login without password", "/api/v2/users/login", `{"login": "owner"}`, "password"},
		{"token bad lifetime type", "/api/v2/users/me/tokens", `{"lifetime_seconds": "1h"}`, "lifetime_seconds"},
		{"token negative lifetime", "/api/v2/users/me/tokens", `{"lifetime_seconds": -5}`, "lifetime_seconds"},
		{"token bad name", "/api/v2/users/me/tokens", `{"name": "no spaces"}`, "name"},
		{"first user on a set-up server", "/api/v2/users/first", `{"username": 1}`, "username"},
	}
	for _, tc := range cases {
		status, e := post(owner, tc.path, tc.body)
		if status != http.StatusBadRequest {
			t.Errorf("%s: status %d (%+v), want 400", tc.name, status, e)
			continue
		}
		if tc.field == "" {
			continue
		}
		named := false
		for _, v := range e.Validations {
			named = named || v.Field == tc.field
		}
		if !named {
			t.Errorf("%s: 400 %q does not name %q", tc.name, e.Message, tc.field)
		}
	}
	// Routes and methods that do not exist answer in the envelope too.
	if status, _ := post(owner, "/api/v2/nope", "{}"); status != http.StatusNotFound {
		t.Errorf("unknown route: status %d, want 404", status)
	}
	if status, _ := post(owner, "/api/v2/users/me", "{}"); status != http.StatusMethodNotAllowed {
		t.Errorf("wrong method: status %d, want 405", status)
	}
	if _, err := owner.User(ctx, "nobody"); sdk.StatusCode(err) != http.StatusNotFound {
		t.Errorf("unknown user: %v, want 404", err)
	}
}
