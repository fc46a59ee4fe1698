package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"den/provisioner"
	"den/provisionerd"
	"den/sdk"
	"den/server/apikey"
	"den/store"
	"den/store/db"
)

// Pubsub channels. Payloads name what changed; subscribers look it up.
const (
	// channelJobPosted: a job was queued (payload: job ID).
	channelJobPosted = "den_job_posted"
	// channelJob: a job's logs or status changed (payload: job ID).
	channelJob = "den_job"
	// channelWorkspace: a workspace or its builds changed (payload: ID).
	channelWorkspace = "den_workspace"
)

// coordinator is the server's side of provisionerd: it hands out jobs from
// the queue in PostgreSQL and records what they do.
type coordinator struct {
	s *Server
}

var _ provisionerd.Coordinator = coordinator{}

func (c coordinator) JobPosted(ctx context.Context) (<-chan string, func(), error) {
	return c.s.pubsub.Subscribe(ctx, channelJobPosted)
}

func (c coordinator) AcquireJob(ctx context.Context, worker string, provisioners []string) (*provisionerd.Job, error) {
	var out *provisionerd.Job
	err := c.s.store.InTx(ctx, func(tx store.Store) error {
		j, err := tx.AcquireProvisionerJob(ctx, db.AcquireProvisionerJobParams{WorkerName: worker, Provisioners: provisioners})
		if store.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		file, err := tx.GetFile(ctx, j.FileHash)
		if err != nil {
			return fmt.Errorf("load archive %s: %w", j.FileHash, err)
		}
		out = &provisionerd.Job{ID: j.ID, Type: provisionerd.JobType(j.Type), Provisioner: j.Provisioner, Archive: file.Data}
		if out.Type == provisionerd.JobWorkspaceBuild {
			out.Build, err = c.buildRequest(ctx, tx, j)
			if err != nil {
				return err
			}
		}
		return tx.Notify(ctx, db.NotifyParams{Channel: channelJob, Payload: j.ID.String()})
	})
	if err != nil {
		return nil, fmt.Errorf("acquire job: %w", err)
	}
	if out != nil && out.Build != nil {
		c.s.notifyWorkspace(ctx, out.Build.Workspace.ID)
	}
	return out, nil
}

// buildRequest gathers what a provisioner needs for a build job; for a start
// it also mints the agent's token, of which only the hash is stored.
func (c coordinator) buildRequest(ctx context.Context, tx store.Store, j db.ProvisionerJob) (*provisioner.ApplyRequest, error) {
	row, err := tx.GetBuildForJob(ctx, j.ID)
	if err != nil {
		return nil, fmt.Errorf("load build of job %s: %w", j.ID, err)
	}
	b, w := row.WorkspaceBuild, row.Workspace
	var values []sdk.ParameterValue
	if err := json.Unmarshal(b.Parameters, &values); err != nil {
		return nil, fmt.Errorf("decode build parameters: %w", err)
	}
	params := make(map[string]string, len(values))
	for _, v := range values {
		params[v.Name] = v.Value
	}
	req := &provisioner.ApplyRequest{
		Transition: provisioner.Transition(b.Transition),
		Parameters: params,
		State:      row.PreviousState,
		Workspace: provisioner.Workspace{
			ID: w.ID, Name: w.Name, OwnerID: w.OwnerID, OwnerName: row.OwnerName, OwnerEmail: row.OwnerEmail,
			TemplateName: row.TemplateName, BuildID: b.ID, BuildNumber: b.Number,
		},
	}
	if b.Transition == string(sdk.TransitionStart) {
		key := apikey.New()
		if err := tx.InsertWorkspaceAgent(ctx, db.InsertWorkspaceAgentParams{
			ID: uuid.New(), WorkspaceID: w.ID, BuildID: b.ID, HashedToken: apikey.Hash(key.String()),
		}); err != nil {
			return nil, err
		}
		req.Agent = provisioner.Agent{URL: c.s.opts.AccessURL.String(), Token: key.String()}
	}
	return req, nil
}

func (c coordinator) Heartbeat(ctx context.Context, job uuid.UUID) (bool, error) {
	canceled, err := c.s.store.HeartbeatProvisionerJob(ctx, job)
	if store.IsNotFound(err) {
		// Completed meanwhile (the server gave up on it): stop working.
		return true, nil
	}
	return canceled, err
}

func (c coordinator) AppendLogs(ctx context.Context, job uuid.UUID, logs []provisionerd.Log) error {
	p := db.InsertProvisionerJobLogsParams{JobID: job}
	for _, l := range logs {
		p.CreatedAt = append(p.CreatedAt, l.CreatedAt)
		p.Level = append(p.Level, string(l.Level))
		p.Stage = append(p.Stage, l.Stage)
		p.Output = append(p.Output, l.Output)
	}
	return c.s.store.InTx(ctx, func(tx store.Store) error {
		if _, err := tx.InsertProvisionerJobLogs(ctx, p); err != nil {
			return err
		}
		return tx.Notify(ctx, db.NotifyParams{Channel: channelJob, Payload: job.String()})
	})
}

func (c coordinator) CompleteJob(ctx context.Context, jobID uuid.UUID, r provisionerd.Result) error {
	var workspaceID uuid.UUID
	err := c.s.store.InTx(ctx, func(tx store.Store) error {
		var errText *string
		if r.Error != "" {
			errText = &r.Error
		}
		job, err := tx.CompleteProvisionerJob(ctx, db.CompleteProvisionerJobParams{ID: jobID, Error: errText})
		if store.IsNotFound(err) {
			return nil // already completed, e.g. failed as stale
		}
		if err != nil {
			return err
		}
		switch provisionerd.JobType(job.Type) {
		case provisionerd.JobTemplateImport:
			err = c.completeImport(ctx, tx, job, r)
		case provisionerd.JobWorkspaceBuild:
			workspaceID, err = c.completeBuild(ctx, tx, job, r)
		}
		if err != nil {
			return err
		}
		return tx.Notify(ctx, db.NotifyParams{Channel: channelJob, Payload: jobID.String()})
	})
	if err != nil {
		return fmt.Errorf("complete job %s: %w", jobID, err)
	}
	if workspaceID != uuid.Nil {
		c.s.notifyWorkspace(ctx, workspaceID)
	}
	return nil
}

func (c coordinator) completeImport(ctx context.Context, tx store.Store, job db.ProvisionerJob, r provisionerd.Result) error {
	if r.Error != "" || r.Import == nil {
		return nil
	}
	v, err := tx.GetTemplateVersionByJobID(ctx, job.ID)
	if err != nil {
		return err
	}
	params := r.Import.Parameters
	if params == nil {
		params = []sdk.TemplateParameter{}
	}
	raw, err := json.Marshal(params)
	if err != nil {
		return err
	}
	if err := tx.UpdateTemplateVersionImport(ctx, db.UpdateTemplateVersionImportParams{ID: v.ID, Parameters: raw, Description: r.Import.Description}); err != nil {
		return err
	}
	if v.ActivateOnImport {
		return tx.ActivateTemplateVersion(ctx, db.ActivateTemplateVersionParams{ID: v.TemplateID, VersionID: &v.ID, Description: r.Import.Description})
	}
	return nil
}

func (c coordinator) completeBuild(ctx context.Context, tx store.Store, job db.ProvisionerJob, r provisionerd.Result) (uuid.UUID, error) {
	b, err := tx.GetWorkspaceBuildByJobID(ctx, job.ID)
	if err != nil {
		return uuid.Nil, err
	}
	if r.Build != nil && (r.Error == "" || r.Build.State != nil) {
		resources := r.Build.Resources
		if resources == nil {
			resources = []provisioner.Resource{}
		}
		raw, err := json.Marshal(resources)
		if err != nil {
			return uuid.Nil, err
		}
		if err := tx.UpdateWorkspaceBuildResult(ctx, db.UpdateWorkspaceBuildResultParams{ID: b.ID, ProvisionerState: r.Build.State, Resources: raw}); err != nil {
			return uuid.Nil, err
		}
	}
	if r.Error == "" && b.Transition == string(sdk.TransitionStart) {
		if err := recordAgent(ctx, tx, b, r.Build); err != nil {
			return uuid.Nil, err
		}
	}
	if r.Error == "" && b.Transition == string(sdk.TransitionStop) && b.Restart {
		if err := c.s.startAfterRestart(ctx, tx, b); err != nil {
			return uuid.Nil, fmt.Errorf("queue the start of the restart: %w", err)
		}
	}
	if r.Error == "" && b.Transition == string(sdk.TransitionDelete) {
		if err := tx.SoftDeleteWorkspace(ctx, b.WorkspaceID); err != nil {
			return uuid.Nil, err
		}
	}
	return b.WorkspaceID, nil
}

// recordAgent keeps what the agent of a successful start is to run (its
// manifest), or forgets the agent when the provisioner started none.
func recordAgent(ctx context.Context, tx store.Store, b db.WorkspaceBuild, res *provisioner.ApplyResult) error {
	if res == nil || res.Agent == nil {
		return tx.DeleteWorkspaceAgentByBuild(ctx, b.ID)
	}
	env := res.Agent.Env
	if env == nil {
		env = map[string]string{}
	}
	raw, err := json.Marshal(env)
	if err != nil {
		return err
	}
	if err := tx.SetWorkspaceAgentManifest(ctx, db.SetWorkspaceAgentManifestParams{
		BuildID: b.ID, Dir: res.Agent.Dir, Env: raw, StartupScript: res.Agent.StartupScript,
		StartupTimeoutSeconds: int32(res.Agent.StartupTimeout / time.Second),
	}); err != nil {
		return err
	}
	return recordApps(ctx, tx, b.ID, res.Agent.Apps)
}

// notifyWorkspace tells watchers a workspace changed. Best effort.
func (s *Server) notifyWorkspace(ctx context.Context, id uuid.UUID) {
	if err := s.store.Notify(ctx, db.NotifyParams{Channel: channelWorkspace, Payload: id.String()}); err != nil {
		s.logger.Warn("notify workspace change", "workspace", id, "error", err)
	}
}

// reapStaleJobs fails running jobs whose daemon stopped heartbeating, so the
// next build of their workspace can run.
func (s *Server) reapStaleJobs(ctx context.Context) {
	t := time.NewTicker(max(s.opts.JobTimeout/4, 50*time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		jobs, err := s.store.FailStaleProvisionerJobs(ctx, s.opts.Now().Add(-s.opts.JobTimeout))
		if err != nil {
			if !errors.Is(err, context.Canceled) {
				s.logger.Warn("fail stale jobs", "error", err)
			}
			continue
		}
		for _, j := range jobs {
			s.logger.Warn("failed a job whose provisioner daemon stopped responding", "job", j.ID, "daemon", j.WorkerName)
			_ = s.store.Notify(ctx, db.NotifyParams{Channel: channelJob, Payload: j.ID.String()})
			if j.WorkspaceID != nil {
				s.notifyWorkspace(ctx, *j.WorkspaceID)
			}
		}
	}
}
