package server_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"den/provisioner"
	"den/sdk"
	"den/server"
	"den/server/servertest"
)

// appsWildcard is the wildcard access URL of the tests: Go's resolver is
// not asked (the test clients dial the server whatever the host).
const appsWildcard = "*.apps.localhost"

// appEnv is a server whose workspace "dev" of "owner" runs an in-process
// agent with apps on a real HTTP server on loopback, and a second user.
type appEnv struct {
	srv    *servertest.Server
	clock  *clock
	owner  *sdk.Client
	other  *sdk.Client
	ws     sdk.Workspace
	target *httptest.Server
	// release lets /stream finish.
	release chan struct{}
}

// appHandler is the app inside the workspace: / echoes what it received,
// /ws echoes WebSocket messages, /stream sends a line and waits.
func (e *appEnv) appHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/ws", func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		c.SetReadLimit(1 << 20)
		for {
			typ, msg, err := c.Read(r.Context())
			if err != nil {
				return
			}
			if err := c.Write(r.Context(), typ, append([]byte("echo: "), msg...)); err != nil {
				return
			}
		}
	})
	mux.HandleFunc("/stream", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "first")
		w.(http.Flusher).Flush()
		select {
		case <-e.release:
		case <-r.Context().Done():
		}
		fmt.Fprintln(w, "second")
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "path=%s query=%s host=%s prefix=%s cookie=%q token=%q",
			r.URL.Path, r.URL.RawQuery, r.Host, r.Header.Get("X-Forwarded-Prefix"), r.Header.Get("Cookie"), r.Header.Get(sdk.SessionTokenHeader))
	})
	return mux
}

func newAppEnv(t testing.TB, wildcard string, apps ...sdk.AgentApp) *appEnv {
	t.Helper()
	return newAppEnvWith(t, func(o *server.Options) { o.WildcardAccessURL = wildcard }, apps...)
}

// newAppEnvWith is newAppEnv with the server's options set by opt.
func newAppEnvWith(t testing.TB, opt func(*server.Options), apps ...sdk.AgentApp) *appEnv {
	t.Helper()
	e := &appEnv{clock: newClock(), release: make(chan struct{})}
	e.target = httptest.NewServer(e.appHandler())
	t.Cleanup(e.target.Close)
	for i := range apps {
		if apps[i].URL == "" {
			apps[i].URL = e.target.URL + "/"
		}
		if apps[i].Name == "" {
			apps[i].Name = apps[i].Slug
		}
	}
	e.srv = servertest.New(t, func(o *server.Options) {
		o.Now = e.clock.Now
		opt(o)
	})
	e.srv.Fake.Agent = &provisioner.AgentSpec{Apps: apps}
	e.owner, _ = e.srv.FirstUser(t)
	e.other, _ = e.srv.CreateUser(t, e.owner, "other")
	e.srv.PushTemplate(t, e.owner, "t", map[string]string{"den.yaml": "container:\n  image: den-test-busybox:1\n"})
	ws, err := e.owner.CreateWorkspace(context.Background(), sdk.Me, sdk.CreateWorkspaceRequest{Name: "dev", Template: "t"})
	if err != nil {
		t.Fatal(err)
	}
	e.ws = ws
	e.runAgent(t)
	e.ws = e.waitWorkspace(t, "ready", func(ws sdk.Workspace) bool {
		return ws.Status == sdk.WorkspaceRunning && ws.Agent != nil && ws.Agent.Connection == sdk.AgentConnected
	})
	return e
}

// runAgent runs the agent of the workspace's start build until the test
// ends.
func (e *appEnv) runAgent(t testing.TB) {
	t.Helper()
	servertest.WaitJobDone(t, e.owner, e.ws.LatestBuild.Job.ID)
	e.srv.RunAgent(t)
}

func (e *appEnv) waitWorkspace(t testing.TB, what string, cond func(sdk.Workspace) bool) sdk.Workspace {
	t.Helper()
	return servertest.WaitWorkspace(t, e.owner, e.ws.ID, what, cond)
}

// browser is an HTTP client with a cookie jar that reaches the server
// whatever host a URL names (app hosts under *.apps.localhost included),
// signed in as c (or nobody, for nil).
func (e *appEnv) browser(t testing.TB, c *sdk.Client) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	if c != nil {
		jar.SetCookies(e.srv.URL, []*http.Cookie{{Name: sdk.SessionTokenCookie, Value: c.SessionToken}})
	}
	addr := e.srv.URL.Host
	return &http.Client{
		Jar: jar,
		Transport: &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		}},
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) > 5 {
				return http.ErrUseLastResponse
			}
			return nil
		},
		Timeout: 30 * time.Second,
	}
}

// noRedirects returns a copy of c that stops at the first redirect.
func noRedirects(c *http.Client) *http.Client {
	cc := *c
	cc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &cc
}

// get fetches u as a browser navigating to it, and returns the status,
// the body and the final URL.
func get(t *testing.T, c *http.Client, u string) (int, string, *url.URL) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "text/html,*/*")
	req.Header.Set("Sec-Fetch-Mode", "navigate")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), resp.Request.URL
}

// app is the workspace's app slug as the API shows it.
func (e *appEnv) app(t *testing.T, slug string) sdk.WorkspaceApp {
	t.Helper()
	ws, err := e.owner.Workspace(context.Background(), e.ws.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range ws.Apps {
		if a.Slug == slug {
			return a
		}
	}
	t.Fatalf("workspace has no app %s: %+v", slug, ws.Apps)
	return sdk.WorkspaceApp{}
}

func TestPathApps(t *testing.T) {
	t.Parallel()
	e := newAppEnv(t, "", sdk.AgentApp{Slug: "web", Name: "Web", Share: sdk.AppSharePublic})
	app := e.app(t, "web")
	wantURL := e.srv.URL.String() + "/@owner/dev/apps/web/"
	if app.URL != wantURL || app.Name != "Web" || app.Share != sdk.AppSharePublic || app.Health != sdk.AppHealthDisabled {
		t.Errorf("app = %+v, want URL %s and no health check", app, wantURL)
	}
	list, err := e.owner.Workspaces(context.Background(), sdk.WorkspaceFilter{})
	if err != nil || len(list) != 1 || len(list[0].Apps) != 1 || list[0].Apps[0].URL != wantURL {
		t.Errorf("list: %+v %v", list, err)
	}

	// The owner reaches it, under the prefix, without Den's credentials.
	owner := e.browser(t, e.owner)
	status, body, _ := get(t, owner, e.srv.URL.String()+"/@owner/dev/apps/web/sub/dir?x=1")
	want := `path=/sub/dir query=x=1 host=` + e.srv.URL.Host + ` prefix=/@owner/dev/apps/web cookie="" token=""`
	if status != http.StatusOK || body != want {
		t.Errorf("owner: %d %s\nwant %s", status, body, want)
	}
	// A session token in the header works too, and is not passed on.
	req, _ := http.NewRequest(http.MethodGet, e.srv.URL.String()+"/@owner/dev/apps/web/", nil)
	req.Header.Set(sdk.SessionTokenHeader, e.owner.SessionToken)
	req.Header.Set("Cookie", "theirs=1")
	resp, err := e.browser(t, nil).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), `cookie="theirs=1" token=""`) {
		t.Errorf("with a token header: %d %s", resp.StatusCode, b)
	}
	// Without the trailing slash: redirected to it.
	status, body, final := get(t, owner, e.srv.URL.String()+"/@owner/dev/apps/web?q=2")
	if status != http.StatusOK || final.Path != "/@owner/dev/apps/web/" || !strings.Contains(body, "path=/ query=q=2") {
		t.Errorf("without slash: %d %s %s", status, final, body)
	}
	// The API's URL (the open route) leads there too.
	status, body, _ = get(t, owner, e.srv.URL.String()+"/api/v2/apps/open?workspace="+e.ws.ID.String()+"&app=web")
	if status != http.StatusOK || !strings.HasPrefix(body, "path=/ ") {
		t.Errorf("open: %d %s", status, body)
	}

	// Changes from pages of other origins are refused.
	for site, want := range map[string]int{"same-site": http.StatusForbidden, "cross-site": http.StatusForbidden, "same-origin": http.StatusOK} {
		req, _ := http.NewRequest(http.MethodPost, e.srv.URL.String()+"/@owner/dev/apps/web/form", strings.NewReader("a=1"))
		req.Header.Set("Sec-Fetch-Site", site)
		resp, err := owner.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("POST from %s: %d, want %d", site, resp.StatusCode, want)
		}
	}

	// Another user gets a 404 even though the app is public: path apps
	// share Den's origin, so they are their owner's alone.
	other := e.browser(t, e.other)
	for _, u := range []string{"/@owner/dev/apps/web/", "/@owner/dev/apps/nope/", "/@owner/nope/apps/web/", "/@nobody/dev/apps/web/"} {
		if status, body, _ := get(t, other, e.srv.URL.String()+u); status != http.StatusNotFound {
			t.Errorf("other user on %s: %d %s", u, status, body)
		}
	}
	if status, _, _ := get(t, owner, e.srv.URL.String()+"/@owner/dev/apps/nope/"); status != http.StatusNotFound {
		t.Errorf("unknown app: %d", status)
	}

	// Someone not signed in is sent to sign in, or told 401.
	anon := noRedirects(e.browser(t, nil))
	req, _ = http.NewRequest(http.MethodGet, e.srv.URL.String()+"/@owner/dev/apps/web/x?y=1", nil)
	req.Header.Set("Accept", "text/html")
	resp, err = anon.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != "/login?redirect="+url.QueryEscape("/@owner/dev/apps/web/x?y=1") {
		t.Errorf("anonymous browser: %d %s", resp.StatusCode, loc)
	}
	resp, err = anon.Get(e.srv.URL.String() + "/@owner/dev/apps/web/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("anonymous client: %d", resp.StatusCode)
	}
}

func TestSubdomainAppSharing(t *testing.T) {
	t.Parallel()
	e := newAppEnv(t, appsWildcard,
		sdk.AgentApp{Slug: "own", Share: sdk.AppShareOwner},
		sdk.AgentApp{Slug: "team", Share: sdk.AppShareAuthenticated},
		sdk.AgentApp{Slug: "pub", Share: sdk.AppSharePublic},
	)
	port := e.srv.URL.Port()
	host := func(slug string) string { return "http://" + slug + "--dev--owner.apps.localhost:" + port }
	open := e.app(t, "own").URL
	if want := e.srv.URL.String() + "/api/v2/apps/open?app=own&workspace=" + e.ws.ID.String(); open != want {
		t.Fatalf("URL = %s, want %s", open, want)
	}
	owner, other, anon := e.browser(t, e.owner), e.browser(t, e.other), e.browser(t, nil)

	// The owner opens every app: a ticket, then a cookie for that host.
	for _, slug := range []string{"own", "team", "pub"} {
		status, body, final := get(t, owner, e.app(t, slug).URL)
		if status != http.StatusOK || !strings.HasPrefix(body, "path=/ ") || final.String() != host(slug)+"/" {
			t.Errorf("owner opens %s: %d %s at %s", slug, status, body, final)
		}
		if strings.Contains(body, "den_") {
			t.Errorf("Den's cookies reached the app: %s", body)
		}
	}
	// A page of it, later, with the cookie alone.
	if status, body, _ := get(t, owner, host("own")+"/a/b?c=d"); status != http.StatusOK || !strings.HasPrefix(body, "path=/a/b query=c=d host="+strings.TrimPrefix(host("own"), "http://")+" ") || strings.Contains(body, "prefix=/") {
		t.Errorf("owner on own: %d %s", status, body)
	}

	// Another user: not the owner's app, but the authenticated and public ones.
	if status, body, _ := get(t, other, e.app(t, "own").URL); status != http.StatusNotFound {
		t.Errorf("other opens own: %d %s", status, body)
	}
	if status, body, _ := get(t, other, host("own")+"/"); status == http.StatusOK {
		t.Errorf("other on own's host: %d %s", status, body)
	}
	for _, slug := range []string{"team", "pub"} {
		if status, body, _ := get(t, other, e.app(t, slug).URL); status != http.StatusOK || !strings.HasPrefix(body, "path=/ ") {
			t.Errorf("other opens %s: %d %s", slug, status, body)
		}
	}

	// Nobody signed in: the public app only.
	if status, body, final := get(t, anon, host("pub")+"/x"); status != http.StatusOK || !strings.HasPrefix(body, "path=/x ") || final.String() != host("pub")+"/x" {
		t.Errorf("anonymous on pub: %d %s %s", status, body, final)
	}
	if status, _, final := get(t, anon, e.app(t, "pub").URL); status != http.StatusOK || final.String() != host("pub")+"/" {
		t.Errorf("anonymous opens pub: %d %s", status, final)
	}
	stop := noRedirects(anon)
	for _, slug := range []string{"team", "own"} {
		// A page load goes to the open route, which sends to sign in.
		resp := do(t, stop, http.MethodGet, host(slug)+"/page", "text/html")
		if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != e.app(t, slug).URL {
			t.Errorf("anonymous browser on %s: %d %s", slug, resp.StatusCode, loc)
		}
		resp = do(t, stop, http.MethodGet, e.app(t, slug).URL, "text/html")
		if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/login?redirect=") {
			t.Errorf("anonymous opens %s: %d %s", slug, resp.StatusCode, loc)
		}
		// A script's request is a 401.
		if resp := do(t, stop, http.MethodPost, host(slug)+"/api", "application/json"); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("anonymous POST on %s: %d", slug, resp.StatusCode)
		}
	}
	// Hosts that name no app.
	for _, h := range []string{"nope--dev--owner", "own--nope--owner", "own--dev--nobody", "own--dev"} {
		if status, _, _ := get(t, owner, "http://"+h+".apps.localhost:"+port+"/"); status != http.StatusNotFound {
			t.Errorf("%s: %d", h, status)
		}
	}
	// Den's own routes still answer on the access URL.
	if status, _, _ := get(t, owner, e.srv.URL.String()+"/healthz"); status != http.StatusOK {
		t.Errorf("healthz: %d", status)
	}
}

func do(t *testing.T, c *http.Client, method, u, accept string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", accept)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

func TestAppTickets(t *testing.T) {
	t.Parallel()
	e := newAppEnv(t, appsWildcard,
		sdk.AgentApp{Slug: "own", Share: sdk.AppShareOwner},
		sdk.AgentApp{Slug: "two", Share: sdk.AppShareOwner},
	)
	port := e.srv.URL.Port()
	owner := e.browser(t, e.owner)
	stop := noRedirects(owner)
	ticketURL := func(slug string) string {
		t.Helper()
		resp := do(t, stop, http.MethodGet, e.app(t, slug).URL, "text/html")
		loc := resp.Header.Get("Location")
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "http://"+slug+"--dev--owner.apps.localhost:"+port+"/.den/ticket?t=") {
			t.Fatalf("open %s: %d %s", slug, resp.StatusCode, loc)
		}
		return loc
	}

	// A ticket for one host is refused on another.
	own := ticketURL("own")
	onTwo := strings.Replace(own, "own--", "two--", 1)
	if resp := do(t, stop, http.MethodGet, onTwo, "text/html"); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("own's ticket on two: %d", resp.StatusCode)
	}
	// A tampered ticket is refused.
	if resp := do(t, stop, http.MethodGet, own[:len(own)-2]+"AA", "text/html"); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("tampered ticket: %d", resp.StatusCode)
	}
	// An expired ticket is refused.
	e.clock.Advance(61 * time.Second)
	if resp := do(t, stop, http.MethodGet, own, "text/html"); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("expired ticket: %d", resp.StatusCode)
	}

	// A fresh one sets a cookie for that host only.
	resp := do(t, stop, http.MethodGet, ticketURL("own"), "text/html")
	var cookie *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "den_app" {
			cookie = c
		}
	}
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" || cookie == nil ||
		!cookie.HttpOnly || cookie.SameSite != http.SameSiteLaxMode || cookie.Domain != "" || cookie.Path != "/" || cookie.Secure {
		t.Fatalf("ticket exchange: %d %s %+v", resp.StatusCode, resp.Header.Get("Location"), cookie)
	}
	ownHost := "http://own--dev--owner.apps.localhost:" + port
	if status, body, _ := get(t, owner, ownHost+"/"); status != http.StatusOK {
		t.Errorf("with the cookie: %d %s", status, body)
	}
	// The cookie sent to another app's host is refused there.
	req, _ := http.NewRequest(http.MethodGet, "http://two--dev--owner.apps.localhost:"+port+"/", nil)
	req.AddCookie(&http.Cookie{Name: "den_app", Value: cookie.Value})
	if resp, err := e.browser(t, nil).Do(req); err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("own's cookie on two: %v %v", resp.StatusCode, err)
	}
	// A ticket does not pass for a cookie.
	ticket, _ := url.ParseQuery(strings.SplitN(ticketURL("own"), "?", 2)[1])
	req, _ = http.NewRequest(http.MethodGet, ownHost+"/", nil)
	req.AddCookie(&http.Cookie{Name: "den_app", Value: ticket.Get("t")})
	if resp, err := e.browser(t, nil).Do(req); err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("a ticket as the cookie: %v %v", resp.StatusCode, err)
	}

	// The cookie lasts an hour.
	e.clock.Advance(59 * time.Minute)
	if status, _, _ := get(t, owner, ownHost+"/"); status != http.StatusOK {
		t.Errorf("after 59 minutes: %d", status)
	}
	e.clock.Advance(2 * time.Minute)
	if resp := do(t, stop, http.MethodGet, ownHost+"/", "*/*"); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("after 61 minutes: %d", resp.StatusCode)
	}

	// Signing out ends access, though the cookie has not expired.
	do(t, stop, http.MethodGet, ticketURL("own"), "text/html")
	if status, _, _ := get(t, owner, ownHost+"/"); status != http.StatusOK {
		t.Fatalf("after a new ticket: %d", status)
	}
	if err := e.owner.Logout(context.Background()); err != nil {
		t.Fatal(err)
	}
	if resp := do(t, stop, http.MethodGet, ownHost+"/", "*/*"); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("after logout: %d", resp.StatusCode)
	}
}

func TestAppWebSocketAndStreaming(t *testing.T) {
	t.Parallel()
	e := newAppEnv(t, appsWildcard,
		sdk.AgentApp{Slug: "path", Share: sdk.AppShareOwner},
		sdk.AgentApp{Slug: "pub", Share: sdk.AppSharePublic},
	)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	owner := e.browser(t, e.owner)
	ownHost := "path--dev--owner.apps.localhost:" + e.srv.URL.Port()
	if status, _, _ := get(t, owner, e.app(t, "path").URL); status != http.StatusOK {
		t.Fatalf("open: %d", status) // the cookie for its host
	}
	// A page of another origin (another app's host) may not open a
	// WebSocket with the viewer's credentials.
	for _, u := range []string{"ws://" + e.srv.URL.Host + "/@owner/dev/apps/path/ws", "ws://" + ownHost + "/ws"} {
		h := http.Header{"Origin": {"http://pub--dev--owner.apps.localhost:" + e.srv.URL.Port()}}
		if c, resp, err := websocket.Dial(ctx, u, &websocket.DialOptions{HTTPClient: owner, HTTPHeader: h}); err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
			t.Errorf("cross-origin WebSocket to %s: %v %v", u, err, resp)
			if c != nil {
				c.CloseNow()
			}
		}
	}
	for _, u := range []string{
		"ws://" + e.srv.URL.Host + "/@owner/dev/apps/path/ws",
		"ws://" + ownHost + "/ws",
		"ws://pub--dev--owner.apps.localhost:" + e.srv.URL.Port() + "/ws",
	} {
		origin, _ := url.Parse(u)
		h := http.Header{"Origin": {"http://" + origin.Host}}
		c, _, err := websocket.Dial(ctx, u, &websocket.DialOptions{HTTPClient: owner, HTTPHeader: h})
		if err != nil {
			t.Fatalf("dial %s: %v", u, err)
		}
		c.SetReadLimit(1 << 20)
		for _, msg := range []string{"hello", strings.Repeat("x", 100_000)} {
			if err := c.Write(ctx, websocket.MessageText, []byte(msg)); err != nil {
				t.Fatal(err)
			}
			_, got, err := c.Read(ctx)
			if err != nil || string(got) != "echo: "+msg {
				t.Fatalf("%s: read %.40q, %v", u, got, err)
			}
		}
		c.Close(websocket.StatusNormalClosure, "")
	}

	// The first line of a streamed response arrives while the app is
	// still writing it.
	resp, err := owner.Get("http://pub--dev--owner.apps.localhost:" + e.srv.URL.Port() + "/stream")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	r := bufio.NewReader(resp.Body)
	line, err := r.ReadString('\n')
	if err != nil || line != "first\n" {
		t.Fatalf("first line: %q %v", line, err)
	}
	close(e.release)
	if rest, err := io.ReadAll(r); err != nil || string(rest) != "second\n" {
		t.Fatalf("rest: %q %v", rest, err)
	}
}

func TestAppHealth(t *testing.T) {
	t.Parallel()
	// The checked server: up, then down, then up again on the same port.
	var up atomic.Bool
	up.Store(true)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !up.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		http.Redirect(w, r, "/elsewhere", http.StatusFound) // 3xx is healthy
	})
	checked := &http.Server{Handler: handler}
	go checked.Serve(ln)
	check := &sdk.AppHealthcheck{URL: "http://" + addr + "/healthz", IntervalMS: 20, Threshold: 3}
	e := newAppEnv(t, "",
		sdk.AgentApp{Slug: "checked", Share: sdk.AppShareOwner, Healthcheck: check},
		sdk.AgentApp{Slug: "plain", Share: sdk.AppShareOwner},
	)
	waitHealth := func(want sdk.AppHealth) {
		t.Helper()
		e.waitWorkspace(t, "checked "+string(want), func(ws sdk.Workspace) bool {
			return len(ws.Apps) == 2 && ws.Apps[0].Health == want && ws.Apps[1].Health == sdk.AppHealthDisabled
		})
	}
	waitHealth(sdk.AppHealthHealthy)
	// Stopped: unhealthy after three failures.
	checked.Close()
	waitHealth(sdk.AppHealthUnhealthy)
	// Started again: healthy.
	ln, err = net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	checked = &http.Server{Handler: handler}
	go checked.Serve(ln)
	t.Cleanup(func() { checked.Close() })
	waitHealth(sdk.AppHealthHealthy)
	// Failing answers count as failures too.
	up.Store(false)
	waitHealth(sdk.AppHealthUnhealthy)
}

func TestAgentAppHealthValidation(t *testing.T) {
	t.Parallel()
	e := newAppEnv(t, "", sdk.AgentApp{Slug: "web", Share: sdk.AppShareOwner})
	applied := e.srv.Fake.Applied()
	ac := sdk.NewAgentClient(sdk.New(e.srv.URL), applied[len(applied)-1].Agent.Token)
	ctx := context.Background()
	for _, apps := range []map[string]sdk.AppHealth{
		{"nope": sdk.AppHealthHealthy},
		{"web": "great"},
		{"web": sdk.AppHealthDisabled},
	} {
		if err := ac.PostAppHealth(ctx, apps); sdk.StatusCode(err) != http.StatusBadRequest {
			t.Errorf("%v: %v", apps, err)
		}
	}
	// An app without a check keeps "disabled" whatever is reported.
	if err := ac.PostAppHealth(ctx, map[string]sdk.AppHealth{"web": sdk.AppHealthHealthy}); err != nil {
		t.Fatal(err)
	}
	if a := e.app(t, "web"); a.Health != sdk.AppHealthDisabled {
		t.Errorf("health = %s", a.Health)
	}
	// The manifest carries the apps.
	m, err := ac.Manifest(ctx)
	if err != nil || len(m.Apps) != 1 || m.Apps[0].Slug != "web" || m.Apps[0].URL != e.target.URL+"/" {
		t.Errorf("manifest apps: %+v %v", m.Apps, err)
	}
}

func TestParseWildcardAccessURL(t *testing.T) {
	t.Parallel()
	for raw, want := range map[string]string{
		"*.apps.example.com": ".apps.example.com",
		"*.LOCALHOST":        ".localhost",
		" *.a-b.c ":          ".a-b.c",
	} {
		if got, err := server.ParseWildcardAccessURL(raw); err != nil || got != want {
			t.Errorf("%q: %q %v, want %q", raw, got, err, want)
		}
	}
	for _, raw := range []string{"", "apps.example.com", "*.", "*.example.com:8080", "https://*.example.com", "*.example.com/x", "*.*.example.com", "*.-a.com", "*.a..com", "*.ex ample.com"} {
		if got, err := server.ParseWildcardAccessURL(raw); err == nil {
			t.Errorf("%q: accepted as %q", raw, got)
		}
	}
}

func TestDisablePathApps(t *testing.T) {
	t.Parallel()
	e := newAppEnvWith(t, func(o *server.Options) {
		o.WildcardAccessURL = appsWildcard
		o.DisablePathApps = true
	}, sdk.AgentApp{Slug: "web", Share: sdk.AppShareOwner})
	owner := e.browser(t, e.owner)
	status, body, _ := get(t, owner, e.srv.URL.String()+"/@owner/dev/apps/web/")
	if status != http.StatusNotFound || !strings.Contains(body, "apps on paths are turned off") {
		t.Errorf("a path app: %d %s", status, body)
	}
	// The app is on its subdomain, as the API says.
	app := e.app(t, "web")
	status, body, final := get(t, owner, app.URL)
	if status != http.StatusOK || !strings.HasPrefix(final.Host, "web--dev--owner.") || !strings.HasPrefix(body, "path=/ ") {
		t.Errorf("the subdomain app: %d %s %s", status, final, body)
	}
}
