package site

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
)

func get(t *testing.T, h http.Handler, method, path string) *httptest.ResponseRecorder {
	t.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(method, path, nil))
	return w
}

func TestStubWithoutBuild(t *testing.T) {
	h := fromFS(fstest.MapFS{"dist/README.md": {Data: []byte("x")}}, "v1.2.3", "http://127.0.0.1:3000")
	if h.Built() {
		t.Fatal("Built() without a build")
	}
	for _, p := range []string{"/", "/workspaces/new", "/assets/x.js"} {
		w := get(t, h, "GET", p)
		if w.Code != 200 || !strings.Contains(w.Body.String(), "built without its dashboard") || !strings.Contains(w.Body.String(), "den login http://127.0.0.1:3000") {
			t.Errorf("GET %s: %d %q", p, w.Code, w.Body.String())
		}
	}
}

func TestServesBuildWithFallback(t *testing.T) {
	fsys := fstest.MapFS{
		"dist/app/index.html":         {Data: []byte("<html>app</html>")},
		"dist/app/assets/main-ab1.js": {Data: []byte("console.log(1)")},
		"dist/app/favicon.svg":        {Data: []byte("<svg/>")},
	}
	h := fromFS(fsys, "v1", "http://127.0.0.1:3000")
	if !h.Built() {
		t.Fatal("Built() is false with a build")
	}
	w := get(t, h, "GET", "/assets/main-ab1.js")
	if w.Code != 200 || w.Body.String() != "console.log(1)" || !strings.Contains(w.Header().Get("Cache-Control"), "immutable") {
		t.Fatalf("asset: %d %q %v", w.Code, w.Body.String(), w.Header())
	}
	if w := get(t, h, "GET", "/favicon.svg"); w.Code != 200 || w.Body.String() != "<svg/>" {
		t.Fatalf("favicon: %d %q", w.Code, w.Body.String())
	}
	// The app's own routes get index.html, never cached.
	for _, p := range []string{"/", "/@owner/dev", "/workspaces/new?template=x", "/index.html", "/../../etc/passwd"} {
		w := get(t, h, "GET", p)
		if w.Code != 200 || w.Body.String() != "<html>app</html>" || w.Header().Get("Cache-Control") != "no-cache" {
			t.Errorf("GET %s: %d %q", p, w.Code, w.Body.String())
		}
		if !strings.Contains(w.Header().Get("Content-Security-Policy"), "frame-ancestors 'none'") {
			t.Errorf("GET %s: no CSP", p)
		}
	}
	// A missing asset is a 404, not the page.
	if w := get(t, h, "GET", "/assets/gone-123.js"); w.Code != 404 {
		t.Fatalf("missing asset: %d", w.Code)
	}
	if w := get(t, h, "POST", "/"); w.Code != 405 {
		t.Fatalf("POST: %d", w.Code)
	}
}
