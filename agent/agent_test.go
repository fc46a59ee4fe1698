package agent_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"den/dbtest"
	"den/provisioner"
	"den/sdk"
	"den/server/servertest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

const template = `container:
  image: den-test-busybox:1
`

// env is a server on the fake provisioner whose starts report an agent,
// which the test runs in-process with the token the build minted.
type env struct {
	srv   *servertest.Server
	owner *sdk.Client
	ws    sdk.Workspace
}

func newEnv(t *testing.T, script string) *env {
	t.Helper()
	srv := servertest.New(t)
	srv.Fake.Agent = &provisioner.AgentSpec{StartupScript: script, StartupTimeout: 30 * time.Second}
	owner, _ := srv.FirstUser(t)
	srv.PushTemplate(t, owner, "t", map[string]string{"den.yaml": template})
	ws, err := owner.CreateWorkspace(context.Background(), sdk.Me, sdk.CreateWorkspaceRequest{Name: "dev", Template: "t"})
	if err != nil {
		t.Fatal(err)
	}
	return &env{srv: srv, owner: owner, ws: ws}
}

// runAgent starts the agent of the latest start build until the test ends.
func (e *env) runAgent(t *testing.T) {
	t.Helper()
	servertest.WaitJobDone(t, e.owner, e.ws.LatestBuild.Job.ID)
	e.srv.RunAgent(t)
}

// waitFor polls the workspace until cond holds.
func (e *env) waitFor(t *testing.T, what string, cond func(sdk.Workspace) bool) sdk.Workspace {
	t.Helper()
	return servertest.WaitWorkspace(t, e.owner, e.ws.ID, what, cond)
}

func ready(ws sdk.Workspace) bool {
	return ws.Status == sdk.WorkspaceRunning && ws.Agent != nil && ws.Agent.Lifecycle == sdk.AgentReady && ws.Agent.Connection == sdk.AgentConnected
}

func TestLifecycleAndStartupLogs(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "echo hello from startup; echo second line >&2")
	// Before the agent reports, the workspace is still starting.
	servertest.WaitJobDone(t, e.owner, e.ws.LatestBuild.Job.ID)
	if ws, _ := e.owner.Workspace(context.Background(), e.ws.ID); ws.Status != sdk.WorkspaceStarting || ws.Agent.Connection != sdk.AgentConnecting {
		t.Fatalf("before the agent: %s / %+v", ws.Status, ws.Agent)
	}
	e.runAgent(t)
	// The build's log stream goes on until the agent is ready.
	var lines []string
	var last *sdk.WorkspaceAgent
	err := e.owner.JobLogs(context.Background(), e.ws.LatestBuild.Job.ID, 0, true, func(ev sdk.JobEvent) error {
		if ev.Log != nil {
			lines = append(lines, ev.Log.Stage+": "+ev.Log.Output)
		}
		if ev.Agent != nil {
			last = ev.Agent
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if last == nil || last.Lifecycle != sdk.AgentReady {
		t.Fatalf("stream ended with agent %+v", last)
	}
	text := strings.Join(lines, "\n")
	for _, want := range []string{"Running startup script: hello from startup", "Running startup script: second line"} {
		if !strings.Contains(text, want) {
			t.Errorf("log lacks %q:\n%s", want, text)
		}
	}
	ws := e.waitFor(t, "ready", ready)
	if ws.Agent.Version != "v-test" || ws.Agent.ReadyAt == nil {
		t.Errorf("agent = %+v", ws.Agent)
	}
}

func TestStartupScriptFails(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "echo about to fail; exit 3")
	e.runAgent(t)
	ws := e.waitFor(t, "start_error", func(ws sdk.Workspace) bool {
		return ws.Agent != nil && ws.Agent.Lifecycle == sdk.AgentStartError
	})
	if ws.Status != sdk.WorkspaceRunning {
		t.Errorf("status = %s; a failed startup script leaves the workspace running", ws.Status)
	}
}

func TestStreams(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, "")
	e.runAgent(t)
	ws := e.waitFor(t, "ready", ready)

	// Ping echoes.
	conn, err := e.owner.DialWorkspace(ctx, ws.ID, sdk.StreamHeader{Kind: sdk.StreamPing})
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 8)
	binary.BigEndian.PutUint64(buf, 42)
	if _, err := conn.Write(buf); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(conn, buf); err != nil || binary.BigEndian.Uint64(buf) != 42 {
		t.Fatalf("ping: %v", err)
	}
	conn.Close()

	// Behind a proxy that passes only WebSockets, streams still work.
	wsOnly := *e.owner
	wsOnly.WebSocketOnly = true
	conn, err = wsOnly.DialWorkspace(ctx, ws.ID, sdk.StreamHeader{Kind: sdk.StreamPing})
	if err != nil {
		t.Fatalf("ping over a WebSocket: %v", err)
	}
	if _, err := conn.Write(buf); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(conn, buf); err != nil || binary.BigEndian.Uint64(buf) != 42 {
		t.Fatalf("ping over a WebSocket: %v", err)
	}
	conn.Close()
	// A plain GET is told to upgrade.
	resp, err := e.owner.Request(ctx, http.MethodGet, "/api/v2/workspaces/"+ws.ID.String()+"/connect?kind=ping", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUpgradeRequired {
		t.Fatalf("plain GET: %d, want 426", resp.StatusCode)
	}

	// TCP to a port "in the workspace" (this machine, for the in-process agent).
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { io.Copy(c, c); c.Close() }() //nolint:errcheck
		}
	}()
	conn, err = e.owner.DialWorkspace(ctx, ws.ID, sdk.StreamHeader{Kind: sdk.StreamTCP, Addr: ln.Addr().String()})
	if err != nil {
		t.Fatal(err)
	}
	payload := bytes.Repeat([]byte("den"), 100_000)
	go conn.Write(payload) //nolint:errcheck
	got := make([]byte, len(payload))
	if _, err := io.ReadFull(conn, got); err != nil || !bytes.Equal(got, payload) {
		t.Fatalf("tcp echo: %v", err)
	}
	conn.Close()
	// Half-close passes through: the client ends its writing and still
	// reads the answer, which the target sends only after the end.
	counter, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer counter.Close()
	go func() {
		c, err := counter.Accept()
		if err != nil {
			return
		}
		n, _ := io.Copy(io.Discard, c)
		fmt.Fprintf(c, "got %d bytes", n)
		c.Close()
	}()
	conn, err = e.owner.DialWorkspace(ctx, ws.ID, sdk.StreamHeader{Kind: sdk.StreamTCP, Addr: counter.Addr().String()})
	if err != nil {
		t.Fatal(err)
	}
	hc, ok := conn.(interface{ CloseWrite() error })
	if !ok {
		t.Fatalf("a workspace stream (%T) cannot half-close", conn)
	}
	if _, err := conn.Write(payload); err != nil {
		t.Fatal(err)
	}
	if err := hc.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	if b, err := io.ReadAll(conn); err != nil || string(b) != fmt.Sprintf("got %d bytes", len(payload)) {
		t.Fatalf("after half-close: %q %v", b, err)
	}
	conn.Close()

	closed, _ := net.Listen("tcp", "127.0.0.1:0")
	closedAddr := closed.Addr().String()
	closed.Close()
	_, err = e.owner.DialWorkspace(ctx, ws.ID, sdk.StreamHeader{Kind: sdk.StreamTCP, Addr: closedAddr})
	var apiErr *sdk.Error
	if !errors.As(err, &apiErr) || !strings.Contains(apiErr.Message, "cannot connect to "+closedAddr+" in the workspace") {
		t.Fatalf("closed port: %v", err)
	}

	// SSH: a command, its output and exit status.
	conn, err = e.owner.DialWorkspace(ctx, ws.ID, sdk.StreamHeader{Kind: sdk.StreamSSH})
	if err != nil {
		t.Fatal(err)
	}
	pub, _, _, _, err := ssh.ParseAuthorizedKey([]byte(ws.SSHHostKey))
	if err != nil {
		t.Fatalf("host key %q: %v", ws.SSHHostKey, err)
	}
	sc, chans, reqs, err := ssh.NewClientConn(conn, "den.dev", &ssh.ClientConfig{User: "owner", HostKeyCallback: ssh.FixedHostKey(pub)})
	if err != nil {
		t.Fatalf("ssh handshake: %v", err)
	}
	client := ssh.NewClient(sc, chans, reqs)
	defer client.Close()
	sess, _ := client.NewSession()
	out, err := sess.Output("echo hi from ssh")
	if err != nil || strings.TrimSpace(string(out)) != "hi from ssh" {
		t.Fatalf("ssh echo: %q %v", out, err)
	}
	sess, _ = client.NewSession()
	var exit *ssh.ExitError
	if err := sess.Run("exit 3"); !errors.As(err, &exit) || exit.ExitStatus() != 3 {
		t.Fatalf("exit status: %v", err)
	}

	// Speed tests both ways.
	for _, dir := range []string{"up", "down"} {
		conn, err := e.owner.DialWorkspace(ctx, ws.ID, sdk.StreamHeader{Kind: sdk.StreamSpeedtest, Direction: dir, Bytes: 1 << 20})
		if err != nil {
			t.Fatal(err)
		}
		if dir == "up" {
			if _, err := conn.Write(make([]byte, 1<<20)); err != nil {
				t.Fatal(err)
			}
			var reply map[string]int64
			if err := sdk.ReadStreamMessage(conn, &reply); err != nil || reply["bytes"] != 1<<20 {
				t.Fatalf("speedtest up: %v %v", reply, err)
			}
		} else if n, err := io.Copy(io.Discard, conn); err != nil || n != 1<<20 {
			t.Fatalf("speedtest down: %d %v", n, err)
		}
		conn.Close()
	}

	// Nobody else reaches the workspace.
	other, _ := e.srv.CreateUser(t, e.owner, "other")
	if _, err := other.DialWorkspace(ctx, ws.ID, sdk.StreamHeader{Kind: sdk.StreamPing}); sdk.StatusCode(err) != http.StatusNotFound {
		t.Fatalf("another user connects: %v, want 404", err)
	}
	admin, _ := e.srv.CreateUser(t, e.owner, "tadmin", sdk.RoleTemplateAdmin)
	if _, err := admin.DialWorkspace(ctx, ws.ID, sdk.StreamHeader{Kind: sdk.StreamPing}); sdk.StatusCode(err) != http.StatusForbidden {
		t.Fatalf("a template admin connects: %v, want 403", err)
	}
}

func TestStoppedWorkspaceAndOldToken(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, "")
	e.runAgent(t)
	e.waitFor(t, "ready", ready)
	oldToken := e.srv.Fake.Applied()[0].Agent.Token
	b, err := e.owner.CreateWorkspaceBuild(ctx, e.ws.ID, sdk.CreateWorkspaceBuildRequest{Transition: sdk.TransitionStop})
	if err != nil {
		t.Fatal(err)
	}
	servertest.WaitJob(t, e.owner, b.Job.ID)
	_, err = e.owner.DialWorkspace(ctx, e.ws.ID, sdk.StreamHeader{Kind: sdk.StreamSSH})
	var apiErr *sdk.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusConflict || !strings.Contains(apiErr.Message, "den start dev") {
		t.Fatalf("ssh to a stopped workspace: %v", err)
	}
	b, err = e.owner.CreateWorkspaceBuild(ctx, e.ws.ID, sdk.CreateWorkspaceBuildRequest{Transition: sdk.TransitionStart})
	if err != nil {
		t.Fatal(err)
	}
	_ = b
	servertest.WaitJobDone(t, e.owner, b.Job.ID)
	// The first build's token no longer opens anything.
	old := sdk.NewAgentClient(sdk.New(e.srv.URL), oldToken)
	if _, err := old.Manifest(ctx); sdk.StatusCode(err) != http.StatusUnauthorized {
		t.Fatalf("old token: %v, want 401", err)
	}
	if _, err := old.Connect(ctx, "old"); sdk.StatusCode(err) != http.StatusUnauthorized {
		t.Fatalf("old token connects: %v, want 401", err)
	}
}

func TestAgentReconnectsAfterServerRestart(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "")
	e.runAgent(t)
	e.waitFor(t, "ready", ready)
	e.srv.Restart(t, 500*time.Millisecond)
	restarted := time.Now()
	e.waitFor(t, "reconnected", func(ws sdk.Workspace) bool {
		return ws.Agent != nil && ws.Agent.Connection == sdk.AgentConnected && ws.Agent.LastConnectedAt.After(restarted.Add(-time.Second))
	})
	t.Logf("reconnected %s after the server came back", time.Since(restarted).Round(time.Millisecond))
	conn, err := e.owner.DialWorkspace(context.Background(), e.ws.ID, sdk.StreamHeader{Kind: sdk.StreamPing})
	if err != nil {
		t.Fatalf("ping after reconnect: %v", err)
	}
	conn.Close()
}
