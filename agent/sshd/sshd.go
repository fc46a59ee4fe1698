// Package sshd is the SSH server inside the workspace agent. It never
// listens on a port: the agent hands it one net.Conn per SSH connection (a
// stream the Den server opened after it authenticated and authorized the
// developer), so it accepts every client without authentication.
//
// It serves what OpenSSH clients ask of a host: shells with a pseudo-terminal
// (login shell, the client's terminal modes and window size), commands with
// their exit status or signal, separate binary-safe stdin/stdout/stderr,
// environment variables and signals from the client, the SFTP subsystem
// (in-process, so sftp and scp work even in an image without sftp-server),
// local and remote TCP forwarding, agent forwarding and keepalives.
//
// Sessions run as the agent's own user: the client's user name is ignored.
// The user's name, home and shell come from /etc/passwd when it lists the
// agent's uid, otherwise from $USER, $HOME and $SHELL, then /bin/sh; nothing
// here needs cgo, so the agent runs in a FROM scratch image. Legacy scp
// (scp -O) and rsync run the image's own scp and rsync binaries.
//
// When a command exits, its session ends once the output already written is
// delivered (after at most a short grace for the descriptors to close): unlike
// OpenSSH, a background child that keeps stdout open (ssh host 'sleep 100 &')
// does not hold the session open. When the client or the connection goes
// away before the command exits, its process group gets SIGHUP, then SIGKILL
// if it is still running after a grace period.
package sshd

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"sync"
	"time"

	gliderssh "github.com/gliderlabs/ssh"
	gossh "golang.org/x/crypto/ssh"
)

// Options configure a Server.
type Options struct {
	// HostKey is the workspace's host key, the same across restarts (the
	// server derives it). An ed25519.PrivateKey in practice.
	HostKey crypto.Signer
	// Dir is the working directory of sessions and of SFTP; default the
	// user's home.
	Dir string
	// Env is extra KEY=VALUE environment for every session (from the
	// template), added after the agent's own environment minus DEN_AGENT_*
	// variables.
	Env []string
	// Shell overrides the login shell; default: the user's shell from
	// /etc/passwd, else $SHELL, else /bin/sh.
	Shell  string
	Logger *slog.Logger
}

const (
	// defaultKillGrace is how long a hung-up process group has to exit
	// before it gets SIGKILL.
	defaultKillGrace = 2 * time.Second
	// dialTimeout bounds connecting a local forward.
	dialTimeout = 30 * time.Second
)

// Server is the agent's SSH server. Its methods are safe for concurrent use.
type Server struct {
	opts Options
	log  *slog.Logger
	ssh  *gliderssh.Server

	// Seams for tests.
	environ    func() []string // the agent's environment
	passwdPath string
	killGrace  time.Duration
	drainGrace time.Duration

	mu     sync.Mutex
	closed bool
	conns  map[*conn]struct{}
	wg     sync.WaitGroup // ServeConn calls
}

// New returns a server for o. It starts nothing: connections come through
// ServeConn.
func New(o Options) (*Server, error) {
	if o.HostKey == nil {
		return nil, errors.New("sshd: no host key")
	}
	signer, err := gossh.NewSignerFromSigner(o.HostKey)
	if err != nil {
		return nil, fmt.Errorf("sshd: host key: %w", err)
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{
		opts:       o,
		log:        o.Logger,
		environ:    os.Environ,
		passwdPath: "/etc/passwd",
		killGrace:  defaultKillGrace,
		drainGrace: defaultDrainGrace,
		conns:      make(map[*conn]struct{}),
	}
	s.ssh = &gliderssh.Server{
		HostSigners: []gliderssh.Signer{signer},
		Version:     "Den",
		// The Den server authenticated and authorized the client before it
		// opened this stream: every method succeeds, "none" included.
		ServerConfigCallback:       func(gliderssh.Context) *gossh.ServerConfig { return &gossh.ServerConfig{NoClientAuth: true} },
		PublicKeyHandler:           func(gliderssh.Context, gliderssh.PublicKey) bool { return true },
		PasswordHandler:            func(gliderssh.Context, string) bool { return true },
		KeyboardInteractiveHandler: func(gliderssh.Context, gossh.KeyboardInteractiveChallenge) bool { return true },
		ConnCallback:               s.connCallback,
		ConnectionFailedCallback: func(nc net.Conn, err error) {
			s.log.Debug("ssh handshake failed", "remote_addr", nc.RemoteAddr().String(), "error", err)
		},
		// gliderlabs' own session handler rewrites \n to \r\n on pty output
		// (which breaks full-screen programs), ignores terminal modes and
		// cannot tell when a session's channel closes; its remote forwarding
		// state is shared by all connections. These are ours.
		ChannelHandlers: map[string]gliderssh.ChannelHandler{
			"session":      s.channel(s.handleSession),
			"direct-tcpip": s.channel(s.handleDirectTCPIP),
		},
		RequestHandlers: map[string]gliderssh.RequestHandler{
			"keepalive@openssh.com": func(gliderssh.Context, *gliderssh.Server, *gossh.Request) (bool, []byte) { return true, nil },
			"tcpip-forward":         s.request(handleTCPIPForward),
			"cancel-tcpip-forward":  s.request(handleCancelTCPIPForward),
		},
	}
	return s, nil
}

// ServeConn serves one SSH connection (it may carry many sessions and
// channels) until the client or ctx ends it, or the server closes. When it
// returns, the connection's processes have exited or been killed and its
// forwards are closed.
func (s *Server) ServeConn(ctx context.Context, nc net.Conn) {
	c := &conn{srv: s, raw: nc, forwards: make(map[forwardKey]net.Listener)}
	c.log = s.log.With("remote_addr", addrString(nc.RemoteAddr()))
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		nc.Close()
		return
	}
	s.conns[c] = struct{}{}
	s.wg.Add(1)
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
		s.wg.Done()
	}()

	stop := context.AfterFunc(ctx, func() { nc.Close() })
	defer stop()
	c.log.Debug("ssh connection")
	s.ssh.HandleConn(&connWithState{Conn: nc, c: c}) // returns once the connection is closed
	c.shutdown()
	c.log.Debug("ssh connection closed")
}

// Close ends every connection and session, killing their process groups,
// and waits for them. ServeConn after Close closes its connection at once.
func (s *Server) Close() error {
	s.mu.Lock()
	s.closed = true
	for c := range s.conns {
		c.raw.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	return nil
}

// conn is one SSH connection's state: the goroutines serving it and its
// remote forwards.
type conn struct {
	srv *Server
	raw net.Conn
	log *slog.Logger

	mu       sync.Mutex
	closing  bool
	wg       sync.WaitGroup
	forwards map[forwardKey]net.Listener
}

// connWithState carries a conn through gliderlabs' HandleConn to
// connCallback, which files it in the connection's context.
type connWithState struct {
	net.Conn
	c *conn
}

type connKey struct{}

func (s *Server) connCallback(ctx gliderssh.Context, nc net.Conn) net.Conn {
	cw, ok := nc.(*connWithState)
	if !ok {
		// Only ServeConn hands connections to gliderlabs.
		nc.Close()
		return nil
	}
	ctx.SetValue(connKey{}, cw.c)
	return cw.Conn
}

func connOf(ctx gliderssh.Context) *conn {
	c, _ := ctx.Value(connKey{}).(*conn)
	return c
}

// enter counts a new top-level goroutine of the connection (a channel or a
// forward), unless the connection is shutting down.
func (c *conn) enter() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closing {
		return false
	}
	c.wg.Add(1)
	return true
}

func (c *conn) leave() { c.wg.Done() }

// spawn runs f in a goroutine the connection waits for. Only call it from a
// goroutine that is itself counted (inside enter/leave or another spawn), so
// the count is never zero when it grows.
func (c *conn) spawn(f func()) {
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		f()
	}()
}

// shutdown runs once the SSH connection is closed: it closes the remote
// forwards' listeners and waits for every goroutine of the connection.
func (c *conn) shutdown() {
	c.mu.Lock()
	c.closing = true
	for k, ln := range c.forwards {
		ln.Close()
		delete(c.forwards, k)
	}
	c.mu.Unlock()
	c.wg.Wait()
}

// channel adapts a handler of ours to gliderlabs' ChannelHandler, counting
// it in its connection.
func (s *Server) channel(h func(ctx gliderssh.Context, c *conn, sc *gossh.ServerConn, nc gossh.NewChannel)) gliderssh.ChannelHandler {
	return func(_ *gliderssh.Server, sc *gossh.ServerConn, nc gossh.NewChannel, ctx gliderssh.Context) {
		c := connOf(ctx)
		if c == nil || !c.enter() {
			_ = nc.Reject(gossh.ConnectionFailed, "the connection is closing")
			return
		}
		defer c.leave()
		h(ctx, c, sc, nc)
	}
}

// request adapts a global request handler of ours to gliderlabs'.
func (s *Server) request(h func(ctx gliderssh.Context, c *conn, req *gossh.Request) (bool, []byte)) gliderssh.RequestHandler {
	return func(ctx gliderssh.Context, _ *gliderssh.Server, req *gossh.Request) (bool, []byte) {
		c := connOf(ctx)
		if c == nil {
			return false, nil
		}
		return h(ctx, c, req)
	}
}

func addrString(a net.Addr) string {
	if a == nil {
		return ""
	}
	return a.String()
}
