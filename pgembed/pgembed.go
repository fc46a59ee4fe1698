// Package pgembed runs a private PostgreSQL cluster from the machine's
// PostgreSQL binaries. `den server` uses it when no database URL is
// configured, and tests use it through package dbtest.
//
// The cluster's data directory is Options.Dir: Start creates it with initdb
// the first time and reuses it afterwards. PostgreSQL listens only on a Unix
// socket in Dir itself (mode 0700, so only its owner and root can connect),
// never on TCP, and trusts every connection that reaches the socket. The
// superuser is "den", and Start makes sure a database named "den" exists.
//
// PostgreSQL's own output (initdb's and the server log) is appended to a file
// beside Dir named after it, Dir+".log": for Dir /var/lib/den/postgres the log
// is /var/lib/den/postgres.log. When it grows past 32 MiB, Start moves it to
// Dir+".log.1".
//
// When the process runs as root, initdb and postgres run as the "postgres"
// system user, which then owns Dir; otherwise they run as the current user.
//
// postgres runs as a child in its own process group, so a Ctrl-C at a terminal
// reaches only the parent, which should call Stop. If the parent dies without
// calling Stop, the kernel sends postgres SIGINT (a fast shutdown), and the
// next Start on the same Dir waits for that postgres to exit, or stops it.
// While a Cluster runs, it holds an exclusive lock on Dir, so a second Start
// on the same Dir, from this process or another, fails instead of interfering.
package pgembed

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

const (
	// superuser is the role initdb creates; it owns everything.
	superuser = "den"
	// port only names the socket file (.s.PGSQL.5432); nothing listens on TCP.
	port = "5432"
	// readyTimeout bounds the wait for a started postgres to accept
	// connections when ctx has no earlier deadline; crash recovery of a large
	// cluster can take a while.
	readyTimeout = 2 * time.Minute
)

// Options configure Start.
type Options struct {
	// Dir is the cluster's data directory. It is created (initdb) on the first
	// Start and reused afterwards. Its parent holds the log, Dir+".log".
	Dir string
	// BinDir holds initdb and postgres. Default: the directory of `postgres`
	// found on PATH (symlinks resolved), else the newest
	// /usr/lib/postgresql/*/bin.
	BinDir string
	// Logger receives pgembed's own messages; default discards them.
	Logger *slog.Logger
	// Settings are extra server settings, passed as `-c name=value`, for
	// example fsync=off for tests. With fsync=off, initdb also skips syncing.
	// They cannot change listen_addresses, port or unix_socket_directories.
	Settings map[string]string
}

// Cluster is a running postgres started by Start.
type Cluster struct {
	dir     string // absolute, symlinks resolved
	logPath string
	log     *slog.Logger
	lock    *os.File // Dir, flocked while the cluster runs
	cmd     *exec.Cmd
	exited  chan struct{} // closed once postgres has exited and waitErr is set
	waitErr error

	stopMu  sync.Mutex
	stopped bool
	stopErr error
}

// Start starts postgres on opts.Dir, running initdb first if the directory
// holds no cluster yet, and returns once the "den" database accepts
// connections. ctx bounds the start only, not the cluster's life.
func Start(ctx context.Context, opts Options) (*Cluster, error) {
	if opts.Dir == "" {
		return nil, errors.New("start postgres: no data directory given")
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	binDir, err := findBinDir(opts.BinDir)
	if err != nil {
		return nil, err
	}
	dir, err := resolveDir(opts.Dir)
	if err != nil {
		return nil, err
	}
	if err := checkSocketPath(dir); err != nil {
		return nil, err
	}
	acct, err := runAccount()
	if err != nil {
		return nil, err
	}
	if err := prepareParents(dir, acct); err != nil {
		return nil, err
	}
	lock, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	c := &Cluster{dir: dir, logPath: dir + ".log", log: log, lock: lock, exited: make(chan struct{})}
	if err := c.start(ctx, binDir, acct, opts.Settings); err != nil {
		lock.Close()
		return nil, err
	}
	return c, nil
}

// start runs initdb if needed, then postgres, and waits until it is ready.
// On error nothing is left running.
func (c *Cluster) start(ctx context.Context, binDir string, acct *account, settings map[string]string) error {
	begin := time.Now()
	if err := prepareDir(c.dir, acct); err != nil {
		return err
	}
	logf, logStart, err := openLog(c.logPath)
	if err != nil {
		return err
	}
	defer logf.Close() // postgres keeps its own copy of the descriptor
	initialized, err := isCluster(c.dir)
	if err != nil {
		return err
	}
	if !initialized {
		if err := initdb(ctx, binDir, c.dir, acct, settings["fsync"] == "off", logf); err != nil {
			return fmt.Errorf("%w%s", err, logTail(c.logPath, logStart))
		}
		c.log.Info("created postgres cluster", "dir", c.dir, "elapsed_ms", time.Since(begin).Milliseconds())
	} else if err := checkOwner(c.dir, acct); err != nil {
		return err
	}
	if err := clearStaleLocks(ctx, c.dir, c.log); err != nil {
		return err
	}
	if err := c.startPostgres(binDir, acct, settings, logf); err != nil {
		return err
	}
	if err := c.waitReady(ctx, logStart); err != nil {
		stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		c.Stop(stopCtx) //nolint:errcheck // the start error is the one to report
		return err
	}
	c.log.Info("started postgres", "dir", c.dir, "pid", c.cmd.Process.Pid, "log", c.logPath,
		"elapsed_ms", time.Since(begin).Milliseconds())
	return nil
}

func (c *Cluster) startPostgres(binDir string, acct *account, settings map[string]string, logf *os.File) error {
	args := []string{"-D", c.dir}
	names := make([]string, 0, len(settings))
	for name := range settings {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		args = append(args, "-c", name+"="+settings[name])
	}
	// Last, so that they win over Settings.
	args = append(args,
		"-c", "listen_addresses=",
		"-c", "port="+port,
		"-c", `unix_socket_directories="`+c.dir+`"`,
		"-c", "unix_socket_permissions=0700",
	)
	cmd := exec.Command(filepath.Join(binDir, "postgres"), args...)
	cmd.Dir = "/"
	cmd.Env = childEnv()
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Setpgid:    true,
		Pdeathsig:  parentDeathSignal,
		Credential: acct.credential(),
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start postgres: %w", err)
	}
	c.cmd = cmd
	go func() {
		c.waitErr = cmd.Wait()
		close(c.exited)
	}()
	return nil
}

// parentDeathSignal is what the kernel sends postgres when the process that
// started it dies: a fast shutdown. The kernel watches the thread that forked
// postgres, which is fine because the Go runtime only ends threads that a
// goroutine locked and never unlocked. A variable so that a test can simulate
// a postgres that outlives its parent.
var parentDeathSignal = syscall.SIGINT

// waitReady polls the socket until postgres accepts a connection, then makes
// sure the "den" database exists.
func (c *Cluster) waitReady(ctx context.Context, logStart int64) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		conn, err := pgx.Connect(ctx, c.URL("postgres"))
		if err == nil {
			defer conn.Close(context.WithoutCancel(ctx))
			return ensureDatabase(ctx, conn, "den")
		}
		select {
		case <-c.exited:
			return fmt.Errorf("postgres exited while starting (%v)%s", c.waitErr, logTail(c.logPath, logStart))
		case <-ctx.Done():
			return fmt.Errorf("wait for postgres to accept connections: %w (last error: %v)%s", ctx.Err(), err, logTail(c.logPath, logStart))
		case <-tick.C:
		}
	}
}

func ensureDatabase(ctx context.Context, conn *pgx.Conn, name string) error {
	var exists bool
	err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists)
	if err != nil {
		return fmt.Errorf("look up database %s: %w", name, err)
	}
	if exists {
		return nil
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return fmt.Errorf("create database %s: %w", name, err)
	}
	return nil
}

// URL returns a pgx connection URL for database over the cluster's Unix
// socket, as the superuser "den".
func (c *Cluster) URL(database string) string {
	host := strings.ReplaceAll(url.QueryEscape(c.dir), "%2F", "/")
	return "postgres:///" + url.PathEscape(database) + "?host=" + host + "&user=" + superuser + "&sslmode=disable"
}

// Dir returns the cluster's data directory: absolute, symlinks resolved.
func (c *Cluster) Dir() string { return c.dir }

// LogPath returns the file postgres writes its log to.
func (c *Cluster) LogPath() string { return c.logPath }

// Done is closed when postgres has exited, whether by Stop or not.
func (c *Cluster) Done() <-chan struct{} { return c.exited }

// Stop shuts postgres down (a fast shutdown: sessions are ended, then a
// checkpoint) and waits for it to exit. If ctx ends first, it escalates to an
// immediate shutdown. Later calls return the first call's result.
func (c *Cluster) Stop(ctx context.Context) error {
	c.stopMu.Lock()
	defer c.stopMu.Unlock()
	if c.stopped {
		return c.stopErr
	}
	c.stopErr = c.stop(ctx)
	c.stopped = true
	c.lock.Close()
	return c.stopErr
}

func (c *Cluster) stop(ctx context.Context) error {
	select {
	case <-c.exited:
		if c.waitErr != nil {
			return fmt.Errorf("postgres had exited: %w", c.waitErr)
		}
		return nil
	default:
	}
	pid := c.cmd.Process.Pid
	if err := c.cmd.Process.Signal(syscall.SIGINT); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("signal postgres %d: %w", pid, err)
	}
	select {
	case <-c.exited:
		c.log.Info("stopped postgres", "pid", pid)
		return nil
	case <-ctx.Done():
	}
	c.log.Warn("postgres did not stop in time; sending SIGQUIT", "pid", pid)
	c.cmd.Process.Signal(syscall.SIGQUIT) //nolint:errcheck // it may have exited meanwhile
	select {
	case <-c.exited:
	case <-time.After(10 * time.Second):
		c.cmd.Process.Kill() //nolint:errcheck
		<-c.exited
	}
	return fmt.Errorf("stop postgres %d: %w", pid, ctx.Err())
}
