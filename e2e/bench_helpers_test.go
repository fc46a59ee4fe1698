package e2e

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"den/sdk"
)

// Helpers of the relay benchmarks (relay_bench_test.go): the den binary as
// a user runs it, a private OpenSSH sshd, loopback sink and echo servers,
// and figures.

// benchCLI is the den binary logged in with its own config directory and
// home (newCLI), and the OpenSSH config `den config-ssh` wrote for it.
type benchCLI struct {
	*cli
	sshConfig string
}

func newBenchCLI(tb testing.TB, e *env) *benchCLI {
	tb.Helper()
	c := &benchCLI{cli: newCLI(tb, e)}
	c.sshConfig = filepath.Join(c.dir, "ssh_config")
	c.run("config-ssh", "--ssh-config", c.sshConfig)
	return c
}

// openSSH returns an `ssh -F config ... host command` command.
func (c *benchCLI) openSSH(config string, extra []string, host string, command ...string) *exec.Cmd {
	args := append([]string{"-F", config, "-o", "BatchMode=yes"}, extra...)
	args = append(args, host)
	args = append(args, command...)
	return c.cmd("ssh", args...)
}

// openSSHD is a private OpenSSH server on loopback, run as root from a
// temporary directory: its own config, host key and authorized_keys.
type openSSHD struct {
	addr   string
	config string // an ssh client config naming it "sshd.direct"
}

const sshdHost = "sshd.direct"

// startOpenSSHD runs /usr/sbin/sshd -D -e -f CONFIG until tb ends.
func startOpenSSHD(tb testing.TB) *openSSHD {
	tb.Helper()
	bin, err := exec.LookPath("sshd")
	if err != nil {
		bin = "/usr/sbin/sshd"
	}
	if _, err := os.Stat(bin); err != nil {
		tb.Fatalf("no OpenSSH server (%v): install openssh-server (scripts/deps.sh does)", err)
	}
	// sshd insists on its privilege separation directory, which Debian's
	// service creates when it starts; no service runs here.
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
		tb.Fatal(err)
	}
	dir := tb.TempDir()
	for _, k := range []string{"host", "client"} {
		if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", k, "-f", filepath.Join(dir, k)).CombinedOutput(); err != nil {
			tb.Fatalf("ssh-keygen: %v\n%s", err, out)
		}
	}
	pub, err := os.ReadFile(filepath.Join(dir, "client.pub"))
	if err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "authorized_keys"), pub, 0o600); err != nil {
		tb.Fatal(err)
	}

	var cmd *exec.Cmd
	var stderr *lockedBuffer
	var addr string
	// The port is free when picked; another process may take it before sshd
	// binds it, so try a few.
	for attempt := 0; ; attempt++ {
		addr = fmt.Sprintf("127.0.0.1:%d", freePortTB(tb))
		cfg := filepath.Join(dir, "sshd_config")
		conf := strings.Join([]string{
			"ListenAddress " + addr,
			"HostKey " + filepath.Join(dir, "host"),
			"AuthorizedKeysFile " + filepath.Join(dir, "authorized_keys"),
			"PidFile none",
			"UsePAM no",
			"StrictModes no",
			"PermitRootLogin prohibit-password",
			"PasswordAuthentication no",
			"KbdInteractiveAuthentication no",
			"Subsystem sftp internal-sftp",
			// root's shell is bash, which reads ~/.bashrc for commands sshd
			// runs unless SHLVL says it is nested; this machine's .bashrc
			// runs pyenv (about 0.1 s), which is not OpenSSH's cost.
			"SetEnv SHLVL=1",
			"LogLevel ERROR",
			"",
		}, "\n")
		if err := os.WriteFile(cfg, []byte(conf), 0o600); err != nil {
			tb.Fatal(err)
		}
		stderr = &lockedBuffer{}
		cmd = exec.Command(bin, "-D", "-e", "-f", cfg)
		cmd.Stderr = stderr
		if err := cmd.Start(); err != nil {
			tb.Fatalf("start sshd: %v", err)
		}
		exited := make(chan struct{})
		go func() { cmd.Wait(); close(exited) }() //nolint:errcheck // the exit is seen through exited
		if waitBanner(addr, exited, 10*time.Second) {
			tb.Cleanup(func() {
				cmd.Process.Kill() //nolint:errcheck // it may have exited
				<-exited
			})
			break
		}
		cmd.Process.Kill() //nolint:errcheck
		<-exited
		if attempt == 2 {
			tb.Fatalf("sshd did not start on %s:\n%s", addr, stderr.String())
		}
	}

	client := filepath.Join(dir, "ssh_config")
	_, port, _ := net.SplitHostPort(addr)
	conf := strings.Join([]string{
		"Host " + sshdHost,
		"\tHostName 127.0.0.1",
		"\tPort " + port,
		"\tUser root",
		"\tIdentityFile " + filepath.Join(dir, "client"),
		"\tIdentitiesOnly yes",
		"\tStrictHostKeyChecking no",
		"\tUserKnownHostsFile /dev/null",
		"\tLogLevel ERROR",
		"",
	}, "\n")
	if err := os.WriteFile(client, []byte(conf), 0o600); err != nil {
		tb.Fatal(err)
	}
	return &openSSHD{addr: addr, config: client}
}

// waitBanner waits until an SSH server on addr sends its banner.
func waitBanner(addr string, exited <-chan struct{}, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return false
		default:
		}
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			conn.SetDeadline(time.Now().Add(2 * time.Second)) //nolint:errcheck
			line, _ := bufio.NewReader(conn).ReadString('\n')
			conn.Close()
			if strings.HasPrefix(line, "SSH-2.0-") {
				return true
			}
		}
		time.Sleep(20 * time.Millisecond) //nolint:forbidigo // polling for the port, bounded
	}
	return false
}

type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func freePortTB(tb testing.TB) int {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

var (
	cipherLine = regexp.MustCompile(`kex: client->server cipher: (\S+)`)
	kexLine    = regexp.MustCompile(`kex: algorithm: (\S+)`)
)

// negotiated runs `ssh -v ... true` and returns the key exchange and the
// cipher the client and server agreed on.
func negotiated(tb testing.TB, c *benchCLI, config string, extra []string, host string) string {
	tb.Helper()
	cmd := c.openSSH(config, append([]string{"-v"}, extra...), host, "true")
	out, err := cmd.CombinedOutput()
	if err != nil {
		tb.Fatalf("ssh -v %s true: %v\n%s", host, err, out)
	}
	m, k := cipherLine.FindSubmatch(out), kexLine.FindSubmatch(out)
	if m == nil || k == nil {
		tb.Fatalf("ssh -v names no cipher or key exchange:\n%s", out)
	}
	return "kex " + string(k[1]) + ", cipher " + string(m[1])
}

// chunk is what every throughput measurement sends: 64 KiB of varied bytes
// (nothing on the way compresses, but nothing should get to try).
var chunk = func() []byte {
	b := make([]byte, 64<<10)
	for i := range b {
		b[i] = byte(i*7 + i>>8)
	}
	return b
}()

// writeN writes n bytes of chunk to w.
func writeN(w io.Writer, n int64) error {
	for left := n; left > 0; {
		k := min(left, int64(len(chunk)))
		if _, err := w.Write(chunk[:k]); err != nil {
			return err
		}
		left -= k
	}
	return nil
}

// sinkServer is a loopback TCP server for throughput runs. A client sends
// one byte: 'u' then n bytes, which the server swallows and acknowledges
// with one byte; or 'd', and the server sends n bytes.
type sinkServer struct {
	ln net.Listener
	n  int64
}

func startSink(tb testing.TB, n int64) *sinkServer {
	tb.Helper()
	s := &sinkServer{n: n}
	s.ln = serveLoopback(tb, func(conn net.Conn) {
		defer conn.Close()
		var op [1]byte
		if _, err := io.ReadFull(conn, op[:]); err != nil {
			return
		}
		switch op[0] {
		case 'u':
			buf := make([]byte, 64<<10)
			if got, err := io.CopyBuffer(io.Discard, io.LimitReader(conn, s.n), buf); err == nil && got == s.n {
				conn.Write([]byte{'k'}) //nolint:errcheck // the client sees a missing ack
			}
		case 'd':
			writeN(conn, s.n) //nolint:errcheck // the client sees a short read
		}
	})
	return s
}

func (s *sinkServer) addr() string { return s.ln.Addr().String() }

// upload sends n bytes through conn to the sink and waits for its ack; the
// time runs from the first byte to the ack.
func (s *sinkServer) upload(conn net.Conn) (time.Duration, error) {
	t0 := time.Now()
	if _, err := conn.Write([]byte{'u'}); err != nil {
		return 0, err
	}
	if err := writeN(conn, s.n); err != nil {
		return 0, err
	}
	var ack [1]byte
	if _, err := io.ReadFull(conn, ack[:]); err != nil {
		return 0, fmt.Errorf("read the ack: %w", err)
	}
	return time.Since(t0), nil
}

// download asks the sink for n bytes and reads them.
func (s *sinkServer) download(conn net.Conn) (time.Duration, error) {
	t0 := time.Now()
	if _, err := conn.Write([]byte{'d'}); err != nil {
		return 0, err
	}
	buf := make([]byte, 64<<10)
	got, err := io.CopyBuffer(io.Discard, io.LimitReader(conn, s.n), buf)
	if err == nil && got != s.n {
		err = fmt.Errorf("got %d of %d bytes", got, s.n)
	}
	return time.Since(t0), err
}

// startEcho runs a loopback TCP echo server until tb ends.
func startEcho(tb testing.TB) string {
	tb.Helper()
	return serveLoopback(tb, func(conn net.Conn) {
		io.Copy(conn, conn) //nolint:errcheck
		conn.Close()
	}).Addr().String()
}

// serveLoopback listens on a loopback port and runs handle for each
// connection, each in its own goroutine, until tb ends; then it closes the
// listener and waits for the handlers.
func serveLoopback(tb testing.TB, handle func(net.Conn)) net.Listener {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	var wg sync.WaitGroup
	tb.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() { handle(conn) })
		}
	})
	return ln
}

// sshClient runs the Go SSH client over conn, checking the host key when
// hostKey (authorized_keys form) is given.
func sshClient(conn net.Conn, hostKey string) (*ssh.Client, error) {
	check := ssh.InsecureIgnoreHostKey() //nolint:gosec // only when no key is given
	if hostKey != "" {
		pub, _, _, _, err := ssh.ParseAuthorizedKey([]byte(hostKey))
		if err != nil {
			return nil, err
		}
		check = ssh.FixedHostKey(pub)
	}
	sc, chans, reqs, err := ssh.NewClientConn(conn, "workspace", &ssh.ClientConfig{User: "dev", HostKeyCallback: check})
	if err != nil {
		return nil, err
	}
	return ssh.NewClient(sc, chans, reqs), nil
}

// sinkCommand swallows what it reads, 64 KiB at a time: the far end of
// every upload. Not `cat`: busybox's (in the workspace) reads 4 KiB at a
// time, GNU's (beside the direct servers) 128 KiB, so the two sides would
// not do the same work per byte.
const sinkCommand = "dd of=/dev/null bs=65536 2>/dev/null"

// sshUpload runs sinkCommand in a new session and sends it n bytes;
// the time runs from the session's start to the command's exit.
func sshUpload(c *ssh.Client, n int64) (time.Duration, error) {
	s, err := c.NewSession()
	if err != nil {
		return 0, err
	}
	defer s.Close()
	stdin, err := s.StdinPipe()
	if err != nil {
		return 0, err
	}
	if err := s.Start(sinkCommand); err != nil {
		return 0, err
	}
	t0 := time.Now()
	if err := writeN(stdin, n); err != nil {
		return 0, err
	}
	stdin.Close()
	if err := s.Wait(); err != nil {
		return 0, err
	}
	return time.Since(t0), nil
}

// zeros is the remote command that writes n bytes (a multiple of 64 KiB)
// in 64 KiB writes: busybox's head -c writes 4 KiB at a time, which costs
// the agent more per byte than the transfer itself.
func zeros(n int64) string {
	return fmt.Sprintf("dd if=/dev/zero bs=65536 count=%d 2>/dev/null", n/(64<<10))
}

// sshDownload runs zeros(n) and reads its output.
func sshDownload(c *ssh.Client, n int64) (time.Duration, error) {
	s, err := c.NewSession()
	if err != nil {
		return 0, err
	}
	defer s.Close()
	stdout, err := s.StdoutPipe()
	if err != nil {
		return 0, err
	}
	if err := s.Start(zeros(n)); err != nil {
		return 0, err
	}
	t0 := time.Now()
	buf := make([]byte, 64<<10)
	got, err := io.CopyBuffer(io.Discard, stdout, buf)
	if err != nil {
		return 0, err
	}
	if got != n {
		return 0, fmt.Errorf("got %d of %d bytes", got, n)
	}
	if err := s.Wait(); err != nil {
		return 0, err
	}
	return time.Since(t0), nil
}

// openSSHUpload runs cmd (an ssh running sinkCommand) and feeds it n
// bytes. It returns the steady-state time, from when ssh has taken the
// first MiB from its stdin (so the session is streaming; the pipe holds
// 64 KiB) to its exit, for n - 1 MiB bytes, and the whole command's time.
func openSSHUpload(cmd *exec.Cmd, n int64) (steady, whole time.Duration, err error) {
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return 0, 0, err
	}
	var out lockedBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, 0, err
	}
	var t1 time.Time
	werr := func() error {
		if err := writeN(stdin, 1<<20); err != nil {
			return err
		}
		t1 = time.Now()
		return writeN(stdin, n-(1<<20))
	}()
	stdin.Close()
	err = cmd.Wait()
	end := time.Now()
	if err == nil {
		err = werr
	}
	if err != nil {
		return 0, 0, fmt.Errorf("%s: %w\n%s", strings.Join(cmd.Args, " "), err, out.String())
	}
	return end.Sub(t1), end.Sub(t0), nil
}

// openSSHDownload runs cmd (an ssh running zeros(n)) and reads
// its output: the steady-state time runs from the end of the first MiB to
// its exit, for n - 1 MiB bytes.
func openSSHDownload(cmd *exec.Cmd, n int64) (steady, whole time.Duration, err error) {
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return 0, 0, err
	}
	var errOut lockedBuffer
	cmd.Stderr = &errOut
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, 0, err
	}
	buf := make([]byte, 64<<10)
	first, rerr := io.CopyBuffer(io.Discard, io.LimitReader(stdout, 1<<20), buf)
	t1 := time.Now()
	rest, rerr2 := io.CopyBuffer(io.Discard, stdout, buf)
	err = cmd.Wait()
	end := time.Now()
	if err == nil {
		err = errors.Join(rerr, rerr2)
	}
	if err == nil && first+rest != n {
		err = fmt.Errorf("got %d of %d bytes", first+rest, n)
	}
	if err != nil {
		return 0, 0, fmt.Errorf("%s: %w\n%s", strings.Join(cmd.Args, " "), err, errOut.String())
	}
	return end.Sub(t1), end.Sub(t0), nil
}

// machineCPU returns the time all CPUs of the machine have been busy (not
// idle or waiting for I/O), from /proc/stat, in its 10 ms ticks.
func machineCPU(tb testing.TB) time.Duration {
	tb.Helper()
	raw, err := os.ReadFile("/proc/stat")
	if err != nil {
		tb.Fatal(err)
	}
	line, _, _ := strings.Cut(string(raw), "\n")
	f := strings.Fields(line) // cpu user nice system idle iowait irq softirq steal ...
	if len(f) < 9 || f[0] != "cpu" {
		tb.Fatalf("/proc/stat starts with %q", line)
	}
	var busy int64
	for i, v := range f[1:9] {
		if i == 3 || i == 4 { // idle, iowait
			continue
		}
		t, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			tb.Fatalf("/proc/stat: %q", line)
		}
		busy += t
	}
	return time.Duration(busy) * 10 * time.Millisecond // USER_HZ is 100 on Linux
}

// cpuPerMiB is CPU time d per MiB of n bytes, in ms.
func cpuPerMiB(d time.Duration, n int64) float64 {
	return float64(d.Microseconds()) / 1000 / (float64(n) / (1 << 20))
}

// mibps is n bytes over d in MiB/s.
func mibps(n int64, d time.Duration) float64 {
	return float64(n) / (1 << 20) / d.Seconds()
}

// median of durations.
func median(d []time.Duration) time.Duration { return percentile(d, 50) }

// envInt64 reads a positive integer from the environment, or returns def.
func envInt64(tb testing.TB, name string, def int64) int64 {
	tb.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		tb.Fatalf("$%s=%q: want a positive integer", name, v)
	}
	return n
}

// waitConnected polls the workspace until its agent is connected and ready.
func waitConnected(tb testing.TB, c *sdk.Client, ws sdk.Workspace) sdk.Workspace {
	tb.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		w, err := c.Workspace(context.Background(), ws.ID)
		if err == nil && w.Agent != nil && w.Agent.Connection == sdk.AgentConnected && w.Agent.Lifecycle == sdk.AgentReady {
			return w
		}
		if time.Now().After(deadline) {
			tb.Fatalf("the agent of %s is not connected and ready: %+v, %v", ws.Name, w.Agent, err)
		}
		time.Sleep(20 * time.Millisecond) //nolint:forbidigo // polling with a deadline
	}
}
