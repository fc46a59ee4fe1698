package sshd

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// defaultPath is PATH when neither the agent's environment nor the
// template sets one (Debian's, for root and users alike).
const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// account is who sessions run as: the agent's own user.
type account struct {
	name, home, shell string
}

// lookupAccount finds the agent's user without cgo: the entry for uid in
// the passwd file, else $USER/$LOGNAME, $HOME and $SHELL, else root's or
// a made-up name, "/" and /bin/sh. A shell that does not exist or is
// nologin or false is skipped. A non-empty override is the shell.
func lookupAccount(passwd string, uid int, getenv func(string) (string, bool), override string) account {
	env := func(k string) string { v, _ := getenv(k); return v }
	var a account
	if e, ok := passwdEntry(passwd, uid); ok {
		a = account{name: e[0], home: e[5]}
		if usableShell(e[6]) {
			a.shell = e[6]
		}
	}
	if a.name == "" {
		a.name = firstOf(env("USER"), env("LOGNAME"))
	}
	if a.name == "" {
		a.name = "uid" + strconv.Itoa(uid)
		if uid == 0 {
			a.name = "root"
		}
	}
	if a.home == "" {
		a.home = firstOf(env("HOME"), "/")
	}
	if a.shell == "" && usableShell(env("SHELL")) {
		a.shell = env("SHELL")
	}
	if a.shell == "" {
		a.shell = "/bin/sh"
	}
	if override != "" {
		a.shell = override
	}
	return a
}

// passwdEntry returns the seven fields of the first line of the passwd
// file for uid. A missing or unreadable file has no entries.
func passwdEntry(path string, uid int) ([]string, bool) {
	f, err := os.Open(path)
	if err != nil {
		return nil, false
	}
	defer f.Close()
	want := strconv.Itoa(uid)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Split(sc.Text(), ":")
		if len(fields) == 7 && fields[2] == want && fields[0] != "" && !strings.HasPrefix(fields[0], "+") && !strings.HasPrefix(fields[0], "-") {
			return fields, true
		}
	}
	return nil, false
}

// usableShell reports whether shell is an executable file that is a
// shell (not nologin or false).
func usableShell(shell string) bool {
	if !filepath.IsAbs(shell) {
		return false
	}
	switch filepath.Base(shell) {
	case "nologin", "false":
		return false
	}
	fi, err := os.Stat(shell)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}

// sessionDir is dir, else home, if it is a directory; otherwise "/", with
// an error to show the client.
func sessionDir(dir, home string) (string, error) {
	if dir == "" {
		dir = home
	}
	fi, err := os.Stat(dir)
	if err == nil && !fi.IsDir() {
		err = fmt.Errorf("%s is not a directory", dir)
	}
	if err != nil {
		return "/", fmt.Errorf("cannot use the directory %s: %w", dir, err)
	}
	return dir, nil
}

func firstOf(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

// envLookup looks keys up in env, the last entry winning as in execve's
// callers.
func envLookup(env []string) func(string) (string, bool) {
	return func(key string) (string, bool) {
		for i := len(env) - 1; i >= 0; i-- {
			if k, v, ok := strings.Cut(env[i], "="); ok && k == key {
				return v, true
			}
		}
		return "", false
	}
}

// dedupEnv keeps the last value of each key, in the order keys first
// appeared.
func dedupEnv(env []string) []string {
	index := make(map[string]int, len(env))
	out := make([]string, 0, len(env))
	for _, kv := range env {
		k, _, ok := strings.Cut(kv, "=")
		if !ok {
			continue
		}
		if i, seen := index[k]; seen {
			out[i] = kv
			continue
		}
		index[k] = len(out)
		out = append(out, kv)
	}
	return out
}

// hostPort splits a TCP address for SSH_CLIENT and SSH_CONNECTION. The
// agent's connections are streams of a multiplexed WebSocket whose
// addresses say nothing of the client: those read as 127.0.0.1 port 0.
func hostPort(a net.Addr) (string, string) {
	if t, ok := a.(*net.TCPAddr); ok {
		return t.IP.String(), strconv.Itoa(t.Port)
	}
	return "127.0.0.1", "0"
}
