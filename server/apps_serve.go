package server

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/google/uuid"

	"den/sdk"
	"den/server/apikey"
	"den/server/httpapi"
	"den/server/httpmw"
	"den/server/policy"
	"den/store"
	"den/store/db"
)

// ticketPath is where an app's host takes a ticket and sets its cookie;
// /.den/ on app hosts is Den's, not the app's.
const ticketPath = "/.den/ticket"

// appCookieName is the cookie of a subdomain app. On https it carries the
// __Host- prefix, so that no other host (another app's, say) can set it.
func appCookieName(secure bool) string {
	if secure {
		return "__Host-den_app"
	}
	return "den_app"
}

// ParseWildcardAccessURL checks a wildcard access URL such as
// "*.apps.example.com" and returns the suffix app hosts end with
// (".apps.example.com"). The scheme and port are the access URL's.
func ParseWildcardAccessURL(raw string) (string, error) {
	rest, ok := strings.CutPrefix(strings.ToLower(strings.TrimSpace(raw)), "*.")
	switch {
	case !ok:
		return "", fmt.Errorf("%q does not start with *.; write a host pattern such as *.apps.example.com", raw)
	case strings.Contains(rest, "://") || strings.ContainsAny(rest, "/:@?#*"):
		return "", fmt.Errorf("%q is a host pattern such as *.apps.example.com, without scheme, port or path (they come from the access URL)", raw)
	case rest == "" || strings.HasPrefix(rest, ".") || strings.HasSuffix(rest, ".") || strings.Contains(rest, ".."):
		return "", fmt.Errorf("%q has no domain after *.; write one such as *.apps.example.com", raw)
	}
	for _, label := range strings.Split(rest, ".") {
		if len(label) > 63 || strings.HasPrefix(label, "-") || strings.HasSuffix(label, "-") || strings.Trim(label, "abcdefghijklmnopqrstuvwxyz0123456789-") != "" {
			return "", fmt.Errorf("%q: %q is not a DNS label", raw, label)
		}
	}
	return "." + rest, nil
}

// wildcardSuffix is what app hosts end with, or "" without subdomain apps.
func (s *Server) wildcardSuffix() string { return s.apps.suffix }

// appHostName is the host (with the access URL's port) of an app on a
// subdomain: {slug}--{workspace}--{owner}{suffix}.
func (s *Server) appHostName(slug, workspace, owner string) string {
	host := slug + "--" + workspace + "--" + strings.ToLower(owner) + s.wildcardSuffix()
	if p := s.opts.AccessURL.Port(); p != "" {
		host = net.JoinHostPort(host, p)
	}
	return host
}

// appLabel returns the first label of an app host, or "" when host is not
// one.
func (s *Server) appLabel(host string) string {
	suffix := s.wildcardSuffix()
	if suffix == "" {
		return ""
	}
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	label, ok := strings.CutSuffix(strings.ToLower(host), suffix)
	if !ok || label == "" || strings.Contains(label, ".") || !strings.Contains(label, "--") {
		return ""
	}
	return label
}

// appHosts sends requests for app hosts to the app proxy, before any of
// Den's own routes.
func (s *Server) appHosts(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if label := s.appLabel(r.Host); label != "" {
			s.serveSubdomainApp(w, r, label)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// appTarget is an app and where it stands.
type appTarget struct {
	ws     db.Workspace
	owner  string // the owner's username
	status sdk.WorkspaceStatus
	app    db.WorkspaceApp // Slug, Share and TargetUrl
	agent  uuid.UUID       // of the workspace's current start; Nil when none
}

// newAppTarget reads a GetLiveWorkspace row (ByID's and ByName's have the
// same fields). It is store.ErrNotFound when the workspace has no agent, or
// its agent no app slug.
func newAppTarget(row db.GetLiveWorkspaceByIDRow, slug string) (appTarget, error) {
	t := appTarget{ws: row.Workspace, owner: row.OwnerName, status: sdk.WorkspaceStatus(row.Status)}
	if row.AgentID == nil || row.AppShare == nil || row.AppTargetUrl == nil {
		return t, store.ErrNotFound
	}
	t.agent = *row.AgentID
	t.app = db.WorkspaceApp{AgentID: t.agent, Slug: slug, Share: *row.AppShare, TargetUrl: *row.AppTargetUrl}
	return t, nil
}

// findApp loads app slug of the workspace named name of owner (a username),
// in one query. On store.ErrNotFound, t.ws.ID is set when the workspace
// exists and only the app is missing.
func (s *Server) findApp(ctx context.Context, owner, name, slug string) (appTarget, error) {
	row, err := s.store.GetLiveWorkspaceByName(ctx, db.GetLiveWorkspaceByNameParams{OwnerName: owner, WorkspaceName: name, Slug: slug})
	if err != nil {
		return appTarget{}, err
	}
	return newAppTarget(db.GetLiveWorkspaceByIDRow(row), slug)
}

// findAppByHost resolves the first label of an app host. Workspace and
// user names may hold "--" themselves, so every split is tried; exactly
// one must name an existing workspace.
func (s *Server) findAppByHost(ctx context.Context, label string) (appTarget, error) {
	slug, rest, _ := strings.Cut(label, "--")
	if sdk.ValidateAppSlug(slug) != nil {
		return appTarget{}, store.ErrNotFound
	}
	var found []appTarget
	var errs []error
	for i := 0; i < len(rest); i++ {
		if !strings.HasPrefix(rest[i:], "--") {
			continue
		}
		name, owner := rest[:i], rest[i+2:]
		if !nameRE.MatchString(name) || !usernameRE.MatchString(owner) {
			continue
		}
		t, err := s.findApp(ctx, owner, name, slug)
		if store.IsNotFound(err) && t.ws.ID == uuid.Nil {
			continue // no such workspace
		}
		if err != nil && !store.IsNotFound(err) {
			return appTarget{}, err
		}
		found, errs = append(found, t), append(errs, err)
	}
	if len(found) != 1 {
		return appTarget{}, store.ErrNotFound
	}
	return found[0], errs[0]
}

// serveSubdomainApp serves a request to an app host: the ticket exchange,
// or the app itself to whoever its sharing level admits.
func (s *Server) serveSubdomainApp(w http.ResponseWriter, r *http.Request, label string) {
	ctx := r.Context()
	if r.URL.Path == ticketPath {
		s.exchangeTicket(w, r)
		return
	}
	t, err := s.findAppByHost(ctx, label)
	if store.IsNotFound(err) {
		httpapi.Errorf(w, http.StatusNotFound, "no such app")
		return
	}
	if err != nil {
		httpapi.InternalError(w, r, s.logger, err)
		return
	}
	share := sdk.AppShare(t.app.Share)
	var sub policy.Subject
	if share != sdk.AppSharePublic {
		var ok bool
		sub, ok = s.appCookieSubject(r)
		if !ok {
			if isNavigation(r) {
				http.Redirect(w, r, s.appURL(t.ws.ID, t.owner, t.ws.Name, t.app.Slug), http.StatusSeeOther)
				return
			}
			httpapi.WriteError(w, http.StatusUnauthorized, sdk.Error{Message: "you are not signed in to this app", Detail: "open it from Den's dashboard"})
			return
		}
	}
	if s.policy.OpenApp(sub, share, t.ws.OwnerID, policy.AppOnSubdomain) != nil {
		httpapi.Errorf(w, http.StatusNotFound, "no such app")
		return
	}
	s.serveApp(w, r, t, "")
}

// appsCrossOrigin judges the unsafe requests apps receive (Check only
// reads its settings, so one serves every request).
var appsCrossOrigin = http.NewCrossOriginProtection()

// serveApp proxies to an app the request may open, when its workspace runs.
// Unless the app is public (and so gets no credentials), a change or a
// WebSocket that a browser says comes from another origin (another app's
// host, say, which is the same site) is refused: the viewer's cookie must
// not act for other pages.
func (s *Server) serveApp(w http.ResponseWriter, r *http.Request, t appTarget, prefix string) {
	if sdk.AppShare(t.app.Share) != sdk.AppSharePublic || prefix != "" {
		if err := appsCrossOrigin.Check(r); err != nil || crossOriginUpgrade(r) {
			httpapi.WriteError(w, http.StatusForbidden, sdk.Error{
				Message: "cross-origin request to app " + t.app.Slug + " refused",
				Detail:  "a page of another origin may not change things in a workspace app with your session",
			})
			return
		}
	}
	if t.status != sdk.WorkspaceRunning && t.status != sdk.WorkspaceStarting {
		httpapi.WriteError(w, http.StatusConflict, sdk.Error{
			Message: fmt.Sprintf("workspace %s is %s", t.ws.Name, t.status),
			Detail:  "its owner can start it from the dashboard or with `den start " + t.ws.Name + "`",
		})
		return
	}
	target, err := url.Parse(t.app.TargetUrl)
	if err != nil {
		httpapi.InternalError(w, r, s.logger, fmt.Errorf("app %s: target %q: %w", t.app.Slug, t.app.TargetUrl, err))
		return
	}
	s.proxyApp(w, r, t.agent, t.app.Slug, target, prefix)
}

// servePathApp serves /@{user}/{workspace}/apps/{app}/...: apps on a path
// of Den's own origin, for their workspace's owner alone.
func (s *Server) servePathApp(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if s.opts.DisablePathApps {
		httpapi.WriteError(w, http.StatusNotFound, sdk.Error{
			Message: "apps on paths are turned off on this server",
			Detail:  "open the app from Den's dashboard or with its URL in `den show`; it is served on a subdomain of its own",
		})
		return
	}
	// The escaped path, so the prefix taken off is exactly what was sent.
	parts := strings.SplitN(r.URL.EscapedPath(), "/", 6)
	if len(parts) < 5 || !strings.HasPrefix(parts[1], "@") || parts[3] != "apps" {
		httpapi.Errorf(w, http.StatusNotFound, "no such app")
		return
	}
	prefix := strings.Join(parts[:5], "/")
	if len(parts) == 5 {
		to := prefix + "/"
		if r.URL.RawQuery != "" {
			to += "?" + r.URL.RawQuery
		}
		http.Redirect(w, r, to, http.StatusMovedPermanently)
		return
	}
	owner, _ := url.PathUnescape(strings.TrimPrefix(parts[1], "@"))
	name, _ := url.PathUnescape(parts[2])
	slug, _ := url.PathUnescape(parts[4])
	actor, ok := s.sessionActor(w, r)
	if !ok {
		if isNavigation(r) {
			http.Redirect(w, r, "/login?redirect="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		httpapi.WriteError(w, http.StatusUnauthorized, sdk.Error{Message: "you are not signed in", Detail: "sign in to Den in this browser, or send a session token"})
		return
	}
	t, err := s.findApp(ctx, owner, name, slug)
	missing := store.IsNotFound(err)
	if missing && t.ws.ID == uuid.Nil {
		httpapi.Errorf(w, http.StatusNotFound, "no such app")
		return
	}
	if err != nil && !missing {
		httpapi.InternalError(w, r, s.logger, err)
		return
	}
	sub := policy.Subject{ID: actor.User.ID, Roles: roles(actor.User)}
	if s.policy.OpenApp(sub, sdk.AppShareOwner, t.ws.OwnerID, policy.AppOnPath) != nil {
		httpapi.Errorf(w, http.StatusNotFound, "no such app")
		return
	}
	if missing {
		httpapi.Errorf(w, http.StatusNotFound, "workspace %s has no app %s running", t.ws.Name, slug)
		return
	}
	s.serveApp(w, r, t, prefix)
}

// openApp is GET /api/v2/apps/open?workspace=ID&app=SLUG, the URL the API
// gives for apps: it sends a browser to the app, with a ticket for the
// app's host when it serves apps on subdomains. Someone not signed in is
// sent to sign in first (unless the app is public).
func (s *Server) openApp(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := r.URL.Query()
	id, err := uuid.Parse(q.Get("workspace"))
	if err != nil {
		httpapi.Invalid(w, sdk.ValidationError{Field: "workspace", Detail: "must be a workspace ID"})
		return
	}
	slug := q.Get("app")
	var t appTarget
	row, err := s.store.GetLiveWorkspaceByID(ctx, db.GetLiveWorkspaceByIDParams{ID: id, Slug: slug})
	if err == nil {
		t, err = newAppTarget(row, slug)
	}
	if store.IsNotFound(err) {
		httpapi.Errorf(w, http.StatusNotFound, "no such app")
		return
	}
	if err != nil {
		httpapi.InternalError(w, r, s.logger, err)
		return
	}
	share := sdk.AppShare(t.app.Share)
	if s.wildcardSuffix() == "" {
		http.Redirect(w, r, appPathPrefix(t.owner, t.ws.Name, t.app.Slug)+"/", http.StatusSeeOther)
		return
	}
	host := s.appHostName(t.app.Slug, t.ws.Name, t.owner)
	appRoot := s.opts.AccessURL.Scheme + "://" + host + "/"
	if share == sdk.AppSharePublic {
		http.Redirect(w, r, appRoot, http.StatusSeeOther)
		return
	}
	actor, ok := s.sessionActor(w, r)
	if !ok {
		http.Redirect(w, r, "/login?redirect="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		return
	}
	sub := policy.Subject{ID: actor.User.ID, Roles: roles(actor.User)}
	if s.policy.OpenApp(sub, share, t.ws.OwnerID, policy.AppOnSubdomain) != nil {
		httpapi.Errorf(w, http.StatusNotFound, "no such app")
		return
	}
	key, err := s.appKey(ctx, appTicket)
	if err != nil {
		httpapi.InternalError(w, r, s.logger, err)
		return
	}
	ticket := signAppToken(key, appToken{
		User: actor.User.ID, Key: actor.APIKey.ID, Host: host, Expires: s.opts.Now().Add(appTicketLife).Unix(),
	})
	http.Redirect(w, r, appRoot[:len(appRoot)-1]+ticketPath+"?t="+url.QueryEscape(ticket), http.StatusSeeOther)
}

// exchangeTicket takes a ticket on the app host it was made for and gives
// the browser a cookie for that host alone.
func (s *Server) exchangeTicket(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	key, err := s.appKey(ctx, appTicket)
	if err != nil {
		httpapi.InternalError(w, r, s.logger, err)
		return
	}
	t, err := parseAppToken(key, r.URL.Query().Get("t"), r.Host, s.opts.Now())
	if err == nil {
		_, err = s.appSession(ctx, t)
	}
	if err != nil {
		httpapi.WriteError(w, http.StatusUnauthorized, sdk.Error{
			Message: "this link to the app has expired or is not for this app",
			Detail:  "open the app again from Den's dashboard",
		})
		return
	}
	cookieKey, err := s.appKey(ctx, appCookie)
	if err != nil {
		httpapi.InternalError(w, r, s.logger, err)
		return
	}
	expires := s.opts.Now().Add(appCookieLife)
	secure := s.secureCookies()
	http.SetCookie(w, &http.Cookie{
		Name:  appCookieName(secure),
		Value: signAppToken(cookieKey, appToken{User: t.User, Key: t.Key, Host: t.Host, Expires: expires.Unix()}),
		Path:  "/", Expires: expires, HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: secure,
	})
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// appCookieSubject is who the app cookie of a request names, when it is
// valid for the request's host and its session still is.
// Every cookie of that name is tried: on http, another app's host may
// have set one for the parent domain.
func (s *Server) appCookieSubject(r *http.Request) (policy.Subject, bool) {
	cookies := r.CookiesNamed(appCookieName(s.secureCookies()))
	if len(cookies) == 0 {
		return policy.Subject{}, false
	}
	key, err := s.appKey(r.Context(), appCookie)
	if err != nil {
		s.logger.Warn("load the app cookie key", "error", err)
		return policy.Subject{}, false
	}
	for _, c := range cookies[:min(len(cookies), 4)] {
		t, err := parseAppToken(key, c.Value, r.Host, s.opts.Now())
		if err != nil {
			continue
		}
		if u, err := s.appSession(r.Context(), t); err == nil {
			return policy.Subject{ID: u.ID, Roles: roles(u)}, true
		}
	}
	return policy.Subject{}, false
}

// appSession returns the user of a token whose session key still exists,
// unexpired, for an active user.
func (s *Server) appSession(ctx context.Context, t appToken) (db.User, error) {
	row, err := s.store.GetAPIKeyAuth(ctx, t.Key)
	if err != nil {
		return db.User{}, err
	}
	if msg, _ := httpmw.KeyProblem(row, s.opts.Now()); row.ApiKey.UserID != t.User || msg != "" {
		return db.User{}, errAppToken
	}
	return row.User, nil
}

// sessionActor authenticates a request as the API does (session cookie or
// token), without answering when it is not: ok is false then.
func (s *Server) sessionActor(w http.ResponseWriter, r *http.Request) (actor httpmw.Actor, ok bool) {
	if httpmw.Token(r) == "" {
		return actor, false
	}
	capture := &headerWriter{h: http.Header{}}
	httpmw.Authenticate(httpmw.AuthOptions{
		Store: s.store, Logger: s.logger, Now: s.opts.Now, SessionDuration: s.opts.SessionDuration,
		SecureCookies: s.secureCookies(),
	})(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		actor, ok = httpmw.ActorFrom(r.Context())
	})).ServeHTTP(capture, r)
	if ok {
		for _, c := range capture.h.Values("Set-Cookie") { // a session's renewed cookie
			w.Header().Add("Set-Cookie", c)
		}
	}
	return actor, ok
}

// headerWriter keeps the headers written to it and drops the rest.
type headerWriter struct{ h http.Header }

func (c *headerWriter) Header() http.Header         { return c.h }
func (c *headerWriter) Write(b []byte) (int, error) { return len(b), nil }
func (c *headerWriter) WriteHeader(int)             {}

// isNavigation reports a browser loading a page (rather than a script's
// request or a non-browser client), which may be sent to sign in.
func isNavigation(r *http.Request) bool {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return false
	}
	return r.Header.Get("Sec-Fetch-Mode") == "navigate" || strings.Contains(r.Header.Get("Accept"), "text/html")
}

// isDenKey reports whether s has the form of a Den API key.
func isDenKey(s string) bool {
	_, _, err := apikey.Parse(s)
	return err == nil
}
