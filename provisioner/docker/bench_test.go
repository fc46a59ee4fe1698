package docker_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/mount"
	"github.com/google/uuid"

	"den/dockertest"
	"den/provisioner"
	"den/provisioner/docker"
)

// minWorkspaces is the fewest workspaces a BenchmarkStartStop run measures,
// whatever b.N is, so that the percentiles mean something.
const minWorkspaces = 20

// BenchmarkStartStop takes workspaces of the test template (busybox, a
// persistent and an ephemeral volume, host network) through create, stop,
// start and delete, and beside each one runs and removes a plain container
// of the same image and agent through the same SDK (docker run -d --network
// host, docker rm -f). It reports p50 and p95 of each step in milliseconds.
//
//	go test -run '^$' -bench StartStop -benchtime 20x ./provisioner/docker/
//
// $DEN_BENCH_IMAGE names another image to use (such as den-debian:bookworm
// from scripts/build-image.sh); it needs a user dev.
func BenchmarkStartStop(b *testing.B) {
	cli := dockertest.Client(b)
	img := dockertest.BusyboxImage(b)
	tmpl := files(testTemplate)
	if other := os.Getenv("DEN_BENCH_IMAGE"); other != "" {
		img = other
		tmpl = files(strings.Replace(testTemplate, dockertest.BusyboxRef, img, 1))
	}
	den := dockertest.DenBinary(b)
	p := docker.New(docker.Options{Client: cli, AgentBinary: den})
	ctx := context.Background()
	run := uuid.NewString()
	dockertest.Cleanup(b, cli, "den.bench.run="+run)
	log := provisioner.LoggerFunc(func(provisioner.Level, string, string) {})

	var create, stop, start, del, plainRun, plainRm []time.Duration
	timed := func(into *[]time.Duration, fn func() error) {
		b.Helper()
		t0 := time.Now()
		if err := fn(); err != nil {
			b.Fatal(err)
		}
		*into = append(*into, time.Since(t0))
	}
	lifecycle := func(i int) {
		b.Helper()
		w := provisioner.Workspace{
			ID: uuid.New(), Name: fmt.Sprintf("bench%d", i), OwnerID: uuid.New(), OwnerName: "bench",
			TemplateName: "bench", BuildID: uuid.New(), BuildNumber: 1,
		}
		dockertest.Cleanup(b, cli, "den.workspace.id="+w.ID.String())
		req := func(tr provisioner.Transition) provisioner.ApplyRequest {
			return provisioner.ApplyRequest{
				Transition: tr, Files: tmpl, Workspace: w,
				Parameters: map[string]string{"greeting": "hi"},
				Agent:      provisioner.Agent{URL: "http://127.0.0.1:1", Token: "bench"},
			}
		}
		apply := func(tr provisioner.Transition) func() error {
			return func() error { _, err := p.Apply(ctx, req(tr), log); return err }
		}
		timed(&create, apply(provisioner.TransitionStart))
		timed(&stop, apply(provisioner.TransitionStop))
		timed(&start, apply(provisioner.TransitionStart))
		timed(&del, apply(provisioner.TransitionDelete))

		// The same image and process, the plain way.
		var id string
		timed(&plainRun, func() error {
			c, err := cli.ContainerCreate(ctx, &container.Config{
				Image: img, Entrypoint: []string{"/.den/den"}, Cmd: []string{"agent"},
				Env:    []string{"DEN_AGENT_URL=http://127.0.0.1:1", "DEN_AGENT_TOKEN=bench"},
				Labels: map[string]string{"den.bench.run": run},
			}, &container.HostConfig{
				NetworkMode: "host",
				Mounts:      []mount.Mount{{Type: mount.TypeBind, Source: den, Target: "/.den/den", ReadOnly: true}},
			}, nil, nil, "")
			if err != nil {
				return err
			}
			id = c.ID
			return cli.ContainerStart(ctx, id, container.StartOptions{})
		})
		timed(&plainRm, func() error {
			return cli.ContainerRemove(ctx, id, container.RemoveOptions{Force: true})
		})
	}

	lifecycle(-1) // warm up: page cache, the engine's first volume, ...
	create, stop, start, del, plainRun, plainRm = nil, nil, nil, nil, nil, nil
	n := max(b.N, minWorkspaces)
	b.ResetTimer()
	for i := range n {
		lifecycle(i)
	}
	b.StopTimer()

	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	for _, m := range []struct {
		name string
		ds   []time.Duration
	}{
		{"create", create}, {"stop", stop}, {"start", start}, {"delete", del},
		{"docker-run", plainRun}, {"docker-rm", plainRm},
	} {
		b.ReportMetric(ms(percentile(m.ds, 50)), m.name+"-p50-ms")
		b.ReportMetric(ms(percentile(m.ds, 95)), m.name+"-p95-ms")
	}
	b.ReportMetric(float64(percentile(create, 50))/float64(percentile(plainRun, 50)), "create/docker-run-p50")
	b.ReportMetric(float64(n), "workspaces")
}

// percentile is the nearest-rank p-th percentile of ds.
func percentile(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := (len(s)*p + 99) / 100 // ceil(n*p/100)
	return s[max(i-1, 0)]
}
