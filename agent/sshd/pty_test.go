package sshd

import (
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
	gossh "golang.org/x/crypto/ssh"
	"golang.org/x/sys/unix"
)

// TestPTYOpenSSH drives ssh -tt from a terminal of our own, as a person
// would: login shell, TERM, window size and a resize.
func TestPTYOpenSSH(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Options{})
	acct := lookupAccount("/etc/passwd", os.Getuid(), envLookup(os.Environ()), "")

	cmd := ts.ssh(t, []string{"-tt"})
	cmd.Env = append(os.Environ(), "TERM=xterm-256color")
	term, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 24, Cols: 80})
	if err != nil {
		t.Fatal(err)
	}
	defer term.Close()
	var out syncBuffer
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		buf := make([]byte, 4096)
		for {
			n, err := term.Read(buf)
			out.Write(buf[:n])
			if err != nil {
				return
			}
		}
	}()
	exited := false
	defer func() {
		if !exited {
			cmd.Process.Kill()
			cmd.Wait()
		}
		term.Close()
		<-copied
	}()

	// Type line until the output matches want. The typed line is echoed,
	// so want matches only what the shell computes.
	expect := func(line string, want *regexp.Regexp) {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for !want.MatchString(out.String()) {
			if time.Now().After(deadline) {
				t.Fatalf("no %s in the terminal's output:\n%s", want, out.String())
			}
			if _, err := term.Write([]byte(line + "\r")); err != nil {
				t.Fatal(err)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	expect(`echo "zero=$0 term=$TERM tty=${SSH_TTY%%[0-9]*}"`,
		regexp.MustCompile(regexp.QuoteMeta("zero=-"+filepath.Base(acct.shell)+" term=xterm-256color tty=/dev/pts/")))
	expect(`echo "size=$(stty size)"`, regexp.MustCompile(`size=24 80`))
	if err := pty.Setsize(term, &pty.Winsize{Rows: 40, Cols: 132}); err != nil {
		t.Fatal(err)
	}
	expect(`echo "size=$(stty size)"`, regexp.MustCompile(`size=40 132`))
	if _, err := term.Write([]byte("exit 4\r")); err != nil {
		t.Fatal(err)
	}
	err = cmd.Wait()
	exited = true
	var ee interface{ ExitCode() int }
	if !errors.As(err, &ee) || ee.ExitCode() != 4 {
		t.Fatalf("ssh: %v, want exit code 4\n%s", err, out.String())
	}
}

// TestPTYGoClient checks the client's terminal modes and that output
// passes the pty unaltered: no \n to \r\n rewriting beyond the pty's own.
func TestPTYGoClient(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Options{})
	c := ts.dial(t)
	runPTY := func(command string, modes gossh.TerminalModes) string {
		t.Helper()
		s, err := c.NewSession()
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if err := s.RequestPty("vt100", 30, 100, modes); err != nil {
			t.Fatal(err)
		}
		out, err := s.Output(command)
		if err != nil {
			t.Fatalf("%s: %v\n%s", command, err, out)
		}
		return string(out)
	}
	if got := runPTY(`stty size; printf "a\nb\n"`, nil); got != "30 100\r\na\r\nb\r\n" {
		t.Fatalf("with onlcr: %q", got)
	}
	if got := runPTY(`stty -onlcr; printf "a\nb\n"`, nil); got != "a\nb\n" {
		t.Fatalf("without onlcr: %q", got)
	}
	got := runPTY("stty -a", gossh.TerminalModes{gossh.ECHO: 0, gossh.IUTF8: 1, gossh.VERASE: 8, gossh.VINTR: 255})
	for _, want := range []string{"-echo ", "iutf8", "erase = ^H", "intr = <undef>"} {
		if !strings.Contains(got, want) {
			t.Errorf("stty -a lacks %q:\n%s", want, got)
		}
	}
	if got := runPTY("echo $TERM; tty", nil); !strings.HasPrefix(got, "vt100\r\n/dev/pts/") {
		t.Fatalf("TERM and tty: %q", got)
	}
}

// TestPTYBackgroundChild: with a pty the session ends when the command
// exits. The terminal's hangup ends a background child (as with sshd); one
// that ignores SIGHUP and keeps the pty open does not hold the session.
func TestPTYBackgroundChild(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Options{})
	c := ts.dial(t)
	for _, tc := range []struct {
		name, command string
		hungUp        bool
	}{
		{"hangup", "sleep 100 & echo $!", true},
		{"nohup", `trap "" HUP; sleep 100 & echo $!`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := c.NewSession()
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if err := s.RequestPty("xterm", 24, 80, nil); err != nil {
				t.Fatal(err)
			}
			type result struct {
				out []byte
				err error
			}
			done := make(chan result, 1)
			go func() {
				out, err := s.Output(tc.command)
				done <- result{out, err}
			}()
			var res result
			select {
			case res = <-done:
			case <-time.After(30 * time.Second):
				t.Fatal("the session did not end when its command exited")
			}
			pid, err := strconv.Atoi(strings.TrimSpace(string(res.out)))
			if res.err != nil || err != nil {
				t.Fatalf("output %q, %v", res.out, res.err)
			}
			defer syscall.Kill(pid, syscall.SIGKILL)
			if tc.hungUp {
				eventually(t, "the background child's end", func() bool { return gone(pid) })
			} else if gone(pid) {
				t.Fatal("the child that ignores SIGHUP is gone")
			}
		})
	}
}

func TestSetModes(t *testing.T) {
	enc := func(pairs ...uint32) []byte {
		var b []byte
		for i := 0; i < len(pairs); i += 2 {
			b = append(b, byte(pairs[i]))
			b = binary.BigEndian.AppendUint32(b, pairs[i+1])
		}
		return append(b, 0)
	}
	var tio unix.Termios
	tio.Cflag = unix.CS7
	tio.Lflag = unix.ECHO
	setModes(&tio, parseModes(enc(gossh.VINTR, 3, gossh.VEOF, 255, gossh.ECHO, 0, gossh.ICANON, 1, gossh.CS7, 0, gossh.CS8, 1, gossh.IUTF8, 1, gossh.TTY_OP_ISPEED, 38400)))
	switch {
	case tio.Cc[unix.VINTR] != 3 || tio.Cc[unix.VEOF] != 0:
		t.Errorf("control characters %v", tio.Cc)
	case tio.Lflag&unix.ECHO != 0 || tio.Lflag&unix.ICANON == 0:
		t.Errorf("lflag %#x", tio.Lflag)
	case tio.Cflag&unix.CSIZE != unix.CS8:
		t.Errorf("cflag %#x", tio.Cflag)
	case tio.Iflag&unix.IUTF8 == 0:
		t.Errorf("iflag %#x", tio.Iflag)
	}
	// Parsing stops at an undefined opcode and at a truncated pair.
	if m := parseModes([]byte{gossh.ECHO, 0, 0, 0, 1, 200, 0, 0, 0, 1, gossh.ISIG, 0, 0, 0, 1}); len(m) != 1 {
		t.Errorf("parsed %v", m)
	}
	if m := parseModes([]byte{gossh.ECHO, 0, 0}); len(m) != 0 {
		t.Errorf("parsed %v", m)
	}
}

// FuzzModes: any pty-req from a client parses and applies without panic,
// and every opcode parsed is a defined one.
func FuzzModes(f *testing.F) {
	f.Add(gossh.Marshal(&struct {
		Term                      string
		Cols, Rows, Width, Height uint32
		Modes                     string
	}{"xterm", 80, 24, 0, 0, string([]byte{gossh.ECHO, 0, 0, 0, 1, gossh.VINTR, 0, 0, 0, 3, 0})}))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, payload []byte) {
		b := payload
		if r, err := parsePtyRequest(payload); err == nil {
			b = r.modes
		}
		modes := parseModes(b)
		for _, m := range modes {
			if m.op == 0 || m.op >= 160 {
				t.Fatalf("opcode %d parsed", m.op)
			}
		}
		if len(modes)*5 > len(b) {
			t.Fatalf("%d modes from %d bytes", len(modes), len(b))
		}
		var tio unix.Termios
		setModes(&tio, modes)
	})
}
