package docker_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"
	"github.com/google/uuid"

	"den/dockertest"
	"den/provisioner"
	"den/provisioner/docker"
)

// testTemplate is a workspace of the busybox image with a persistent home,
// an ephemeral scratch volume and a parameter.
const testTemplate = `description: a test workspace
parameters:
  - name: greeting
    default: hello
container:
  image: den-test-busybox:1
  user: dev
  env:
    GREETING: ${param.greeting} ${workspace.name}
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

// files is a template directory holding den.yaml and the other files given
// as name, content pairs.
func files(denYAML string, more ...string) fs.FS {
	m := fstest.MapFS{"den.yaml": {Data: []byte(denYAML), Mode: 0o644}}
	for i := 0; i+1 < len(more); i += 2 {
		m[more[i]] = &fstest.MapFile{Data: []byte(more[i+1]), Mode: 0o644}
	}
	return m
}

// recorder is a provisioner.Logger that keeps the lines and shows them in
// the test's log.
type recorder struct {
	t      testing.TB
	mu     sync.Mutex
	lines  []string
	onLine func(string)
}

func (r *recorder) Log(level provisioner.Level, stage, line string) {
	r.t.Logf("%s [%s] %s", level, stage, line)
	r.mu.Lock()
	r.lines = append(r.lines, fmt.Sprintf("%s [%s] %s", level, stage, line))
	on := r.onLine
	r.mu.Unlock()
	if on != nil {
		on(line)
	}
}

func (r *recorder) has(substr string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, l := range r.lines {
		if strings.Contains(l, substr) {
			return true
		}
	}
	return false
}

// harness holds what the tests of one workspace need.
type harness struct {
	t    *testing.T
	cli  *client.Client
	p    *docker.Provisioner
	ws   provisioner.Workspace
	tmpl fs.FS
}

func newHarness(t *testing.T, tmpl fs.FS, opts ...func(*docker.Options)) *harness {
	t.Helper()
	cli := dockertest.Client(t)
	dockertest.BusyboxImage(t)
	o := docker.Options{Client: cli, AgentBinary: dockertest.DenBinary(t)}
	for _, f := range opts {
		f(&o)
	}
	return &harness{t: t, cli: cli, p: docker.New(o), ws: newWorkspace(t, cli, "alice", "ws"), tmpl: tmpl}
}

// newWorkspace names a new workspace and removes whatever is labeled with
// it when t ends.
func newWorkspace(t *testing.T, cli *client.Client, owner, name string) provisioner.Workspace {
	w := provisioner.Workspace{
		ID: uuid.New(), Name: name, OwnerID: uuid.New(), OwnerName: owner,
		OwnerEmail: owner + "@example.com", TemplateName: "test", BuildID: uuid.New(), BuildNumber: 1,
	}
	dockertest.Cleanup(t, cli, "den.workspace.id="+w.ID.String())
	return w
}

func (h *harness) request(tr provisioner.Transition) provisioner.ApplyRequest {
	h.ws.BuildID = uuid.New()
	h.ws.BuildNumber++
	return provisioner.ApplyRequest{
		Transition: tr,
		Files:      h.tmpl,
		Parameters: map[string]string{"greeting": "hi"},
		Workspace:  h.ws,
		Agent:      provisioner.Agent{URL: "http://127.0.0.1:1", Token: "token-" + h.ws.ID.String()},
	}
}

func (h *harness) apply(tr provisioner.Transition) provisioner.ApplyResult {
	h.t.Helper()
	res, err := h.applyErr(tr)
	if err != nil {
		h.t.Fatalf("%s: %v", tr, err)
	}
	return res
}

func (h *harness) applyErr(tr provisioner.Transition) (provisioner.ApplyResult, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	return h.p.Apply(ctx, h.request(tr), &recorder{t: h.t})
}

// labeled lists the containers and volumes of the harness's workspace.
func (h *harness) labeled() (containers, volumes []string) {
	return dockertest.Labeled(h.t, h.cli, "den.workspace.id="+h.ws.ID.String())
}

func containerID(t *testing.T, res provisioner.ApplyResult) string {
	t.Helper()
	for _, r := range res.Resources {
		if r.Type == "container" {
			return r.ID
		}
	}
	t.Fatalf("no container in %+v", res.Resources)
	return ""
}

// sh runs a shell command in the container as root and returns its output.
func (h *harness) sh(id, script string) string {
	h.t.Helper()
	out, code := dockertest.ExecAs(h.t, h.cli, id, "root", "sh", "-c", script)
	if code != 0 {
		h.t.Fatalf("sh -c %q: exit %d: %s", script, code, out)
	}
	return out
}

func TestStartStopStart(t *testing.T) {
	t.Parallel()
	h := newHarness(t, files(testTemplate))

	res := h.apply(provisioner.TransitionStart)
	id := containerID(t, res)
	var st struct {
		ContainerID string   `json:"container_id"`
		Image       string   `json:"image"`
		Volumes     []string `json:"volumes"`
	}
	if err := json.Unmarshal(res.State, &st); err != nil || st.ContainerID != id || st.Image != "den-test-busybox:1" || len(st.Volumes) != 2 {
		t.Fatalf("state %s (%v)", res.State, err)
	}
	persistent := map[string]bool{}
	for _, r := range res.Resources {
		if r.Type == "volume" {
			persistent[r.Name] = r.Persistent
			if r.ID != "den-"+h.ws.ID.String()+"-"+r.Name {
				t.Errorf("volume %s is named %s", r.Name, r.ID)
			}
		}
	}
	if len(persistent) != 2 || !persistent["home"] || persistent["scratch"] {
		t.Fatalf("volumes: %+v", res.Resources)
	}

	// What the agent runs with.
	in, err := h.cli.ContainerInspect(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	wantName := "/den-alice-ws-" + strings.ReplaceAll(h.ws.ID.String(), "-", "")[:8]
	if in.Name != wantName {
		t.Errorf("container name %q, want %q", in.Name, wantName)
	}
	for k, v := range map[string]string{
		"den.managed": "true", "den.workspace.id": h.ws.ID.String(), "den.workspace.name": "ws",
		"den.owner.name": "alice", "den.build.id": h.ws.BuildID.String(), "den.build.number": fmt.Sprint(h.ws.BuildNumber),
	} {
		if in.Config.Labels[k] != v {
			t.Errorf("label %s = %q, want %q", k, in.Config.Labels[k], v)
		}
	}
	if in.Config.User != "dev" || in.Config.WorkingDir != "/home/dev" || string(in.HostConfig.NetworkMode) != "host" {
		t.Errorf("user %q, dir %q, network %q", in.Config.User, in.Config.WorkingDir, in.HostConfig.NetworkMode)
	}
	env := strings.Join(in.Config.Env, "\n")
	for _, want := range []string{"GREETING=hi ws", "DEN_AGENT_URL=http://127.0.0.1:1", "DEN_AGENT_TOKEN=token-" + h.ws.ID.String()} {
		if !strings.Contains(env, want) {
			t.Errorf("env lacks %q:\n%s", want, env)
		}
	}
	// docker-init (tini) is PID 1, reaping orphans; the agent is its child.
	if out := h.sh(id, "cat /proc/1/cmdline | tr '\\0' ' '"); !strings.HasSuffix(out, "-- /.den/den agent ") {
		t.Errorf("PID 1 is %q, want docker-init running the agent", out)
	}

	h.sh(id, "echo kept > /home/dev/kept && echo lost > /scratch/lost && echo lost > /tmp/own")
	h.apply(provisioner.TransitionStop)
	if cs, vs := h.labeled(); len(cs) != 0 || len(vs) != 1 || vs[0] != "den-"+h.ws.ID.String()+"-home" {
		t.Fatalf("after stop: containers %v, volumes %v", cs, vs)
	}

	id = containerID(t, h.apply(provisioner.TransitionStart))
	if out := h.sh(id, "cat /home/dev/kept; ls /scratch; ls /tmp"); out != "kept\n" {
		t.Fatalf("after stop and start, the workspace holds %q; want only the persistent file", out)
	}
}

func TestDeleteLeavesNothingAndRepeats(t *testing.T) {
	t.Parallel()
	h := newHarness(t, files(testTemplate))
	h.apply(provisioner.TransitionStart)
	for range 2 {
		res := h.apply(provisioner.TransitionStop)
		if len(res.Resources) != 1 || !res.Resources[0].Persistent {
			t.Fatalf("after stop: %+v", res.Resources)
		}
	}
	for range 2 {
		res := h.apply(provisioner.TransitionDelete)
		if len(res.Resources) != 0 {
			t.Fatalf("after delete: %+v", res.Resources)
		}
		if cs, vs := h.labeled(); len(cs)+len(vs) != 0 {
			t.Fatalf("after delete: containers %v, volumes %v", cs, vs)
		}
	}
	// Delete straight from running.
	h.apply(provisioner.TransitionStart)
	h.apply(provisioner.TransitionDelete)
	if cs, vs := h.labeled(); len(cs)+len(vs) != 0 {
		t.Fatalf("after delete of a running workspace: containers %v, volumes %v", cs, vs)
	}
}

// TestConverges replays what a crash leaves: a start whose stop never came,
// and a stop of a container someone already removed.
func TestConverges(t *testing.T) {
	t.Parallel()
	h := newHarness(t, files(testTemplate))
	first := containerID(t, h.apply(provisioner.TransitionStart))
	h.sh(first, "echo kept > /home/dev/kept && echo lost > /scratch/lost")

	second := containerID(t, h.apply(provisioner.TransitionStart))
	if second == first {
		t.Fatal("the second start kept the first container")
	}
	if cs, vs := h.labeled(); len(cs) != 1 || len(vs) != 2 {
		t.Fatalf("after two starts: containers %v, volumes %v", cs, vs)
	}
	if out := h.sh(second, "cat /home/dev/kept; ls /scratch"); out != "kept\n" {
		t.Fatalf("after two starts the workspace holds %q", out)
	}

	if err := h.cli.ContainerRemove(context.Background(), second, container.RemoveOptions{Force: true}); err != nil {
		t.Fatal(err)
	}
	h.apply(provisioner.TransitionStop)
	if cs, vs := h.labeled(); len(cs) != 0 || len(vs) != 1 {
		t.Fatalf("after stop: containers %v, volumes %v", cs, vs)
	}

	// A container left stopped (not running) by a crash is removed too.
	third := containerID(t, h.apply(provisioner.TransitionStart))
	timeout := 1
	if err := h.cli.ContainerStop(context.Background(), third, container.StopOptions{Timeout: &timeout}); err != nil {
		t.Fatal(err)
	}
	fourth := containerID(t, h.apply(provisioner.TransitionStart))
	if cs, _ := h.labeled(); len(cs) != 1 || fourth == third {
		t.Fatalf("after a start over a stopped container: containers %v", cs)
	}
}

func TestImageMissing(t *testing.T) {
	t.Parallel()
	// A registry on loopback where nothing listens: the pull fails at once
	// and no traffic leaves the machine.
	const ref = "127.0.0.1:9/den-missing:1"
	h := newHarness(t, files(strings.Replace(testTemplate, "den-test-busybox:1", ref, 1)))
	_, err := h.applyErr(provisioner.TransitionStart)
	t.Logf("error: %v", err)
	var missing *docker.ImageMissingError
	if !errors.As(err, &missing) {
		t.Fatalf("got %v, want an ImageMissingError", err)
	}
	want := fmt.Sprintf("image %q is not on the Docker host (%s) and could not be pulled: ", ref, h.cli.DaemonHost())
	if !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("error %q\nwant it to start %q", err, want)
	}
	if cs, vs := h.labeled(); len(cs)+len(vs) != 0 {
		t.Fatalf("a failed start left containers %v, volumes %v", cs, vs)
	}
}

func TestEngineDown(t *testing.T) {
	t.Parallel()
	host := "unix://" + t.TempDir() + "/nothing.sock"
	p := docker.New(docker.Options{Host: host, AgentBinary: dockertest.DenBinary(t)})
	for _, tr := range []provisioner.Transition{provisioner.TransitionStart, provisioner.TransitionStop, provisioner.TransitionDelete} {
		_, err := p.Apply(context.Background(), provisioner.ApplyRequest{
			Transition: tr, Files: files(testTemplate),
			Workspace: provisioner.Workspace{ID: uuid.New(), Name: "ws", OwnerName: "alice"},
		}, &recorder{t: t})
		t.Logf("%s: error: %v", tr, err)
		var down *docker.EngineError
		if !errors.As(err, &down) {
			t.Fatalf("%s: got %v, want an EngineError", tr, err)
		}
		want := "cannot reach the Docker engine at " + host + ": "
		if !strings.HasPrefix(err.Error(), want) || !strings.HasSuffix(err.Error(), "; is it running?") || !strings.Contains(err.Error(), "no such file") {
			t.Fatalf("%s: error %q", tr, err)
		}
	}
}

func TestWorkspacesAreIsolated(t *testing.T) {
	t.Parallel()
	a := newHarness(t, files(testTemplate))
	b := newHarness(t, files(testTemplate))
	b.ws.Name = "ws2" // same owner, another workspace
	a.apply(provisioner.TransitionStart)
	bID := containerID(t, b.apply(provisioner.TransitionStart))
	b.sh(bID, "echo b > /scratch/b")

	a.apply(provisioner.TransitionStart) // replaces only a's container
	a.apply(provisioner.TransitionStop)
	a.apply(provisioner.TransitionDelete)
	if cs, vs := a.labeled(); len(cs)+len(vs) != 0 {
		t.Fatalf("a left containers %v, volumes %v", cs, vs)
	}
	if cs, vs := b.labeled(); len(cs) != 1 || len(vs) != 2 {
		t.Fatalf("b has containers %v, volumes %v after a's builds", cs, vs)
	}
	if out := b.sh(bID, "cat /scratch/b"); out != "b\n" {
		t.Fatalf("b's scratch volume holds %q", out)
	}
}

// TestFailedStartLeavesNothing starts a container whose user does not exist:
// the engine refuses to start it, and the start removes the container and
// the ephemeral volume it made but keeps the persistent one.
func TestFailedStartLeavesNothing(t *testing.T) {
	t.Parallel()
	h := newHarness(t, files(strings.Replace(testTemplate, "user: dev", "user: nosuchuser", 1)))
	_, err := h.applyErr(provisioner.TransitionStart)
	t.Logf("error: %v", err)
	if err == nil || !strings.Contains(err.Error(), "nosuchuser") {
		t.Fatalf("got %v, want an error about the user", err)
	}
	cs, vs := h.labeled()
	if len(cs) != 0 || len(vs) != 1 || vs[0] != "den-"+h.ws.ID.String()+"-home" {
		t.Fatalf("a failed start left containers %v, volumes %v", cs, vs)
	}
}

// TestCopyAgentAndOptions copies the agent in instead of mounting it, on a
// network other than the host's (so the hostname applies), with limits.
func TestCopyAgentAndOptions(t *testing.T) {
	t.Parallel()
	tmpl := strings.Replace(testTemplate, "  user: dev\n", "  user: dev\n  network: none\n  hostname: ${workspace.name}-box\n  cpus: 0.5\n  memory: 64m\n", 1)
	h := newHarness(t, files(tmpl), func(o *docker.Options) { o.CopyAgent = true })
	id := containerID(t, h.apply(provisioner.TransitionStart))
	in, err := h.cli.ContainerInspect(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range in.Mounts {
		if m.Destination == "/.den/den" {
			t.Fatalf("the agent is mounted, not copied: %+v", m)
		}
	}
	if in.HostConfig.NanoCPUs != 5e8 || in.HostConfig.Memory != 64<<20 || in.HostConfig.NetworkMode != "none" {
		t.Fatalf("cpus %d, memory %d, network %s", in.HostConfig.NanoCPUs, in.HostConfig.Memory, in.HostConfig.NetworkMode)
	}
	if out := h.sh(id, "ls -l /.den/den | cut -c1-10; hostname"); out != "-rwxr-xr-x\nws-box\n" {
		t.Fatalf("agent mode and hostname: %q", out)
	}
}

func TestParse(t *testing.T) {
	t.Parallel()
	cli := dockertest.Client(t)
	dockertest.BusyboxImage(t)
	p := docker.New(docker.Options{Client: cli})
	rec := &recorder{t: t}
	res, err := p.Parse(context.Background(), files(testTemplate), rec)
	if err != nil {
		t.Fatal(err)
	}
	if res.Description != "a test workspace" || len(res.Parameters) != 1 || res.Parameters[0].Name != "greeting" {
		t.Fatalf("parse: %+v", res)
	}
	if rec.has("warn") {
		t.Fatal("a warning about an image that is there")
	}

	rec = &recorder{t: t}
	if _, err := p.Parse(context.Background(), files(strings.Replace(testTemplate, "den-test-busybox:1", "den-test-absent:1", 1)), rec); err != nil {
		t.Fatal(err)
	}
	if !rec.has(`warn [Parsing template] image "den-test-absent:1" is not on the Docker host`) {
		t.Fatalf("no warning about the absent image: %q", rec.lines)
	}

	if _, err := p.Parse(context.Background(), files("container: {}\n"), rec); err == nil {
		t.Fatal("parsed a template without an image")
	}
}

// buildTemplate builds its image from a Dockerfile; nonce makes its build
// context, and so its image, new for each test.
func buildTemplate(nonce, run string) fs.FS {
	return files(`container:
  build:
    context: .
  user: dev
volumes:
  - name: home
    path: /home/dev
    persistent: true
`, "Dockerfile", "FROM den-test-busybox:1\n# "+nonce+"\nRUN "+run+"\n")
}

func TestBuildFromDockerfile(t *testing.T) {
	t.Parallel()
	tmpl := buildTemplate(uuid.NewString(), "echo built > /built-marker")
	var built string // removed last, after both workspaces' containers
	t.Cleanup(func() {
		if built != "" {
			dockertest.Client(t).ImageRemove(context.Background(), built, image.RemoveOptions{Force: true, PruneChildren: true})
		}
	})
	h := newHarness(t, tmpl)
	rec := &recorder{t: t}
	ctx := context.Background()
	res, err := h.p.Apply(ctx, h.request(provisioner.TransitionStart), rec)
	if err != nil {
		t.Fatal(err)
	}
	var st struct{ Image string }
	json.Unmarshal(res.State, &st)
	if !strings.HasPrefix(st.Image, "den-template-") {
		t.Fatalf("image %q", st.Image)
	}
	built = st.Image
	if !rec.has("building image "+st.Image) || !rec.has("RUN echo built > /built-marker") {
		t.Fatalf("the build's output is not in the log: %q", rec.lines)
	}
	if out := h.sh(containerID(t, res), "cat /built-marker"); out != "built\n" {
		t.Fatalf("/built-marker: %q", out)
	}

	// Another workspace of the same template reuses the image.
	other := newHarness(t, tmpl)
	rec = &recorder{t: t}
	res, err = other.p.Apply(ctx, other.request(provisioner.TransitionStart), rec)
	if err != nil {
		t.Fatal(err)
	}
	if !rec.has("using image "+st.Image+", built earlier") || rec.has("Step 1") {
		t.Fatalf("the image was not reused: %q", rec.lines)
	}
	if out := other.sh(containerID(t, res), "cat /built-marker"); out != "built\n" {
		t.Fatalf("/built-marker: %q", out)
	}
}

func TestBuildFails(t *testing.T) {
	t.Parallel()
	h := newHarness(t, buildTemplate(uuid.NewString(), "echo broken >&2; exit 3"))
	_, err := h.applyErr(provisioner.TransitionStart)
	t.Logf("error: %v", err)
	if err == nil || !strings.Contains(err.Error(), "build image from Dockerfile") || !strings.Contains(err.Error(), "code: 3") {
		t.Fatalf("got %v, want the build's failure", err)
	}
	if cs, vs := h.labeled(); len(cs)+len(vs) != 0 {
		t.Fatalf("a failed build left containers %v, volumes %v", cs, vs)
	}
}

// TestCancelStart cancels a start while its image builds, as a stop build
// does: the start returns at once and leaves nothing.
func TestCancelStart(t *testing.T) {
	t.Parallel()
	h := newHarness(t, buildTemplate(uuid.NewString(), "sleep 60"))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rec := &recorder{t: t, onLine: func(line string) {
		if strings.Contains(line, "RUN sleep 60") {
			cancel()
		}
	}}
	_, err := h.p.Apply(ctx, h.request(provisioner.TransitionStart), rec)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	if cs, vs := h.labeled(); len(cs)+len(vs) != 0 {
		t.Fatalf("a cancelled start left containers %v, volumes %v", cs, vs)
	}
}
