package httpmw

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"

	"den/server/httpapi"
	"den/store"
	"den/store/db"
)

type (
	templateKey  struct{}
	workspaceKey struct{}
	jobKey       struct{}
)

// TemplateParam returns the template LoadTemplate found.
func TemplateParam(ctx context.Context) db.Template { return ctx.Value(templateKey{}).(db.Template) }

// WorkspaceParam returns the workspace LoadWorkspace or LoadUserWorkspace
// found.
func WorkspaceParam(ctx context.Context) db.Workspace {
	return ctx.Value(workspaceKey{}).(db.Workspace)
}

// JobParam returns the job LoadJob found.
func JobParam(ctx context.Context) db.ProvisionerJob { return ctx.Value(jobKey{}).(db.ProvisionerJob) }

// load is the shape of every path-object loader: find the object the path
// names, answer 404 when there is none, else put it in the context.
func load[T any](logger *slog.Logger, key any, find func(r *http.Request) (T, error), what func(r *http.Request) string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			obj, err := find(r)
			if store.IsNotFound(err) {
				httpapi.Errorf(w, http.StatusNotFound, "%s not found", what(r))
				return
			}
			if err != nil {
				httpapi.InternalError(w, r, logger, err)
				return
			}
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), key, obj)))
		})
	}
}

// LoadTemplate finds the template {template} names, by name or ID.
func LoadTemplate(st store.Store, logger *slog.Logger) func(http.Handler) http.Handler {
	return load(logger, templateKey{}, func(r *http.Request) (db.Template, error) {
		ref := chi.URLParam(r, "template")
		if id, err := uuid.Parse(ref); err == nil {
			t, err := st.GetTemplateByID(r.Context(), id)
			if err == nil && t.Deleted {
				err = store.ErrNotFound
			}
			return t, err
		}
		return st.GetTemplateByName(r.Context(), ref)
	}, func(r *http.Request) string { return "template " + quote(chi.URLParam(r, "template")) })
}

// LoadWorkspace finds the live workspace whose ID {workspace} holds.
func LoadWorkspace(st store.Store, logger *slog.Logger) func(http.Handler) http.Handler {
	return load(logger, workspaceKey{}, func(r *http.Request) (db.Workspace, error) {
		id, err := uuid.Parse(chi.URLParam(r, "workspace"))
		if err != nil {
			return db.Workspace{}, store.ErrNotFound
		}
		ws, err := st.GetWorkspaceByID(r.Context(), id)
		if err == nil && ws.Deleted {
			err = store.ErrNotFound
		}
		return ws, err
	}, func(r *http.Request) string { return "workspace " + quote(chi.URLParam(r, "workspace")) })
}

// LoadUserWorkspace finds the workspace {workspace} of the user LoadUser
// found, by name.
func LoadUserWorkspace(st store.Store, logger *slog.Logger) func(http.Handler) http.Handler {
	return load(logger, workspaceKey{}, func(r *http.Request) (db.Workspace, error) {
		owner := UserParam(r.Context())
		return st.GetWorkspaceByOwnerAndName(r.Context(), db.GetWorkspaceByOwnerAndNameParams{OwnerID: owner.ID, Name: chi.URLParam(r, "workspace")})
	}, func(r *http.Request) string {
		return "workspace " + quote(UserParam(r.Context()).Username+"/"+chi.URLParam(r, "workspace"))
	})
}

// LoadJob finds the provisioner job {job}.
func LoadJob(st store.Store, logger *slog.Logger) func(http.Handler) http.Handler {
	return load(logger, jobKey{}, func(r *http.Request) (db.ProvisionerJob, error) {
		id, err := uuid.Parse(chi.URLParam(r, "job"))
		if err != nil {
			return db.ProvisionerJob{}, store.ErrNotFound
		}
		return st.GetProvisionerJob(r.Context(), id)
	}, func(r *http.Request) string { return "job " + quote(chi.URLParam(r, "job")) })
}

func quote(s string) string { return `"` + s + `"` }
