package server

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"den/sdk"
	"den/server/apikey"
	"den/server/httpapi"
	"den/server/httpmw"
	"den/server/password"
	"den/store"
	"den/store/db"
)

// dummyHash is checked against when a login names no user, so that a wrong
// username takes as long as a wrong password. It is made on first use: every
// den process (the agent too) links this package, and an argon2id hash costs
// 50 ms and 19 MiB.
var dummyHash = sync.OnceValue(func() string {
	h, err := password.Hash(context.Background(), "not a real password")
	if err != nil {
		panic(err)
	}
	return h
})

func (s *Server) setup(w http.ResponseWriter, r *http.Request) {
	n, err := s.store.CountUsers(r.Context())
	if err != nil {
		httpapi.InternalError(w, r, s.logger, err)
		return
	}
	httpapi.Write(w, http.StatusOK, sdk.SetupStatus{FirstUserRequired: n == 0})
}

// createFirstUser makes the owner on a server that has no users yet.
func (s *Server) createFirstUser(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var req sdk.CreateFirstUserRequest
	if !httpapi.Read(w, r, &req) {
		return
	}
	var v validations
	v.username("username", req.Username)
	v.email("email", req.Email)
	v.password("password", req.Password)
	if len(v) > 0 {
		httpapi.Invalid(w, v...)
		return
	}
	hashed, err := password.Hash(ctx, req.Password)
	if err != nil {
		httpapi.InternalError(w, r, s.logger, err)
		return
	}
	var (
		user     db.User
		key      apikey.Key
		expires  time.Time
		hasUsers bool
	)
	err = s.store.InTx(ctx, func(tx store.Store) error {
		if err := tx.LockUsers(ctx); err != nil {
			return err
		}
		n, err := tx.CountUsers(ctx)
		if err != nil {
			return err
		}
		if n > 0 {
			hasUsers = true
			return nil
		}
		user, err = tx.InsertUser(ctx, db.InsertUserParams{
			ID: uuid.New(), Username: req.Username, Email: req.Email,
			HashedPassword: hashed, Roles: []string{string(sdk.RoleOwner)},
		})
		if err != nil {
			return err
		}
		key, expires, err = s.newSession(ctx, tx, user.ID)
		return err
	})
	if err != nil {
		httpapi.InternalError(w, r, s.logger, err)
		return
	}
	if hasUsers {
		httpapi.WriteError(w, http.StatusConflict, sdk.Error{
			Message: "this server already has its first user",
			Detail:  "sign in with `den login` instead",
		})
		return
	}
	s.logger.Info("created first user", "username", user.Username)
	httpmw.SetSessionCookie(w, key.String(), expires, s.secureCookies())
	httpapi.Write(w, http.StatusCreated, sdk.LoginResponse{User: convertUser(user), SessionToken: key.String(), ExpiresAt: expires})
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var req sdk.LoginRequest
	if !httpapi.Read(w, r, &req) {
		return
	}
	var v validations
	if req.Login == "" {
		v.add("login", "is required: a username or an email address")
	}
	if req.Password == "" {
		v.add("password", "is required")
	}
	if len(v) > 0 {
		httpapi.Invalid(w, v...)
		return
	}
	if ok, wait := s.addressLimiter.Allow(clientAddress(r)); !ok {
		tooManyAttempts(w, wait)
		return
	}
	if ok, wait := s.accountLimiter.Allow(strings.ToLower(req.Login)); !ok {
		tooManyAttempts(w, wait)
		return
	}
	user, err := s.store.GetUserByLogin(ctx, req.Login)
	if err != nil && !store.IsNotFound(err) {
		httpapi.InternalError(w, r, s.logger, err)
		return
	}
	hash := dummyHash()
	if err == nil {
		hash = user.HashedPassword
	}
	if verr := password.Verify(ctx, hash, req.Password); verr != nil || err != nil {
		if verr != nil && !errors.Is(verr, password.ErrMismatch) {
			httpapi.InternalError(w, r, s.logger, verr)
			return
		}
		httpapi.WriteError(w, http.StatusUnauthorized, sdk.Error{Message: "incorrect login or password"})
		return
	}
	if user.Status != string(sdk.UserStatusActive) {
		httpapi.WriteError(w, http.StatusUnauthorized, sdk.Error{
			Message: "your account is suspended", Detail: "ask an administrator to activate it",
		})
		return
	}
	key, expires, err := s.newSession(ctx, s.store, user.ID)
	if err != nil {
		httpapi.InternalError(w, r, s.logger, err)
		return
	}
	httpmw.SetSessionCookie(w, key.String(), expires, s.secureCookies())
	httpapi.Write(w, http.StatusCreated, sdk.LoginResponse{User: convertUser(user), SessionToken: key.String(), ExpiresAt: expires})
}

// secureCookies says whether cookies need https: when the access URL has it.
func (s *Server) secureCookies() bool { return s.opts.AccessURL.Scheme == "https" }

// logout ends the session the request was made with.
func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	actor, _ := httpmw.ActorFrom(r.Context())
	if actor.APIKey.Kind != "session" {
		httpapi.WriteError(w, http.StatusBadRequest, sdk.Error{
			Message: "this request used an API token, not a session",
			Detail:  "remove the token with `den tokens remove NAME` instead",
		})
		return
	}
	if err := s.store.DeleteAPIKey(r.Context(), actor.APIKey.ID); err != nil {
		httpapi.InternalError(w, r, s.logger, err)
		return
	}
	httpmw.ClearSessionCookie(w, s.secureCookies())
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) newSession(ctx context.Context, st store.Store, userID uuid.UUID) (apikey.Key, time.Time, error) {
	key := apikey.New()
	expires := s.opts.Now().Add(s.opts.SessionDuration)
	now := s.opts.Now()
	_, err := st.InsertAPIKey(ctx, db.InsertAPIKeyParams{
		ID: key.ID, HashedSecret: key.Hashed, UserID: userID, Kind: "session", ExpiresAt: expires, LastUsedAt: now,
	})
	if err != nil {
		return key, expires, err
	}
	return key, expires, st.UpdateUserLastSeen(ctx, db.UpdateUserLastSeenParams{ID: userID, LastSeenAt: &now})
}

func tooManyAttempts(w http.ResponseWriter, wait time.Duration) {
	wait = (wait + time.Second - 1).Truncate(time.Second)
	httpapi.WriteError(w, http.StatusTooManyRequests, sdk.Error{
		Message:    "too many login attempts",
		Detail:     "wait " + wait.String() + " and try again",
		RetryAfter: wait,
	})
}

// clientAddress is the IP address the request came from.
func clientAddress(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
