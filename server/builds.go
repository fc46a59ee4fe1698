package server

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"

	"den/sdk"
	"den/server/httpapi"
	"den/server/httpmw"
	"den/server/policy"
	"den/store"
	"den/store/db"
)

// createBuild asks for a transition of a workspace. Only one build runs at a
// time per workspace (409 otherwise), except that a stop or delete asked for
// while a start runs cancels the start and runs after it.
func (s *Server) createBuild(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	ws := httpmw.WorkspaceParam(ctx)
	var req sdk.CreateWorkspaceBuildRequest
	if !httpapi.Read(w, r, &req) {
		return
	}
	action := policy.ActionUpdate
	switch req.Transition {
	case sdk.TransitionStart, sdk.TransitionStop:
	case sdk.TransitionDelete:
		action = policy.ActionDelete
	default:
		httpapi.Invalid(w, sdk.ValidationError{Field: "transition", Detail: `must be "start", "stop" or "delete"`})
		return
	}
	if req.Orphan && req.Transition != sdk.TransitionDelete {
		httpapi.Invalid(w, sdk.ValidationError{Field: "orphan", Detail: "only a delete can orphan a workspace"})
		return
	}
	if req.Restart && req.Transition != sdk.TransitionStop {
		httpapi.Invalid(w, sdk.ValidationError{Field: "restart", Detail: "only a stop can be a restart"})
		return
	}
	if req.Transition != sdk.TransitionStart && (req.TemplateVersionID != nil || len(req.Parameters) > 0) {
		httpapi.Invalid(w, sdk.ValidationError{Field: "transition", Detail: "a template version and parameters can be given only to start"})
		return
	}
	if !s.authorize(w, r, action, workspaceObject(ws)) {
		return
	}
	actor, _ := httpmw.ActorFrom(ctx)
	var (
		build    db.WorkspaceBuild
		conflict string
		invalid  validations
	)
	err := s.store.InTx(ctx, func(tx store.Store) error {
		if err := tx.LockWorkspace(ctx, ws.ID); err != nil {
			return err
		}
		latest, err := tx.GetLatestWorkspaceBuild(ctx, ws.ID)
		if err != nil {
			return err
		}
		job, err := tx.GetProvisionerJob(ctx, latest.JobID)
		if err != nil {
			return err
		}
		if status := jobStatus(job); !status.Done() {
			if latest.Transition != string(sdk.TransitionStart) || req.Transition == sdk.TransitionStart {
				conflict = fmt.Sprintf("build #%d (%s) of %s is %s; wait for it to finish", latest.Number, latest.Transition, ws.Name, status)
				return nil
			}
			if _, err := tx.CancelProvisionerJob(ctx, job.ID); err != nil && !store.IsNotFound(err) {
				return err
			}
		}
		version, err := s.buildVersion(ctx, tx, ws, latest, req, &invalid)
		if err != nil || len(invalid) > 0 {
			return err
		}
		previous, err := decodeValues(latest.Parameters)
		if err != nil {
			return err
		}
		values := previous
		if req.Transition == sdk.TransitionStart {
			params, err := decodeParameters(version.Parameters)
			if err != nil {
				return err
			}
			if values, invalid = resolveParameters(params, req.Parameters, previous); len(invalid) > 0 {
				return nil
			}
		}
		build, err = s.insertBuild(ctx, tx, ws, buildSpec{
			transition: req.Transition, version: version, values: values,
			initiator: actor.User.ID, number: latest.Number + 1, orphan: req.Orphan, restart: req.Restart,
		})
		return err
	})
	switch {
	case err != nil:
		httpapi.InternalError(w, r, s.logger, err)
		return
	case conflict != "":
		httpapi.WriteError(w, http.StatusConflict, sdk.Error{Message: conflict})
		return
	case len(invalid) > 0:
		httpapi.Invalid(w, invalid...)
		return
	}
	s.notifyWorkspace(ctx, ws.ID)
	s.writeBuild(w, r, ws, build.Number, http.StatusCreated)
}

// startAfterRestart queues the start that ends a restart, in the
// transaction that completes its stop: the same template version and
// parameters, asked for by the same user. Nothing is queued when another
// build came after the stop meanwhile.
func (s *Server) startAfterRestart(ctx context.Context, tx store.Store, stop db.WorkspaceBuild) error {
	if err := tx.LockWorkspace(ctx, stop.WorkspaceID); err != nil {
		return err
	}
	latest, err := tx.GetLatestWorkspaceBuild(ctx, stop.WorkspaceID)
	if err != nil || latest.ID != stop.ID {
		return err
	}
	ws, err := tx.GetWorkspaceByID(ctx, stop.WorkspaceID)
	if err != nil {
		return err
	}
	version, err := tx.GetTemplateVersionByID(ctx, stop.TemplateVersionID)
	if err != nil {
		return err
	}
	values, err := decodeValues(stop.Parameters)
	if err != nil {
		return err
	}
	_, err = s.insertBuild(ctx, tx, ws, buildSpec{
		transition: sdk.TransitionStart, version: version, values: values,
		initiator: stop.InitiatorID, number: stop.Number + 1,
	})
	return err
}

// buildVersion is the template version a new build uses: the one asked for
// (an update), else the latest build's.
func (s *Server) buildVersion(ctx context.Context, tx store.Store, ws db.Workspace, latest db.WorkspaceBuild, req sdk.CreateWorkspaceBuildRequest, invalid *validations) (db.TemplateVersion, error) {
	id := latest.TemplateVersionID
	if req.TemplateVersionID != nil {
		id = *req.TemplateVersionID
	}
	v, err := tx.GetTemplateVersionByID(ctx, id)
	if store.IsNotFound(err) || (err == nil && v.TemplateID != ws.TemplateID) {
		invalid.add("template_version_id", "is not a version of this workspace's template")
		return v, nil
	}
	if err != nil {
		return v, err
	}
	if id != latest.TemplateVersionID {
		job, err := tx.GetProvisionerJob(ctx, v.JobID)
		if err != nil {
			return v, err
		}
		if jobStatus(job) != sdk.JobSucceeded {
			invalid.add("template_version_id", "version %d did not import successfully (%s)", v.Number, jobStatus(job))
		}
	}
	return v, nil
}

func (s *Server) writeBuild(w http.ResponseWriter, r *http.Request, ws db.Workspace, number int32, status int) {
	rows, err := s.store.ListWorkspaceBuilds(r.Context(), db.ListWorkspaceBuildsParams{WorkspaceID: ws.ID, Number: &number})
	if err != nil {
		httpapi.InternalError(w, r, s.logger, err)
		return
	}
	if len(rows) == 0 {
		httpapi.Errorf(w, http.StatusNotFound, "workspace %q has no build #%d", ws.Name, number)
		return
	}
	row := rows[0]
	httpapi.Write(w, status, convertBuild(row.WorkspaceBuild, row.ProvisionerJob, row.InitiatorName, row.TemplateVersionNumber))
}

// listBuilds lists a workspace's builds, newest first, a page at a time
// (?limit=, default sdk.DefaultBuildPage, and ?offset=).
func (s *Server) listBuilds(w http.ResponseWriter, r *http.Request) {
	ws := httpmw.WorkspaceParam(r.Context())
	if !s.authorize(w, r, policy.ActionRead, workspaceObject(ws)) {
		return
	}
	limit, ok := queryInt(w, r.URL.Query(), "limit", sdk.DefaultBuildPage, 1, sdk.MaxBuildPage)
	if !ok {
		return
	}
	offset, ok := queryInt(w, r.URL.Query(), "offset", 0, 0, math.MaxInt32)
	if !ok {
		return
	}
	lim := int32(limit)
	rows, err := s.store.ListWorkspaceBuilds(r.Context(), db.ListWorkspaceBuildsParams{WorkspaceID: ws.ID, PageLimit: &lim, PageOffset: int32(offset)})
	if err != nil {
		httpapi.InternalError(w, r, s.logger, err)
		return
	}
	out := make([]sdk.WorkspaceBuild, len(rows))
	for i, row := range rows {
		out[i] = convertBuild(row.WorkspaceBuild, row.ProvisionerJob, row.InitiatorName, row.TemplateVersionNumber)
	}
	httpapi.Write(w, http.StatusOK, out)
}

func (s *Server) getBuild(w http.ResponseWriter, r *http.Request) {
	ws := httpmw.WorkspaceParam(r.Context())
	if !s.authorize(w, r, policy.ActionRead, workspaceObject(ws)) {
		return
	}
	n, err := strconv.ParseInt(chi.URLParam(r, "number"), 10, 32)
	if err != nil || n <= 0 {
		httpapi.Errorf(w, http.StatusBadRequest, "build %q: use a build number", chi.URLParam(r, "number"))
		return
	}
	s.writeBuild(w, r, ws, int32(n), http.StatusOK)
}
