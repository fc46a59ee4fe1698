package cli_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"den/cli"
	"den/provisioner"
	"den/server/servertest"
)

// TestFollowSurvivesAServerRestart: den start follows its build's log
// through a restart of the server, and reports how the build ended.
func TestFollowSurvivesAServerRestart(t *testing.T) {
	t.Parallel()
	srv := servertest.New(t)
	started := make(chan struct{}, 1)
	srv.Fake.Hook = func(ctx context.Context, req provisioner.ApplyRequest) error {
		if req.Workspace.Name != "slow" || req.Transition != provisioner.TransitionStart || req.Workspace.BuildNumber != 3 {
			return nil
		}
		started <- struct{}{}
		<-ctx.Done() // runs until its daemon goes, with the server
		return ctx.Err()
	}
	d := newDen(t)
	d.ok("login", srv.URL.String(), "--username", "ada", "--email", "ada@example.com", "--password", "password123")
	dir := filepath.Join(t.TempDir(), "tmpl")
	d.ok("templates", "init", dir)
	d.ok("templates", "push", "debian", "-d", dir)
	d.ok("create", "slow", "-t", "debian", "--yes")
	d.ok("stop", "slow")

	// den start, with its output readable while it runs.
	stderr := &syncBuffer{}
	r := &cli.Root{Stdin: strings.NewReader(""), Stdout: &syncBuffer{}, Stderr: stderr, Getenv: func(k string) string { return d.env[k] }}
	done := make(chan error, 1)
	go func() { done <- r.Run(context.Background(), []string{"start", "slow"}) }()
	select {
	case <-started:
	case <-time.After(30 * time.Second):
		t.Fatal("the start build did not begin")
	}
	// Restart only once den follows the build: its log reached den.
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(stderr.String(), "start workspace slow (build #3)") {
		if time.Now().After(deadline) {
			t.Fatalf("den start shows no log:\n%s", stderr)
		}
		time.Sleep(10 * time.Millisecond)
	}
	srv.Restart(t, 300*time.Millisecond)
	select {
	case err := <-done:
		if !strings.Contains(stderr.String(), "Lost the connection to the server") {
			t.Errorf("den start did not say it reconnected:\n%s", stderr)
		}
		// The build was cut short by the server's going: den learned that
		// from the new server, not from a broken connection.
		if err == nil || !strings.Contains(cli.FormatError(err), "shut down during the job") {
			t.Errorf("den start: %v, want the build's own failure", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("den start goes on after the server came back")
	}
}
