package pgembed

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// initdb creates a cluster in the empty directory dir. Interrupted (ctx
// done, or this process dies), initdb removes what it wrote.
func initdb(ctx context.Context, binDir, dir string, acct *account, noSync bool, logf *os.File) error {
	args := []string{"-D", dir, "-U", superuser, "--auth=trust", "-E", "UTF8", "--locale=C", "--no-instructions"}
	if noSync {
		args = append(args, "--no-sync")
	}
	cmd := exec.CommandContext(ctx, filepath.Join(binDir, "initdb"), args...)
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 10 * time.Second
	cmd.Dir = "/"
	cmd.Env = childEnv()
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Setpgid:    true,
		Pdeathsig:  syscall.SIGTERM,
		Credential: acct.credential(),
	}
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("initdb %s: %w", dir, err)
	}
	return nil
}

// childEnv is this process's environment without the PG* variables, which
// would change what initdb and postgres do.
func childEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PG") {
			env = append(env, kv)
		}
	}
	return env
}

// findBinDir returns dir if set, else the directory of the postgres binary on
// PATH, else the newest /usr/lib/postgresql/*/bin.
func findBinDir(dir string) (string, error) {
	if dir != "" {
		return dir, nil
	}
	if p, err := exec.LookPath("postgres"); err == nil {
		if resolved, err := filepath.EvalSymlinks(p); err == nil {
			return filepath.Dir(resolved), nil
		}
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/postgres")
	best, bestVersion := "", -1.0
	for _, m := range matches {
		bin := filepath.Dir(m)
		v, err := strconv.ParseFloat(filepath.Base(filepath.Dir(bin)), 64)
		if err == nil && v > bestVersion {
			best, bestVersion = bin, v
		}
	}
	if best == "" {
		return "", errors.New("find postgres: not on PATH nor in /usr/lib/postgresql/*/bin; install PostgreSQL (Debian package postgresql) or set the binary directory")
	}
	return best, nil
}
