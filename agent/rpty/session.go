package rpty

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"

	"github.com/google/uuid"
	"golang.org/x/sys/unix"

	"den/agent/term"
	"den/sdk"
)

// session is one shell on a terminal and the clients attached to it.
type session struct {
	id     uuid.UUID
	m      *Manager
	log    *slog.Logger
	cmd    *exec.Cmd
	pty    *os.File      // the master
	pumped chan struct{} // closed when the output ended
	done   chan struct{} // closed when the shell exited and its clients were told

	mu        sync.Mutex
	holds     int  // attachments, served or about to be
	ending    bool // killed or exited: Attach starts a new session
	exited    bool // the shell was waited for: no more signals
	finished  bool // the output ended: clients get what is left, then EOF
	detached  bool // the manager closed: no more clients
	ring      ring
	clients   map[*client]struct{}
	idleTimer *time.Timer
	killTimer *time.Timer
}

// client is one attached stream.
type client struct {
	conn    io.ReadWriteCloser
	wake    chan struct{} // buffered: a nudge for the writer
	written chan struct{} // closed when the writer returned

	// Under the session's mu.
	pending []byte
	eof     bool // close once pending is written
	gone    bool // detached: write nothing more
}

// start starts a shell on a new terminal of rows x cols. It runs under
// m.mu.
func (m *Manager) start(id uuid.UUID, rows, cols uint16) (*session, error) {
	cmd, err := m.opts.Command()
	if err != nil {
		return nil, fmt.Errorf("cannot start a shell: %w", err)
	}
	master, err := term.Start(cmd, unix.Winsize{Row: rows, Col: cols}, nil)
	if err != nil {
		return nil, err
	}
	s := &session{
		id:      id,
		m:       m,
		log:     m.log.With("session", id.String(), "pid", cmd.Process.Pid),
		cmd:     cmd,
		pty:     master,
		pumped:  make(chan struct{}),
		done:    make(chan struct{}),
		ring:    newRing(sdk.MaxPTYReplay),
		clients: make(map[*client]struct{}),
	}
	s.log.Info("terminal session started", "shell", cmd.Path)
	m.wg.Add(2)
	go s.pump()
	go s.wait()
	return s, nil
}

// hold counts one more attachment, unless the session is ending.
func (s *session) hold() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ending {
		return false
	}
	s.holds++
	if s.idleTimer != nil {
		s.idleTimer.Stop()
		s.idleTimer = nil
	}
	return true
}

// release counts one attachment less; with none left, the idle timeout
// starts.
func (s *session) release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.holds--
	if s.holds == 0 && !s.ending {
		s.idleTimer = time.AfterFunc(s.m.opts.IdleTimeout, func() { s.m.idle(s) })
	}
}

// serve replays the recent output to conn, then carries live output to it
// and its messages to the terminal, until either side ends.
func (s *session) serve(conn io.ReadWriteCloser) {
	defer conn.Close()
	c := &client{conn: conn, wake: make(chan struct{}, 1), written: make(chan struct{})}
	s.mu.Lock()
	if s.detached {
		s.mu.Unlock()
		return
	}
	c.pending = s.ring.bytes()
	c.eof = s.finished
	if !s.finished {
		s.clients[c] = struct{}{}
	}
	s.mu.Unlock()
	s.m.wg.Add(1) // the attachment's own count is not zero
	go s.write(c)

	for {
		msg, err := sdk.ReadPTYMessage(conn)
		if err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, os.ErrClosed) {
				s.log.Debug("terminal client", "error", err)
			}
			break
		}
		s.resize(msg.Rows, msg.Cols)
		if msg.Data != "" {
			if _, err := s.pty.Write([]byte(msg.Data)); err != nil {
				break // the shell is gone
			}
		}
	}
	s.mu.Lock()
	delete(s.clients, c)
	c.gone = true
	s.mu.Unlock()
	conn.Close()
	c.nudge()
	<-c.written
}

// write sends c's pending output until c is gone, or its output ended.
func (s *session) write(c *client) {
	defer s.m.wg.Done()
	defer close(c.written)
	for {
		s.mu.Lock()
		// At most writeChunk at a time, so that what the writer holds
		// while a slow client blocks it is small, and the rest stays in
		// pending, where output() measures how far behind the client is.
		buf, eof, gone := c.pending, c.eof, c.gone
		if len(buf) > writeChunk {
			buf = buf[:writeChunk:writeChunk]
		}
		c.pending = c.pending[len(buf):]
		if len(c.pending) == 0 {
			c.pending = nil
		}
		s.mu.Unlock()
		switch {
		case gone:
			return
		case len(buf) > 0:
			if _, err := c.conn.Write(buf); err != nil {
				c.conn.Close()
				return
			}
		case eof:
			c.conn.Close() // the client's EOF: the shell exited
			return
		default:
			<-c.wake
		}
	}
}

func (c *client) nudge() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// pump reads the terminal's output into the ring and to every client.
func (s *session) pump() {
	defer s.m.wg.Done()
	defer close(s.pumped)
	buf := make([]byte, 32<<10)
	for {
		n, err := s.pty.Read(buf)
		if n > 0 {
			s.output(buf[:n])
		}
		if err != nil {
			return // EIO once the shell and its children closed the terminal; closed; the drain deadline
		}
	}
}

func (s *session) output(p []byte) {
	var slow []*client
	s.mu.Lock()
	s.ring.write(p)
	for c := range s.clients {
		if len(c.pending)+len(p) > maxPending {
			delete(s.clients, c)
			c.gone = true
			slow = append(slow, c)
			continue
		}
		c.pending = append(c.pending, p...)
		c.nudge()
	}
	s.mu.Unlock()
	for _, c := range slow {
		s.log.Warn("terminal client too slow; detaching it")
		abort(c.conn)
		c.nudge()
	}
}

// wait waits for the shell, lets its last output through, then ends the
// session: its clients get what is left, then EOF.
func (s *session) wait() {
	defer s.m.wg.Done()
	defer close(s.done)
	_ = s.cmd.Wait()
	s.mu.Lock()
	s.exited = true
	s.ending = true
	for _, t := range []*time.Timer{s.idleTimer, s.killTimer} {
		if t != nil {
			t.Stop()
		}
	}
	s.mu.Unlock()
	s.m.forget(s)
	_ = s.pty.SetReadDeadline(time.Now().Add(exitDrain))
	<-s.pumped
	s.pty.Close()
	s.mu.Lock()
	s.finished = true
	for c := range s.clients {
		c.eof = true
		c.nudge()
	}
	s.mu.Unlock()
	s.log.Info("terminal session ended", "exit_status", s.cmd.ProcessState.ExitCode())
}

// kill ends the shell: SIGHUP to its process group and the terminal's
// hangup, then SIGKILL if it still runs after killGrace. It does not wait.
func (s *session) kill() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ending = true
	if s.exited || s.killTimer != nil {
		return
	}
	pid := s.cmd.Process.Pid
	_ = syscall.Kill(-pid, syscall.SIGHUP)
	s.pty.Close()
	s.killTimer = time.AfterFunc(killGrace, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if !s.exited {
			_ = syscall.Kill(-pid, syscall.SIGKILL)
		}
	})
}

// detachAll closes every client's stream, and those of clients to come.
func (s *session) detachAll() {
	var all []*client
	s.mu.Lock()
	s.detached = true
	for c := range s.clients {
		delete(s.clients, c)
		c.gone = true
		all = append(all, c)
	}
	s.mu.Unlock()
	for _, c := range all {
		abort(c.conn)
		c.nudge()
	}
}

// abort ends a client's stream with a reset where it can (a TCP connection
// back to the server), so that the server tells the browser its link
// dropped and to reconnect, not that the shell exited, which a plain end of
// the stream means.
func abort(conn io.Closer) {
	if tc, ok := conn.(interface{ SetLinger(int) error }); ok {
		_ = tc.SetLinger(0)
	}
	conn.Close()
}

// resize sets the terminal's size; the shell gets SIGWINCH. Zero keeps it.
func (s *session) resize(rows, cols uint16) {
	if rows == 0 || cols == 0 {
		return
	}
	if err := term.SetSize(s.pty, unix.Winsize{Row: rows, Col: cols}); err != nil {
		s.log.Debug("resize terminal", "error", err)
	}
}
