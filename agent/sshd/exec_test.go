package sshd

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"
)

func TestExecEcho(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Options{})
	out, errOut, err := run(t, ts.dial(t), "echo hi", nil)
	if err != nil || out != "hi\n" || errOut != "" {
		t.Fatalf("go client: out %q, stderr %q, err %v", out, errOut, err)
	}
	if got := combined(t, ts.ssh(t, nil, "echo", "hi")); got != "hi\n" {
		t.Fatalf("openssh: %q", got)
	}
}

func TestExitStatus(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Options{})
	c := ts.dial(t)
	for _, tc := range []struct {
		command string
		status  int
		signal  string
	}{
		{"true", 0, ""},
		{"exit 7", 7, ""},
		// x/crypto/ssh reports a signal as status 128 + its number.
		{"kill -TERM $$", 128 + 15, "TERM"},
		{"kill -KILL $$", 128 + 9, "KILL"},
		{"no-such-command-den", 127, ""},
	} {
		t.Run(tc.command, func(t *testing.T) {
			_, _, err := run(t, c, tc.command, nil)
			var ee *gossh.ExitError
			switch {
			case tc.status == 0:
				if err != nil {
					t.Fatalf("go client: %v", err)
				}
			case !errors.As(err, &ee):
				t.Fatalf("go client: err %v, want an exit error", err)
			case ee.ExitStatus() != tc.status || ee.Signal() != tc.signal:
				t.Fatalf("go client: status %d signal %q, want %d %q", ee.ExitStatus(), ee.Signal(), tc.status, tc.signal)
			}
			// OpenSSH's ssh exits with the status, or 255 after a signal.
			want := tc.status
			if tc.signal != "" {
				want = 255
			}
			err = ts.ssh(t, nil, tc.command).Run()
			got := 0
			var xe *exec.ExitError
			if errors.As(err, &xe) {
				got = xe.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Fatalf("openssh: exit code %d, want %d", got, want)
			}
		})
	}
}

func TestStdinBinary(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Options{})
	data := make([]byte, 5<<20)
	if _, err := rand.Read(data); err != nil {
		t.Fatal(err)
	}
	want := sha256.Sum256(data)

	out, _, err := run(t, ts.dial(t), "cat", bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if got := sha256.Sum256([]byte(out)); got != want || len(out) != len(data) {
		t.Fatalf("go client: %d bytes back, checksum differs: %v", len(out), got != want)
	}

	cmd := ts.ssh(t, nil, "cat")
	cmd.Stdin = bytes.NewReader(data)
	raw, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	if got := sha256.Sum256(raw); got != want {
		t.Fatalf("openssh: %d bytes back, checksum differs", len(raw))
	}
}

func TestStderrSeparate(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Options{})
	out, errOut, err := run(t, ts.dial(t), "echo out; echo err >&2", nil)
	if err != nil || out != "out\n" || errOut != "err\n" {
		t.Fatalf("go client: out %q, stderr %q, err %v", out, errOut, err)
	}
	cmd := ts.ssh(t, nil, "echo out; echo err >&2")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.Output()
	if err != nil || string(stdout) != "out\n" || stderr.String() != "err\n" {
		t.Fatalf("openssh: out %q, stderr %q, err %v", stdout, stderr.String(), err)
	}
}

// TestTarPipe is tar c . | ssh host tar x, and back: stdin's EOF must
// reach the remote tar, and the data must come through intact both ways.
func TestTarPipe(t *testing.T) {
	t.Parallel()
	requireBinary(t, "tar")
	ts := newTestServer(t, Options{})
	src, back := t.TempDir(), t.TempDir()
	blob := make([]byte, 1<<20)
	if _, err := rand.Read(blob); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(src, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{"a.txt": []byte("hello\n"), "sub/blob.bin": blob}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(src, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// sh -c 'tar ... | "$@"' with ssh's argv as the arguments.
	up := exec.Command("sh", append([]string{"-c", `src=$1; shift; tar -C "$src" -cf - . | "$@"`, "sh", src}, ts.ssh(t, nil, "mkdir -p dst && tar -C dst -xf -").Args...)...)
	combined(t, up)
	down := exec.Command("sh", append([]string{"-c", `dst=$1; shift; "$@" | tar -C "$dst" -xf -`, "sh", back}, ts.ssh(t, nil, "tar -C dst -cf - .").Args...)...)
	combined(t, down)
	for name, data := range files {
		for _, dir := range []string{filepath.Join(ts.dir, "dst"), back} {
			got, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil || !bytes.Equal(got, data) {
				t.Fatalf("%s in %s: %d bytes, err %v", name, dir, len(got), err)
			}
		}
	}
}

func TestEnv(t *testing.T) {
	t.Parallel()
	// dash, not bash: bash gives itself TERM=dumb when it has none.
	ts := newTestServer(t, Options{Shell: "/bin/sh", Env: []string{"FROM_TEMPLATE=tpl", "SHARED=template"}}, func(s *Server) {
		s.environ = func() []string {
			return []string{"PATH=" + os.Getenv("PATH"), "FROM_AGENT=agent", "SHARED=agent", "DEN_AGENT_TOKEN=secret", "TERM=agent-term"}
		}
	})
	const show = `echo "$FROM_AGENT|$FROM_TEMPLATE|$SHARED|${DEN_AGENT_TOKEN-unset}|${TERM-unset}|$FROM_CLIENT|$LC_DEN"`

	s, err := ts.dial(t).NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Setenv("FROM_CLIENT", "go client"); err != nil {
		t.Fatal(err)
	}
	out, err := s.Output(show)
	if want := "agent|tpl|template|unset|unset|go client|\n"; err != nil || string(out) != want {
		t.Fatalf("go client: %q (err %v), want %q", out, err, want)
	}

	cmd := ts.ssh(t, []string{"-o", "SetEnv=FROM_CLIENT=openssh", "-o", "SendEnv=LC_DEN"}, show)
	cmd.Env = append(os.Environ(), "LC_DEN=sent")
	if got, want := combined(t, cmd), "agent|tpl|template|unset|unset|openssh|sent\n"; got != want {
		t.Fatalf("openssh: %q, want %q", got, want)
	}
}

// TestIdentity checks HOME, USER, SHELL, PATH and the directory when
// /etc/passwd does not list the agent's user and the environment is bare.
func TestIdentity(t *testing.T) {
	t.Parallel()
	passwd := filepath.Join(t.TempDir(), "passwd")
	if err := os.WriteFile(passwd, []byte("other:x:54321:54321::/home/other:/bin/bash\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ts := newTestServer(t, Options{Dir: "/"}, func(s *Server) {
		s.passwdPath = passwd
		s.environ = func() []string { return nil }
	})
	name := "uid" + strconv.Itoa(os.Getuid())
	if os.Getuid() == 0 {
		name = "root"
	}
	out, _, err := run(t, ts.dial(t), `echo "$USER|$LOGNAME|$HOME|$SHELL|$PATH|$(pwd)"`, nil)
	if want := name + "|" + name + "|/|/bin/sh|" + defaultPath + "|/\n"; err != nil || out != want {
		t.Fatalf("got %q (err %v), want %q", out, err, want)
	}
}

// TestLoginShellWithoutPTY feeds a shell (no command, no pty) its input.
func TestLoginShellWithoutPTY(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Options{Shell: "/bin/sh"})
	s, err := ts.dial(t).NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var out bytes.Buffer
	s.Stdout = &out
	s.Stdin = strings.NewReader("echo \"zero=$0 dir=$(pwd)\"\nexit 5\n")
	if err := s.Shell(); err != nil {
		t.Fatal(err)
	}
	var ee *gossh.ExitError
	if err := s.Wait(); !errors.As(err, &ee) || ee.ExitStatus() != 5 {
		t.Fatalf("wait: %v, want exit status 5", err)
	}
	if want := "zero=-sh dir=" + ts.dir + "\n"; !strings.Contains(out.String(), want) {
		t.Fatalf("output %q, want %q", out.String(), want)
	}
}

func TestSignal(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Options{})
	s, err := ts.dial(t).NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	stdout, err := s.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(`trap 'echo got-int; exit 3' INT; echo ready; while :; do sleep 0.1; done`); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(stdout)
	if line, err := r.ReadString('\n'); err != nil || line != "ready\n" {
		t.Fatalf("read %q, %v", line, err)
	}
	if err := s.Signal(gossh.SIGINT); err != nil {
		t.Fatal(err)
	}
	rest, _ := r.ReadString('\n')
	var ee *gossh.ExitError
	if err := s.Wait(); !errors.As(err, &ee) || ee.ExitStatus() != 3 || rest != "got-int\n" {
		t.Fatalf("after SIGINT: output %q, wait %v; want got-int and status 3", rest, err)
	}
}

// TestBackgroundChild: the session ends when its command exits, though a
// background child keeps stdout open, and what the command wrote arrives.
func TestBackgroundChild(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Options{})
	c := ts.dial(t)
	// head writes 200 kB into a 64 kB pipe and exits with the rest
	// still buffered; sleep holds stdout and stderr open.
	const command = `sleep 100 & echo $! >&2; head -c 200000 /dev/zero`
	type result struct {
		out, errOut string
		err         error
	}
	done := make(chan result, 1)
	go func() {
		out, errOut, err := run(t, c, command, nil)
		done <- result{out, errOut, err}
	}()
	var res result
	select {
	case res = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("the session did not end when its command exited")
	}
	if pid, err := strconv.Atoi(strings.TrimSpace(res.errOut)); err == nil {
		syscall.Kill(pid, syscall.SIGKILL)
	}
	if res.err != nil || len(res.out) != 200000 {
		t.Fatalf("got %d bytes, err %v; want 200000", len(res.out), res.err)
	}
	// OpenSSH's ssh ends too.
	cmd := ts.ssh(t, nil, "sleep 100 & echo $!")
	out := combined(t, cmd)
	if pid, err := strconv.Atoi(strings.TrimSpace(out)); err == nil {
		syscall.Kill(pid, syscall.SIGKILL)
	} else {
		t.Fatalf("output %q", out)
	}
}

// TestDrainSlowClient: a client that reads nothing while the command
// exits still gets all the command wrote, though a background child holds
// stdout open: the channel's window (2 MiB) and the pipe hold the end of
// the output when the drain grace passes.
func TestDrainSlowClient(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Options{Shell: "/bin/sh"}, func(s *Server) { s.drainGrace = time.Nanosecond })
	s, err := ts.dial(t).NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	stdout, err := s.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	const size = 2<<20 + 60000 // the window, then 60 kB for the pipe
	marker := filepath.Join(ts.dir, "marker")
	if err := s.Start(`sleep 100 & echo $! > bg; head -c ` + strconv.Itoa(size) + ` /dev/zero; echo $$ > marker.tmp; mv marker.tmp marker`); err != nil {
		t.Fatal(err)
	}
	var pid int
	eventually(t, "the command to write its output", func() bool {
		b, err := os.ReadFile(marker)
		if err != nil {
			return false
		}
		pid, err = strconv.Atoi(strings.TrimSpace(string(b)))
		return err == nil
	})
	defer func() {
		if b, err := os.ReadFile(filepath.Join(ts.dir, "bg")); err == nil {
			if bg, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
				syscall.Kill(bg, syscall.SIGKILL)
			}
		}
	}()
	eventually(t, "the command to exit", func() bool { return gone(pid) })
	n, err := io.Copy(io.Discard, stdout)
	if err != nil || n != size {
		t.Fatalf("read %d bytes (%v), want %d", n, err, size)
	}
	if err := s.Wait(); err != nil {
		t.Fatal(err)
	}
}

func TestGit(t *testing.T) {
	t.Parallel()
	requireBinary(t, "git")
	ts := newTestServer(t, Options{})
	home := t.TempDir()
	git := func(dir string, args ...string) string {
		cmd := exec.Command("git", append([]string{"-c", "user.name=Den", "-c", "user.email=den@example.com", "-c", "init.defaultBranch=main"}, args...)...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "HOME="+home, "GIT_SSH_COMMAND="+ts.sshCommand(), "GIT_CONFIG_NOSYSTEM=1")
		return combined(t, cmd)
	}
	git(ts.dir, "init", "--bare", "-q", "repo.git")
	work := filepath.Join(home, "work")
	git(home, "clone", "-q", "127.0.0.1:repo.git", work)
	if err := os.WriteFile(filepath.Join(work, "README"), []byte("den\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	git(work, "add", "README")
	git(work, "commit", "-q", "-m", "first")
	git(work, "push", "-q", "origin", "HEAD:main")
	if got := git(ts.dir, "--git-dir=repo.git", "log", "--format=%s", "main"); got != "first\n" {
		t.Fatalf("pushed log %q", got)
	}
	again := filepath.Join(home, "again")
	git(home, "clone", "-q", "127.0.0.1:repo.git", again)
	if b, err := os.ReadFile(filepath.Join(again, "README")); err != nil || string(b) != "den\n" {
		t.Fatalf("cloned README %q, %v", b, err)
	}
}

func TestRsync(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("rsync"); err != nil {
		t.Fatal("rsync is not installed: `make test` installs it (scripts/deps.sh)")
	}
	ts := newTestServer(t, Options{})
	src, back := t.TempDir(), t.TempDir()
	blob := make([]byte, 3<<20)
	if _, err := rand.Read(blob); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "blob"), blob, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("blob", filepath.Join(src, "link")); err != nil {
		t.Fatal(err)
	}
	combined(t, exec.Command("rsync", "-a", "-e", ts.sshCommand(), src+"/", "127.0.0.1:copy/"))
	combined(t, exec.Command("rsync", "-a", "-e", ts.sshCommand(), "127.0.0.1:copy/", back+"/"))
	for _, dir := range []string{filepath.Join(ts.dir, "copy"), back} {
		got, err := os.ReadFile(filepath.Join(dir, "blob"))
		if err != nil || !bytes.Equal(got, blob) {
			t.Fatalf("blob in %s: %d bytes, %v", dir, len(got), err)
		}
		if target, err := os.Readlink(filepath.Join(dir, "link")); err != nil || target != "blob" {
			t.Fatalf("link in %s: %q, %v", dir, target, err)
		}
	}
}
