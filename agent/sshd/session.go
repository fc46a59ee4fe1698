package sshd

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"strings"
	"syscall"

	gliderssh "github.com/gliderlabs/ssh"
	"github.com/pkg/sftp"
	gossh "golang.org/x/crypto/ssh"

	"den/agent/term"
)

// session is one "session" channel: a shell, a command or a subsystem.
type session struct {
	c   *conn
	sc  *gossh.ServerConn
	ch  gossh.Channel
	log *slog.Logger

	// Set by requests before the session starts.
	env   []string // from the client: KEY=VALUE
	pty   *ptyRequest
	agent bool

	started bool
	proc    *process      // the command, once it runs
	done    chan struct{} // closed once the session's work ended and its exit status was sent
}

func (s *Server) handleSession(_ gliderssh.Context, c *conn, sc *gossh.ServerConn, nc gossh.NewChannel) {
	ch, reqs, err := nc.Accept()
	if err != nil {
		c.log.Debug("accept session channel", "error", err)
		return
	}
	sess := &session{c: c, sc: sc, ch: ch, log: c.log}
	for req := range reqs {
		sess.handle(req)
	}
	// The client closed the channel, or the connection ended.
	sess.hangup()
}

// handle answers one channel request. Requests that start the session
// reply before the command starts, so the client sees the reply first.
func (sess *session) handle(req *gossh.Request) {
	reply := func(ok bool) {
		if req.WantReply {
			_ = req.Reply(ok, nil)
		}
	}
	switch req.Type {
	case "env":
		var kv struct{ Name, Value string }
		if sess.started || gossh.Unmarshal(req.Payload, &kv) != nil || !validEnv(kv.Name, kv.Value) {
			reply(false)
			return
		}
		sess.env = append(sess.env, kv.Name+"="+kv.Value)
		reply(true)
	case "pty-req":
		p, err := parsePtyRequest(req.Payload)
		if sess.started || sess.pty != nil || err != nil {
			reply(false)
			return
		}
		sess.pty = p
		reply(true)
	case "window-change":
		var w struct{ Cols, Rows, Width, Height uint32 }
		if sess.pty == nil || gossh.Unmarshal(req.Payload, &w) != nil {
			reply(false)
			return
		}
		sess.pty.win = winsize(w.Cols, w.Rows, w.Width, w.Height)
		if sess.proc != nil && sess.proc.pty != nil {
			if err := term.SetSize(sess.proc.pty, sess.pty.win); err != nil {
				sess.log.Debug("resize pty", "error", err)
			}
		}
		reply(true)
	case "auth-agent-req@openssh.com":
		sess.agent = !sess.started
		reply(!sess.started)
	case "signal":
		var sig struct{ Name string }
		if gossh.Unmarshal(req.Payload, &sig) != nil {
			reply(false)
			return
		}
		s, ok := signalByName(sig.Name)
		if !ok || sess.proc == nil {
			reply(false)
			return
		}
		sess.proc.signal(s)
		reply(true)
	case "shell", "exec":
		var command string
		if req.Type == "exec" {
			var p struct{ Command string }
			if gossh.Unmarshal(req.Payload, &p) != nil {
				reply(false)
				return
			}
			command = p.Command
		}
		if sess.started {
			reply(false)
			return
		}
		sess.started = true
		reply(true)
		sess.startCommand(req.Type == "shell", command)
	case "subsystem":
		var p struct{ Name string }
		if sess.started || gossh.Unmarshal(req.Payload, &p) != nil || p.Name != "sftp" {
			reply(false)
			return
		}
		sess.started = true
		reply(true)
		sess.startSFTP()
	default:
		// x11-req, break, and anything unknown.
		reply(false)
	}
}

// startCommand runs the login shell (shell) or command in the user's shell.
func (sess *session) startCommand(shell bool, command string) {
	srv := sess.c.srv
	acct := lookupAccount(srv.passwdPath, os.Getuid(), envLookup(srv.environ()), srv.opts.Shell)
	dir, err := sessionDir(srv.opts.Dir, acct.home)
	if err != nil {
		fmt.Fprintf(sess.ch.Stderr(), "den: %v; starting in /\r\n", err)
	}
	log := sess.log.With("session", kindOf(shell, sess.pty != nil))
	var agentSock string
	stopAgent := func() {}
	if sess.agent {
		sock, stop, err := sess.forwardAgent(acct.home)
		if err != nil {
			log.Warn("agent forwarding", "error", err)
			fmt.Fprintf(sess.ch.Stderr(), "den: agent forwarding: %v\r\n", err)
		} else {
			agentSock, stopAgent = sock, stop
		}
	}
	spec := procSpec{
		shell:   acct.shell,
		login:   shell,
		command: command,
		dir:     dir,
		pty:     sess.pty,
		env: func(tty string) []string {
			return sess.environ(acct, tty, agentSock)
		},
	}
	p, err := startProcess(spec)
	if err != nil {
		log.Warn("start session", "shell", acct.shell, "error", err)
		fmt.Fprintf(sess.ch.Stderr(), "den: %v\r\n", err)
		status := 1
		if errors.Is(err, fs.ErrNotExist) {
			status = 127
		}
		stopAgent()
		sess.done = make(chan struct{})
		sess.finish(exitInfo{status: status})
		close(sess.done)
		return
	}
	sess.proc = p
	sess.done = make(chan struct{})
	log = log.With("pid", p.cmd.Process.Pid)
	log.Info("session started")
	log.Debug("session command", "command", command)
	sess.c.spawn(func() { p.copyInput(sess.ch) })
	sess.c.spawn(func() {
		defer close(sess.done)
		exit := p.run(sess.ch, srv.drainGrace)
		log.Info("session ended", "exit_status", exit.status, "signal", exit.signal)
		p.close()
		stopAgent()
		sess.finish(exit)
	})
}

// startSFTP serves the SFTP subsystem in-process, rooted at the session
// directory for relative paths.
func (sess *session) startSFTP() {
	srv := sess.c.srv
	acct := lookupAccount(srv.passwdPath, os.Getuid(), envLookup(srv.environ()), srv.opts.Shell)
	dir, _ := sessionDir(srv.opts.Dir, acct.home)
	sess.done = make(chan struct{})
	sess.c.spawn(func() {
		defer close(sess.done)
		status := 0
		server, err := sftp.NewServer(sess.ch, sftp.WithServerWorkingDirectory(dir))
		if err == nil {
			err = server.Serve()
		}
		if err != nil {
			sess.log.Debug("sftp", "error", err)
			status = 1
		}
		sess.finish(exitInfo{status: status})
	})
}

// finish ends the channel the way OpenSSH does: EOF, the exit status or
// signal, close.
func (sess *session) finish(e exitInfo) {
	_ = sess.ch.CloseWrite()
	if e.signal != "" {
		msg := struct {
			Signal     string
			CoreDumped bool
			Error      string
			Lang       string
		}{Signal: e.signal, CoreDumped: e.core}
		_, _ = sess.ch.SendRequest("exit-signal", false, gossh.Marshal(&msg))
	} else {
		_, _ = sess.ch.SendRequest("exit-status", false, gossh.Marshal(&struct{ Status uint32 }{uint32(e.status)}))
	}
	_ = sess.ch.Close()
}

// hangup runs once the channel is closed. A command still running gets
// SIGHUP, then SIGKILL after the grace period; hangup returns once the
// session's work is over.
func (sess *session) hangup() {
	if sess.done == nil {
		_ = sess.ch.Close()
		return
	}
	if sess.proc != nil {
		sess.proc.hangup(sess.c.srv.killGrace, sess.done)
	}
	<-sess.done
}

// environ is the environment of the session's processes, later entries
// winning: the agent's own minus DEN_AGENT_*, the template's, the user's
// identity, the client's, then the SSH_* variables.
func (sess *session) environ(acct account, tty, agentSock string) []string {
	env := sess.c.srv.baseEnv(acct, sess.pty != nil)
	if sess.pty != nil && sess.pty.term != "" {
		env = append(env, "TERM="+sess.pty.term)
	}
	env = append(env, sess.env...)
	ch, cp := hostPort(sess.sc.RemoteAddr())
	sh, sp := hostPort(sess.sc.LocalAddr())
	env = append(env, "SSH_CLIENT="+ch+" "+cp+" "+sp, "SSH_CONNECTION="+ch+" "+cp+" "+sh+" "+sp)
	if tty != "" {
		env = append(env, "SSH_TTY="+tty)
	}
	if agentSock != "" {
		env = append(env, "SSH_AUTH_SOCK="+agentSock)
	}
	return dedupEnv(env)
}

// validEnv reports whether a client's variable can be passed to execve.
func validEnv(name, value string) bool {
	return name != "" && !strings.ContainsAny(name, "=\x00") && !strings.Contains(value, "\x00")
}

func kindOf(shell, pty bool) string {
	switch {
	case shell && pty:
		return "shell_pty"
	case shell:
		return "shell"
	case pty:
		return "exec_pty"
	}
	return "exec"
}

// signals are the signal names of RFC 4254 section 6.10.
var signals = map[string]syscall.Signal{
	"ABRT": syscall.SIGABRT, "ALRM": syscall.SIGALRM, "FPE": syscall.SIGFPE,
	"HUP": syscall.SIGHUP, "ILL": syscall.SIGILL, "INT": syscall.SIGINT,
	"KILL": syscall.SIGKILL, "PIPE": syscall.SIGPIPE, "QUIT": syscall.SIGQUIT,
	"SEGV": syscall.SIGSEGV, "TERM": syscall.SIGTERM, "USR1": syscall.SIGUSR1,
	"USR2": syscall.SIGUSR2,
}

func signalByName(name string) (syscall.Signal, bool) {
	s, ok := signals[strings.TrimPrefix(name, "SIG")]
	return s, ok
}

func signalName(s syscall.Signal) string {
	for name, v := range signals {
		if v == s {
			return name
		}
	}
	return ""
}
