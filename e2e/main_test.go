package e2e

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/client"
	"github.com/google/uuid"

	"den/dbtest"
	"den/dockertest"
	"den/provisioner"
	"den/provisioner/docker"
	"den/sdk"
	"den/server"
	"den/server/servertest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// busyboxTemplate persists /home/dev and empties /scratch on stop.
const busyboxTemplate = `description: busybox for tests
parameters:
  - name: greeting
    default: hello
container:
  image: den-test-busybox:1
  network: host
  env:
    GREETING: ${param.greeting}
volumes:
  - name: home
    path: /home/dev
    persistent: true
  - name: scratch
    path: /scratch
    persistent: false
agent:
  dir: /home/dev
`

// env is a server whose builds run on the real Docker engine.
type env struct {
	srv    *servertest.Server
	owner  *sdk.Client
	docker *client.Client
}

func newEnv(t testing.TB) *env {
	t.Helper()
	cli := dockertest.Client(t)
	image := dockertest.BusyboxImage(t)
	if image != "den-test-busybox:1" {
		t.Fatalf("busybox image is %q; update busyboxTemplate", image)
	}
	prov := docker.New(docker.Options{Client: cli, AgentBinary: dockertest.DenBinary(t)})
	srv := servertest.New(t, func(o *server.Options) {
		o.Provisioners = map[string]provisioner.Provisioner{"docker": prov}
		// Benchmarks may ask for another number of daemons than the default.
		if n, err := strconv.Atoi(os.Getenv("DEN_BENCH_DAEMONS")); err == nil {
			o.ProvisionerDaemons = n
		}
	})
	owner, _ := srv.FirstUser(t)
	srv.PushTemplate(t, owner, "busybox", map[string]string{"den.yaml": busyboxTemplate})
	return &env{srv: srv, owner: owner, docker: cli}
}

// create makes a workspace and waits until its start build is done.
func (e *env) create(t testing.TB, name string) sdk.Workspace {
	t.Helper()
	ws, err := e.owner.CreateWorkspace(context.Background(), sdk.Me, sdk.CreateWorkspaceRequest{Name: name, Template: "busybox"})
	if err != nil {
		t.Fatal(err)
	}
	dockertest.Cleanup(t, e.docker, "den.workspace.id="+ws.ID.String())
	if job := servertest.WaitJob(t, e.owner, ws.LatestBuild.Job.ID); job.Status != sdk.JobSucceeded {
		t.Fatalf("create %s: %s: %s", name, job.Status, job.Error)
	}
	return ws
}

// transition runs a build and waits for it.
func (e *env) transition(t testing.TB, ws sdk.Workspace, tr sdk.Transition) sdk.ProvisionerJob {
	t.Helper()
	b, err := e.owner.CreateWorkspaceBuild(context.Background(), ws.ID, sdk.CreateWorkspaceBuildRequest{Transition: tr})
	if err != nil {
		t.Fatal(err)
	}
	return servertest.WaitJob(t, e.owner, b.Job.ID)
}

// container returns the ID of the workspace's running container, or "".
func (e *env) container(t testing.TB, ws sdk.Workspace) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	list, err := e.docker.ContainerList(ctx, container.ListOptions{
		All: true, Filters: filters.NewArgs(filters.Arg("label", "den.workspace.id="+ws.ID.String())),
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) > 1 {
		t.Fatalf("workspace %s has %d containers", ws.Name, len(list))
	}
	if len(list) == 0 {
		return ""
	}
	if list[0].State != "running" {
		t.Fatalf("container of %s is %s", ws.Name, list[0].State)
	}
	return list[0].ID
}

func (e *env) waitJob(t testing.TB, id uuid.UUID) sdk.ProvisionerJob {
	t.Helper()
	return servertest.WaitJob(t, e.owner, id)
}

// workspace looks a workspace up by name.
func (e *env) workspace(t testing.TB, name string) sdk.Workspace {
	t.Helper()
	ws, err := e.owner.WorkspaceByName(context.Background(), sdk.Me, name)
	if err != nil {
		t.Fatal(err)
	}
	return ws
}
