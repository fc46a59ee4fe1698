package pgembed

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Environment of the helper process that TestKilledParent starts and kills.
const (
	helperDirEnv         = "DEN_PGEMBED_TEST_HELPER_DIR"
	helperNoDeathSignEnv = "DEN_PGEMBED_TEST_HELPER_NO_DEATH_SIGNAL"
)

// fastSettings trade durability for speed, as tests do.
var fastSettings = map[string]string{"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}

func TestMain(m *testing.M) {
	if dir := os.Getenv(helperDirEnv); dir != "" {
		os.Exit(runHelper(dir))
	}
	os.Exit(m.Run())
}

// runHelper starts a cluster on dir, writes a row, prints postgres's PID and
// blocks until stdin closes; the test kills it before that.
func runHelper(dir string) int {
	if os.Getenv(helperNoDeathSignEnv) != "" {
		parentDeathSignal = 0
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := Start(ctx, Options{Dir: dir, Settings: fastSettings})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer c.Stop(context.Background()) //nolint:errcheck
	if err := execSQL(ctx, c.URL("den"), "CREATE TABLE from_helper (x int); INSERT INTO from_helper VALUES (42)"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println(c.cmd.Process.Pid)
	io.Copy(io.Discard, os.Stdin) //nolint:errcheck
	return 0
}

// testDir returns a data directory path in a fresh temporary directory that
// the postgres system user can traverse.
func testDir(t testing.TB) string {
	t.Helper()
	parent, err := os.MkdirTemp("", "den-pgembed-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(parent) })
	if err := os.Chmod(parent, 0o711); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(parent, "data")
}

func startCluster(t testing.TB, dir string) *Cluster {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := Start(ctx, Options{Dir: dir, Settings: fastSettings, Logger: slog.New(slog.NewTextHandler(t.Output(), nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stopCluster(t, c) })
	return c
}

func stopCluster(t testing.TB, c *Cluster) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := c.Stop(ctx); err != nil {
		t.Error(err)
	}
}

func execSQL(ctx context.Context, url, sql string) error {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, sql)
	return err
}

func queryInt(t testing.TB, url, sql string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, sql).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

func TestStartStopRestart(t *testing.T) {
	t.Parallel()
	dir := testDir(t)
	c := startCluster(t, dir)
	ctx := context.Background()

	if err := execSQL(ctx, c.URL("den"), "CREATE TABLE kept (x int); INSERT INTO kept VALUES (7)"); err != nil {
		t.Fatal(err)
	}
	if n := queryInt(t, c.URL("den"), "SELECT count(*) FROM pg_settings WHERE name = 'listen_addresses' AND setting = ''"); n != 1 {
		t.Error("postgres listens on TCP")
	}
	if n := queryInt(t, c.URL("den"), "SELECT count(*) FROM pg_roles WHERE rolname = current_user AND rolname = 'den' AND rolsuper"); n != 1 {
		t.Error("not connected as superuser den")
	}
	if os.Geteuid() == 0 {
		checkOwnedByPostgres(t, dir)
	}
	if _, err := Start(ctx, Options{Dir: dir}); err == nil {
		t.Fatal("second Start on a running cluster's directory succeeded")
	}

	stopCluster(t, c)
	stopCluster(t, c) // idempotent
	select {
	case <-c.Done():
	default:
		t.Fatal("Done not closed after Stop")
	}
	if err := execSQL(ctx, c.URL("den"), "SELECT 1"); err == nil {
		t.Fatal("connected after Stop")
	}

	c = startCluster(t, dir)
	if n := queryInt(t, c.URL("den"), "SELECT x FROM kept"); n != 7 {
		t.Fatalf("after restart, kept.x = %d, want 7", n)
	}
}

func checkOwnedByPostgres(t *testing.T, dir string) {
	t.Helper()
	u, err := user.Lookup("postgres")
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if uid := fi.Sys().(*syscall.Stat_t).Uid; strconv.Itoa(int(uid)) != u.Uid || fi.Mode().Perm() != 0o700 {
		t.Errorf("data directory: uid %d mode %v, want uid %s mode 0700", uid, fi.Mode().Perm(), u.Uid)
	}
}

// TestKilledParent kills a process that runs a cluster, then starts the
// cluster again. The orphaned postgres either goes by itself (it got the
// parent-death signal) or must be stopped by Start.
func TestKilledParent(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name        string
		deathSignal bool
	}{
		{"postgres gets death signal", true},
		{"postgres lingers", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := testDir(t)
			pid := runKilledHelper(t, dir, tc.deathSignal)
			t.Cleanup(func() {
				if inspect(pid, dir) == procPostgres {
					syscall.Kill(pid, syscall.SIGQUIT) //nolint:errcheck
				}
			})
			if !tc.deathSignal && inspect(pid, dir) != procPostgres {
				t.Fatalf("postgres %d did not outlive its parent", pid)
			}

			c := startCluster(t, dir)
			if inspect(pid, dir) == procPostgres {
				t.Errorf("postgres %d from the killed parent still runs", pid)
			}
			if n := queryInt(t, c.URL("den"), "SELECT x FROM from_helper"); n != 42 {
				t.Fatalf("from_helper.x = %d, want 42", n)
			}
		})
	}
}

// runKilledHelper runs this test binary as a helper that starts a cluster on
// dir, SIGKILLs it once postgres is ready, and returns postgres's PID.
func runKilledHelper(t *testing.T, dir string, deathSignal bool) int {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperDirEnv+"="+dir)
	if !deathSignal {
		cmd.Env = append(cmd.Env, helperNoDeathSignEnv+"=1")
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, readErr := bufio.NewReader(stdout).ReadString('\n')
	cmd.Process.Kill() //nolint:errcheck
	cmd.Wait()         //nolint:errcheck
	pid, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil {
		t.Fatalf("helper: %q, %v; stderr: %s", line, readErr, stderr.String())
	}
	return pid
}

func TestUnreachableAncestor(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("only root runs postgres as another user")
	}
	t.Parallel()
	closed, err := os.MkdirTemp("", "den-pgembed-") // mode 0700, owned by root
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(closed) })
	dir := filepath.Join(closed, "x", "postgres")

	_, err = Start(context.Background(), Options{Dir: dir})
	var ue *UnreachableError
	if !errors.As(err, &ue) {
		t.Fatalf("Start: %v, want an UnreachableError", err)
	}
	if ue.Closed != closed || ue.Dir != dir {
		t.Errorf("UnreachableError{Dir: %q, Closed: %q}, want %q, %q", ue.Dir, ue.Closed, dir, closed)
	}
	if _, err := os.Stat(filepath.Join(closed, "x")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Start created a directory under the closed one: %v", err)
	}
}

func TestSocketPathTooLong(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(testDir(t), strings.Repeat("d", 100))
	_, err := Start(context.Background(), Options{Dir: dir})
	if err == nil || !strings.Contains(err.Error(), dir+"/.s.PGSQL.5432") {
		t.Fatalf("Start: %v, want an error naming the socket path", err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Start created the data directory: %v", err)
	}
}

// TestEarlyExit checks that when postgres fails to start, the error quotes
// its log.
func TestEarlyExit(t *testing.T) {
	t.Parallel()
	dir := testDir(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := Start(ctx, Options{Dir: dir, Settings: map[string]string{"fsync": "off", "shared_buffers": "lots"}})
	if err == nil {
		c.Stop(ctx) //nolint:errcheck
		t.Fatal("Start succeeded with a bad setting")
	}
	if !strings.Contains(err.Error(), `invalid value for parameter "shared_buffers"`) {
		t.Fatalf("error does not quote the log: %v", err)
	}
}

func BenchmarkWarmStartStop(b *testing.B) {
	dir := testDir(b)
	stopCluster(b, startCluster(b, dir))
	for b.Loop() {
		stopCluster(b, startCluster(b, dir))
	}
}
