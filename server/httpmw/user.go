package httpmw

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"

	"den/sdk"
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
	return load(logger, userParamKey{}, func(r *http.Request) (db.User, error) {
		param := chi.URLParam(r, "user")
		if param == sdk.Me {
			actor, _ := ActorFrom(r.Context())
			return actor.User, nil
		}
		if id, err := uuid.Parse(param); err == nil {
			return st.GetUserByID(r.Context(), id)
		}
		return st.GetUserByUsername(r.Context(), param)
	}, func(r *http.Request) string { return "user " + quote(chi.URLParam(r, "user")) })
}
