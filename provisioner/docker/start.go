package docker

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"regexp"
	"slices"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/mount"
	"github.com/docker/docker/api/types/volume"
	"github.com/docker/docker/pkg/stdcopy"

	"den/provisioner"
	"den/provisioner/denyaml"
)

// start parses and resolves the template, then runs the workspace.
func (p *Provisioner) start(ctx context.Context, req provisioner.ApplyRequest, log provisioner.Logger) (provisioner.ApplyResult, error) {
	if req.Files == nil {
		return provisioner.ApplyResult{}, errors.New("the start build has no template files")
	}
	spec, err := denyaml.ParseFS(req.Files)
	if err != nil {
		return provisioner.ApplyResult{}, err
	}
	resolved, err := spec.Resolve(denyaml.Vars{
		Params:        req.Parameters,
		WorkspaceName: req.Workspace.Name,
		WorkspaceID:   req.Workspace.ID.String(),
		OwnerName:     req.Workspace.OwnerName,
		OwnerEmail:    req.Workspace.OwnerEmail,
		TemplateName:  req.Workspace.TemplateName,
	})
	if err != nil {
		return provisioner.ApplyResult{}, err
	}
	return p.startResolved(ctx, req, resolved, log)
}

// volumePlan is one volume of the workspace.
type volumePlan struct {
	name       string // in the template
	docker     string // the Docker volume's name
	path       string
	persistent bool
}

// plan is the container and volumes a resolved template asks for, checked.
type plan struct {
	name     string
	env      []string
	labels   map[string]string
	volumes  []volumePlan
	nanoCPUs int64
	memory   int64
	network  string
	user     string
	hostname string
	workDir  string
}

var volumeNameRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

// newPlan checks the resolved values a person may have got wrong through a
// parameter, naming the field.
func newPlan(req provisioner.ApplyRequest, s *denyaml.Spec) (plan, error) {
	c := s.Container
	pl := plan{
		name:    containerName(req.Workspace),
		labels:  workspaceLabels(req.Workspace),
		network: c.Network,
		user:    c.User,
		workDir: s.Agent.Dir,
	}
	if c.Build == nil && strings.TrimSpace(c.Image) == "" {
		return plan{}, errors.New("container.image is empty once parameters are substituted")
	}
	var err error
	if pl.nanoCPUs, err = c.NanoCPUs(); err != nil {
		return plan{}, fmt.Errorf("container.cpus: %w", err)
	}
	if pl.memory, err = c.MemoryBytes(); err != nil {
		return plan{}, fmt.Errorf("container.memory: %w", err)
	}
	if pl.network == "" {
		pl.network = "host"
	}
	if pl.workDir != "" && !path.IsAbs(pl.workDir) {
		return plan{}, fmt.Errorf("agent.dir %q must be an absolute path", pl.workDir)
	}
	pl.hostname = c.Hostname
	if pl.hostname == "" && pl.network != "host" {
		pl.hostname = dockerName(req.Workspace.Name)
	}
	paths := map[string]string{}
	for i, v := range s.Volumes {
		field := fmt.Sprintf("volumes[%d]", i)
		if !volumeNameRE.MatchString(v.Name) {
			return plan{}, fmt.Errorf("%s.name %q: use lower-case letters, digits and dashes", field, v.Name)
		}
		p := path.Clean(v.Path)
		if !path.IsAbs(v.Path) || p == "/" {
			return plan{}, fmt.Errorf("%s.path %q must be an absolute path other than /", field, v.Path)
		}
		if p == agentDir || strings.HasPrefix(p, agentDir+"/") {
			return plan{}, fmt.Errorf("%s.path %q: %s is where den puts its agent", field, v.Path, agentDir)
		}
		if other, ok := paths[p]; ok {
			return plan{}, fmt.Errorf("%s.path %q is also the path of volume %q", field, v.Path, other)
		}
		paths[p] = v.Name
		pl.volumes = append(pl.volumes, volumePlan{name: v.Name, docker: volumeName(req.Workspace, v.Name), path: p, persistent: v.IsPersistent()})
	}
	for k, v := range c.Env {
		if k == "" || strings.ContainsAny(k, "=\x00") {
			return plan{}, fmt.Errorf("container.env: %q is not a variable name", k)
		}
		if k == "DEN_AGENT_URL" || k == "DEN_AGENT_TOKEN" {
			continue // den sets these
		}
		pl.env = append(pl.env, k+"="+v)
	}
	slices.Sort(pl.env)
	pl.env = append(pl.env, "DEN_AGENT_URL="+req.Agent.URL, "DEN_AGENT_TOKEN="+req.Agent.Token)
	return pl, nil
}

// startResolved brings the workspace up from a resolved template: the image
// first (so a failure there changes nothing), then the previous container
// goes, the volumes are made ready and the new container starts.
func (p *Provisioner) startResolved(ctx context.Context, req provisioner.ApplyRequest, s *denyaml.Spec, log provisioner.Logger) (provisioner.ApplyResult, error) {
	if p.agent == "" {
		return provisioner.ApplyResult{}, errors.New("the docker provisioner has no agent binary to put into the container (Options.AgentBinary)")
	}
	if _, err := os.Stat(p.agent); err != nil {
		return provisioner.ApplyResult{}, fmt.Errorf("the agent binary: %w", err)
	}
	pl, err := newPlan(req, s)
	if err != nil {
		return provisioner.ApplyResult{}, err
	}
	timeout, err := s.Agent.Timeout()
	if err != nil {
		return provisioner.ApplyResult{}, fmt.Errorf("agent.startup_timeout: %w", err)
	}
	apps, err := s.AgentApps()
	if err != nil {
		return provisioner.ApplyResult{}, err
	}

	img, err := p.prepareImage(ctx, req.Files, s.Container, pl.network, log)
	if err != nil {
		return provisioner.ApplyResult{}, err
	}

	if err := p.removeContainers(ctx, req.Workspace, stageCleanup, log); err != nil {
		return provisioner.ApplyResult{}, err
	}

	logf(log, provisioner.LevelInfo, stageVolumes, "%d volume(s)", len(pl.volumes))
	fresh, err := p.prepareVolumes(ctx, req.Workspace, pl.volumes, log)
	if err != nil {
		p.removeVolumesAfterFailure(ctx, fresh)
		return provisioner.ApplyResult{}, err
	}

	id, err := p.runContainer(ctx, pl, img, log)
	if err != nil {
		p.removeVolumesAfterFailure(ctx, fresh)
		return provisioner.ApplyResult{}, err
	}

	st := state{ContainerID: id, ContainerName: pl.name, Image: img}
	res := provisioner.ApplyResult{
		Resources: []provisioner.Resource{{
			Type: "container", Name: pl.name, ID: id,
			Attributes: map[string]string{"image": img, "network": pl.network},
		}},
		Agent: &provisioner.AgentSpec{
			Dir: s.Agent.Dir, Env: s.Agent.Env, StartupScript: s.Agent.StartupScript, StartupTimeout: timeout,
			Apps: apps,
		},
	}
	for _, v := range pl.volumes {
		st.Volumes = append(st.Volumes, v.docker)
		res.Resources = append(res.Resources, provisioner.Resource{
			Type: "volume", Name: v.name, ID: v.docker, Persistent: v.persistent,
			Attributes: map[string]string{"path": v.path},
		})
	}
	res.State = st.encode()
	return res, nil
}

// prepareVolumes removes every ephemeral volume the workspace has (also
// those the template no longer names), creates fresh ones, and creates the
// persistent volumes that do not exist yet. It returns the ephemeral volumes
// it created, for removal if the start fails.
func (p *Provisioner) prepareVolumes(ctx context.Context, w provisioner.Workspace, vols []volumePlan, log provisioner.Logger) ([]string, error) {
	if err := p.removeVolumes(ctx, w, false, stageVolumes, log); err != nil {
		return nil, err
	}
	var fresh []string
	for _, v := range vols {
		_, err := p.cli.VolumeInspect(ctx, v.docker)
		exists := err == nil
		if err != nil && !cerrdefs.IsNotFound(err) {
			return fresh, fmt.Errorf("inspect volume %s: %w", v.docker, err)
		}
		if exists && v.persistent {
			logf(log, provisioner.LevelInfo, stageVolumes, "keeping persistent volume %s (%s)", v.docker, v.path)
			continue
		}
		if exists {
			// Persistent before, ephemeral in this template version: the
			// template now says its contents do not survive.
			logf(log, provisioner.LevelWarn, stageVolumes, "volume %q was persistent and the template now marks it ephemeral: its contents are dropped", v.name)
			if err := p.cli.VolumeRemove(ctx, v.docker, true); err != nil && !cerrdefs.IsNotFound(err) {
				return fresh, fmt.Errorf("remove volume %s: %w", v.docker, err)
			}
		}
		labels := workspaceLabels(w)
		labels[labelVolumeName] = v.name
		labels[labelVolumePersistent] = fmt.Sprint(v.persistent)
		if _, err := p.cli.VolumeCreate(ctx, volume.CreateOptions{Name: v.docker, Labels: labels}); err != nil {
			return fresh, fmt.Errorf("create volume %s: %w", v.docker, err)
		}
		kind := "ephemeral"
		if v.persistent {
			kind = "persistent"
		} else {
			fresh = append(fresh, v.docker)
		}
		logf(log, provisioner.LevelInfo, stageVolumes, "created %s volume %s (%s)", kind, v.docker, v.path)
	}
	return fresh, nil
}

// runContainer creates and starts the container and waits until it runs.
// On failure it removes the container again.
func (p *Provisioner) runContainer(ctx context.Context, pl plan, img string, log provisioner.Logger) (string, error) {
	cfg := &container.Config{
		Image:      img,
		Entrypoint: []string{agentPath},
		Cmd:        []string{"agent"},
		Env:        pl.env,
		Labels:     pl.labels,
		User:       pl.user,
		WorkingDir: pl.workDir,
	}
	if pl.network == "host" {
		if pl.hostname != "" {
			logf(log, provisioner.LevelInfo, stageStart, "note: hostname %q is not set: a container on the host's network has the host's name", pl.hostname)
		}
	} else {
		cfg.Hostname = pl.hostname
	}
	init := true
	hc := &container.HostConfig{
		NetworkMode: container.NetworkMode(pl.network),
		Init:        &init, // docker-init (tini) is PID 1 and reaps orphans
		Resources:   container.Resources{NanoCPUs: pl.nanoCPUs, Memory: pl.memory},
	}
	for _, v := range pl.volumes {
		hc.Mounts = append(hc.Mounts, mount.Mount{Type: mount.TypeVolume, Source: v.docker, Target: v.path})
	}
	if !p.copyAgent {
		hc.Mounts = append(hc.Mounts, mount.Mount{Type: mount.TypeBind, Source: p.agent, Target: agentPath, ReadOnly: true})
	}

	logf(log, provisioner.LevelInfo, stageStart, "creating container %s from %s", pl.name, img)
	created, err := p.cli.ContainerCreate(ctx, cfg, hc, nil, nil, pl.name)
	if err != nil {
		return "", fmt.Errorf("create container %s: %w", pl.name, err)
	}
	id := created.ID
	for _, w := range created.Warnings {
		logf(log, provisioner.LevelWarn, stageStart, "%s", w)
	}
	fail := func(err error) (string, error) {
		p.removeAfterFailure(ctx, id)
		return "", err
	}
	if p.copyAgent {
		if err := p.copyAgentInto(ctx, id); err != nil {
			return fail(err)
		}
	}
	if err := p.cli.ContainerStart(ctx, id, container.StartOptions{}); err != nil {
		return fail(fmt.Errorf("start container %s: %w", pl.name, err))
	}
	if err := p.waitRunning(ctx, id, pl.name); err != nil {
		return fail(err)
	}
	logf(log, provisioner.LevelInfo, stageStart, "container %s is running", pl.name)
	return id, nil
}

// copyAgentInto puts the agent binary at agentPath in a created container.
func (p *Provisioner) copyAgentInto(ctx context.Context, id string) error {
	bin, err := os.ReadFile(p.agent)
	if err != nil {
		return fmt.Errorf("read the agent binary: %w", err)
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	now := time.Now()
	tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: strings.TrimPrefix(agentDir, "/") + "/", Mode: 0o755, ModTime: now})
	tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: strings.TrimPrefix(agentPath, "/"), Mode: 0o755, Size: int64(len(bin)), ModTime: now})
	tw.Write(bin)
	if err := tw.Close(); err != nil {
		return err
	}
	if err := p.cli.CopyToContainer(ctx, id, "/", &buf, container.CopyToContainerOptions{}); err != nil {
		return fmt.Errorf("copy the agent into the container: %w", err)
	}
	return nil
}

// waitRunning waits until the container runs, and fails with its last log
// lines if it exited.
func (p *Provisioner) waitRunning(ctx context.Context, id, name string) error {
	ctx, cancel := context.WithTimeout(ctx, runningWithin)
	defer cancel()
	for {
		in, err := p.cli.ContainerInspect(ctx, id)
		if err != nil {
			return fmt.Errorf("inspect container %s: %w", name, err)
		}
		st := in.State
		switch {
		case st.Running:
			return nil
		case st.Status == container.StateExited || st.Status == container.StateDead:
			msg := fmt.Sprintf("container %s exited with code %d", name, st.ExitCode)
			if st.OOMKilled {
				msg += " (out of memory)"
			}
			if st.Error != "" {
				msg += ": " + st.Error
			}
			if logs := p.lastLogs(ctx, id, 20); logs != "" {
				msg += "; its last output:\n" + logs
			}
			return errors.New(msg)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for container %s to run (status %s): %w", name, st.Status, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// lastLogs returns the container's last n lines of output, or "".
func (p *Provisioner) lastLogs(ctx context.Context, id string, n int) string {
	rc, err := p.cli.ContainerLogs(ctx, id, container.LogsOptions{ShowStdout: true, ShowStderr: true, Tail: fmt.Sprint(n)})
	if err != nil {
		return ""
	}
	defer rc.Close()
	var out bytes.Buffer
	stdcopy.StdCopy(&out, &out, rc)
	return strings.TrimRight(out.String(), "\n")
}

// removeAfterFailure removes a container a failed start created, even when
// ctx was cancelled.
func (p *Provisioner) removeAfterFailure(ctx context.Context, id string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	err := p.cli.ContainerRemove(ctx, id, container.RemoveOptions{Force: true, RemoveVolumes: true})
	if err != nil && !cerrdefs.IsNotFound(err) {
		p.logger.Error("remove the container of a failed start", "container_id", id, "error", err)
	}
}

// removeVolumesAfterFailure removes the ephemeral volumes a failed start
// created; persistent volumes stay.
func (p *Provisioner) removeVolumesAfterFailure(ctx context.Context, names []string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	for _, name := range names {
		if err := p.cli.VolumeRemove(ctx, name, true); err != nil && !cerrdefs.IsNotFound(err) {
			p.logger.Error("remove a volume of a failed start", "volume", name, "error", err)
		}
	}
}
