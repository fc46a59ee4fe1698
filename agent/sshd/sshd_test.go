package sshd

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"
)

// TestMain fails the run if goroutines of the server (or of the SSH
// clients the tests use) outlive the tests: every test closes what it
// opened, so none may be left.
func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		if err := waitNoLeaks(10 * time.Second); err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = 1
		}
	}
	os.Exit(code)
}

func waitNoLeaks(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		leaks := leakedGoroutines()
		if len(leaks) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("leaked goroutines:\n\n%s", strings.Join(leaks, "\n\n"))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func leakedGoroutines() []string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	var leaks []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "sshd.leakedGoroutines") || strings.Contains(g, "sshd.TestMain") {
			continue
		}
		for _, mark := range []string{"den/agent/sshd.", "gliderlabs/ssh", "pkg/sftp", "x/crypto/ssh"} {
			if strings.Contains(g, mark) {
				leaks = append(leaks, g)
				break
			}
		}
	}
	return leaks
}

// testServer is a Server behind a test-only TCP listener on loopback.
type testServer struct {
	srv  *Server
	addr string
	port string
	pub  gossh.PublicKey
	dir  string
}

// newTestServer starts a server; opts.Dir defaults to a new temporary
// directory and the host key to a new one. tweak adjusts the Server
// before it serves.
func newTestServer(t testing.TB, opts Options, tweak ...func(*Server)) *testServer {
	t.Helper()
	if opts.HostKey == nil {
		_, key, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		opts.HostKey = key
	}
	if opts.Dir == "" {
		opts.Dir = t.TempDir()
	}
	if opts.Logger == nil {
		opts.Logger = testLogger(t)
	}
	srv, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range tweak {
		f(srv)
	}
	pub, err := gossh.NewPublicKey(opts.HostKey.Public())
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				srv.ServeConn(ctx, c)
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		cancel()
		srv.Close()
		wg.Wait()
	})
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return &testServer{srv: srv, addr: ln.Addr().String(), port: port, pub: pub, dir: opts.Dir}
}

// testLogger logs to t until the test's cleanups are done.
func testLogger(t testing.TB) *slog.Logger {
	w := &testWriter{t: t}
	t.Cleanup(w.stop) // registered first, so it runs last
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type testWriter struct {
	mu   sync.Mutex
	t    testing.TB
	done bool
}

func (w *testWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.t.Log(strings.TrimSpace(string(p)))
	}
	return len(p), nil
}

func (w *testWriter) stop() {
	w.mu.Lock()
	w.done = true
	w.mu.Unlock()
}

// dial connects the Go client, checking the host key.
func (ts *testServer) dial(t testing.TB) *gossh.Client {
	t.Helper()
	c, err := gossh.Dial("tcp", ts.addr, &gossh.ClientConfig{
		User:            "dev",
		HostKeyCallback: gossh.FixedHostKey(ts.pub),
		Timeout:         10 * time.Second,
	})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// run runs command through the Go client.
func run(t testing.TB, c *gossh.Client, command string, stdin io.Reader) (stdout, stderr string, err error) {
	t.Helper()
	s, err := c.NewSession()
	if err != nil {
		t.Fatalf("new session: %v", err)
	}
	defer s.Close()
	var out, errOut bytes.Buffer
	s.Stdin, s.Stdout, s.Stderr = stdin, &out, &errOut
	err = s.Run(command)
	return out.String(), errOut.String(), err
}

// opensshOpts are the options every OpenSSH client gets: no user
// configuration, no host key files, no prompts.
func opensshOpts() []string {
	return []string{"-F", "/dev/null", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
		"-o", "BatchMode=yes", "-o", "ConnectTimeout=10"}
}

// ssh is an OpenSSH ssh command: options, then args (more options, then
// the command, if any) after the host. OpenSSH takes the first value of an
// option, so a caller's -o LogLevel comes before the default ERROR.
func (ts *testServer) ssh(t testing.TB, opts []string, command ...string) *exec.Cmd {
	t.Helper()
	args := append(opensshOpts(), opts...)
	args = append(args, "-o", "LogLevel=ERROR", "-p", ts.port, "127.0.0.1")
	return exec.Command("ssh", append(args, command...)...)
}

// sshCommand is the ssh command line for rsync -e and GIT_SSH_COMMAND.
func (ts *testServer) sshCommand() string {
	return "ssh " + strings.Join(opensshOpts(), " ") + " -o LogLevel=ERROR -p " + ts.port
}

func requireBinary(t testing.TB, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		t.Skipf("%s is not installed", name)
	}
}

// combined runs cmd and returns its output, failing the test on error.
func combined(t testing.TB, cmd *exec.Cmd) string {
	t.Helper()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(cmd.Args, " "), err, out)
	}
	return string(out)
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// gone reports whether pid no longer runs (or is a zombie awaiting init).
func gone(pid int) bool {
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return true
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	_, rest, _ := strings.Cut(string(stat), ") ")
	return strings.HasPrefix(rest, "Z")
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func TestNewNeedsHostKey(t *testing.T) {
	if _, err := New(Options{}); err == nil {
		t.Fatal("New without a host key succeeded")
	}
}

func TestHostKeyStable(t *testing.T) {
	t.Parallel()
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	want, err := gossh.NewPublicKey(key.Public())
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		ts := newTestServer(t, Options{HostKey: key})
		var got gossh.PublicKey
		c, err := gossh.Dial("tcp", ts.addr, &gossh.ClientConfig{
			User: "dev",
			HostKeyCallback: func(_ string, _ net.Addr, k gossh.PublicKey) error {
				got = k
				return nil
			},
		})
		if err != nil {
			t.Fatalf("server %d: %v", i, err)
		}
		c.Close()
		if got == nil || !bytes.Equal(got.Marshal(), want.Marshal()) {
			t.Fatalf("server %d offered host key %v, want %s", i, got, gossh.FingerprintSHA256(want))
		}
	}
}

func TestKeepalive(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Options{})
	c := ts.dial(t)
	ok, _, err := c.SendRequest("keepalive@openssh.com", true, nil)
	if err != nil || !ok {
		t.Fatalf("keepalive: ok %v, err %v", ok, err)
	}
	// OpenSSH disconnects when ServerAliveCountMax keepalives go
	// unanswered; an idle command outlives several.
	out := combined(t, ts.ssh(t, []string{"-o", "ServerAliveInterval=1", "-o", "ServerAliveCountMax=1"}, "sleep 3; echo alive"))
	if strings.TrimSpace(out) != "alive" {
		t.Fatalf("output %q, want alive", out)
	}
}
