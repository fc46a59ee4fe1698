package agent_test

import (
	"context"
	"crypto/rand"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"den/sdk"
	"den/server/servertest"
)

// TestHostileAgent: an agent that sends garbage is cut off without
// disturbing other agents, and bad reports are refused with a 4xx.
func TestHostileAgent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, "")
	e.runAgent(t)
	e.waitFor(t, "ready", ready)

	// A second workspace whose "agent" is hostile.
	ws2, err := e.owner.CreateWorkspace(ctx, sdk.Me, sdk.CreateWorkspaceRequest{Name: "evil", Template: "t"})
	if err != nil {
		t.Fatal(err)
	}
	servertest.WaitJobDone(t, e.owner, ws2.LatestBuild.Job.ID)
	applied := e.srv.Fake.Applied()
	token := applied[len(applied)-1].Agent.Token
	bad := sdk.NewAgentClient(sdk.New(e.srv.URL), token)

	for _, req := range []string{`{"state": "bogus"}`, `{"state": 7}`, `not json`} {
		resp := post(t, e.srv, "/api/v2/agent/lifecycle", token, req)
		if resp != http.StatusBadRequest {
			t.Errorf("lifecycle %s: %d, want 400", req, resp)
		}
	}
	many := make([]sdk.AgentLog, sdk.MaxAgentLogsPerRequest+1)
	if err := bad.PostLogs(ctx, many); sdk.StatusCode(err) != http.StatusBadRequest {
		t.Errorf("too many log lines: %v, want 400", err)
	}
	huge := []sdk.AgentLog{{Output: strings.Repeat("x", 900<<10)}}
	if err := bad.PostLogs(ctx, huge); err != nil {
		t.Fatalf("a long line is cut, not refused: %v", err)
	}
	for range 3 {
		if err := bad.PostLogs(ctx, []sdk.AgentLog{{Output: strings.Repeat("y", sdk.MaxAgentLogLine)}}); err != nil && sdk.StatusCode(err) != http.StatusRequestEntityTooLarge {
			t.Fatal(err)
		}
	}
	for i := 0; ; i++ {
		err := bad.PostLogs(ctx, []sdk.AgentLog{{Output: strings.Repeat("z", sdk.MaxAgentLogLine)}})
		if sdk.StatusCode(err) == http.StatusRequestEntityTooLarge {
			break
		}
		if err != nil || i > 200 {
			t.Fatalf("an agent's log is not bounded: %v after %d batches", err, i)
		}
	}

	// Garbage instead of multiplexer frames: the server drops the connection.
	h := http.Header{}
	h.Set(sdk.AgentTokenHeader, token)
	wsURL := "ws://" + e.srv.URL.Host + "/api/v2/agent/connect"
	c, _, err := websocket.Dial(ctx, wsURL, &websocket.DialOptions{HTTPHeader: h})
	if err != nil {
		t.Fatal(err)
	}
	junk := make([]byte, 64<<10)
	rand.Read(junk) //nolint:errcheck
	_ = c.Write(ctx, websocket.MessageBinary, junk)
	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, _, err := c.Read(rctx); err == nil || rctx.Err() != nil {
		t.Fatalf("the server kept a connection that sent garbage (%v)", err)
	}
	c.CloseNow()

	// The good agent is unaffected.
	conn, err := e.owner.DialWorkspace(ctx, e.ws.ID, sdk.StreamHeader{Kind: sdk.StreamPing})
	if err != nil {
		t.Fatalf("the good agent after the bad one: %v", err)
	}
	conn.Close()
}

func post(t *testing.T, srv *servertest.Server, path, token, body string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, srv.URL.String()+path, strings.NewReader(body))
	req.Header.Set(sdk.AgentTokenHeader, token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
