package server_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"den/server/servertest"
)

func TestHealth(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := servertest.New(t)
	for _, path := range []string{"/healthz", "/readyz"} {
		resp, err := srv.Client().Request(ctx, http.MethodGet, path, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s = %d, want 200", path, resp.StatusCode)
		}
	}
	// Once a migration is missing, the server is alive but not ready.
	if _, err := srv.DB.Exec(ctx, "DELETE FROM schema_migrations"); err != nil {
		t.Fatal(err)
	}
	resp, err := srv.Client().Request(ctx, http.MethodGet, "/readyz", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("readyz with migrations missing = %d, want 503", resp.StatusCode)
	}
}

func TestDashboardAndAPINotFound(t *testing.T) {
	t.Parallel()
	srv := servertest.New(t)
	get := func(method, path string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL.String()+path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	for _, p := range []string{"/", "/@owner/dev", "/templates"} {
		if resp := get("GET", p); resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
			t.Errorf("GET %s: %d %s, want the dashboard", p, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
	}
	for _, c := range [][2]string{{"GET", "/api/v2/nope"}, {"GET", "/api/v2"}, {"POST", "/somewhere"}} {
		if resp := get(c[0], c[1]); resp.StatusCode != 404 || resp.Header.Get("Content-Type") != "application/json" {
			t.Errorf("%s %s: %d %s, want a JSON 404", c[0], c[1], resp.StatusCode, resp.Header.Get("Content-Type"))
		}
	}
}
