package e2e

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/google/uuid"

	"den/dockertest"
	"den/provisioner/denyaml"
	"den/sdk"
)

// starterImage is the image of the starter template (den templates init),
// built by scripts/build-image.sh.
const starterImage = "den-debian:bookworm"

// BenchmarkScaleLifecycle creates $DEN_BENCH_WORKSPACES (default 10)
// workspaces at once from the starter template (the den.yaml `den templates
// init` writes: den-debian:bookworm, a persistent home and an ephemeral
// cache volume, a startup script that starts a small web app, an app with a
// health check), each on its own app_port, and follows each to ready: its
// status running and its agent's lifecycle ready, as the API reports them.
// Then it stops all of them at once, starts all at once (again to ready) and
// deletes all at once. Each step's time runs from the API call to the state,
// per workspace; the server runs its default three provisioner daemons
// ($DEN_BENCH_DAEMONS sets another number), so builds queue behind each
// other as they would on a real server.
//
// Beside them, in the same run, the same number of plain `docker run -d
// --network host` of the same image (create, start, inspect) at once, then
// `docker rm -f` of all at once, through the same engine. One container of
// the image is run and removed first, unmeasured, so that neither side pays
// the engine's first use of the image.
//
//	go test ./e2e -run '^$' -bench ScaleLifecycle -benchtime 1x
func BenchmarkScaleLifecycle(b *testing.B) {
	n := int(envInt64(b, "DEN_BENCH_WORKSPACES", 10))
	ctx := context.Background()
	e := newEnv(b)
	if _, err := e.docker.ImageInspect(ctx, starterImage); err != nil {
		b.Fatalf("the starter template's image %s is not on the engine (%v): run scripts/build-image.sh", starterImage, err)
	}
	files := map[string]string{}
	err := fs.WalkDir(denyaml.Starter, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := fs.ReadFile(denyaml.Starter, name)
		files[name] = string(body)
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	e.srv.PushTemplate(b, e.owner, "starter", files)

	runID := uuid.NewString()
	dockertest.Cleanup(b, e.docker, "den.bench.scale="+runID)
	runBaseline := func() (string, error) {
		c, err := e.docker.ContainerCreate(ctx, &container.Config{Image: starterImage, Cmd: []string{"sleep", "3600"}, Labels: map[string]string{"den.bench.scale": runID}},
			&container.HostConfig{NetworkMode: "host"}, nil, nil, "")
		if err != nil {
			return "", err
		}
		if err := e.docker.ContainerStart(ctx, c.ID, container.StartOptions{}); err != nil {
			return c.ID, err
		}
		info, err := e.docker.ContainerInspect(ctx, c.ID)
		if err == nil && !info.State.Running {
			err = fmt.Errorf("baseline container %s is %s", c.ID, info.State.Status)
		}
		return c.ID, err
	}
	removeBaseline := func(id string) error {
		return e.docker.ContainerRemove(ctx, id, container.RemoveOptions{Force: true})
	}
	// Warm the engine up on the image.
	if id, err := runBaseline(); err != nil {
		b.Fatal(err)
	} else if err := removeBaseline(id); err != nil {
		b.Fatal(err)
	}

	steps := []string{"create-ready", "stop", "start", "delete", "docker-run", "docker-rm"}
	times := map[string][]time.Duration{}
	for iter := range b.N {
		// Free ports, each its own: with host networking every workspace's
		// app listens on the host.
		ports := map[int]bool{}
		for len(ports) < n {
			ports[freePortTB(b)] = true
		}
		portList := make([]int, 0, n)
		for p := range ports {
			portList = append(portList, p)
		}

		ws := make([]sdk.Workspace, n)
		var cleanupMu sync.Mutex
		// step runs f for every workspace at once; f returns when its job
		// ended (zero when there is none), which the log shows apart.
		step := func(name string, f func(i int) (time.Time, error)) {
			d, job := make([]time.Duration, n), make([]time.Duration, n)
			wall := time.Now()
			bounded(b, n, n, func(i int) error {
				t0 := time.Now()
				jobDone, err := f(i)
				if err != nil {
					return fmt.Errorf("%s of workspace %d: %w", name, i, err)
				}
				d[i] = time.Since(t0)
				if !jobDone.IsZero() {
					job[i] = jobDone.Sub(t0)
				}
				return nil
			})
			times[name] = append(times[name], d...)
			b.Logf("%s of %d at once: %s in all; p50 %s, max %s (the job's end: p50 %s, max %s)", name, n, time.Since(wall).Round(time.Millisecond),
				percentile(d, 50).Round(time.Millisecond), percentile(d, 100).Round(time.Millisecond),
				percentile(job, 50).Round(time.Millisecond), percentile(job, 100).Round(time.Millisecond))
		}
		step("create-ready", func(i int) (time.Time, error) {
			w, err := e.owner.CreateWorkspace(ctx, sdk.Me, sdk.CreateWorkspaceRequest{
				Name: fmt.Sprintf("scale%d-%d", iter, i), Template: "starter",
				Parameters: []sdk.ParameterValue{{Name: "app_port", Value: strconv.Itoa(portList[i])}},
			})
			if err != nil {
				return time.Time{}, err
			}
			ws[i] = w
			cleanupMu.Lock()
			dockertest.Cleanup(b, e.docker, "den.workspace.id="+w.ID.String())
			cleanupMu.Unlock()
			return followBuild(ctx, e.owner, w, w.LatestBuild)
		})
		for _, tr := range []sdk.Transition{sdk.TransitionStop, sdk.TransitionStart, sdk.TransitionDelete} {
			step(string(tr), func(i int) (time.Time, error) {
				build, err := e.owner.CreateWorkspaceBuild(ctx, ws[i].ID, sdk.CreateWorkspaceBuildRequest{Transition: tr})
				if err != nil {
					return time.Time{}, err
				}
				return followBuild(ctx, e.owner, ws[i], build)
			})
		}

		ids := make([]string, n)
		step("docker-run", func(i int) (time.Time, error) {
			var err error
			ids[i], err = runBaseline()
			return time.Time{}, err
		})
		step("docker-rm", func(i int) (time.Time, error) { return time.Time{}, removeBaseline(ids[i]) })
	}

	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	for _, s := range steps {
		d := times[s]
		b.ReportMetric(ms(percentile(d, 50)), s+"-p50-ms")
		b.ReportMetric(ms(percentile(d, 95)), s+"-p95-ms")
		b.ReportMetric(ms(percentile(d, 100)), s+"-max-ms")
	}
	b.ReportMetric(float64(n), "workspaces")
	b.ReportMetric(float64(percentile(times["create-ready"], 50))/float64(percentile(times["docker-run"], 50)), "create-ready/docker-run-p50")
}

// followBuild follows a build's job log to its end (for a start, the log
// goes on until the agent's start is over) and then waits until the API
// shows the workspace where the build leaves it: running with its agent
// ready, stopped, or deleted. It returns when the job's end was seen. It is
// safe to call from any goroutine.
func followBuild(ctx context.Context, c *sdk.Client, ws sdk.Workspace, build sdk.WorkspaceBuild) (jobDone time.Time, err error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	var job sdk.ProvisionerJob
	err = c.JobLogs(ctx, build.Job.ID, 0, true, func(ev sdk.JobEvent) error {
		if ev.Job != nil {
			job = *ev.Job
			if job.Status.Done() && jobDone.IsZero() {
				jobDone = time.Now()
			}
		}
		return nil
	})
	if err != nil {
		return jobDone, fmt.Errorf("follow job %s: %w", build.Job.ID, err)
	}
	if job.Status != sdk.JobSucceeded {
		return jobDone, fmt.Errorf("job %s: %s: %s", build.Job.ID, job.Status, job.Error)
	}
	for {
		w, err := c.Workspace(ctx, ws.ID)
		switch {
		case build.Transition == sdk.TransitionDelete && err != nil && isNotFound(err):
			return jobDone, nil
		case err != nil:
			return jobDone, err
		case w.LatestBuild.ID != build.ID:
			return jobDone, fmt.Errorf("another build (#%d) followed #%d", w.LatestBuild.Number, build.Number)
		}
		switch build.Transition {
		case sdk.TransitionStart:
			if w.Status == sdk.WorkspaceRunning && w.Agent != nil && w.Agent.Lifecycle == sdk.AgentReady {
				return jobDone, nil
			}
			if w.Agent != nil && w.Agent.Lifecycle.Started() && w.Agent.Lifecycle != sdk.AgentReady {
				return jobDone, fmt.Errorf("the agent's start ended %s", w.Agent.Lifecycle)
			}
		case sdk.TransitionStop:
			if w.Status == sdk.WorkspaceStopped {
				return jobDone, nil
			}
		case sdk.TransitionDelete:
			if w.Status == sdk.WorkspaceDeleted {
				return jobDone, nil
			}
		}
		select {
		case <-ctx.Done():
			return jobDone, fmt.Errorf("workspace %s is %s (agent %+v) after its %s job succeeded: %w", w.Name, w.Status, w.Agent, build.Transition, ctx.Err())
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// isNotFound reports whether err is the API's 404.
func isNotFound(err error) bool {
	var apiErr *sdk.Error
	return errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusNotFound
}
