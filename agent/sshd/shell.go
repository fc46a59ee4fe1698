package sshd

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// LoginShell returns, not started, the login shell an interactive SSH
// session runs: the user's shell as a login shell ("-bash"), in the session
// directory ("/" when that cannot be used), with the sessions' environment
// and TERM=termName. The caller gives it a terminal; the reconnecting PTY
// (agent/rpty) runs its shells this way.
func (s *Server) LoginShell(termName string) (*exec.Cmd, error) {
	acct := lookupAccount(s.passwdPath, os.Getuid(), envLookup(s.environ()), s.opts.Shell)
	dir, err := sessionDir(s.opts.Dir, acct.home)
	if err != nil {
		s.log.Warn("terminal session directory", "error", err)
	}
	path := acct.shell
	if !filepath.IsAbs(path) {
		p, err := exec.LookPath(path)
		if err != nil {
			return nil, fmt.Errorf("find shell %s: %w", path, err)
		}
		path = p
	}
	env := s.baseEnv(acct, true)
	if termName != "" {
		env = append(env, "TERM="+termName)
	}
	return &exec.Cmd{Path: path, Args: []string{"-" + filepath.Base(path)}, Dir: dir, Env: dedupEnv(env)}, nil
}

// baseEnv is the environment every session starts from, later entries
// winning: the agent's own minus DEN_AGENT_* (and minus TERM without a
// terminal), the template's, then the user's identity and a default PATH.
func (s *Server) baseEnv(acct account, terminal bool) []string {
	var env []string
	for _, kv := range s.environ() {
		if strings.HasPrefix(kv, "DEN_AGENT_") {
			continue
		}
		if !terminal && strings.HasPrefix(kv, "TERM=") {
			continue // a pipe is no terminal
		}
		env = append(env, kv)
	}
	env = append(env, s.opts.Env...)
	env = append(env, "USER="+acct.name, "LOGNAME="+acct.name, "HOME="+acct.home, "SHELL="+acct.shell)
	if _, ok := envLookup(env)("PATH"); !ok {
		env = append(env, "PATH="+defaultPath)
	}
	return env
}
