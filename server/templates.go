package server

import (
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"

	"den/provisionerd"
	"den/sdk"
	"den/server/httpapi"
	"den/server/httpmw"
	"den/server/policy"
	"den/store"
	"den/store/db"
)

var templateObject = policy.Object{Type: policy.ResourceTemplate}

func (s *Server) listTemplates(w http.ResponseWriter, r *http.Request) {
	if !s.authorize(w, r, policy.ActionRead, templateObject) {
		return
	}
	rows, err := s.store.ListTemplates(r.Context())
	if err != nil {
		httpapi.InternalError(w, r, s.logger, err)
		return
	}
	out := make([]sdk.Template, len(rows))
	for i, row := range rows {
		out[i] = convertTemplate(row.Template, row.ActiveVersionNumber, row.WorkspaceCount)
	}
	httpapi.Write(w, http.StatusOK, out)
}

func (s *Server) getTemplate(w http.ResponseWriter, r *http.Request) {
	if !s.authorize(w, r, policy.ActionRead, templateObject) {
		return
	}
	t, err := s.templateDetail(r, httpmw.TemplateParam(r.Context()))
	if err != nil {
		httpapi.InternalError(w, r, s.logger, err)
		return
	}
	httpapi.Write(w, http.StatusOK, t)
}

func (s *Server) templateDetail(r *http.Request, t db.Template) (sdk.Template, error) {
	ctx := r.Context()
	var number int32
	if t.ActiveVersionID != nil {
		v, err := s.store.GetTemplateVersionByID(ctx, *t.ActiveVersionID)
		if err != nil {
			return sdk.Template{}, err
		}
		number = v.Number
	}
	n, err := s.store.CountWorkspacesByTemplate(ctx, t.ID)
	if err != nil {
		return sdk.Template{}, err
	}
	return convertTemplate(t, number, n), nil
}

func (s *Server) deleteTemplate(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	t := httpmw.TemplateParam(ctx)
	if !s.authorize(w, r, policy.ActionDelete, templateObject) {
		return
	}
	var inUse int64
	err := s.store.InTx(ctx, func(tx store.Store) error {
		if err := tx.LockTemplate(ctx, t.ID); err != nil {
			return err
		}
		n, err := tx.CountWorkspacesByTemplate(ctx, t.ID)
		if err != nil || n > 0 {
			inUse = n
			return err
		}
		return tx.SoftDeleteTemplate(ctx, t.ID)
	})
	if err != nil {
		httpapi.InternalError(w, r, s.logger, err)
		return
	}
	if inUse > 0 {
		httpapi.WriteError(w, http.StatusConflict, sdk.Error{
			Message: "template " + strconv.Quote(t.Name) + " is used by " + plural(inUse, "workspace"),
			Detail:  "delete those workspaces first; `den list` shows them",
		})
		return
	}
	s.logger.Info("deleted template", "template", t.Name)
	w.WriteHeader(http.StatusNoContent)
}

// createTemplateVersion pushes a version, creating the template on its first
// push, and queues the import job that checks it.
func (s *Server) createTemplateVersion(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if !s.authorize(w, r, policy.ActionCreate, templateObject) {
		return
	}
	name := chi.URLParam(r, "template")
	var req sdk.CreateTemplateVersionRequest
	if !httpapi.Read(w, r, &req) {
		return
	}
	var v validations
	v.name("template", name, "template")
	if req.FileHash == "" {
		v.add("file_hash", "is required: upload the template archive first")
	}
	if len(req.Message) > 1000 {
		v.add("message", "must be at most 1000 characters")
	}
	if len(v) > 0 {
		httpapi.Invalid(w, v...)
		return
	}
	if _, err := s.store.GetFile(ctx, req.FileHash); store.IsNotFound(err) {
		httpapi.Invalid(w, sdk.ValidationError{Field: "file_hash", Detail: "no uploaded archive has this hash; upload it first"})
		return
	} else if err != nil {
		httpapi.InternalError(w, r, s.logger, err)
		return
	}
	actor, _ := httpmw.ActorFrom(ctx)
	activate := req.Activate == nil || *req.Activate
	var (
		tmpl    db.Template
		version db.TemplateVersion
		job     db.ProvisionerJob
	)
	err := s.store.InTx(ctx, func(tx store.Store) error {
		var err error
		tmpl, err = tx.GetTemplateByName(ctx, name)
		if store.IsNotFound(err) {
			tmpl, err = tx.InsertTemplate(ctx, db.InsertTemplateParams{ID: uuid.New(), Name: name, Provisioner: "docker", CreatedBy: actor.User.ID})
		}
		if err != nil {
			return err
		}
		if err := tx.LockTemplate(ctx, tmpl.ID); err != nil {
			return err
		}
		number, err := tx.NextTemplateVersionNumber(ctx, tmpl.ID)
		if err != nil {
			return err
		}
		job, err = tx.InsertProvisionerJob(ctx, db.InsertProvisionerJobParams{
			ID: uuid.New(), Type: string(provisionerd.JobTemplateImport), Provisioner: tmpl.Provisioner,
			FileHash: req.FileHash, InitiatorID: actor.User.ID,
		})
		if err != nil {
			return err
		}
		version, err = tx.InsertTemplateVersion(ctx, db.InsertTemplateVersionParams{
			ID: uuid.New(), TemplateID: tmpl.ID, Number: number, Message: req.Message,
			FileHash: req.FileHash, JobID: job.ID, ActivateOnImport: activate, CreatedBy: actor.User.ID,
		})
		if err != nil {
			return err
		}
		return tx.Notify(ctx, db.NotifyParams{Channel: channelJobPosted, Payload: job.ID.String()})
	})
	if store.IsUniqueViolation(err, "templates_name_key") {
		httpapi.Errorf(w, http.StatusConflict, "template %q was just created by someone else; push again", name)
		return
	}
	if err != nil {
		httpapi.InternalError(w, r, s.logger, err)
		return
	}
	s.logger.Info("pushed template version", "template", tmpl.Name, "version", version.Number)
	httpapi.Write(w, http.StatusCreated, convertTemplateVersion(tmpl, version, job, actor.User.Username))
}

func (s *Server) listTemplateVersions(w http.ResponseWriter, r *http.Request) {
	t := httpmw.TemplateParam(r.Context())
	if !s.authorize(w, r, policy.ActionRead, templateObject) {
		return
	}
	rows, err := s.store.ListTemplateVersions(r.Context(), t.ID)
	if err != nil {
		httpapi.InternalError(w, r, s.logger, err)
		return
	}
	out := make([]sdk.TemplateVersion, len(rows))
	for i, row := range rows {
		out[i] = convertTemplateVersion(t, row.TemplateVersion, row.ProvisionerJob, row.CreatedByName)
	}
	httpapi.Write(w, http.StatusOK, out)
}

// getTemplateVersion returns the version {version} names: a number, or
// "active".
func (s *Server) getTemplateVersion(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	t := httpmw.TemplateParam(ctx)
	if !s.authorize(w, r, policy.ActionRead, templateObject) {
		return
	}
	ref := chi.URLParam(r, "version")
	var (
		v   db.TemplateVersion
		err error
	)
	if ref == "active" {
		if t.ActiveVersionID == nil {
			httpapi.Errorf(w, http.StatusNotFound, "template %q has no active version yet; push one with `den templates push %s`", t.Name, t.Name)
			return
		}
		v, err = s.store.GetTemplateVersionByID(ctx, *t.ActiveVersionID)
	} else {
		n, perr := strconv.ParseInt(ref, 10, 32)
		if perr != nil || n <= 0 {
			httpapi.Errorf(w, http.StatusBadRequest, "version %q: use a version number or \"active\"", ref)
			return
		}
		v, err = s.store.GetTemplateVersionByNumber(ctx, db.GetTemplateVersionByNumberParams{TemplateID: t.ID, Number: int32(n)})
	}
	if store.IsNotFound(err) {
		httpapi.Errorf(w, http.StatusNotFound, "template %q has no version %s", t.Name, ref)
		return
	}
	if err != nil {
		httpapi.InternalError(w, r, s.logger, err)
		return
	}
	out, err := s.versionDetail(r, t, v)
	if err != nil {
		httpapi.InternalError(w, r, s.logger, err)
		return
	}
	httpapi.Write(w, http.StatusOK, out)
}

func (s *Server) versionDetail(r *http.Request, t db.Template, v db.TemplateVersion) (sdk.TemplateVersion, error) {
	job, err := s.store.GetProvisionerJob(r.Context(), v.JobID)
	if err != nil {
		return sdk.TemplateVersion{}, err
	}
	u, err := s.store.GetUserByIDAny(r.Context(), v.CreatedBy)
	if err != nil {
		return sdk.TemplateVersion{}, err
	}
	return convertTemplateVersion(t, v, job, u.Username), nil
}

func plural(n int64, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return itoa(n) + " " + noun + "s"
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
