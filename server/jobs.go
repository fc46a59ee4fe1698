package server

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"den/provisionerd"
	"den/sdk"
	"den/server/httpapi"
	"den/server/httpmw"
	"den/server/policy"
	"den/store"
	"den/store/db"
)

// authorizeJob lets the actor see a job when they may see what it is for:
// the template of an import, the workspace of a build.
func (s *Server) authorizeJob(w http.ResponseWriter, r *http.Request, j db.ProvisionerJob) bool {
	if provisionerd.JobType(j.Type) == provisionerd.JobWorkspaceBuild && j.WorkspaceID != nil {
		ws, err := s.store.GetWorkspaceByID(r.Context(), *j.WorkspaceID)
		if err != nil {
			httpapi.InternalError(w, r, s.logger, err)
			return false
		}
		return s.authorize(w, r, policy.ActionRead, workspaceObject(ws))
	}
	return s.authorize(w, r, policy.ActionRead, templateObject)
}

func (s *Server) jobDetail(ctx context.Context, j db.ProvisionerJob) (sdk.ProvisionerJob, error) {
	out := convertJob(j)
	if out.Status == sdk.JobPending {
		n, err := s.store.CountJobsAhead(ctx, j.ID)
		if err != nil {
			return out, err
		}
		out.QueuePosition = int(n) + 1
	}
	return out, nil
}

func (s *Server) getJob(w http.ResponseWriter, r *http.Request) {
	j := httpmw.JobParam(r.Context())
	if !s.authorizeJob(w, r, j) {
		return
	}
	out, err := s.jobDetail(r.Context(), j)
	if err != nil {
		httpapi.InternalError(w, r, s.logger, err)
		return
	}
	httpapi.Write(w, http.StatusOK, out)
}

// jobLogs streams a job's log as newline-delimited JSON events: the log
// lines after ?after=ID, and the job whenever its status changes. With
// ?follow=true it goes on until the job is done.
func (s *Server) jobLogs(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	j := httpmw.JobParam(ctx)
	if !s.authorizeJob(w, r, j) {
		return
	}
	q := r.URL.Query()
	after, err := strconv.ParseInt(q.Get("after"), 10, 64)
	if q.Get("after") != "" && (err != nil || after < 0) {
		httpapi.Invalid(w, sdk.ValidationError{Field: "after", Detail: "must be a log line ID (a whole number)"})
		return
	}
	follow := q.Get("follow") == "true" || q.Get("follow") == "1"
	var updates <-chan string
	if follow {
		var end func()
		ctx, updates, end, err = s.subscribeStream(ctx, channelJob)
		defer end()
		if err != nil {
			httpapi.InternalError(w, r, s.logger, err)
			return
		}
	}
	startNDJSON(w)
	enc := json.NewEncoder(w)
	rc := http.NewResponseController(w)
	var (
		lastStatus sdk.JobStatus
		lastAgent  sdk.WorkspaceAgent
	)
	safety := time.NewTicker(5 * time.Second)
	defer safety.Stop()
	for {
		// Logs first, then the job: a done job's last lines come before
		// the event that ends the stream.
		for {
			logs, err := s.store.GetProvisionerJobLogsAfter(ctx, db.GetProvisionerJobLogsAfterParams{JobID: j.ID, ID: after})
			if err != nil {
				s.logger.Warn("read job logs", "job", j.ID, "error", err)
				return
			}
			for _, l := range logs {
				ev := convertJobLog(l)
				if enc.Encode(sdk.JobEvent{Log: &ev}) != nil {
					return
				}
				after = l.ID
			}
			if len(logs) < 1000 {
				break
			}
		}
		job, err := s.store.GetProvisionerJob(ctx, j.ID)
		if err != nil {
			if !store.IsNotFound(err) && ctx.Err() == nil {
				s.logger.Warn("read job", "job", j.ID, "error", err)
			}
			return
		}
		detail, err := s.jobDetail(ctx, job)
		if err != nil {
			return
		}
		if detail.Status != lastStatus || !follow {
			lastStatus = detail.Status
			if enc.Encode(sdk.JobEvent{Job: &detail}) != nil {
				return
			}
		}
		done := detail.Status.Done()
		if done && detail.Status == sdk.JobSucceeded && provisionerd.JobType(job.Type) == provisionerd.JobWorkspaceBuild {
			agent, starting := s.startingAgent(ctx, job)
			if agent != nil && (agent.Lifecycle != lastAgent.Lifecycle || agent.Connection != lastAgent.Connection) {
				lastAgent = *agent
				if enc.Encode(sdk.JobEvent{Agent: agent}) != nil {
					return
				}
			}
			done = !starting
		}
		_ = rc.Flush()
		if !follow || done {
			return
		}
		if !waitForUpdate(ctx, updates, safety.C, j.ID.String()) {
			return
		}
	}
}

// agentGrace is how long past its startup timeout a start build's log
// stream waits for an agent that never reports.
const agentGrace = 30 * time.Second

// startingAgent returns the agent a succeeded start build started, and
// whether its start is still going on (so a log stream should wait).
func (s *Server) startingAgent(ctx context.Context, job db.ProvisionerJob) (*sdk.WorkspaceAgent, bool) {
	b, err := s.store.GetWorkspaceBuildByJobID(ctx, job.ID)
	if err != nil || b.Transition != string(sdk.TransitionStart) {
		return nil, false
	}
	a, err := s.store.GetWorkspaceAgentByBuild(ctx, b.ID)
	if err != nil || !a.ManifestReady {
		return nil, false
	}
	status := agentStatus(a)
	if status.Lifecycle.Started() {
		return status, false
	}
	limit := time.Duration(a.StartupTimeoutSeconds)*time.Second + agentGrace
	if job.CompletedAt != nil && s.opts.Now().Sub(*job.CompletedAt) > limit {
		return status, false // it never reported; the stream ends, the status says so
	}
	return status, true
}

// waitForUpdate waits for a notification about id (or a reconnect's "look
// again", an empty payload), or the safety tick; false when the request is
// over.
func waitForUpdate(ctx context.Context, updates <-chan string, tick <-chan time.Time, id string) bool {
	for {
		select {
		case <-ctx.Done():
			return false
		case <-tick:
			return true
		case p := <-updates:
			if p == id || p == "" {
				return true
			}
		}
	}
}
