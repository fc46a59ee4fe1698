package dockertest_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/mount"
	"github.com/google/uuid"

	"den/dockertest"
)

// TestBusyboxRunsDenAgent runs the busybox image as user dev with the den
// binary mounted as the agent, the way the docker provisioner does, and
// checks the user, the applets and the clean-up.
func TestBusyboxRunsDenAgent(t *testing.T) {
	t.Parallel()
	cli := dockertest.Client(t)
	img := dockertest.BusyboxImage(t)
	den := dockertest.DenBinary(t)
	label := "den.test.run=" + uuid.NewString()
	dockertest.Cleanup(t, cli, label)

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	created, err := cli.ContainerCreate(ctx, &container.Config{
		Image:      img,
		User:       "dev",
		Entrypoint: []string{"/.den/den"},
		Cmd:        []string{"agent"},
		Env:        []string{"DEN_AGENT_URL=http://127.0.0.1:1", "DEN_AGENT_TOKEN=x"},
		Labels:     map[string]string{strings.Split(label, "=")[0]: strings.Split(label, "=")[1]},
	}, &container.HostConfig{
		NetworkMode: "host",
		Mounts:      []mount.Mount{{Type: mount.TypeBind, Source: den, Target: "/.den/den", ReadOnly: true}},
	}, nil, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := cli.ContainerStart(ctx, created.ID, container.StartOptions{}); err != nil {
		t.Fatal(err)
	}
	out, code := dockertest.Exec(t, cli, created.ID, "sh", "-c", "id -un; echo $HOME; ls -d /tmp")
	if code != 0 || out != "dev\n/home/dev\n/tmp\n" {
		t.Fatalf("exec: code %d, output %q", code, out)
	}
	in, err := cli.ContainerInspect(ctx, created.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !in.State.Running {
		t.Fatalf("agent not running: %+v", in.State)
	}

	if err := dockertest.RemoveLabeled(ctx, cli, label); err != nil {
		t.Fatal(err)
	}
	if cs, vs := dockertest.Labeled(t, cli, label); len(cs)+len(vs) != 0 {
		t.Fatalf("left behind: containers %v, volumes %v", cs, vs)
	}
}
