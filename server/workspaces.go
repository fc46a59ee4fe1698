package server

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"den/provisionerd"
	"den/sdk"
	"den/server/httpapi"
	"den/server/httpmw"
	"den/server/policy"
	"den/store"
	"den/store/db"
)

func workspaceObject(w db.Workspace) policy.Object {
	return policy.Object{Type: policy.ResourceWorkspace, OwnerID: w.OwnerID}
}

// createWorkspace makes a workspace for the user in the path, with its
// first build (start) and that build's job, in one transaction.
func (s *Server) createWorkspace(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	owner := httpmw.UserParam(ctx)
	if !s.authorize(w, r, policy.ActionCreate, policy.Object{Type: policy.ResourceWorkspace, OwnerID: owner.ID}) {
		return
	}
	var req sdk.CreateWorkspaceRequest
	if !httpapi.Read(w, r, &req) {
		return
	}
	var v validations
	v.name("name", req.Name, "workspace")
	if req.Template == "" {
		v.add("template", "is required; `den templates list` shows the templates")
	}
	if len(v) > 0 {
		httpapi.Invalid(w, v...)
		return
	}
	tmpl, err := s.store.GetTemplateByName(ctx, req.Template)
	if store.IsNotFound(err) {
		httpapi.Invalid(w, sdk.ValidationError{Field: "template", Detail: "there is no template named " + quote(req.Template) + "; `den templates list` shows the templates"})
		return
	}
	if err != nil {
		httpapi.InternalError(w, r, s.logger, err)
		return
	}
	if tmpl.ActiveVersionID == nil {
		httpapi.Invalid(w, sdk.ValidationError{Field: "template", Detail: "template " + quote(tmpl.Name) + " has no working version yet; push one with `den templates push`"})
		return
	}
	version, err := s.store.GetTemplateVersionByID(ctx, *tmpl.ActiveVersionID)
	if err != nil {
		httpapi.InternalError(w, r, s.logger, err)
		return
	}
	params, err := decodeParameters(version.Parameters)
	if err != nil {
		httpapi.InternalError(w, r, s.logger, err)
		return
	}
	values, v := resolveParameters(params, req.Parameters, nil)
	if len(v) > 0 {
		httpapi.Invalid(w, v...)
		return
	}
	actor, _ := httpmw.ActorFrom(ctx)
	var ws db.Workspace
	err = s.store.InTx(ctx, func(tx store.Store) error {
		var err error
		ws, err = tx.InsertWorkspace(ctx, db.InsertWorkspaceParams{ID: uuid.New(), OwnerID: owner.ID, TemplateID: tmpl.ID, Name: req.Name})
		if err != nil {
			return err
		}
		_, err = s.insertBuild(ctx, tx, ws, buildSpec{
			transition: sdk.TransitionStart, version: version, values: values, initiator: actor.User.ID, number: 1,
		})
		return err
	})
	if store.IsUniqueViolation(err, "workspaces_owner_name_key") {
		httpapi.WriteError(w, http.StatusConflict, sdk.Error{
			Message:     owner.Username + " already has a workspace named " + quote(req.Name),
			Validations: []sdk.ValidationError{{Field: "name", Detail: "is taken; choose another name"}},
		})
		return
	}
	if err != nil {
		httpapi.InternalError(w, r, s.logger, err)
		return
	}
	s.logger.Info("created workspace", "owner", owner.Username, "workspace", ws.Name, "template", tmpl.Name)
	s.writeWorkspace(w, r, ws.ID, http.StatusCreated)
}

// buildSpec is what a new build is made of.
type buildSpec struct {
	transition sdk.Transition
	version    db.TemplateVersion
	values     []sdk.ParameterValue
	initiator  uuid.UUID
	number     int32
	orphan     bool
	restart    bool
}

// insertBuild records a build and its job, and wakes the daemons. An orphan
// delete needs no provisioner: its job is done at once and the workspace is
// forgotten.
func (s *Server) insertBuild(ctx context.Context, tx store.Store, ws db.Workspace, b buildSpec) (db.WorkspaceBuild, error) {
	rawValues, err := json.Marshal(b.values)
	if err != nil {
		return db.WorkspaceBuild{}, err
	}
	tmpl, err := tx.GetTemplateByID(ctx, ws.TemplateID)
	if err != nil {
		return db.WorkspaceBuild{}, err
	}
	job, err := tx.InsertProvisionerJob(ctx, db.InsertProvisionerJobParams{
		ID: uuid.New(), Type: string(provisionerd.JobWorkspaceBuild), Provisioner: tmpl.Provisioner,
		FileHash: b.version.FileHash, WorkspaceID: &ws.ID, InitiatorID: b.initiator,
	})
	if err != nil {
		return db.WorkspaceBuild{}, err
	}
	build, err := tx.InsertWorkspaceBuild(ctx, db.InsertWorkspaceBuildParams{
		ID: uuid.New(), WorkspaceID: ws.ID, Number: b.number, Transition: string(b.transition),
		TemplateVersionID: b.version.ID, Parameters: rawValues, InitiatorID: b.initiator, JobID: job.ID, Orphan: b.orphan,
		Restart: b.restart,
	})
	if err != nil {
		return db.WorkspaceBuild{}, err
	}
	if b.orphan {
		if _, err := tx.InsertProvisionerJobLogs(ctx, db.InsertProvisionerJobLogsParams{
			JobID: job.ID, CreatedAt: []time.Time{s.opts.Now()}, Level: []string{"warn"}, Stage: []string{"Orphaning"},
			Output: []string{"Deleted without removing the workspace's infrastructure (--orphan); remove it by hand if it still exists."},
		}); err != nil {
			return db.WorkspaceBuild{}, err
		}
		if _, err := tx.CompleteProvisionerJob(ctx, db.CompleteProvisionerJobParams{ID: job.ID}); err != nil {
			return db.WorkspaceBuild{}, err
		}
		return build, tx.SoftDeleteWorkspace(ctx, ws.ID)
	}
	return build, tx.Notify(ctx, db.NotifyParams{Channel: channelJobPosted, Payload: job.ID.String()})
}

// writeWorkspace answers with the workspace as the API shows it.
func (s *Server) writeWorkspace(w http.ResponseWriter, r *http.Request, id uuid.UUID, status int) {
	ws, found, err := s.loadWorkspace(r.Context(), id)
	if err != nil {
		httpapi.InternalError(w, r, s.logger, err)
		return
	}
	if !found {
		// Deleted meanwhile (an orphan delete, say).
		httpapi.Errorf(w, http.StatusNotFound, "the workspace no longer exists")
		return
	}
	httpapi.Write(w, status, ws)
}

// loadWorkspace is a workspace as the API shows it, with its apps and SSH
// host key; found is false when it is gone.
func (s *Server) loadWorkspace(ctx context.Context, id uuid.UUID) (ws sdk.Workspace, found bool, err error) {
	rows, err := s.store.ListWorkspaces(ctx, db.ListWorkspacesParams{ID: &id})
	if err != nil || len(rows) == 0 {
		return ws, false, err
	}
	out := []sdk.Workspace{convertWorkspace(rows[0])}
	if err := s.addApps(ctx, out); err != nil {
		return ws, false, err
	}
	if seed, err := s.hostKeySeed(ctx, id); err == nil {
		out[0].SSHHostKey, _ = sdk.SSHPublicKey(ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey))
	} else {
		s.logger.Warn("derive workspace host key", "workspace", id, "error", err)
	}
	return out[0], true, nil
}

func (s *Server) getWorkspace(w http.ResponseWriter, r *http.Request) {
	ws := httpmw.WorkspaceParam(r.Context())
	if !s.authorize(w, r, policy.ActionRead, workspaceObject(ws)) {
		return
	}
	s.writeWorkspace(w, r, ws.ID, http.StatusOK)
}

// listWorkspaces lists a page of the workspaces the actor may see that
// match the search: ?q= (see parseWorkspaceQuery), ?owner=USERNAME,
// ?template=NAME, ?limit= and ?offset=.
func (s *Server) listWorkspaces(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	query := r.URL.Query()
	limit, ok := queryInt(w, query, "limit", sdk.DefaultWorkspacePage, 1, sdk.MaxWorkspacePage)
	if !ok {
		return
	}
	offset, ok := queryInt(w, query, "offset", 0, 0, math.MaxInt32)
	if !ok {
		return
	}
	wq, err := parseWorkspaceQuery(query.Get("q"))
	if err != nil {
		httpapi.Invalid(w, sdk.ValidationError{Field: "q", Detail: err.Error()})
		return
	}
	for param, field := range map[string]*string{"owner": &wq.Owner, "template": &wq.Template} {
		if v := query.Get(param); v != "" {
			if *field != "" && !strings.EqualFold(v, *field) {
				httpapi.Invalid(w, sdk.ValidationError{Field: "q", Detail: "the search has " + param + ":" + *field + ", which contradicts ?" + param + "=" + v})
				return
			}
			*field = v
		}
	}
	page := sdk.WorkspacePage{Workspaces: []sdk.Workspace{}}
	filter, some, err := s.workspaceSearch(r, wq)
	if err != nil {
		httpapi.InternalError(w, r, s.logger, err)
		return
	}
	if !some {
		httpapi.Write(w, http.StatusOK, page)
		return
	}
	lim := int32(limit)
	filter.PageLimit, filter.PageOffset = &lim, int32(offset)
	rows, err := s.store.ListWorkspaces(ctx, filter)
	if err == nil && len(rows) == 0 && offset > 0 {
		// Past the end: the count still says how many there are.
		one := int32(1)
		filter.PageLimit, filter.PageOffset = &one, 0
		var first []db.ListWorkspacesRow
		first, err = s.store.ListWorkspaces(ctx, filter)
		if len(first) > 0 {
			page.Count = first[0].Total
		}
	}
	if err != nil {
		httpapi.InternalError(w, r, s.logger, err)
		return
	}
	if len(rows) > 0 {
		page.Count = rows[0].Total
	}
	sub := subject(r)
	for _, row := range rows {
		if s.policy.Authorize(sub, policy.ActionRead, workspaceObject(row.Workspace)) == nil {
			page.Workspaces = append(page.Workspaces, convertWorkspace(row))
		}
	}
	if err := s.addApps(ctx, page.Workspaces); err != nil {
		httpapi.InternalError(w, r, s.logger, err)
		return
	}
	httpapi.Write(w, http.StatusOK, page)
}

// workspaceSearch turns a search into the database's filter, narrowed to the
// actor's own workspaces unless the policy lets it see everyone's. some is
// false when nothing can match (an owner that does not exist, or someone
// else's workspaces for an actor who sees only its own).
func (s *Server) workspaceSearch(r *http.Request, wq workspaceQuery) (filter db.ListWorkspacesParams, some bool, err error) {
	ctx := r.Context()
	actor, _ := httpmw.ActorFrom(ctx)
	sub := subject(r)
	if wq.Owner != "" {
		owner := actor.User
		if wq.Owner != sdk.Me && !strings.EqualFold(wq.Owner, actor.User.Username) {
			if owner, err = s.store.GetUserByUsername(ctx, wq.Owner); store.IsNotFound(err) {
				return filter, false, nil
			} else if err != nil {
				return filter, false, err
			}
		}
		filter.OwnerID = &owner.ID
	}
	if !s.policy.SeesEveryWorkspace(sub) {
		if filter.OwnerID != nil && *filter.OwnerID != sub.ID {
			return filter, false, nil
		}
		filter.OwnerID = &sub.ID
	}
	if wq.Template != "" {
		filter.TemplateName = &wq.Template
	}
	if wq.Status != "" {
		st := string(wq.Status)
		filter.Status = &st
	}
	if wq.Name != "" {
		filter.Name = &wq.Name
	}
	filter.Words = wq.Words
	return filter, true, nil
}

// queryInt reads the integer query parameter name, def when it is absent.
// When it is not a number from lo to hi it answers 400 and returns false.
func queryInt(w http.ResponseWriter, q url.Values, name string, def, lo, hi int) (int, bool) {
	v := q.Get(name)
	if v == "" {
		return def, true
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		httpapi.Invalid(w, sdk.ValidationError{Field: name, Detail: fmt.Sprintf("must be a whole number from %d to %d", lo, hi)})
		return 0, false
	}
	return n, true
}
