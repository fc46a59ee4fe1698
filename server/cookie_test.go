package server_test

import (
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"

	"den/sdk"
	"den/server/servertest"
)

// TestBrowserSession signs in as a browser does: the session arrives in a
// cookie that scripts cannot read, works on every API route, and does not
// let another site's page change anything.
func TestBrowserSession(t *testing.T) {
	t.Parallel()
	srv := servertest.New(t)
	srv.FirstUser(t)
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar}
	api := srv.URL.String() + sdk.APIPrefix

	resp, err := browser.Post(api+"/users/login", "application/json", strings.NewReader(`{"login":"owner","password":"`+servertest.Password+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("login: %d", resp.StatusCode)
	}
	var cookie *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == sdk.SessionTokenCookie {
			cookie = c
		}
	}
	if cookie == nil || !cookie.HttpOnly || cookie.SameSite != http.SameSiteLaxMode || cookie.Path != "/" || cookie.Secure || cookie.Expires.IsZero() {
		t.Fatalf("session cookie %+v: want HttpOnly, SameSite=Lax, Path=/, an expiry, not Secure on http", cookie)
	}

	send := func(method, path string, header map[string]string, body string) int {
		t.Helper()
		req, _ := http.NewRequest(method, api+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		for k, v := range header {
			req.Header.Set(k, v)
		}
		resp, err := browser.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := send("GET", "/users/me", nil, ""); got != http.StatusOK {
		t.Fatalf("GET /users/me with the cookie: %d", got)
	}
	// A same-origin page may change things.
	newUser := func(name string) string {
		return `{"username":"` + name + `","email":"` + name + `@example.com","password":"password123"}`
	}
	if got := send("POST", "/users", map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": srv.URL.String()}, newUser("alice")); got != http.StatusCreated {
		t.Fatalf("same-origin POST: %d, want 201", got)
	}
	// Another site's page may not, whether the browser says so with
	// Sec-Fetch-Site or only with Origin.
	if got := send("POST", "/users", map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "http://evil.example"}, newUser("bob")); got != http.StatusForbidden {
		t.Fatalf("cross-site POST: %d, want 403", got)
	}
	if got := send("DELETE", "/users/alice", map[string]string{"Origin": "http://evil.example"}, ""); got != http.StatusForbidden {
		t.Fatalf("cross-origin DELETE (Origin only): %d, want 403", got)
	}
	// Logging out clears the cookie and ends the session.
	if got := send("POST", "/users/logout", map[string]string{"Sec-Fetch-Site": "same-origin"}, ""); got != http.StatusNoContent {
		t.Fatalf("logout: %d", got)
	}
	if got := send("GET", "/users/me", nil, ""); got != http.StatusUnauthorized {
		t.Fatalf("after logout: %d, want 401", got)
	}
	// The old cookie value no longer works either.
	req, _ := http.NewRequest("GET", api+"/users/me", nil)
	req.AddCookie(&http.Cookie{Name: sdk.SessionTokenCookie, Value: cookie.Value})
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("the logged-out cookie: %d, want 401", resp.StatusCode)
	}
}
