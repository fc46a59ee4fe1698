// Package term starts commands on terminals: the agent's SSH sessions
// (agent/sshd) and the web terminal's reconnecting sessions (agent/rpty)
// both run their shells this way.
package term

import (
	"fmt"
	"os"
	"os/exec"
	"syscall"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
)

// Start runs cmd on a new terminal of size win, in a session of its own
// with the terminal as its controlling terminal, and returns the
// terminal's master side, non-blocking (so Close interrupts a Read or
// Write and read deadlines work). prepare, when not nil, gets the
// terminal's slave side before cmd starts, to set modes or cmd.Env.
func Start(cmd *exec.Cmd, win unix.Winsize, prepare func(tty *os.File) error) (*os.File, error) {
	master, tty, err := pty.Open()
	if err != nil {
		return nil, fmt.Errorf("open a terminal: %w", err)
	}
	defer tty.Close()
	fail := func(err error) (*os.File, error) {
		master.Close()
		return nil, err
	}
	if prepare != nil {
		if err := prepare(tty); err != nil {
			return fail(err)
		}
	}
	// pty.Open leaves the master blocking. Never call master.Fd(), which
	// would make it blocking again.
	if err := control(master, func(fd int) error { return syscall.SetNonblock(fd, true) }); err != nil {
		return fail(fmt.Errorf("terminal: %w", err))
	}
	if err := SetSize(master, win); err != nil {
		return fail(fmt.Errorf("terminal size: %w", err))
	}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = tty, tty, tty
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true}
	if err := cmd.Start(); err != nil {
		return fail(fmt.Errorf("start the shell %s: %w", cmd.Path, err))
	}
	return master, nil
}

// SetSize sets the size of the terminal whose master side is master; the
// shell gets SIGWINCH.
func SetSize(master *os.File, win unix.Winsize) error {
	return control(master, func(fd int) error { return unix.IoctlSetWinsize(fd, unix.TIOCSWINSZ, &win) })
}

// control runs f on file's descriptor without making it blocking, as
// (*os.File).Fd would.
func control(file *os.File, f func(fd int) error) error {
	rc, err := file.SyscallConn()
	if err != nil {
		return err
	}
	var ferr error
	if err := rc.Control(func(fd uintptr) { ferr = f(int(fd)) }); err != nil {
		return err
	}
	return ferr
}
