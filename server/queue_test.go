package server_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"den/provisioner"
	"den/provisioner/fake"
	"den/provisionerd"
	"den/sdk"
	"den/server"
	"den/server/servertest"
)

var region = []sdk.ParameterValue{{Name: "region", Value: "eu"}}

// TestStopCancelsStart: while a start runs, another start is refused, and a
// stop cancels the start and runs after it.
func TestStopCancelsStart(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv, _, member := newWorkspaceEnv(t)
	started := make(chan struct{}, 1)
	srv.Fake.Hook = func(ctx context.Context, req provisioner.ApplyRequest) error {
		if req.Transition != provisioner.TransitionStart {
			return nil
		}
		started <- struct{}{}
		<-ctx.Done() // a slow start, until canceled
		return ctx.Err()
	}
	ws, err := member.CreateWorkspace(ctx, sdk.Me, sdk.CreateWorkspaceRequest{Name: "dev", Template: "base", Parameters: region})
	if err != nil {
		t.Fatal(err)
	}
	<-started
	if s := status(t, member, ws.ID); s != sdk.WorkspaceStarting {
		t.Fatalf("status = %s, want starting", s)
	}
	if _, err := member.CreateWorkspaceBuild(ctx, ws.ID, sdk.CreateWorkspaceBuildRequest{Transition: sdk.TransitionStart}); sdk.StatusCode(err) != http.StatusConflict {
		t.Fatalf("second start: %v, want 409", err)
	}
	stop := build(t, member, ws, sdk.CreateWorkspaceBuildRequest{Transition: sdk.TransitionStop})
	if stop.Job.Status != sdk.JobSucceeded {
		t.Fatalf("stop: %+v", stop.Job)
	}
	first, err := member.WorkspaceBuild(ctx, ws.ID, 1)
	if err != nil || first.Job.Status != sdk.JobCanceled {
		t.Fatalf("the start: %+v, %v; want canceled", first.Job, err)
	}
	if s := status(t, member, ws.ID); s != sdk.WorkspaceStopped {
		t.Fatalf("status = %s, want stopped", s)
	}
}

// TestEveryJobRunsOnce runs many builds on several daemons.
func TestEveryJobRunsOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := servertest.New(t, func(o *server.Options) { o.ProvisionerDaemons = 5 })
	owner, _ := srv.FirstUser(t)
	srv.PushTemplate(t, owner, "base", map[string]string{"den.yaml": testTemplate})
	const n = 20
	var wg sync.WaitGroup
	jobs := make([]uuid.UUID, n)
	for i := range n {
		wg.Go(func() {
			ws, err := owner.CreateWorkspace(ctx, sdk.Me, sdk.CreateWorkspaceRequest{Name: fmt.Sprintf("ws%d", i), Template: "base", Parameters: region})
			if err != nil {
				t.Error(err)
				return
			}
			jobs[i] = ws.LatestBuild.Job.ID
		})
	}
	wg.Wait()
	workers := map[string]bool{}
	for _, id := range jobs {
		if j := servertest.WaitJob(t, owner, id); j.Status != sdk.JobSucceeded {
			t.Fatalf("job %s: %s %s", id, j.Status, j.Error)
		} else {
			workers[j.WorkerName] = true
		}
	}
	count := map[uuid.UUID]int{}
	for _, req := range srv.Fake.Applied() {
		count[req.Workspace.BuildID]++
	}
	if len(count) != n {
		t.Fatalf("%d builds applied, want %d", len(count), n)
	}
	for id, c := range count {
		if c != 1 {
			t.Errorf("build %s applied %d times", id, c)
		}
	}
	t.Logf("%d jobs ran on %d daemons", n, len(workers))
}

// vanishing is a coordinator whose daemon can disappear mid-job: after
// vanish, its calls block, as if the process had died.
type vanishing struct {
	provisionerd.Coordinator
	gone chan struct{}
}

func (v *vanishing) block(ctx context.Context) error {
	select {
	case <-v.gone:
		<-ctx.Done()
		return ctx.Err()
	default:
		return nil
	}
}

func (v *vanishing) Heartbeat(ctx context.Context, id uuid.UUID) (bool, error) {
	if err := v.block(ctx); err != nil {
		return false, err
	}
	return v.Coordinator.Heartbeat(ctx, id)
}

func (v *vanishing) CompleteJob(ctx context.Context, id uuid.UUID, r provisionerd.Result) error {
	if err := v.block(ctx); err != nil {
		return err
	}
	return v.Coordinator.CompleteJob(ctx, id, r)
}

// TestVanishedDaemon: the job of a daemon that stops responding is failed
// after the timeout, and the next build of the workspace works.
func TestVanishedDaemon(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := servertest.New(t, func(o *server.Options) {
		o.ProvisionerDaemons = -1
		o.JobTimeout = time.Second
	})
	owner, _ := srv.FirstUser(t)
	applying := make(chan struct{}, 1)
	slow := &fake.Provisioner{Hook: func(ctx context.Context, req provisioner.ApplyRequest) error {
		applying <- struct{}{}
		<-ctx.Done()
		return ctx.Err()
	}}
	coord := &vanishing{Coordinator: srv.Server.Coordinator(), gone: make(chan struct{})}
	dctx, stopDaemon := context.WithCancel(ctx)
	defer stopDaemon()
	daemon := provisionerd.New(provisionerd.Options{
		Name: "doomed", Coordinator: coord, HeartbeatInterval: 50 * time.Millisecond,
		Provisioners: map[string]provisioner.Provisioner{"docker": slow},
	})
	go daemon.Run(dctx) //nolint:errcheck

	// The import runs on the doomed daemon while it is healthy.
	srv.PushTemplate(t, owner, "base", map[string]string{"den.yaml": testTemplate})
	ws, err := owner.CreateWorkspace(ctx, sdk.Me, sdk.CreateWorkspaceRequest{Name: "dev", Template: "base", Parameters: region})
	if err != nil {
		t.Fatal(err)
	}
	<-applying
	close(coord.gone)
	job := servertest.WaitJob(t, owner, ws.LatestBuild.Job.ID)
	if job.Status != sdk.JobFailed || job.WorkerName != "doomed" {
		t.Fatalf("job of the vanished daemon: %+v", job)
	}
	if s := status(t, owner, ws.ID); s != sdk.WorkspaceFailed {
		t.Fatalf("status = %s, want failed", s)
	}
	// A healthy daemon repairs the workspace with the next build.
	stopDaemon()
	healthy := provisionerd.New(provisionerd.Options{
		Name: "healthy", Coordinator: srv.Server.Coordinator(), HeartbeatInterval: 50 * time.Millisecond,
		Provisioners: map[string]provisioner.Provisioner{"docker": &fake.Provisioner{}},
	})
	hctx, stopHealthy := context.WithCancel(ctx)
	defer stopHealthy()
	go healthy.Run(hctx) //nolint:errcheck
	b := build(t, owner, ws, sdk.CreateWorkspaceBuildRequest{Transition: sdk.TransitionStart})
	if b.Job.Status != sdk.JobSucceeded || b.Job.WorkerName != "healthy" {
		t.Fatalf("repair build: %+v", b.Job)
	}
}

// TestRestart: a stop asked for as a restart is followed by a start that the
// server queues itself, with the same version and parameters; a failed stop
// is not.
func TestRestart(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv, _, member := newWorkspaceEnv(t)
	srv.Fake.Hook = func(ctx context.Context, req provisioner.ApplyRequest) error {
		if req.Transition == provisioner.TransitionStop && req.Workspace.Name == "broken" {
			return errors.New("the container would not stop")
		}
		return nil
	}
	params := []sdk.ParameterValue{{Name: "region", Value: "us"}, {Name: "cpus", Value: "3"}}
	ws, err := member.CreateWorkspace(ctx, sdk.Me, sdk.CreateWorkspaceRequest{Name: "dev", Template: "base", Parameters: params})
	if err != nil {
		t.Fatal(err)
	}
	servertest.WaitJob(t, member, ws.LatestBuild.Job.ID)

	if _, err := member.CreateWorkspaceBuild(ctx, ws.ID, sdk.CreateWorkspaceBuildRequest{Transition: sdk.TransitionStart, Restart: true}); err == nil {
		t.Error("a start with restart was taken")
	} else {
		assertInvalid(t, err, "restart")
	}
	stop := build(t, member, ws, sdk.CreateWorkspaceBuildRequest{Transition: sdk.TransitionStop, Restart: true})
	if stop.Job.Status != sdk.JobSucceeded || !stop.Restart || stop.Number != 2 {
		t.Fatalf("the restart's stop: %+v", stop)
	}
	// The start is there as soon as the stop is done (the same transaction).
	start, err := member.WorkspaceBuild(ctx, ws.ID, 3)
	if err != nil {
		t.Fatalf("no start after the restart's stop: %v", err)
	}
	if start.Transition != sdk.TransitionStart || start.InitiatorName != "member" || start.TemplateVersionID != stop.TemplateVersionID {
		t.Errorf("the restart's start: %+v", start)
	}
	got := map[string]string{}
	for _, p := range start.Parameters {
		got[p.Name] = p.Value
	}
	if got["region"] != "us" || got["cpus"] != "3" {
		t.Errorf("the restart's start has parameters %v", got)
	}
	servertest.WaitJob(t, member, start.Job.ID)
	if s := status(t, member, ws.ID); s != sdk.WorkspaceRunning {
		t.Errorf("after the restart: %s, want running", s)
	}

	// A stop that fails ends the restart there.
	broken, err := member.CreateWorkspace(ctx, sdk.Me, sdk.CreateWorkspaceRequest{Name: "broken", Template: "base", Parameters: region})
	if err != nil {
		t.Fatal(err)
	}
	servertest.WaitJob(t, member, broken.LatestBuild.Job.ID)
	if b := build(t, member, broken, sdk.CreateWorkspaceBuildRequest{Transition: sdk.TransitionStop, Restart: true}); b.Job.Status != sdk.JobFailed {
		t.Fatalf("the broken stop: %s", b.Job.Status)
	}
	if _, err := member.WorkspaceBuild(ctx, broken.ID, 3); sdk.StatusCode(err) != http.StatusNotFound {
		t.Errorf("a start followed a failed stop: %v", err)
	}
}
