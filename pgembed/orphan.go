package pgembed

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// A postgres from an earlier run on the same directory can still be alive
// when Start runs: its parent was killed, the kernel sent it SIGINT, and it
// is shutting down. Start waits orphanGrace for it to exit, then signals it
// itself (SIGINT, and SIGQUIT if that does not do). The caller holds the lock
// on the directory, so no live Cluster owns such a postgres.
var (
	orphanGrace    = 3 * time.Second
	orphanFastStop = 30 * time.Second
	orphanQuit     = 10 * time.Second
)

// lockFiles are the files in which a running postgres records its PID.
var lockFiles = []string{"postmaster.pid", ".s.PGSQL." + port + ".lock"}

type procState int

const (
	procGone     procState = iota // no such process
	procPostgres                  // a live postgres working in this data directory
	procOther                     // a zombie, or an unrelated process that reuses the PID
)

// clearStaleLocks makes sure no postgres from an earlier run still works in
// dir, and removes lock files that name a live process which is not one,
// since postgres would take them as another postmaster running. Lock files
// naming a dead process it leaves to postgres, which checks that no process
// still uses the old shared memory before it removes them.
func clearStaleLocks(ctx context.Context, dir string, log *slog.Logger) error {
	for _, name := range lockFiles {
		path := filepath.Join(dir, name)
		pid, err := lockPID(path)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		if pid <= 0 {
			continue // postgres will report a malformed lock file
		}
		state := inspect(pid, dir)
		if state == procPostgres {
			if err := stopOrphan(ctx, pid, dir, log); err != nil {
				return err
			}
			state = inspect(pid, dir)
		}
		if state == procOther {
			log.Info("removing stale lock file", "path", path, "pid", pid)
			if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("remove stale lock file: %w", err)
			}
		}
	}
	return nil
}

// lockPID reads the PID on the first line of a postgres lock file; 0 if the
// line is not a number.
func lockPID(path string) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, fmt.Errorf("read lock file: %w", err)
	}
	defer f.Close()
	line, _ := bufio.NewReader(f).ReadString('\n')
	pid, _ := strconv.Atoi(strings.TrimSpace(line))
	return pid, nil
}

// inspect tells what process pid is, as far as dir is concerned. A postgres
// server process runs with its data directory as working directory.
func inspect(pid int, dir string) procState {
	proc := "/proc/" + strconv.Itoa(pid)
	stat, err := os.ReadFile(proc + "/stat")
	if err != nil {
		return procGone
	}
	// The state follows the command name, which is in parentheses.
	if i := strings.LastIndexByte(string(stat), ')'); i >= 0 && strings.HasPrefix(string(stat[i+1:]), " Z") {
		return procOther
	}
	cwd, err := os.Readlink(proc + "/cwd")
	if errors.Is(err, fs.ErrNotExist) {
		return procGone
	}
	if err != nil {
		// Not ours to inspect: another user's process, and postgres runs as
		// the owner of dir, so not a postgres for dir.
		return procOther
	}
	exe, _ := os.Readlink(proc + "/exe")
	if cwd == dir && strings.HasPrefix(filepath.Base(exe), "postgres") {
		return procPostgres
	}
	return procOther
}

// stopOrphan waits for the postgres pid from an earlier run to exit,
// signalling it if it takes too long.
func stopOrphan(ctx context.Context, pid int, dir string, log *slog.Logger) error {
	log.Info("waiting for postgres from an earlier run to exit", "pid", pid)
	steps := []struct {
		sig  syscall.Signal
		wait time.Duration
	}{{0, orphanGrace}, {syscall.SIGINT, orphanFastStop}, {syscall.SIGQUIT, orphanQuit}}
	for _, step := range steps {
		if step.sig != 0 {
			log.Warn("signalling postgres from an earlier run", "pid", pid, "signal", step.sig.String())
			if err := syscall.Kill(pid, step.sig); err != nil && !errors.Is(err, syscall.ESRCH) {
				return fmt.Errorf("signal postgres %d from an earlier run: %w", pid, err)
			}
		}
		gone, err := waitGone(ctx, pid, dir, step.wait)
		if err != nil || gone {
			return err
		}
	}
	return fmt.Errorf("postgres %d from an earlier run still runs in %s after SIGQUIT", pid, dir)
}

// waitGone polls until pid is no longer a postgres in dir, for at most d.
func waitGone(ctx context.Context, pid int, dir string, d time.Duration) (bool, error) {
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if inspect(pid, dir) != procPostgres {
			return true, nil
		}
		select {
		case <-ctx.Done():
			return false, fmt.Errorf("wait for postgres %d from an earlier run to exit: %w", pid, ctx.Err())
		case <-deadline.C:
			return false, nil
		case <-tick.C:
		}
	}
}
