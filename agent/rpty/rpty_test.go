package rpty

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"

	"den/sdk"
)

func newManager(t *testing.T, o Options) *Manager {
	t.Helper()
	o.Command = func() (*exec.Cmd, error) {
		cmd := exec.Command("/bin/sh")
		cmd.Env = []string{"PATH=/usr/local/bin:/usr/bin:/bin", "PS1=$ ", "TERM=dumb", "HOME=/"}
		return cmd, nil
	}
	m := New(o)
	t.Cleanup(func() { m.Close() })
	return m
}

// testClient is one attached stream, its output collected.
type testClient struct {
	conn   net.Conn
	mu     sync.Mutex
	out    bytes.Buffer
	closed chan struct{}
}

func attach(t *testing.T, m *Manager, id uuid.UUID, rows, cols uint16) *testClient {
	t.Helper()
	a, err := m.Attach(id, rows, cols)
	if err != nil {
		t.Fatal(err)
	}
	ours, theirs := net.Pipe()
	go a.Serve(theirs)
	c := &testClient{conn: ours, closed: make(chan struct{})}
	go func() {
		defer close(c.closed)
		buf := make([]byte, 32<<10)
		for {
			n, err := ours.Read(buf)
			c.mu.Lock()
			c.out.Write(buf[:n])
			c.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() { ours.Close() })
	return c
}

func (c *testClient) send(t *testing.T, m sdk.PTYMessage) {
	t.Helper()
	if err := sdk.WritePTYMessage(c.conn, m); err != nil {
		t.Fatalf("send %+v: %v", m, err)
	}
}

func (c *testClient) run(t *testing.T, line string) {
	t.Helper()
	c.send(t, sdk.PTYMessage{Data: line + "\n"})
}

func (c *testClient) output() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.out.String()
}

func (c *testClient) waitFor(t *testing.T, want string) {
	t.Helper()
	waitUntil(t, "output "+want, func() bool { return strings.Contains(c.output(), want) })
}

func (c *testClient) waitClosed(t *testing.T) {
	t.Helper()
	select {
	case <-c.closed:
	case <-time.After(10 * time.Second):
		t.Fatalf("the stream is still open; output:\n%s", c.output())
	}
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (m *Manager) count() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.sessions)
}

func (m *Manager) session(id uuid.UUID) *session {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.sessions[id]
}

func (s *session) attached() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.holds
}

func TestReplayAfterReattach(t *testing.T) {
	t.Parallel()
	m := newManager(t, Options{})
	id := uuid.New()
	c1 := attach(t, m, id, 0, 0)
	c1.run(t, "X=1; echo hi-$((40+2))")
	c1.waitFor(t, "hi-42")
	s := m.session(id)
	c1.conn.Close()
	waitUntil(t, "the client detached", func() bool { return s.attached() == 0 })

	c2 := attach(t, m, id, 0, 0)
	c2.waitFor(t, "hi-42") // replayed: nothing ran since
	c2.run(t, "echo X-$X-X")
	c2.waitFor(t, "X-1-X") // the same shell
	if m.session(id) != s || m.count() != 1 {
		t.Fatalf("a new session: %d sessions", m.count())
	}
}

func TestReplayKeepsTheLastOutput(t *testing.T) {
	t.Parallel()
	m := newManager(t, Options{})
	id := uuid.New()
	c1 := attach(t, m, id, 0, 0)
	// 200 KiB of output, then a marker: only the last 64 KiB come back.
	c1.run(t, "i=0; while [ $i -lt 2000 ]; do echo line-$i-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx; i=$((i+1)); done; echo end-$((1+1))")
	c1.waitFor(t, "end-2")
	c1.conn.Close()
	c2 := attach(t, m, id, 0, 0)
	c2.waitFor(t, "end-2")
	got := c2.output()
	if len(got) > sdk.MaxPTYReplay || len(got) < sdk.MaxPTYReplay/2 {
		t.Fatalf("replayed %d bytes, want up to %d", len(got), sdk.MaxPTYReplay)
	}
	if strings.Contains(got, "line-0-") || !strings.Contains(got, "line-1999-") {
		t.Fatal("the replay is not the last output")
	}
}

func TestTwoAttachments(t *testing.T) {
	t.Parallel()
	m := newManager(t, Options{})
	id := uuid.New()
	c1 := attach(t, m, id, 30, 100)
	c2 := attach(t, m, id, 0, 0)
	c2.run(t, "stty size; echo both-$((1+1))")
	for _, c := range []*testClient{c1, c2} {
		c.waitFor(t, "30 100")
		c.waitFor(t, "both-2")
	}
	c1.send(t, sdk.PTYMessage{Rows: 33, Cols: 99})
	c1.send(t, sdk.PTYMessage{Data: "stty size\n"})
	c2.waitFor(t, "33 99")
	// Input and a resize in one message.
	c2.send(t, sdk.PTYMessage{Rows: 40, Cols: 120, Data: "stty size\n"})
	c1.waitFor(t, "40 120")
	// A third attachment that sends a size resizes too.
	c3 := attach(t, m, id, 50, 160)
	c3.run(t, "stty size")
	c1.waitFor(t, "50 160")
	// One leaving does not disturb the others.
	c3.conn.Close()
	c2.run(t, "echo still-$((2+2))")
	c1.waitFor(t, "still-4")
}

func TestShellExit(t *testing.T) {
	t.Parallel()
	m := newManager(t, Options{})
	id := uuid.New()
	c1 := attach(t, m, id, 0, 0)
	c2 := attach(t, m, id, 0, 0)
	c1.run(t, "X=1; echo bye-$((1+2)); exit")
	for _, c := range []*testClient{c1, c2} {
		c.waitClosed(t)
		if !strings.Contains(c.output(), "bye-3") {
			t.Fatalf("the last output was not delivered: %q", c.output())
		}
	}
	waitUntil(t, "the session to go", func() bool { return m.count() == 0 })
	// The same id starts a new shell.
	c3 := attach(t, m, id, 0, 0)
	c3.run(t, "echo X-$X-X")
	c3.waitFor(t, "X--X")
}

func TestIdleTimeout(t *testing.T) {
	t.Parallel()
	m := newManager(t, Options{IdleTimeout: 100 * time.Millisecond})
	id := uuid.New()
	c := attach(t, m, id, 0, 0)
	c.run(t, "X=1; echo ready-$((1+1))")
	c.waitFor(t, "ready-2")
	s := m.session(id)
	pid := s.cmd.Process.Pid
	// Attached, a session outlives the timeout many times over.
	time.Sleep(500 * time.Millisecond)
	if m.session(id) != s {
		t.Fatal("an attached session ended")
	}
	// An attachment held but never served counts too, until cancelled.
	a, err := m.Attach(id, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	c.conn.Close()
	c.waitClosed(t)
	time.Sleep(300 * time.Millisecond)
	if m.session(id) != s {
		t.Fatal("a session with an attachment pending ended")
	}
	a.Cancel()
	waitUntil(t, "the idle session to end", func() bool {
		select {
		case <-s.done:
			return m.count() == 0
		default:
			return false
		}
	})
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Fatalf("the shell %d still runs: %v", pid, err)
	}
	c2 := attach(t, m, id, 0, 0)
	c2.run(t, "echo X-$X-X")
	c2.waitFor(t, "X--X")
}

func TestSessionCap(t *testing.T) {
	t.Parallel()
	m := newManager(t, Options{})
	var ids []uuid.UUID
	var held []*Attachment
	for range defaultMaxSessions {
		id := uuid.New()
		a, err := m.Attach(id, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		ids, held = append(ids, id), append(held, a)
	}
	if _, err := m.Attach(uuid.New(), 0, 0); err == nil || !strings.Contains(err.Error(), "16 terminal sessions") {
		t.Fatalf("a 17th session: %v", err)
	}
	// Joining an existing one is fine.
	c := attach(t, m, ids[0], 0, 0)
	held[0].Cancel()
	c.run(t, "exit")
	c.waitClosed(t)
	waitUntil(t, "the session to go", func() bool { return m.count() == defaultMaxSessions-1 })
	c = attach(t, m, uuid.New(), 0, 0)
	c.run(t, "echo new-$((3+4))")
	c.waitFor(t, "new-7")
	for _, a := range held[1:] {
		a.Cancel()
	}
}

func TestBadMessage(t *testing.T) {
	t.Parallel()
	m := newManager(t, Options{})
	id := uuid.New()
	good := attach(t, m, id, 0, 0)
	bad := attach(t, m, id, 0, 0)
	if _, err := bad.conn.Write([]byte{0, 3, 'n', 'o', '!'}); err != nil {
		t.Fatal(err)
	}
	bad.waitClosed(t)
	good.run(t, "echo alive-$((5+5))")
	good.waitFor(t, "alive-10")
}

func TestCloseEndsEverything(t *testing.T) {
	before := runtime.NumGoroutine()
	m := newManager(t, Options{})
	var clients []*testClient
	var pids []int
	for range 3 {
		id := uuid.New()
		c := attach(t, m, id, 0, 0)
		c.run(t, "echo up-$((0+1))")
		c.waitFor(t, "up-1")
		clients = append(clients, c)
		pids = append(pids, m.session(id).cmd.Process.Pid)
	}
	// A shell that ignores SIGHUP gets SIGKILL.
	clients[0].run(t, "trap '' HUP; echo trapped-$((1+1))")
	clients[0].waitFor(t, "trapped-2")
	m.Close()
	for _, c := range clients {
		c.waitClosed(t)
		c.conn.Close()
	}
	for _, pid := range pids {
		if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
			t.Fatalf("the shell %d still runs: %v", pid, err)
		}
	}
	if _, err := m.Attach(uuid.New(), 0, 0); !errors.Is(err, ErrClosed) {
		t.Fatalf("attach after close: %v", err)
	}
	waitUntil(t, "goroutines to end", func() bool { return runtime.NumGoroutine() <= before })
}

func TestRing(t *testing.T) {
	t.Parallel()
	r := newRing(100)
	var all []byte
	rnd := rand.New(rand.NewPCG(1, 2))
	for i := range 2000 {
		p := make([]byte, rnd.IntN(130))
		for j := range p {
			p[j] = byte(rnd.IntN(256))
		}
		r.write(p)
		all = append(all, p...)
		want := all[max(0, len(all)-100):]
		if got := r.bytes(); !bytes.Equal(got, want) {
			t.Fatalf("write %d: got %d bytes, want %d", i, len(got), len(want))
		}
	}
}

func TestSlowClientDetached(t *testing.T) {
	t.Parallel()
	m := newManager(t, Options{})
	id := uuid.New()
	c := attach(t, m, id, 0, 0)
	// A client that never reads.
	a, err := m.Attach(id, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	// Over TCP, as the agent's streams to the server are.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	ours, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer ours.Close()
	theirs, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	// Small socket buffers, so the kernel does not hold what the client
	// fails to read.
	_ = ours.(*net.TCPConn).SetReadBuffer(16 << 10)
	_ = theirs.(*net.TCPConn).SetWriteBuffer(16 << 10)
	served := make(chan struct{})
	go func() {
		defer close(served)
		a.Serve(theirs)
	}()
	// 1.5 MB in 50 kB pieces with pauses, so that the client that reads
	// keeps up even on one loaded CPU and only the other one falls behind.
	c.run(t, "for i in $(seq 30); do head -c 50000 /dev/zero | tr '\\0' a; sleep 0.02; done; echo; echo done-$((1+1))")
	c.waitFor(t, "done-2")
	select {
	case <-served:
	case <-time.After(10 * time.Second):
		t.Fatal("the client that does not read is still attached")
	}
	// It ends with a reset, not the end of stream that a shell's exit is.
	_ = ours.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, err = io.Copy(io.Discard, ours)
	if !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("the detached client's stream ended with %v, want a connection reset", err)
	}
	c.run(t, "echo alive-$((5+5))")
	c.waitFor(t, "alive-10")
}
