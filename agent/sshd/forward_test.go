package sshd

import (
	"bufio"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// echoServer is a TCP echo server on loopback, closed at the test's end.
func echoServer(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		serveEcho(ln, &wg)
	}()
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
	return ln.Addr().String()
}

// serveEcho echoes every connection of ln; the caller's wg counts them.
func serveEcho(ln net.Listener, wg *sync.WaitGroup) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer c.Close()
			_, _ = io.Copy(c, c)
		}()
	}
}

// checkEcho sends a line through c and expects it back, then half-closes
// and expects EOF: the forward must pass on the half close.
func checkEcho(c net.Conn) error {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, "ping\n"); err != nil {
		return err
	}
	r := bufio.NewReader(c)
	line, err := r.ReadString('\n')
	if err != nil {
		return err
	}
	if line != "ping\n" {
		return errors.New("echoed " + line)
	}
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		if err := cw.CloseWrite(); err != nil {
			return err
		}
		if rest, err := io.ReadAll(r); err != nil || len(rest) != 0 {
			return errors.New("no EOF after half close")
		}
	}
	return nil
}

func freePort(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return port
}

// background starts cmd and kills it at the test's end.
func background(t testing.TB, cmd *exec.Cmd) {
	t.Helper()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
}

func TestLocalForward(t *testing.T) {
	t.Parallel()
	echo := echoServer(t)
	ts := newTestServer(t, Options{})

	c, err := ts.dial(t).Dial("tcp", echo)
	if err != nil {
		t.Fatal(err)
	}
	if err := checkEcho(c); err != nil {
		t.Fatalf("go client: %v", err)
	}
	if _, err := ts.dial(t).Dial("tcp", "127.0.0.1:1"); err == nil {
		t.Fatal("a forward to a closed port succeeded")
	}

	port := freePort(t)
	background(t, ts.ssh(t, []string{"-N", "-o", "ExitOnForwardFailure=yes", "-L", "127.0.0.1:" + port + ":" + echo}))
	var last error
	eventually(t, "ssh -L to forward", func() bool {
		c, err := net.Dial("tcp", "127.0.0.1:"+port)
		if err == nil {
			last = checkEcho(c)
			return last == nil
		}
		return false
	})
}

func TestRemoteForward(t *testing.T) {
	t.Parallel()
	echo := echoServer(t)
	ts := newTestServer(t, Options{})

	// Go client: the listener is in the workspace, the echo on our side.
	ln, err := ts.dial(t).Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		serveEcho(ln, &wg)
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	if err := checkEcho(c); err != nil {
		t.Fatalf("go client: %v", err)
	}
	ln.Close() // cancel-tcpip-forward
	wg.Wait()
	eventually(t, "the cancelled forward to stop listening", func() bool {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err == nil {
			c.Close()
		}
		return err != nil
	})

	// OpenSSH, with a port the server allocates on OpenSSH's default bind
	// address, "localhost".
	cmd := ts.ssh(t, []string{"-o", "LogLevel=INFO", "-N", "-o", "ExitOnForwardFailure=yes", "-R", "0:" + echo})
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	background(t, cmd)
	allocated := regexp.MustCompile(`Allocated port (\d+) for remote forward`)
	sc := bufio.NewScanner(stderr)
	var port string
	for port == "" && sc.Scan() {
		if m := allocated.FindStringSubmatch(sc.Text()); m != nil {
			port = m[1]
		}
	}
	if port == "" {
		t.Fatalf("ssh -R allocated no port: %v", sc.Err())
	}
	go io.Copy(io.Discard, stderr)
	c, err = net.Dial("tcp", "127.0.0.1:"+port)
	if err != nil {
		t.Fatal(err)
	}
	if err := checkEcho(c); err != nil {
		t.Fatalf("openssh: %v", err)
	}
}

func TestAgentForwarding(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Options{})
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	keyring := agent.NewKeyring()
	if err := keyring.Add(agent.AddedKey{PrivateKey: key, Comment: "den-test-key"}); err != nil {
		t.Fatal(err)
	}
	client := ts.dial(t)
	if err := agent.ForwardToAgent(client, keyring); err != nil {
		t.Fatal(err)
	}
	s, err := client.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := agent.RequestAgentForwarding(s); err != nil {
		t.Fatal(err)
	}
	stdin, _ := s.StdinPipe()
	stdout, _ := s.StdoutPipe()
	if err := s.Start(`echo "$SSH_AUTH_SOCK"; cat >/dev/null`); err != nil {
		t.Fatal(err)
	}
	sock, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	sock = strings.TrimSpace(sock)
	if fi, err := os.Stat(filepath.Dir(sock)); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("socket directory of %q: %v, %v", sock, fi.Mode(), err)
	}
	uc, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := agent.NewClient(uc).List()
	uc.Close()
	if err != nil || len(keys) != 1 || keys[0].Comment != "den-test-key" {
		t.Fatalf("agent keys %v, %v", keys, err)
	}
	stdin.Close()
	if err := s.Wait(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Dir(sock)); !os.IsNotExist(err) {
		t.Fatalf("the socket's directory outlived the session: %v", err)
	}
	// Without -A there is no socket.
	if out, _, err := run(t, client, `echo "${SSH_AUTH_SOCK-unset}"`, nil); err != nil || out != "unset\n" {
		t.Fatalf("without forwarding: %q, %v", out, err)
	}
}

// TestAgentForwardingNoTempDir: with neither $TMPDIR, /tmp nor the home
// directory writable (a scratch image), the session runs without
// SSH_AUTH_SOCK and says why.
func TestAgentForwardingNoTempDir(t *testing.T) {
	t.Parallel()
	passwd := filepath.Join(t.TempDir(), "passwd") // does not list us
	ts := newTestServer(t, Options{}, func(s *Server) {
		s.passwdPath = passwd
		s.environ = func() []string { return []string{"TMPDIR=/nonexistent/tmp", "HOME=/nonexistent/home"} }
	})
	client := ts.dial(t)
	if err := agent.ForwardToAgent(client, agent.NewKeyring()); err != nil {
		t.Fatal(err)
	}
	s, err := client.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := agent.RequestAgentForwarding(s); err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	s.Stderr = &stderr
	out, err := s.Output(`echo "${SSH_AUTH_SOCK-unset}"`)
	if err != nil || string(out) != "unset\n" || !strings.Contains(stderr.String(), "den: agent forwarding: ") {
		t.Fatalf("output %q, stderr %q, err %v", out, stderr.String(), err)
	}
}

// TestAgentForwardingOpenSSH runs ssh -A host ssh-add -l against a real
// ssh-agent.
func TestAgentForwardingOpenSSH(t *testing.T) {
	t.Parallel()
	requireBinary(t, "ssh-agent")
	requireBinary(t, "ssh-add")
	ts := newTestServer(t, Options{})
	sock := filepath.Join(t.TempDir(), "agent.sock")
	background(t, exec.Command("ssh-agent", "-D", "-a", sock))
	var ac agent.ExtendedAgent
	eventually(t, "ssh-agent to listen", func() bool {
		uc, err := net.Dial("unix", sock)
		if err != nil {
			return false
		}
		t.Cleanup(func() { uc.Close() })
		ac = agent.NewClient(uc)
		return true
	})
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if err := ac.Add(agent.AddedKey{PrivateKey: key, Comment: "den-openssh-key"}); err != nil {
		t.Fatal(err)
	}
	pub, _ := gossh.NewPublicKey(key.Public())
	cmd := ts.ssh(t, []string{"-A"}, "ssh-add -l")
	cmd.Env = append(os.Environ(), "SSH_AUTH_SOCK="+sock)
	out := combined(t, cmd)
	if !strings.Contains(out, "den-openssh-key") || !strings.Contains(out, gossh.FingerprintSHA256(pub)) {
		t.Fatalf("ssh-add -l: %q", out)
	}
}
