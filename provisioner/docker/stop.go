package docker

import (
	"context"
	"fmt"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/volume"

	"den/provisioner"
)

// stop removes the workspace's containers and ephemeral volumes and keeps
// its persistent volumes.
func (p *Provisioner) stop(ctx context.Context, req provisioner.ApplyRequest, log provisioner.Logger) (provisioner.ApplyResult, error) {
	if err := p.removeContainers(ctx, req.Workspace, stageStop, log); err != nil {
		return provisioner.ApplyResult{}, err
	}
	if err := p.removeVolumes(ctx, req.Workspace, false, stageRemove, log); err != nil {
		return provisioner.ApplyResult{}, err
	}
	kept, err := p.listVolumes(ctx, req.Workspace, true)
	if err != nil {
		return provisioner.ApplyResult{}, err
	}
	var res provisioner.ApplyResult
	var st state
	for _, v := range kept {
		st.Volumes = append(st.Volumes, v.Name)
		res.Resources = append(res.Resources, provisioner.Resource{
			Type: "volume", Name: v.Labels[labelVolumeName], ID: v.Name, Persistent: true,
		})
	}
	res.State = st.encode()
	return res, nil
}

// delete removes the workspace's containers and all its volumes.
func (p *Provisioner) delete(ctx context.Context, req provisioner.ApplyRequest, log provisioner.Logger) (provisioner.ApplyResult, error) {
	if err := p.removeContainers(ctx, req.Workspace, stageStop, log); err != nil {
		return provisioner.ApplyResult{}, err
	}
	if err := p.removeVolumes(ctx, req.Workspace, true, stageRemove, log); err != nil {
		return provisioner.ApplyResult{}, err
	}
	return provisioner.ApplyResult{State: state{}.encode()}, nil
}

// workspaceFilter selects what den made for workspace w.
func workspaceFilter(w provisioner.Workspace) filters.Args {
	return filters.NewArgs(
		filters.Arg("label", labelManaged+"=true"),
		filters.Arg("label", labelWorkspaceID+"="+w.ID.String()),
	)
}

// removeContainers stops (giving the agent stopTimeout seconds) and removes
// every container of workspace w, running or not.
func (p *Provisioner) removeContainers(ctx context.Context, w provisioner.Workspace, stage string, log provisioner.Logger) error {
	cs, err := p.cli.ContainerList(ctx, container.ListOptions{All: true, Filters: workspaceFilter(w)})
	if err != nil {
		return fmt.Errorf("list the workspace's containers: %w", err)
	}
	for _, c := range cs {
		name := c.ID[:12]
		if len(c.Names) > 0 {
			name = c.Names[0][1:]
		}
		logf(log, provisioner.LevelInfo, stage, "removing container %s (%s)", name, c.State)
		if c.State == container.StateRunning {
			timeout := stopTimeout
			err := p.cli.ContainerStop(ctx, c.ID, container.StopOptions{Timeout: &timeout})
			if err != nil && !cerrdefs.IsNotFound(err) {
				return fmt.Errorf("stop container %s: %w", name, err)
			}
		}
		err := p.cli.ContainerRemove(ctx, c.ID, container.RemoveOptions{Force: true, RemoveVolumes: true})
		// A conflict is a removal already under way.
		if err != nil && !cerrdefs.IsNotFound(err) && !cerrdefs.IsConflict(err) {
			return fmt.Errorf("remove container %s: %w", name, err)
		}
	}
	return nil
}

// listVolumes returns workspace w's persistent or ephemeral volumes.
func (p *Provisioner) listVolumes(ctx context.Context, w provisioner.Workspace, persistent bool) ([]*volume.Volume, error) {
	f := workspaceFilter(w)
	f.Add("label", fmt.Sprintf("%s=%t", labelVolumePersistent, persistent))
	vs, err := p.cli.VolumeList(ctx, volume.ListOptions{Filters: f})
	if err != nil {
		return nil, fmt.Errorf("list the workspace's volumes: %w", err)
	}
	return vs.Volumes, nil
}

// removeVolumes removes workspace w's ephemeral volumes, and its persistent
// ones too when all is set.
func (p *Provisioner) removeVolumes(ctx context.Context, w provisioner.Workspace, all bool, stage string, log provisioner.Logger) error {
	var vs []*volume.Volume
	if all {
		list, err := p.cli.VolumeList(ctx, volume.ListOptions{Filters: workspaceFilter(w)})
		if err != nil {
			return fmt.Errorf("list the workspace's volumes: %w", err)
		}
		vs = list.Volumes
	} else {
		var err error
		if vs, err = p.listVolumes(ctx, w, false); err != nil {
			return err
		}
	}
	for _, v := range vs {
		kind := "ephemeral"
		if v.Labels[labelVolumePersistent] == "true" {
			kind = "persistent"
		}
		logf(log, provisioner.LevelInfo, stage, "removing %s volume %s", kind, v.Name)
		if err := p.cli.VolumeRemove(ctx, v.Name, true); err != nil && !cerrdefs.IsNotFound(err) {
			return fmt.Errorf("remove volume %s: %w", v.Name, err)
		}
	}
	return nil
}
