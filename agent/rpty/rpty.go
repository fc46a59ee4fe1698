// Package rpty is the agent's reconnecting PTY, which the dashboard's web
// terminal uses: shells on pseudo-terminals that outlive the connections
// attached to them. Sessions are keyed by a UUID the client chooses; a
// client that joins a session again gets its recent output replayed (the
// last 64 KiB), then live output. Several clients may attach to a session
// at once: all see its output, and the input and resizes of any of them go
// to the shell.
//
// An attachment's stream carries sdk.PTYMessage frames from the client
// (sdk.ReadPTYMessage) and raw terminal output back. When the shell exits,
// its attachments' streams are closed once its last output is delivered.
// A session with nothing attached for IdleTimeout (5 minutes) is ended:
// its shell's process group gets SIGHUP, then SIGKILL.
package rpty

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os/exec"
	"sync"
	"time"

	"github.com/google/uuid"
)

// Term is the TERM of the shells: the dashboard's terminal emulator
// (xterm.js) is an xterm.
const Term = "xterm-256color"

// Options configure a Manager.
type Options struct {
	// Command returns the shell of a new session, not started: path,
	// arguments, directory and environment. The manager gives it the
	// terminal, a session and a process group of its own.
	Command func() (*exec.Cmd, error)
	// IdleTimeout ends a session nothing is attached to; default 5
	// minutes.
	IdleTimeout time.Duration
	// MaxSessions bounds the sessions at once; default 16.
	MaxSessions int
	Logger      *slog.Logger
}

const (
	defaultIdleTimeout = 5 * time.Minute
	defaultMaxSessions = 16
	// killGrace is how long a hung-up shell has to exit before SIGKILL.
	killGrace = 2 * time.Second
	// exitDrain is how long the output may take to end after the shell
	// exited (a background child holding the terminal open).
	exitDrain = 250 * time.Millisecond
	// maxPending bounds the output queued for one attachment; a client
	// that falls further behind is detached.
	maxPending = 1 << 20
	// writeChunk is the most a client's writer sends in one Write.
	writeChunk = 64 << 10
)

// ErrClosed is what Attach returns once the manager is closed.
var ErrClosed = errors.New("the agent is shutting down")

// Manager runs the sessions. Its methods are safe for concurrent use.
type Manager struct {
	opts Options
	log  *slog.Logger

	mu       sync.Mutex
	closed   bool
	sessions map[uuid.UUID]*session
	wg       sync.WaitGroup // every goroutine and attachment of every session
}

// New returns a manager; sessions start when clients attach.
func New(o Options) *Manager {
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = defaultIdleTimeout
	}
	if o.MaxSessions <= 0 {
		o.MaxSessions = defaultMaxSessions
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &Manager{opts: o, log: o.Logger, sessions: make(map[uuid.UUID]*session)}
}

// Attachment is a session held for one client: Serve the client's stream,
// or Cancel when the stream never opens. One of them must be called.
type Attachment struct {
	s    *session
	once sync.Once
}

// Attach holds session id for a client, starting its shell when there is
// none, and resizes its terminal to rows x cols (0: keep, or 24 x 80 for a
// new shell). The error says why there is no session.
func (m *Manager) Attach(id uuid.UUID, rows, cols uint16) (*Attachment, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, ErrClosed
	}
	s := m.sessions[id]
	if s != nil && s.hold() {
		s.resize(rows, cols)
		m.wg.Add(1)
		return &Attachment{s: s}, nil
	}
	if len(m.sessions) >= m.opts.MaxSessions {
		return nil, fmt.Errorf("the workspace already has %d terminal sessions, the most it may; exit the shell of one, or wait for one with no terminal attached to end (after %s)", len(m.sessions), m.opts.IdleTimeout)
	}
	if rows == 0 {
		rows = 24
	}
	if cols == 0 {
		cols = 80
	}
	s, err := m.start(id, rows, cols)
	if err != nil {
		return nil, err
	}
	m.sessions[id] = s
	s.holds = 1
	m.wg.Add(1)
	return &Attachment{s: s}, nil
}

// Serve carries the client's stream until the client leaves, sends a bad
// message or the shell exits, then closes it.
func (a *Attachment) Serve(conn io.ReadWriteCloser) {
	defer a.release()
	a.s.serve(conn)
}

// Cancel gives the session up without serving a client.
func (a *Attachment) Cancel() { a.release() }

func (a *Attachment) release() {
	a.once.Do(func() {
		a.s.release()
		a.s.m.wg.Done()
	})
}

// Close ends every session, killing its shell, closes every attachment and
// waits for them. Attach after Close fails.
func (m *Manager) Close() error {
	m.mu.Lock()
	m.closed = true
	var all []*session
	for id, s := range m.sessions {
		all = append(all, s)
		delete(m.sessions, id)
	}
	m.mu.Unlock()
	for _, s := range all {
		s.kill()
	}
	for _, s := range all {
		<-s.done
		s.detachAll() // clients that do not read their last output
	}
	m.wg.Wait()
	return nil
}

// forget removes s from the sessions, if it is still there.
func (m *Manager) forget(s *session) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.sessions[s.id] == s {
		delete(m.sessions, s.id)
	}
}

// idle ends s when it still has nothing attached.
func (m *Manager) idle(s *session) {
	m.mu.Lock()
	s.mu.Lock()
	if s.holds > 0 || s.ending {
		s.mu.Unlock()
		m.mu.Unlock()
		return
	}
	s.ending = true // Attach no longer finds it
	s.mu.Unlock()
	if m.sessions[s.id] == s {
		delete(m.sessions, s.id)
	}
	m.mu.Unlock()
	s.log.Info("terminal session idle; ending it", "idle_timeout", m.opts.IdleTimeout)
	s.kill()
}
