package sshd

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"
)

// startSleeper starts a command in a new session that prints the shell's
// pid and a background child's, then waits; it returns both pids.
func startSleeper(t *testing.T, c *gossh.Client, prefix string) (*gossh.Session, []int) {
	t.Helper()
	s, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	stdout, err := s.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(prefix + `echo $$; sleep 1000 & echo $!; wait`); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(stdout)
	var pids []int
	for range 2 {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		pid, err := strconv.Atoi(strings.TrimSpace(line))
		if err != nil {
			t.Fatal(err)
		}
		pids = append(pids, pid)
	}
	return s, pids
}

func waitGone(t *testing.T, pids []int) {
	t.Helper()
	for _, pid := range pids {
		eventually(t, "process "+strconv.Itoa(pid)+" to end", func() bool { return gone(pid) })
	}
}

func TestCloseEndsSessions(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Options{}, func(s *Server) { s.killGrace = 100 * time.Millisecond })
	c := ts.dial(t)
	s1, hup := startSleeper(t, c, "")
	// This one ignores SIGHUP (and so does its child): SIGKILL ends it.
	s2, ignoring := startSleeper(t, ts.dial(t), `trap "" HUP; `)
	ts.srv.Close()
	// Close waited for the sessions: their processes are gone now.
	for _, pid := range []int{hup[0], ignoring[0]} {
		if !gone(pid) {
			t.Errorf("process %d runs after Close", pid)
		}
	}
	waitGone(t, []int{hup[1], ignoring[1]})
	for _, s := range []*gossh.Session{s1, s2} {
		if err := s.Wait(); err == nil {
			t.Error("a session ended by Close reported success")
		}
	}
	// New connections are refused.
	if _, err := gossh.Dial("tcp", ts.addr, &gossh.ClientConfig{User: "dev", HostKeyCallback: gossh.FixedHostKey(ts.pub), Timeout: 5 * time.Second}); err == nil {
		t.Fatal("dial after Close succeeded")
	}
}

func TestContextEndsConnection(t *testing.T) {
	t.Parallel()
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(Options{HostKey: key, Dir: t.TempDir(), Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	served := make(chan struct{})
	go func() {
		defer close(served)
		nc, err := ln.Accept()
		if err != nil {
			return
		}
		srv.ServeConn(ctx, nc)
	}()
	pub, _ := gossh.NewPublicKey(key.Public())
	c, err := gossh.Dial("tcp", ln.Addr().String(), &gossh.ClientConfig{User: "dev", HostKeyCallback: gossh.FixedHostKey(pub)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, pids := startSleeper(t, c, "")
	cancel()
	select {
	case <-served:
	case <-time.After(30 * time.Second):
		t.Fatal("ServeConn did not return after its context ended")
	}
	waitGone(t, pids)
}

// TestClientCloseHangsUp: a client that closes a session's channel while
// its command runs ends the command, and the connection lives on.
func TestClientCloseHangsUp(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Options{})
	c := ts.dial(t)
	s, pids := startSleeper(t, c, "")
	s.Close()
	waitGone(t, pids)
	if out, _, err := run(t, c, "echo still", nil); err != nil || out != "still\n" {
		t.Fatalf("the connection after a closed session: %q, %v", out, err)
	}
}

// TestManyChannels runs sessions and forwards at once on one connection.
func TestManyChannels(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Options{})
	echo := echoServer(t)
	c := ts.dial(t)
	errs := make(chan error, 20)
	for i := range 10 {
		go func() {
			s, err := c.NewSession()
			if err != nil {
				errs <- err
				return
			}
			defer s.Close()
			out, err := s.Output("echo " + strconv.Itoa(i))
			if err == nil && string(out) != strconv.Itoa(i)+"\n" {
				err = &unexpected{string(out)}
			}
			errs <- err
		}()
		go func() {
			fc, err := c.Dial("tcp", echo)
			if err == nil {
				err = checkEcho(fc)
			}
			errs <- err
		}()
	}
	for range 20 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

type unexpected struct{ out string }

func (u *unexpected) Error() string { return "unexpected output " + strconv.Quote(u.out) }
