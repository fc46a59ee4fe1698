package e2e

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"

	"den/dockertest"
	"den/sdk"
	"den/server/servertest"
)

// BenchmarkWorkspaceLifecycle measures, through the whole server (API, job
// queue, provisioner daemon, Docker), how long create→running, stop, start
// and delete take over 20 workspaces, beside a plain `docker run -d` and
// `docker rm -f` of the same image through the same engine in the same run.
//
//	go test ./e2e -run '^$' -bench WorkspaceLifecycle -benchtime 1x
//
// DEN_BENCH_IMAGE=den-debian:bookworm runs it on another image.
func BenchmarkWorkspaceLifecycle(b *testing.B) {
	const n = 20
	e := newEnv(b)
	ctx := context.Background()
	template, image := "busybox", "den-test-busybox:1"
	if img := os.Getenv("DEN_BENCH_IMAGE"); img != "" {
		template, image = "bench", img
		e.srv.PushTemplate(b, e.owner, template, map[string]string{"den.yaml": strings.Replace(busyboxTemplate, "den-test-busybox:1", img, 1)})
	}
	dockertest.Cleanup(b, e.docker, "den.bench=baseline") // a baseline left by a failure
	var create, stop, start, del, run, rm []time.Duration
	for range b.N {
		for i := range n {
			t0 := time.Now()
			ws, err := e.owner.CreateWorkspace(ctx, sdk.Me, sdk.CreateWorkspaceRequest{Name: fmt.Sprintf("bench%d", i), Template: template})
			if err != nil {
				b.Fatal(err)
			}
			dockertest.Cleanup(b, e.docker, "den.workspace.id="+ws.ID.String())
			mustSucceed(b, servertest.WaitJob(b, e.owner, ws.LatestBuild.Job.ID))
			create = append(create, time.Since(t0))
			for _, step := range []struct {
				tr  sdk.Transition
				out *[]time.Duration
			}{{sdk.TransitionStop, &stop}, {sdk.TransitionStart, &start}, {sdk.TransitionDelete, &del}} {
				t0 = time.Now()
				mustSucceed(b, e.transition(b, ws, step.tr))
				*step.out = append(*step.out, time.Since(t0))
			}

			// The baseline: the same image, started and removed directly.
			t0 = time.Now()
			c, err := e.docker.ContainerCreate(ctx, &container.Config{Image: image, Cmd: []string{"sleep", "3600"}, Labels: map[string]string{"den.bench": "baseline"}},
				&container.HostConfig{NetworkMode: "host"}, nil, nil, "")
			if err != nil {
				b.Fatal(err)
			}
			if err := e.docker.ContainerStart(ctx, c.ID, container.StartOptions{}); err != nil {
				b.Fatal(err)
			}
			if info, err := e.docker.ContainerInspect(ctx, c.ID); err != nil || !info.State.Running {
				b.Fatalf("baseline container not running: %v", err)
			}
			run = append(run, time.Since(t0))
			t0 = time.Now()
			if err := e.docker.ContainerRemove(ctx, c.ID, container.RemoveOptions{Force: true}); err != nil {
				b.Fatal(err)
			}
			rm = append(rm, time.Since(t0))
		}
	}
	for _, m := range []struct {
		name string
		d    []time.Duration
	}{{"create", create}, {"stop", stop}, {"start", start}, {"delete", del}, {"docker-run", run}, {"docker-rm", rm}} {
		p50, p95 := percentile(m.d, 50), percentile(m.d, 95)
		b.ReportMetric(float64(p50.Microseconds())/1000, m.name+"-p50-ms")
		b.ReportMetric(float64(p95.Microseconds())/1000, m.name+"-p95-ms")
	}
	b.ReportMetric(float64(percentile(create, 50))/float64(percentile(run, 50)), "create/docker-run-p50")
}

func mustSucceed(b *testing.B, j sdk.ProvisionerJob) {
	b.Helper()
	if j.Status != sdk.JobSucceeded {
		b.Fatalf("job %s: %s", j.Status, j.Error)
	}
}

func percentile(d []time.Duration, p int) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	i := (len(s)*p + 99) / 100
	return s[max(i-1, 0)]
}
