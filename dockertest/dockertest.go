// Package dockertest gives tests a real Docker engine: a client for the
// engine that scripts/docker-engine.sh starts (or $DOCKER_HOST), a tiny
// busybox image built on the machine, the static den binary to run as the
// agent in containers, and clean-up of what a test created. Tests never skip
// for want of an engine: they fail and say how to start one.
package dockertest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/volume"
	"github.com/docker/docker/client"
	"github.com/docker/docker/pkg/stdcopy"
)

// PrivateHost is where scripts/docker-engine.sh starts Den's own engine.
const PrivateHost = "unix:///run/den-docker.sock"

// Host is the engine address tests use: $DOCKER_HOST when set, else the
// private engine of scripts/docker-engine.sh.
func Host() string {
	if h := os.Getenv("DOCKER_HOST"); h != "" {
		return h
	}
	return PrivateHost
}

// Client returns a client for the test engine, with the API version
// negotiated, closed when t ends. It fails t when the engine does not answer.
func Client(t testing.TB) *client.Client {
	t.Helper()
	cli, err := newClient()
	if err != nil {
		t.Fatalf("docker client: %v", err)
	}
	t.Cleanup(func() { cli.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := cli.Ping(ctx); err != nil {
		t.Fatalf("the Docker engine at %s does not answer (%v); these tests need one: run `make test`, or `export DOCKER_HOST=$(scripts/docker-engine.sh)` and then go test", cli.DaemonHost(), err)
	}
	return cli
}

func newClient() (*client.Client, error) {
	return client.NewClientWithOpts(client.FromEnv, client.WithHost(Host()), client.WithAPIVersionNegotiation())
}

// LabelFilter is a label selector in Docker's form: "key=value" or "key".
type LabelFilter = string

// Cleanup removes, when t ends, every container (forced) and then every
// volume that carries all of the given labels. Call it before creating
// anything, so a failed test leaves nothing behind either.
func Cleanup(t testing.TB, cli *client.Client, labels ...LabelFilter) {
	t.Helper()
	if len(labels) == 0 {
		t.Fatal("dockertest.Cleanup: no label given (that would remove everything)")
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := RemoveLabeled(ctx, cli, labels...); err != nil {
			t.Errorf("clean up %v: %v", labels, err)
		}
	})
}

// RemoveLabeled force-removes the containers and then the volumes that carry
// all of the given labels.
func RemoveLabeled(ctx context.Context, cli *client.Client, labels ...LabelFilter) error {
	if len(labels) == 0 {
		return fmt.Errorf("no label given")
	}
	f := filters.NewArgs()
	for _, l := range labels {
		f.Add("label", l)
	}
	cs, err := cli.ContainerList(ctx, container.ListOptions{All: true, Filters: f})
	if err != nil {
		return fmt.Errorf("list containers: %w", err)
	}
	for _, c := range cs {
		err := cli.ContainerRemove(ctx, c.ID, container.RemoveOptions{Force: true, RemoveVolumes: true})
		// A conflict here means another removal of it is under way.
		if err != nil && !cerrdefs.IsNotFound(err) && !cerrdefs.IsConflict(err) {
			return fmt.Errorf("remove container %s: %w", c.ID, err)
		}
	}
	vs, err := cli.VolumeList(ctx, volume.ListOptions{Filters: f})
	if err != nil {
		return fmt.Errorf("list volumes: %w", err)
	}
	for _, v := range vs.Volumes {
		if err := cli.VolumeRemove(ctx, v.Name, true); err != nil && !cerrdefs.IsNotFound(err) {
			return fmt.Errorf("remove volume %s: %w", v.Name, err)
		}
	}
	return nil
}

// Labeled returns the names of the containers and of the volumes that carry
// all of the given labels.
func Labeled(t testing.TB, cli *client.Client, labels ...LabelFilter) (containers, volumes []string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	f := filters.NewArgs()
	for _, l := range labels {
		f.Add("label", l)
	}
	cs, err := cli.ContainerList(ctx, container.ListOptions{All: true, Filters: f})
	if err != nil {
		t.Fatalf("list containers: %v", err)
	}
	for _, c := range cs {
		containers = append(containers, strings.TrimPrefix(c.Names[0], "/"))
	}
	vs, err := cli.VolumeList(ctx, volume.ListOptions{Filters: f})
	if err != nil {
		t.Fatalf("list volumes: %v", err)
	}
	for _, v := range vs.Volumes {
		volumes = append(volumes, v.Name)
	}
	return containers, volumes
}

// Exec runs cmd in a running container as its user and returns its output
// (stdout then stderr) and exit code.
func Exec(t testing.TB, cli *client.Client, containerID string, cmd ...string) (string, int) {
	t.Helper()
	return ExecAs(t, cli, containerID, "", cmd...)
}

// ExecAs is Exec as the given user ("" for the container's user).
func ExecAs(t testing.TB, cli *client.Client, containerID, user string, cmd ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ex, err := cli.ContainerExecCreate(ctx, containerID, container.ExecOptions{
		User: user, Cmd: cmd, AttachStdout: true, AttachStderr: true,
	})
	if err != nil {
		t.Fatalf("exec %q in %s: %v", cmd, containerID, err)
	}
	att, err := cli.ContainerExecAttach(ctx, ex.ID, container.ExecAttachOptions{})
	if err != nil {
		t.Fatalf("exec %q in %s: attach: %v", cmd, containerID, err)
	}
	defer att.Close()
	var stdout, stderr bytes.Buffer
	if _, err := stdcopy.StdCopy(&stdout, &stderr, att.Reader); err != nil {
		t.Fatalf("exec %q in %s: read output: %v", cmd, containerID, err)
	}
	in, err := cli.ContainerExecInspect(ctx, ex.ID)
	if err != nil {
		t.Fatalf("exec %q in %s: inspect: %v", cmd, containerID, err)
	}
	return stdout.String() + stderr.String(), in.ExitCode
}
