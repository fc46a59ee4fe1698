package server

import (
	"encoding/json"

	"den/sdk"
	"den/store/db"
)

// roles returns the user's roles, member included.
func roles(u db.User) []sdk.Role {
	out := make([]sdk.Role, 0, len(u.Roles)+1)
	for _, r := range u.Roles {
		out = append(out, sdk.Role(r))
	}
	return append(out, sdk.RoleMember)
}

func convertUser(u db.User) sdk.User {
	return sdk.User{
		ID:         u.ID,
		Username:   u.Username,
		Email:      u.Email,
		Roles:      roles(u),
		Status:     sdk.UserStatus(u.Status),
		CreatedAt:  u.CreatedAt,
		LastSeenAt: u.LastSeenAt,
	}
}

func convertToken(k db.ApiKey) sdk.Token {
	return sdk.Token{
		ID:         k.ID,
		Name:       k.Name,
		CreatedAt:  k.CreatedAt,
		ExpiresAt:  k.ExpiresAt,
		LastUsedAt: k.LastUsedAt,
	}
}

func jobStatus(j db.ProvisionerJob) sdk.JobStatus {
	switch {
	case j.CompletedAt != nil && j.Error == nil:
		return sdk.JobSucceeded
	case j.CompletedAt != nil && j.CanceledAt != nil:
		return sdk.JobCanceled
	case j.CompletedAt != nil:
		return sdk.JobFailed
	case j.CanceledAt != nil:
		return sdk.JobCanceling
	case j.StartedAt != nil:
		return sdk.JobRunning
	default:
		return sdk.JobPending
	}
}

func convertJob(j db.ProvisionerJob) sdk.ProvisionerJob {
	out := sdk.ProvisionerJob{
		ID:          j.ID,
		Type:        j.Type,
		Status:      jobStatus(j),
		CreatedAt:   j.CreatedAt,
		StartedAt:   j.StartedAt,
		CompletedAt: j.CompletedAt,
		WorkerName:  j.WorkerName,
	}
	if j.Error != nil {
		out.Error = *j.Error
	}
	return out
}

func convertJobLog(l db.ProvisionerJobLog) sdk.ProvisionerJobLog {
	return sdk.ProvisionerJobLog{ID: l.ID, CreatedAt: l.CreatedAt, Level: l.Level, Stage: l.Stage, Output: l.Output}
}

func convertTemplate(t db.Template, activeNumber int32, workspaces int64) sdk.Template {
	return sdk.Template{
		ID: t.ID, Name: t.Name, Description: t.Description, Provisioner: t.Provisioner,
		ActiveVersion: activeNumber, ActiveVersionID: t.ActiveVersionID, WorkspaceCount: workspaces,
		CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt,
	}
}

func convertTemplateVersion(t db.Template, v db.TemplateVersion, j db.ProvisionerJob, createdBy string) sdk.TemplateVersion {
	params := []sdk.TemplateParameter{}
	_ = json.Unmarshal(v.Parameters, &params) // written by the server from the same type
	return sdk.TemplateVersion{
		ID: v.ID, TemplateID: t.ID, TemplateName: t.Name, Number: v.Number, Message: v.Message,
		FileHash: v.FileHash, Description: v.Description, Parameters: params,
		Active:    t.ActiveVersionID != nil && *t.ActiveVersionID == v.ID,
		CreatedBy: createdBy, CreatedAt: v.CreatedAt, Job: convertJob(j),
	}
}

func convertBuild(b db.WorkspaceBuild, j db.ProvisionerJob, initiator string, versionNumber int32) sdk.WorkspaceBuild {
	params := []sdk.ParameterValue{}
	_ = json.Unmarshal(b.Parameters, &params)
	resources := []sdk.WorkspaceResource{}
	_ = json.Unmarshal(b.Resources, &resources)
	return sdk.WorkspaceBuild{
		ID: b.ID, WorkspaceID: b.WorkspaceID, Number: b.Number, Transition: sdk.Transition(b.Transition),
		TemplateVersionID: b.TemplateVersionID, TemplateVersionNumber: versionNumber,
		Parameters: params, InitiatorName: initiator, Orphan: b.Orphan, Restart: b.Restart, Resources: resources,
		Job: convertJob(j), CreatedAt: b.CreatedAt,
	}
}

func convertWorkspace(row db.ListWorkspacesRow) sdk.Workspace {
	w := row.Workspace
	build := convertBuild(row.WorkspaceBuild, row.ProvisionerJob, row.InitiatorName, row.TemplateVersionNumber)
	out := sdk.Workspace{
		ID: w.ID, Name: w.Name, OwnerID: w.OwnerID, OwnerName: row.OwnerName,
		TemplateID: w.TemplateID, TemplateName: row.TemplateName,
		Status:      sdk.WorkspaceStatus(row.Status), // den_workspace_status, in the database
		Outdated:    row.TemplateActiveVersionID != nil && *row.TemplateActiveVersionID != row.WorkspaceBuild.TemplateVersionID,
		LatestBuild: build,
		Agent:       convertAgent(row),
		CreatedAt:   w.CreatedAt, UpdatedAt: w.UpdatedAt,
	}
	return out
}

func convertAgent(row db.ListWorkspacesRow) *sdk.WorkspaceAgent {
	if row.AgentID == nil {
		return nil
	}
	return agentStatus(db.WorkspaceAgent{
		ID: *row.AgentID, LifecycleState: deref(row.AgentLifecycle), Version: deref(row.AgentVersion),
		StartedAt: row.AgentStartedAt, ReadyAt: row.AgentReadyAt, FirstConnectedAt: row.AgentFirstConnectedAt,
		LastConnectedAt: row.AgentLastConnectedAt, DisconnectedAt: row.AgentDisconnectedAt,
	})
}

// agentStatus is an agent as the API shows it.
func agentStatus(r db.WorkspaceAgent) *sdk.WorkspaceAgent {
	a := &sdk.WorkspaceAgent{
		ID: r.ID, Lifecycle: sdk.AgentLifecycle(r.LifecycleState), Version: r.Version,
		StartedAt: r.StartedAt, ReadyAt: r.ReadyAt, FirstConnectedAt: r.FirstConnectedAt,
		LastConnectedAt: r.LastConnectedAt, DisconnectedAt: r.DisconnectedAt,
	}
	switch {
	case a.LastConnectedAt == nil:
		a.Connection = sdk.AgentConnecting
	case a.DisconnectedAt != nil:
		a.Connection = sdk.AgentDisconnected
	default:
		a.Connection = sdk.AgentConnected
	}
	return a
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
