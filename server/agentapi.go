package server

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"den/sdk"
	"den/server/httpapi"
	"den/server/httpmw"
	"den/store"
	"den/store/db"
)

// agentManifest tells an agent what to run. Until the start build has
// recorded it, the answer is 409 and the agent asks again.
func (s *Server) agentManifest(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a := httpmw.AgentFrom(ctx)
	if !a.Agent.ManifestReady {
		httpapi.WriteError(w, http.StatusConflict, sdk.Error{Message: "the start build has not finished yet; ask again"})
		return
	}
	owner, err := s.store.GetUserByIDAny(ctx, a.Workspace.OwnerID)
	if err != nil {
		httpapi.InternalError(w, r, s.logger, err)
		return
	}
	seed, err := s.hostKeySeed(ctx, a.Workspace.ID)
	if err != nil {
		httpapi.InternalError(w, r, s.logger, err)
		return
	}
	apps, err := s.manifestApps(ctx, a.Agent.ID)
	if err != nil {
		httpapi.InternalError(w, r, s.logger, err)
		return
	}
	env := map[string]string{}
	_ = json.Unmarshal(a.Agent.Env, &env) // written by the server
	httpapi.Write(w, http.StatusOK, sdk.AgentManifest{
		AgentID: a.Agent.ID, WorkspaceID: a.Workspace.ID, WorkspaceName: a.Workspace.Name,
		OwnerName: owner.Username, OwnerEmail: owner.Email,
		Dir: a.Agent.Dir, Env: env, StartupScript: a.Agent.StartupScript,
		StartupTimeoutSeconds: int(a.Agent.StartupTimeoutSeconds), SSHHostKeySeed: seed, Apps: apps,
	})
}

func (s *Server) agentLifecycle(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a := httpmw.AgentFrom(ctx)
	var req sdk.AgentLifecycleRequest
	if !httpapi.Read(w, r, &req) {
		return
	}
	if !req.State.Valid() {
		httpapi.Invalid(w, sdk.ValidationError{Field: "state", Detail: "is not a lifecycle state"})
		return
	}
	if _, err := s.store.UpdateWorkspaceAgentLifecycle(ctx, db.UpdateWorkspaceAgentLifecycleParams{ID: a.Agent.ID, State: string(req.State)}); err != nil {
		httpapi.InternalError(w, r, s.logger, err)
		return
	}
	s.logger.Info("agent lifecycle", "workspace", a.Workspace.Name, "agent", a.Agent.ID, "state", req.State)
	s.notifyAgent(ctx, a)
	w.WriteHeader(http.StatusNoContent)
}

// agentLogs stores startup output in the log of the agent's build, where
// den create, den start and den logs read it.
func (s *Server) agentLogs(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a := httpmw.AgentFrom(ctx)
	var req sdk.AgentLogsRequest
	if !httpapi.Read(w, r, &req) {
		return
	}
	if len(req.Logs) > sdk.MaxAgentLogsPerRequest {
		httpapi.Invalid(w, sdk.ValidationError{Field: "logs", Detail: "send at most 1000 lines at once"})
		return
	}
	p := db.InsertProvisionerJobLogsParams{JobID: a.Build.JobID}
	var size int64
	now := s.opts.Now()
	for _, l := range req.Logs {
		out := strings.ToValidUTF8(l.Output, "�")
		if len(out) > sdk.MaxAgentLogLine {
			out = out[:sdk.MaxAgentLogLine] + "…"
		}
		level := l.Level
		if level != "debug" && level != "warn" && level != "error" {
			level = "info"
		}
		created := l.CreatedAt
		if created.IsZero() || created.After(now.Add(time.Minute)) {
			created = now
		}
		size += int64(len(out))
		p.CreatedAt = append(p.CreatedAt, created)
		p.Level = append(p.Level, level)
		p.Stage = append(p.Stage, "Running startup script")
		p.Output = append(p.Output, out)
	}
	var over bool
	err := s.store.InTx(ctx, func(tx store.Store) error {
		total, err := tx.AddWorkspaceAgentLogBytes(ctx, db.AddWorkspaceAgentLogBytesParams{ID: a.Agent.ID, Bytes: size})
		if err != nil {
			return err
		}
		if total > sdk.MaxAgentLogBytes {
			over = true
			return nil
		}
		if _, err := tx.InsertProvisionerJobLogs(ctx, p); err != nil {
			return err
		}
		return tx.Notify(ctx, db.NotifyParams{Channel: channelJob, Payload: a.Build.JobID.String()})
	})
	if err != nil {
		httpapi.InternalError(w, r, s.logger, err)
		return
	}
	if over {
		httpapi.WriteError(w, http.StatusRequestEntityTooLarge, sdk.Error{Message: "this agent has sent its share of startup log (1 MiB); the rest is dropped"})
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// notifyAgent tells watchers of the workspace and of its build's log that
// the agent changed.
func (s *Server) notifyAgent(ctx context.Context, a httpmw.Agent) {
	s.notifyWorkspace(ctx, a.Workspace.ID)
	if err := s.store.Notify(ctx, db.NotifyParams{Channel: channelJob, Payload: a.Build.JobID.String()}); err != nil {
		s.logger.Warn("notify job watchers", "error", err)
	}
}
