// Package httpmw holds the HTTP middleware of the API: authentication,
// request logging, panic recovery and loading the objects a path names.
package httpmw

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"den/sdk"
	"den/server/apikey"
	"den/server/httpapi"
	"den/store"
	"den/store/db"
)

type actorKey struct{}

// Actor is who sent an authenticated request, and with which key.
type Actor struct {
	User   db.User
	APIKey db.ApiKey
}

// ActorFrom returns the request's actor. Only handlers behind Authenticate
// may call it; elsewhere ok is false.
func ActorFrom(ctx context.Context) (Actor, bool) {
	a, ok := ctx.Value(actorKey{}).(Actor)
	return a, ok
}

// WithActor returns ctx carrying a.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// AuthOptions configures Authenticate.
type AuthOptions struct {
	Store  store.Store
	Logger *slog.Logger
	Now    func() time.Time
	// SessionDuration is how long a session lives after its last use.
	SessionDuration time.Duration
	// SecureCookies marks session cookies Secure (the server is on https).
	SecureCookies bool
}

// lastUsedInterval bounds how often a key's last-used time is written.
const lastUsedInterval = time.Minute

// Token returns the key a request presents: the session header, a bearer
// token, or the session cookie, in that order.
func Token(r *http.Request) string {
	t, _ := presentedKey(r)
	return t
}

// presentedKey is Token, and whether the key came from the session cookie.
func presentedKey(r *http.Request) (key string, cookie bool) {
	if t := r.Header.Get(sdk.SessionTokenHeader); t != "" {
		return t, false
	}
	if h := r.Header.Get("Authorization"); len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:]), false
	}
	if c, err := r.Cookie(sdk.SessionTokenCookie); err == nil {
		return c.Value, true
	}
	return "", false
}

// Authenticate rejects requests without a valid, unexpired key of an active
// user with 401, and otherwise puts the Actor into the request context.
func Authenticate(o AuthOptions) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ctx := r.Context()
			token, fromCookie := presentedKey(r)
			if token == "" {
				unauthorized(w, "you are not signed in", "run `den login URL`, or send a session token in the "+sdk.SessionTokenHeader+" header")
				return
			}
			id, secret, err := apikey.Parse(token)
			if err != nil {
				unauthorized(w, "the session token is malformed", "sign in again with `den login`")
				return
			}
			row, err := o.Store.GetAPIKeyAuth(ctx, id)
			if store.IsNotFound(err) || (err == nil && !apikey.Matches(secret, row.ApiKey.HashedSecret)) {
				unauthorized(w, "the session token is not valid", "it may have been revoked; sign in again with `den login`")
				return
			}
			if err != nil {
				httpapi.InternalError(w, r, o.Logger, err)
				return
			}
			key, user := row.ApiKey, row.User
			now := o.Now()
			if msg, detail := KeyProblem(row, now); msg != "" {
				unauthorized(w, msg, detail)
				return
			}
			if now.Sub(key.LastUsedAt) >= lastUsedInterval {
				if err := touch(ctx, o, &key, &user, now); err != nil {
					httpapi.InternalError(w, r, o.Logger, err)
					return
				}
				if key.Kind == "session" && fromCookie {
					SetSessionCookie(w, token, key.ExpiresAt, o.SecureCookies)
				}
			}
			next.ServeHTTP(w, r.WithContext(WithActor(ctx, Actor{User: user, APIKey: key})))
		})
	}
}

// KeyProblem says why a key, found with its user, may not act now: it
// expired, or its user is deleted or suspended. msg is empty when it may.
func KeyProblem(row db.GetAPIKeyAuthRow, now time.Time) (msg, detail string) {
	switch {
	case !now.Before(row.ApiKey.ExpiresAt):
		return "the session token has expired", "sign in again with `den login`, or create a new API token"
	case row.User.Deleted:
		return "the account of this session no longer exists", ""
	case row.User.Status != string(sdk.UserStatusActive):
		return "your account is suspended", "ask an administrator to activate it"
	}
	return "", ""
}

// touch records that key was used; a session also gets its expiry pushed out.
func touch(ctx context.Context, o AuthOptions, key *db.ApiKey, user *db.User, now time.Time) error {
	return o.Store.InTx(ctx, func(tx store.Store) error {
		key.LastUsedAt = now
		if err := tx.UpdateAPIKeyLastUsed(ctx, db.UpdateAPIKeyLastUsedParams{ID: key.ID, LastUsedAt: now}); err != nil {
			return err
		}
		if key.Kind == "session" {
			key.ExpiresAt = now.Add(o.SessionDuration)
			if err := tx.UpdateAPIKeyExpiry(ctx, db.UpdateAPIKeyExpiryParams{ID: key.ID, ExpiresAt: key.ExpiresAt}); err != nil {
				return err
			}
		}
		user.LastSeenAt = &now
		return tx.UpdateUserLastSeen(ctx, db.UpdateUserLastSeenParams{ID: user.ID, LastSeenAt: &now})
	})
}

func unauthorized(w http.ResponseWriter, msg, detail string) {
	httpapi.WriteError(w, http.StatusUnauthorized, sdk.Error{Message: msg, Detail: detail})
}
