package sshd

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
)

// forwardAgent serves ssh -A for one session: a Unix socket in a private
// directory (mode 0700) for SSH_AUTH_SOCK, each connection to it forwarded
// to the client's agent over an auth-agent@openssh.com channel. stop
// closes the socket and removes the directory.
func (sess *session) forwardAgent(home string) (sock string, stop func(), err error) {
	tmp, _ := envLookup(sess.c.srv.environ())("TMPDIR")
	dir, err := agentDir(tmp, home)
	if err != nil {
		return "", nil, err
	}
	sock = filepath.Join(dir, "agent.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		os.RemoveAll(dir)
		return "", nil, fmt.Errorf("listen for the agent: %w", err)
	}
	c := sess.c
	c.spawn(func() {
		for {
			uc, err := ln.Accept()
			if err != nil {
				return
			}
			c.spawn(func() {
				ch, reqs, err := sess.sc.OpenChannel("auth-agent@openssh.com", nil)
				if err != nil {
					c.log.Debug("agent forwarding: open channel", "error", err)
					uc.Close()
					return
				}
				splice(c, ch, reqs, uc)
			})
		}
	})
	stop = func() {
		ln.Close()
		os.RemoveAll(dir)
	}
	return sock, stop, nil
}

// agentDir makes a private directory for the agent socket: in tmp
// ($TMPDIR) or /tmp, else (a scratch image may have no /tmp) in the
// user's home.
func agentDir(tmp, home string) (string, error) {
	if tmp == "" {
		tmp = "/tmp"
	}
	var errs []error
	for _, base := range []string{tmp, home} {
		dir, err := os.MkdirTemp(base, "den-ssh-agent-")
		if err == nil {
			return dir, nil
		}
		errs = append(errs, err)
	}
	return "", fmt.Errorf("make a directory for the agent socket: %w", errors.Join(errs...))
}
