package httpmw

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"

	"den/sdk"
	"den/server/httpapi"
	"den/store"
	"den/store/db"
)

type userParamKey struct{}

// UserParam returns the user LoadUser found.
func UserParam(ctx context.Context) db.User {
	return ctx.Value(userParamKey{}).(db.User)
}

// LoadUser finds the user the {user} path segment names (a username, an ID,
// or "me") and answers 404 when there is none. It runs behind Authenticate.
func LoadUser(st store.Store, logger *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ctx := r.Context()
			param := chi.URLParam(r, "user")
			var (
				user db.User
				err  error
			)
			actor, _ := ActorFrom(ctx)
			if param == sdk.Me {
				user = actor.User
			} else if id, perr := uuid.Parse(param); perr == nil {
				user, err = st.GetUserByID(ctx, id)
			} else {
				user, err = st.GetUserByUsername(ctx, param)
			}
			if store.IsNotFound(err) {
				httpapi.Errorf(w, http.StatusNotFound, "user %q not found", param)
				return
			}
			if err != nil {
				httpapi.InternalError(w, r, logger, err)
				return
			}
			next.ServeHTTP(w, r.WithContext(context.WithValue(ctx, userParamKey{}, user)))
		})
	}
}
