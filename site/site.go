// Package site serves the dashboard: the React app in web/, built by Vite
// into dist/app and embedded in the binary. Every path that is not a file
// gets index.html, so the app's own router takes it. When the build is
// absent (a plain `go build` or `go test` with no Node), a stub page says so.
package site

import (
	"embed"
	"fmt"
	"html"
	"io/fs"
	"net/http"
	"path"
	"strings"
)

//go:embed all:dist
var dist embed.FS

// Handler serves the dashboard. version and accessURL go into the stub page.
type Handler struct {
	app       fs.FS // nil without a build
	index     []byte
	stub      []byte
	assetsFS  http.Handler
	accessURL string
}

// New returns the dashboard's handler.
func New(version, accessURL string) *Handler {
	return fromFS(dist, version, accessURL)
}

// fromFS serves the build found at dist/app in fsys.
func fromFS(fsys fs.FS, version, accessURL string) *Handler {
	h := &Handler{accessURL: accessURL}
	if app, err := fs.Sub(fsys, "dist/app"); err == nil {
		if index, err := fs.ReadFile(app, "index.html"); err == nil {
			h.app, h.index = app, index
			h.assetsFS = http.FileServerFS(app)
		}
	}
	h.stub = []byte(fmt.Sprintf(stubPage, html.EscapeString(version), html.EscapeString(accessURL), html.EscapeString(accessURL)))
	return h
}

// Built reports whether the dashboard's build is embedded.
func (h *Handler) Built() bool { return h.app != nil }

// ServeHTTP serves a file of the build, or index.html for any other path.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	securityHeaders(w.Header())
	if h.app == nil {
		page(w, h.stub)
		return
	}
	name := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
	if name != "" && name != "index.html" {
		if st, err := fs.Stat(h.app, name); err == nil && !st.IsDir() {
			if strings.HasPrefix(name, "assets/") {
				// Vite puts a content hash in every asset's name.
				w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
			}
			h.assetsFS.ServeHTTP(w, r)
			return
		}
		if strings.HasPrefix(name, "assets/") {
			http.NotFound(w, r) // a stale asset, not a page
			return
		}
	}
	page(w, h.index)
}

func page(w http.ResponseWriter, body []byte) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write(body)
}

// securityHeaders keep the dashboard from being framed or fed other sites'
// scripts. xterm.js sets inline styles, hence style-src 'unsafe-inline'.
func securityHeaders(h http.Header) {
	h.Set("Content-Security-Policy", "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "+
		"connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Frame-Options", "DENY")
}

const stubPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Den</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;line-height:1.5}code{background:#eee;padding:.1rem .3rem}</style>
</head><body>
<h1>Den %s</h1>
<p>This server was built without its dashboard. Build it with <code>make build</code>
(which runs <code>npm run build</code> in <code>web/</code>) and start the server again.</p>
<p>Everything works from the command line meanwhile:</p>
<p><code>den login %s</code></p>
<p>The API is at <code>%s/api/v2</code>.</p>
</body></html>
`
