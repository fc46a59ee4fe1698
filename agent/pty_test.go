package agent_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/google/uuid"

	"den/sdk"
	"den/server/servertest"
)

// ptyClient is a web terminal: a WebSocket to /pty, its output collected.
type ptyClient struct {
	conn   *websocket.Conn
	mu     sync.Mutex
	out    bytes.Buffer
	err    error // why reading ended
	closed chan struct{}
}

// dialPTY opens the web terminal of the workspace with query, or returns
// the refused handshake's response.
func dialPTY(t *testing.T, c *sdk.Client, workspace uuid.UUID, query string) (*ptyClient, *http.Response, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	u := *c.URL
	u.Path = sdk.APIPrefix + "/workspaces/" + workspace.String() + "/pty"
	u.RawQuery = query
	conn, resp, err := websocket.Dial(ctx, u.String(), &websocket.DialOptions{
		HTTPHeader: http.Header{sdk.SessionTokenHeader: {c.SessionToken}, "Origin": {"http://" + c.URL.Host}},
	})
	if err != nil {
		return nil, resp, err
	}
	p := &ptyClient{conn: conn, closed: make(chan struct{})}
	go func() {
		defer close(p.closed)
		for {
			typ, b, err := conn.Read(context.Background())
			p.mu.Lock()
			if err != nil {
				p.err = err
				p.mu.Unlock()
				return
			}
			if typ != websocket.MessageBinary {
				p.err = errors.New("a text message from the server")
			}
			p.out.Write(b)
			p.mu.Unlock()
		}
	}()
	t.Cleanup(func() { conn.CloseNow() })
	return p, resp, nil
}

func (p *ptyClient) send(t *testing.T, msg string) {
	t.Helper()
	if err := p.conn.Write(context.Background(), websocket.MessageText, []byte(msg)); err != nil {
		t.Fatalf("send %s: %v", msg, err)
	}
}

func (p *ptyClient) run(t *testing.T, line string) {
	t.Helper()
	p.send(t, `{"data":"`+line+`\r"}`)
}

func (p *ptyClient) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.String()
}

func (p *ptyClient) waitFor(t *testing.T, want string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(p.output(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("no %q in the terminal's output:\n%s", want, p.output())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitClosed waits for the server to close the WebSocket and returns how.
func (p *ptyClient) waitClosed(t *testing.T) websocket.CloseError {
	t.Helper()
	select {
	case <-p.closed:
	case <-time.After(20 * time.Second):
		t.Fatalf("the terminal is still open; output:\n%s", p.output())
	}
	var ce websocket.CloseError
	if !errors.As(p.err, &ce) {
		t.Fatalf("the terminal ended with %v, not a close frame", p.err)
	}
	return ce
}

func TestWebTerminal(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, "")
	e.runAgent(t)
	ws := e.waitFor(t, "ready", ready)
	session := uuid.NewString()

	p, _, err := dialPTY(t, e.owner, ws.ID, "session="+session+"&rows=30&cols=100")
	if err != nil {
		t.Fatal(err)
	}
	p.run(t, "export X=1; stty size; echo hi-$((40+2))")
	p.waitFor(t, "hi-42")
	p.waitFor(t, "30 100")
	p.conn.Close(websocket.StatusNormalClosure, "")

	// Rejoining: the earlier output first, then the same shell.
	p, _, err = dialPTY(t, e.owner, ws.ID, "session="+session)
	if err != nil {
		t.Fatal(err)
	}
	p.waitFor(t, "hi-42")
	p.run(t, "echo X-$X-X")
	p.waitFor(t, "X-1-X")
	p.send(t, `{"rows":40,"cols":120}`)
	p.run(t, "stty size")
	p.waitFor(t, "40 120")

	// Another terminal on the same session sees the same output.
	other, _, err := dialPTY(t, e.owner, ws.ID, "session="+session)
	if err != nil {
		t.Fatal(err)
	}
	other.run(t, "echo both-$((1+1))")
	p.waitFor(t, "both-2")

	// Garbage is refused politely, and the session goes on.
	for _, tc := range []struct {
		typ  websocket.MessageType
		msg  []byte
		code websocket.StatusCode
	}{
		{websocket.MessageBinary, []byte(`{"data":"x"}`), websocket.StatusUnsupportedData},
		{websocket.MessageText, []byte(`ls`), websocket.StatusPolicyViolation},
		{websocket.MessageText, []byte(`{"rows":5000,"cols":1}`), websocket.StatusPolicyViolation},
		{websocket.MessageText, []byte(`{"data":"` + strings.Repeat("a", sdk.MaxPTYMessage) + `"}`), websocket.StatusMessageTooBig},
	} {
		g, _, err := dialPTY(t, e.owner, ws.ID, "session="+session)
		if err != nil {
			t.Fatal(err)
		}
		_ = g.conn.Write(ctx, tc.typ, tc.msg)
		if ce := g.waitClosed(t); ce.Code != tc.code || ce.Reason == "" {
			t.Errorf("%.40s: closed with %v, want %v with a reason", tc.msg, ce, tc.code)
		}
	}
	other.run(t, "echo still-$((2+2))")
	p.waitFor(t, "still-4")

	// Bad requests, and nobody else reaches the terminal.
	for _, tc := range []struct {
		client *sdk.Client
		query  string
		status int
	}{
		{e.owner, "session=nope", http.StatusBadRequest},
		{e.owner, "session=" + session + "&rows=0", http.StatusBadRequest},
		{e.owner, "session=" + session + "&cols=1001", http.StatusBadRequest},
		{mustUser(t, e, "other"), "session=" + session, http.StatusNotFound},
		{mustUser(t, e, "tadmin", sdk.RoleTemplateAdmin), "session=" + session, http.StatusForbidden},
	} {
		_, resp, err := dialPTY(t, tc.client, ws.ID, tc.query)
		if err == nil || resp == nil || resp.StatusCode != tc.status {
			t.Errorf("%s: %v %v, want %d", tc.query, resp, err, tc.status)
		}
	}
	// A browser on another origin is refused.
	u := *e.owner.URL
	u.Path = sdk.APIPrefix + "/workspaces/" + ws.ID.String() + "/pty"
	u.RawQuery = "session=" + session
	if _, resp, err := websocket.Dial(ctx, u.String(), &websocket.DialOptions{
		HTTPHeader: http.Header{sdk.SessionTokenHeader: {e.owner.SessionToken}, "Origin": {"http://evil.example"}},
	}); err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("another origin: %v %v, want 403", resp, err)
	}
	// A plain GET is told to upgrade.
	resp, err := e.owner.Request(ctx, http.MethodGet, u.Path+"?"+u.RawQuery, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUpgradeRequired {
		t.Errorf("plain GET: %d, want 426", resp.StatusCode)
	}

	// exit ends the session for every terminal attached.
	p.run(t, "exit")
	for _, c := range []*ptyClient{p, other} {
		if ce := c.waitClosed(t); ce.Code != websocket.StatusNormalClosure || ce.Reason != sdk.PTYExitedReason {
			t.Errorf("after exit: %v, want 1000 %q", ce, sdk.PTYExitedReason)
		}
	}
	// The same id now starts a new shell.
	p, _, err = dialPTY(t, e.owner, ws.ID, "session="+session)
	if err != nil {
		t.Fatal(err)
	}
	p.run(t, "echo X-$X-X")
	p.waitFor(t, "X--X")
	p.conn.Close(websocket.StatusNormalClosure, "")

	// A stopped workspace has no terminal.
	b, err := e.owner.CreateWorkspaceBuild(ctx, e.ws.ID, sdk.CreateWorkspaceBuildRequest{Transition: sdk.TransitionStop})
	if err != nil {
		t.Fatal(err)
	}
	servertest.WaitJob(t, e.owner, b.Job.ID)
	_, resp, err = dialPTY(t, e.owner, ws.ID, "session="+session)
	if err == nil || resp == nil || resp.StatusCode != http.StatusConflict {
		t.Fatalf("a stopped workspace: %v %v, want 409", resp, err)
	}
	body, _ := io.ReadAll(resp.Body)
	if !strings.Contains(string(body), "den start dev") {
		t.Errorf("409 body %s does not say how to start it", body)
	}
}

func mustUser(t *testing.T, e *env, name string, roles ...sdk.Role) *sdk.Client {
	t.Helper()
	c, _ := e.srv.CreateUser(t, e.owner, name, roles...)
	return c
}
