package server_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"den/provisioner"
	"den/sdk"
	"den/server/servertest"
)

func TestWatchWorkspace(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv, owner, member := newWorkspaceEnv(t)
	other, _ := srv.CreateUser(t, owner, "other")
	ws, err := member.CreateWorkspace(ctx, sdk.Me, sdk.CreateWorkspaceRequest{Name: "dev", Template: "base", Parameters: []sdk.ParameterValue{{Name: "region", Value: "eu"}}})
	if err != nil {
		t.Fatal(err)
	}
	servertest.WaitJob(t, member, ws.LatestBuild.Job.ID)

	if err := other.WatchWorkspace(ctx, ws.ID, func(sdk.Workspace) error { return nil }); sdk.StatusCode(err) != http.StatusNotFound {
		t.Errorf("another member watches: %v, want 404", err)
	}

	seen := make(chan sdk.Workspace, 100)
	ended := make(chan error, 1)
	go func() {
		ended <- member.WatchWorkspace(ctx, ws.ID, func(w sdk.Workspace) error {
			seen <- w
			return nil
		})
	}()
	// next waits for the stream to show the workspace with status want.
	next := func(want sdk.WorkspaceStatus) sdk.Workspace {
		t.Helper()
		timeout := time.After(15 * time.Second)
		for {
			select {
			case w := <-seen:
				if w.Status == want {
					return w
				}
			case err := <-ended:
				t.Fatalf("the stream ended (%v) before %s", err, want)
			case <-timeout:
				t.Fatalf("no %s from the stream", want)
			}
		}
	}
	first := next(sdk.WorkspaceRunning)
	if first.ID != ws.ID || first.SSHHostKey == "" {
		t.Errorf("first event: %+v", first)
	}
	build(t, member, ws, sdk.CreateWorkspaceBuildRequest{Transition: sdk.TransitionStop})
	if w := next(sdk.WorkspaceStopped); w.LatestBuild.Number != 2 {
		t.Errorf("stopped at build %d, want 2", w.LatestBuild.Number)
	}
	build(t, member, ws, sdk.CreateWorkspaceBuildRequest{Transition: sdk.TransitionStart})
	next(sdk.WorkspaceRunning)

	// A delete ends the stream, without an error.
	build(t, member, ws, sdk.CreateWorkspaceBuildRequest{Transition: sdk.TransitionDelete})
	select {
	case err := <-ended:
		if err != nil {
			t.Errorf("the stream ended with %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the stream goes on after the delete")
	}
}

// TestEndStreams: a server that ends its streams (as den server does when it
// shuts down) breaks watches and followed logs, which clients then tell
// from a workspace gone or a job done.
func TestEndStreams(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv, _, member := newWorkspaceEnv(t)
	block := make(chan struct{})
	defer close(block)
	srv.Fake.Hook = func(ctx context.Context, _ provisioner.ApplyRequest) error {
		select { // a build that runs until the test ends
		case <-block:
		case <-ctx.Done():
		}
		return nil
	}
	ws, err := member.CreateWorkspace(ctx, sdk.Me, sdk.CreateWorkspaceRequest{Name: "dev", Template: "base", Parameters: []sdk.ParameterValue{{Name: "region", Value: "eu"}}})
	if err != nil {
		t.Fatal(err)
	}
	watching, following := make(chan struct{}), make(chan struct{})
	watchEnded, logsEnded := make(chan error, 1), make(chan error, 1)
	go func() {
		var once bool
		watchEnded <- member.WatchWorkspace(ctx, ws.ID, func(sdk.Workspace) error {
			if !once {
				once = true
				close(watching)
			}
			return nil
		})
	}()
	go func() {
		var once bool
		logsEnded <- member.JobLogs(ctx, ws.LatestBuild.Job.ID, 0, true, func(sdk.JobEvent) error {
			if !once {
				once = true
				close(following)
			}
			return nil
		})
	}()
	for _, c := range []chan struct{}{watching, following} {
		select {
		case <-c:
		case <-time.After(15 * time.Second):
			t.Fatal("the streams did not start")
		}
	}
	srv.Server.EndStreams()
	for name, c := range map[string]chan error{"watch": watchEnded, "job log": logsEnded} {
		select {
		case err := <-c:
			if err == nil {
				t.Errorf("the %s ended as if the workspace were gone or the job done", name)
			}
		case <-time.After(15 * time.Second):
			t.Errorf("the %s goes on after EndStreams", name)
		}
	}
}
