package e2e

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"

	"den/dockertest"
	"den/server/servertest"
)

// cli runs the den binary as a user would, with its own config directory.
type cli struct {
	tb  testing.TB
	bin string
	env []string
	dir string
}

func newCLI(tb testing.TB, e *env) *cli {
	tb.Helper()
	dir := tb.TempDir()
	c := &cli{tb: tb, bin: dockertest.DenBinary(tb), dir: dir,
		env: append(os.Environ(), "XDG_CONFIG_HOME="+filepath.Join(dir, "config"), "HOME="+dir)}
	c.run("login", e.srv.URL.String(), "--username", "owner", "--password", servertest.Password)
	return c
}

func (c *cli) cmd(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.Env = c.env
	return cmd
}

func (c *cli) run(args ...string) string {
	c.tb.Helper()
	out, err := c.cmd(c.bin, args...).CombinedOutput()
	if err != nil {
		c.tb.Fatalf("den %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// ssh runs OpenSSH's tool with Den's block of the SSH config.
func (c *cli) ssh(tool string, args ...string) (string, int) {
	c.tb.Helper()
	full := append([]string{"-F", filepath.Join(c.dir, "ssh_config"), "-o", "BatchMode=yes"}, args...)
	out, err := c.cmd(tool, full...).CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		c.tb.Fatalf("%s: %v", tool, err)
	}
	return string(out), code
}

// TestOpenSSHThroughConfigSSH drives the real OpenSSH tools at a real
// workspace through `den config-ssh`.
func TestOpenSSHThroughConfigSSH(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.create(t, "dev")
	c := newCLI(t, e)
	c.run("config-ssh", "--ssh-config", filepath.Join(c.dir, "ssh_config"))

	if out, code := c.ssh("ssh", "den.dev", "echo", "hello from den"); code != 0 || strings.TrimSpace(out) != "hello from den" {
		t.Fatalf("ssh echo: %d %q", code, out)
	}
	if _, code := c.ssh("ssh", "den.dev", "exit 7"); code != 7 {
		t.Fatalf("exit status %d, want 7", code)
	}

	// 50 MB each way with scp, checksums equal.
	src := filepath.Join(c.dir, "big")
	data := make([]byte, 50<<20)
	rand.Read(data) //nolint:errcheck
	if err := os.WriteFile(src, data, 0o644); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if out, code := c.ssh("scp", src, "den.dev:/tmp/big"); code != 0 {
		t.Fatalf("scp up: %d %s", code, out)
	}
	up := time.Since(start)
	back := filepath.Join(c.dir, "back")
	start = time.Now()
	if out, code := c.ssh("scp", "den.dev:/tmp/big", back); code != 0 {
		t.Fatalf("scp down: %d %s", code, out)
	}
	down := time.Since(start)
	got, err := os.ReadFile(back)
	if err != nil || sha256.Sum256(got) != sha256.Sum256(data) {
		t.Fatalf("the file came back different (%v)", err)
	}
	t.Logf("scp 50 MiB: up %s, down %s", up.Round(time.Millisecond), down.Round(time.Millisecond))

	// sftp in batch mode.
	batch := filepath.Join(c.dir, "batch")
	os.WriteFile(batch, []byte("mkdir /tmp/sftpdir\nput "+src+" /tmp/sftpdir/f\nls /tmp/sftpdir\nget /tmp/sftpdir/f "+back+"2\n"), 0o644) //nolint:errcheck
	if out, code := c.ssh("sftp", "-b", batch, "den.dev"); code != 0 || !strings.Contains(out, "/tmp/sftpdir/f") {
		t.Fatalf("sftp: %d %s", code, out)
	}

	// -L: a port on this machine reaches a server the workspace sees (the
	// container shares the host's network, so the server runs here).
	target, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer target.Close()
	go func() {
		for {
			conn, err := target.Accept()
			if err != nil {
				return
			}
			fmt.Fprintf(conn, "hello through -L\n")
			conn.Close()
		}
	}()
	local := freePort(t)
	fwd := c.cmd("ssh", "-F", filepath.Join(c.dir, "ssh_config"), "-N", "-o", "ExitOnForwardFailure=yes",
		"-L", fmt.Sprintf("127.0.0.1:%d:%s", local, target.Addr()), "den.dev")
	if err := fwd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { fwd.Process.Kill(); fwd.Wait() }() //nolint:errcheck
	var line string
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		conn, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", local))
		if err == nil {
			b, _ := io.ReadAll(conn)
			conn.Close()
			if line = string(b); line != "" {
				break
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	if line != "hello through -L\n" {
		t.Fatalf("-L forwarding: %q", line)
	}
}

// TestDenSSHWithTerminal drives `den ssh` on a pseudo-terminal, as a person
// at a terminal would, and through pipes.
func TestDenSSHWithTerminal(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.create(t, "dev")
	c := newCLI(t, e)

	cmd := c.cmd(c.bin, "ssh", "dev")
	ptmx, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 30, Cols: 100})
	if err != nil {
		t.Fatal(err)
	}
	defer ptmx.Close()
	var out bytes.Buffer
	done := make(chan struct{})
	go func() { io.Copy(&out, ptmx); close(done) }() //nolint:errcheck
	fmt.Fprintf(ptmx, "echo $((6*7)); stty size; exit 5\n")
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	select {
	case err = <-waited:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill() //nolint:errcheck
		t.Fatalf("den ssh did not end; output so far: %q", out.String())
	}
	<-done
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 5 {
		t.Fatalf("den ssh exit: %v; output %q", err, out.String())
	}
	if !strings.Contains(out.String(), "42") || !strings.Contains(out.String(), "30 100") {
		t.Fatalf("terminal output lacks the answer or the size: %q", out.String())
	}

	// Pipes both ways, no terminal.
	pipe := c.cmd(c.bin, "ssh", "dev", "--", "tr", "a-z", "A-Z")
	pipe.Stdin = strings.NewReader("through a pipe\n")
	got, err := pipe.Output()
	if err != nil || string(got) != "THROUGH A PIPE\n" {
		t.Fatalf("den ssh in a pipe: %q %v", got, err)
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// TestPortForwardPingSpeedtest runs den port-forward, den ping and den
// speedtest as a user would, against a real workspace.
func TestPortForwardPingSpeedtest(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.create(t, "dev")
	c := newCLI(t, e)

	// A server "in the workspace": the container shares this host's network.
	target, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer target.Close()
	go func() {
		for {
			conn, err := target.Accept()
			if err != nil {
				return
			}
			fmt.Fprintf(conn, "hello through den port-forward\n")
			conn.Close()
		}
	}()
	// One that answers only once the client has ended its writing.
	counter, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer counter.Close()
	go func() {
		conn, err := counter.Accept()
		if err != nil {
			return
		}
		n, _ := io.Copy(io.Discard, conn)
		fmt.Fprintf(conn, "got %d bytes", n)
		conn.Close()
	}()
	local, local2 := freePort(t), freePort(t)
	remote := target.Addr().(*net.TCPAddr).Port
	pf := c.cmd(c.bin, "port-forward", "dev", "--tcp", fmt.Sprintf("%d:%d", local, remote),
		"--tcp", fmt.Sprintf("%d:%d", local2, counter.Addr().(*net.TCPAddr).Port))
	if err := pf.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { pf.Process.Kill(); pf.Wait() }() //nolint:errcheck
	var got string
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) && got == "" {
		if conn, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", local)); err == nil {
			b, _ := io.ReadAll(conn)
			conn.Close()
			got = string(b)
		} else {
			time.Sleep(50 * time.Millisecond)
		}
	}
	if got != "hello through den port-forward\n" {
		t.Fatalf("port-forward: %q", got)
	}
	conn, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", local2))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Write(make([]byte, 1000)); err != nil {
		t.Fatal(err)
	}
	conn.(*net.TCPConn).CloseWrite() //nolint:errcheck
	if b, err := io.ReadAll(conn); err != nil || string(b) != "got 1000 bytes" {
		t.Fatalf("port-forward after a half-close: %q %v", b, err)
	}
	conn.Close()

	if out := c.run("ping", "dev", "-c", "2"); !strings.Contains(out, "2 pings: min") {
		t.Errorf("ping: %q", out)
	}
	if out := c.run("speedtest", "dev", "--bytes", "4000000"); !strings.Contains(out, "up   to dev") || !strings.Contains(out, "down from dev") {
		t.Errorf("speedtest: %q", out)
	}
	// A stopped workspace says how to start it.
	e.transition(t, e.workspace(t, "dev"), "stop")
	out, err := c.cmd(c.bin, "ssh", "dev", "--", "true").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "den start dev") {
		t.Errorf("ssh to a stopped workspace: %v %q", err, out)
	}
}
