package e2e

import (
	"strings"
	"testing"

	"den/dockertest"
	"den/sdk"
)

// TestPersistence: a file in the persistent volume survives stop and start;
// one in the ephemeral volume and one in the container's own filesystem do
// not; delete leaves nothing labeled with the workspace.
func TestPersistence(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ws := e.create(t, "dev")
	id := e.container(t, ws)
	if id == "" {
		t.Fatal("no container after create")
	}
	if out, code := dockertest.Exec(t, e.docker, id, "sh", "-c", "echo $GREETING; echo keep > /home/dev/keep; echo lose > /scratch/lose; echo lose > /tmp/lose"); code != 0 || !strings.Contains(out, "hello") {
		t.Fatalf("write files: %d %q", code, out)
	}

	if job := e.transition(t, ws, sdk.TransitionStop); job.Status != sdk.JobSucceeded {
		t.Fatalf("stop: %s", job.Error)
	}
	if c := e.container(t, ws); c != "" {
		t.Fatal("a container runs after stop")
	}
	if _, vols := dockertest.Labeled(t, e.docker, "den.workspace.id="+ws.ID.String()); len(vols) != 1 {
		t.Fatalf("volumes after stop: %v, want only the persistent one", vols)
	}

	if job := e.transition(t, ws, sdk.TransitionStart); job.Status != sdk.JobSucceeded {
		t.Fatalf("start: %s", job.Error)
	}
	id = e.container(t, ws)
	out, _ := dockertest.Exec(t, e.docker, id, "sh", "-c", "cat /home/dev/keep; ls /scratch /tmp")
	if !strings.Contains(out, "keep") || strings.Contains(out, "lose") {
		t.Fatalf("after stop and start: %q; want the persistent file only", out)
	}

	if job := e.transition(t, ws, sdk.TransitionDelete); job.Status != sdk.JobSucceeded {
		t.Fatalf("delete: %s", job.Error)
	}
	if cs, vols := dockertest.Labeled(t, e.docker, "den.workspace.id="+ws.ID.String()); len(cs)+len(vols) != 0 {
		t.Fatalf("after delete: containers %v, volumes %v", cs, vols)
	}
}

// TestMissingImage: a template naming an image the engine does not have
// imports with a warning, and its build fails with a message that says so
// and leaves nothing behind.
func TestMissingImage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.srv.PushTemplate(t, e.owner, "ghost", map[string]string{"den.yaml": strings.Replace(busyboxTemplate, "den-test-busybox:1", "den-no-such-image:1", 1)})
	ws, err := e.owner.CreateWorkspace(t.Context(), sdk.Me, sdk.CreateWorkspaceRequest{Name: "ghost", Template: "ghost"})
	if err != nil {
		t.Fatal(err)
	}
	dockertest.Cleanup(t, e.docker, "den.workspace.id="+ws.ID.String())
	job := e.waitJob(t, ws.LatestBuild.Job.ID)
	if job.Status != sdk.JobFailed || !strings.Contains(job.Error, "den-no-such-image:1") {
		t.Fatalf("build with a missing image: %s %q", job.Status, job.Error)
	}
	if cs, _ := dockertest.Labeled(t, e.docker, "den.workspace.id="+ws.ID.String()); len(cs) != 0 {
		t.Fatalf("containers left: %v", cs)
	}
}
