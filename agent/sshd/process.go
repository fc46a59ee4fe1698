package sshd

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"den/agent/term"
)

const (
	// defaultDrainGrace is how long a command's output may take to end
	// after the command exited. Output that ends later (a background child
	// holding stdout open) is cut: what is already buffered is delivered,
	// then the session ends.
	defaultDrainGrace = 250 * time.Millisecond
	// drainMax bounds what is forwarded after drainGrace, against a
	// background child that never stops writing. It is the largest pipe
	// buffer Linux gives an unprivileged process by default, so what the
	// command itself wrote always fits.
	drainMax = 1 << 20
)

// procSpec is what a session runs.
type procSpec struct {
	shell   string
	login   bool // the login shell, rather than shell -c command
	command string
	dir     string
	pty     *ptyRequest               // nil: pipes
	env     func(tty string) []string // tty is the pty's name, or ""
}

// process is a session's command: the shell or shell -c command, in a
// session and process group of its own.
type process struct {
	cmd     *exec.Cmd
	pty     *os.File   // the pty's master; nil without a pty
	stdin   *os.File   // the write end of stdin's pipe; nil with a pty
	outputs []*os.File // the read ends of stdout and stderr, or the master

	mu     sync.Mutex
	exited bool
}

// exitInfo is how a command ended: a status, or a signal named as in RFC
// 4254.
type exitInfo struct {
	status int
	signal string
	core   bool
}

// startProcess starts the command of spec. Like sshd, a shell is a login
// shell ("-bash" as argv[0]) and a command runs as shell -c command.
func startProcess(spec procSpec) (*process, error) {
	path := spec.shell
	if !filepath.IsAbs(path) {
		p, err := exec.LookPath(path)
		if err != nil {
			return nil, fmt.Errorf("find shell %s: %w", path, err)
		}
		path = p
	}
	cmd := &exec.Cmd{Path: path, Dir: spec.dir}
	if spec.login {
		cmd.Args = []string{"-" + filepath.Base(path)}
	} else {
		cmd.Args = []string{filepath.Base(path), "-c", spec.command}
	}
	if spec.pty != nil {
		return startPTY(cmd, spec)
	}
	return startPipes(cmd, spec)
}

func startPTY(cmd *exec.Cmd, spec procSpec) (*process, error) {
	master, err := term.Start(cmd, spec.pty.win, func(tty *os.File) error {
		if err := applyModes(tty, spec.pty.modes); err != nil {
			return fmt.Errorf("set terminal modes: %w", err)
		}
		cmd.Env = spec.env(tty.Name())
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &process{cmd: cmd, pty: master, outputs: []*os.File{master}}, nil
}

func startPipes(cmd *exec.Cmd, spec procSpec) (*process, error) {
	var files []*os.File // the six ends, closed on failure
	pipe := func() (r, w *os.File, err error) {
		r, w, err = os.Pipe()
		files = append(files, r, w)
		return r, w, err
	}
	closeAll := func() {
		for _, f := range files {
			if f != nil {
				f.Close()
			}
		}
	}
	inR, inW, err1 := pipe()
	outR, outW, err2 := pipe()
	errR, errW, err3 := pipe()
	if err := errors.Join(err1, err2, err3); err != nil {
		closeAll()
		return nil, fmt.Errorf("pipe: %w", err)
	}
	cmd.Env = spec.env("")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = inR, outW, errW
	// A session of its own: no controlling terminal (the agent's, if it
	// has one, is not the client's), and a process group to signal.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		closeAll()
		return nil, fmt.Errorf("start shell: %w", err)
	}
	inR.Close()
	outW.Close()
	errW.Close()
	return &process{cmd: cmd, stdin: inW, outputs: []*os.File{outR, errR}}, nil
}

// run forwards the command's output to ch (stderr to its extended data)
// until the command exited and its output ended or grace passed, and
// returns how it ended.
func (p *process) run(ch gossh.Channel, grace time.Duration) exitInfo {
	writers := []io.Writer{ch, ch.Stderr()}
	var wg sync.WaitGroup
	for i, f := range p.outputs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pump(writers[i], f)
		}()
	}
	_ = p.cmd.Wait() // the status is in ProcessState
	p.mu.Lock()
	p.exited = true
	p.mu.Unlock()
	deadline := time.Now().Add(grace)
	for _, f := range p.outputs {
		_ = f.SetReadDeadline(deadline)
	}
	wg.Wait()
	if p.stdin != nil {
		p.stdin.Close()
	}
	return exitOf(p.cmd.ProcessState)
}

// copyInput copies the client's data to the command's stdin (or the pty)
// and closes stdin at the client's EOF.
func (p *process) copyInput(ch gossh.Channel) {
	w := p.stdin
	if p.pty != nil {
		w = p.pty
	}
	_, err := io.Copy(w, ch)
	if p.stdin != nil {
		p.stdin.Close()
	}
	if err != nil {
		// The command stopped reading: keep consuming, so the client is
		// not stuck on a full window, until the channel ends.
		_, _ = io.Copy(io.Discard, ch)
	}
}

// signal sends s to the command's process group, unless it has exited.
func (p *process) signal(s syscall.Signal) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.exited {
		_ = syscall.Kill(-p.cmd.Process.Pid, s)
	}
}

// hangup ends a command whose client went away: SIGHUP to its process
// group (and, with a pty, the terminal's hangup, as when sshd closes it),
// then SIGKILL if it is still running after grace. done is closed when
// the session's work is over.
func (p *process) hangup(grace time.Duration, done <-chan struct{}) {
	p.signal(syscall.SIGHUP)
	if p.pty != nil {
		p.pty.Close()
	}
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		p.signal(syscall.SIGKILL)
	}
}

// close releases the session's ends of the pipes or the pty. A background
// process still holding the other end gets EPIPE, or the pty's hangup.
func (p *process) close() {
	for _, f := range p.outputs {
		f.Close()
	}
	if p.stdin != nil {
		p.stdin.Close()
	}
}

func exitOf(ps *os.ProcessState) exitInfo {
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		if name := signalName(ws.Signal()); name != "" {
			return exitInfo{signal: name, core: ws.CoreDump()}
		}
		return exitInfo{status: 128 + int(ws.Signal())}
	}
	return exitInfo{status: ps.ExitCode()}
}

// pump copies r to w until r ends, or, once run set r's read deadline
// after the command exited, until what is buffered in r is delivered.
func pump(w io.Writer, r *os.File) {
	buf := make([]byte, 32<<10)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			if _, werr := w.Write(buf[:n]); werr != nil {
				return // the channel is gone; the session is ending
			}
		}
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				drain(w, r, buf)
			}
			return // EOF; EIO from a pty whose last user closed it; closed
		}
	}
}

// drain forwards what r holds now, without waiting for more. A Read after
// the deadline fails without reading, so drain reads the descriptor
// directly.
func drain(w io.Writer, r *os.File, buf []byte) {
	rc, err := r.SyscallConn()
	if err != nil || r.SetReadDeadline(time.Time{}) != nil {
		return
	}
	for total := 0; total < drainMax; {
		var n int
		var rerr error
		if err := rc.Read(func(fd uintptr) bool {
			n, rerr = syscall.Read(int(fd), buf)
			return true // never wait
		}); err != nil {
			return
		}
		if rerr == syscall.EINTR {
			continue
		}
		if n <= 0 || rerr != nil {
			return // EAGAIN: nothing more buffered; EOF; EIO
		}
		if _, err := w.Write(buf[:n]); err != nil {
			return
		}
		total += n
	}
}
