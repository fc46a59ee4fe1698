package cli_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"den/cli"
)

// syncBuffer is a bytes.Buffer safe for one writer and one reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var runningRE = regexp.MustCompile(`Den is running at (http://\S+)`)

// startServer runs `den server` in-process on dataDir and returns its URL and
// a function that stops it (as Ctrl-C would) and waits for it to exit.
func startServer(t *testing.T, dataDir string) (string, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stderr := &syncBuffer{}
	r := &cli.Root{Stdin: strings.NewReader(""), Stdout: stderr, Stderr: stderr, Getenv: func(string) string { return "" }}
	done := make(chan error, 1)
	go func() {
		done <- r.Run(ctx, []string{"server", "--http-address", "127.0.0.1:0", "--data-dir", dataDir, "--log-format", "json"})
	}()
	deadline := time.Now().Add(60 * time.Second)
	for {
		if m := runningRE.FindStringSubmatch(stderr.String()); m != nil {
			stop := func() {
				cancel()
				select {
				case err := <-done:
					if err != nil {
						t.Errorf("den server: %v", err)
					}
				case <-time.After(60 * time.Second):
					t.Fatal("den server did not stop within 60s")
				}
			}
			return m[1], stop
		}
		select {
		case err := <-done:
			cancel()
			t.Fatalf("den server exited early: %v\n%s", err, stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("den server not ready within 60s:\n%s", stderr.String())
		}
	}
}

// TestServerOnBuiltInPostgres starts den server on its own PostgreSQL, uses
// it, stops it, and starts it again on the same data directory.
func TestServerOnBuiltInPostgres(t *testing.T) {
	t.Parallel()
	dir, err := os.MkdirTemp("", "den-server-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	// The built-in PostgreSQL runs as the postgres user when tests run as root.
	if err := os.Chmod(dir, 0o711); err != nil {
		t.Fatal(err)
	}
	dataDir := filepath.Join(dir, "data")

	url, stop := startServer(t, dataDir)
	d := newDen(t)
	d.ok("login", url, "--username", "ada", "--email", "ada@example.com", "--password", "password123")
	stop()
	if _, err := os.Stat(filepath.Join(dataDir, "postgres", "postmaster.pid")); !os.IsNotExist(err) {
		t.Fatalf("postmaster.pid left after shutdown: %v", err)
	}

	url, stop = startServer(t, dataDir)
	defer stop()
	// The same database: the owner exists, and a new login works.
	d.ok("login", url, "--username", "ada", "--password", "password123")
	if out := d.ok("whoami"); !strings.HasPrefix(out, "ada ") {
		t.Fatalf("whoami after restart = %q", out)
	}
}

func TestServerFlagsChecked(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--disable-path-apps"}, "--disable-path-apps leaves apps nowhere to be served without --wildcard-access-url"},
		{[]string{"--wildcard-access-url", "apps.example.com"}, "--wildcard-access-url"},
	} {
		var out bytes.Buffer
		r := &cli.Root{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &out, Getenv: func(string) string { return "" }}
		args := append([]string{"server", "--http-address", "127.0.0.1:0", "--data-dir", t.TempDir()}, c.args...)
		err := r.Run(context.Background(), args)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("den %s: %v, want an error saying %q", strings.Join(args, " "), err, c.want)
		}
	}
}
