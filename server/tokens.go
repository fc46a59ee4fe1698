package server

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"den/sdk"
	"den/server/apikey"
	"den/server/httpapi"
	"den/server/httpmw"
	"den/server/policy"
	"den/store"
	"den/store/db"
)

func tokenObject(u db.User) policy.Object {
	return policy.Object{Type: policy.ResourceAPIKey, OwnerID: u.ID, Roles: roles(u)}
}

func (s *Server) listTokens(w http.ResponseWriter, r *http.Request) {
	user := httpmw.UserParam(r.Context())
	if !s.authorize(w, r, policy.ActionRead, tokenObject(user)) {
		return
	}
	keys, err := s.store.ListTokensByUser(r.Context(), user.ID)
	if err != nil {
		httpapi.InternalError(w, r, s.logger, err)
		return
	}
	out := make([]sdk.Token, len(keys))
	for i, k := range keys {
		out[i] = convertToken(k)
	}
	httpapi.Write(w, http.StatusOK, out)
}

func (s *Server) createToken(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	user := httpmw.UserParam(ctx)
	var req sdk.CreateTokenRequest
	if !httpapi.Read(w, r, &req) {
		return
	}
	var v validations
	v.tokenName("name", req.Name)
	lifetime := time.Duration(req.LifetimeSeconds) * time.Second
	switch {
	case req.LifetimeSeconds < 0:
		v.add("lifetime_seconds", "must not be negative")
	case req.LifetimeSeconds > int64(s.opts.MaxTokenLifetime/time.Second):
		v.add("lifetime_seconds", "must be at most %d (%s), the server's maximum", int64(s.opts.MaxTokenLifetime/time.Second), s.opts.MaxTokenLifetime)
	case lifetime == 0:
		lifetime = s.opts.DefaultTokenLifetime
	}
	if len(v) > 0 {
		httpapi.Invalid(w, v...)
		return
	}
	if !s.authorize(w, r, policy.ActionCreate, tokenObject(user)) {
		return
	}
	key := apikey.New()
	name := req.Name
	if name == "" {
		name = "token-" + key.ID
	}
	row, err := s.store.InsertAPIKey(ctx, db.InsertAPIKeyParams{
		ID: key.ID, HashedSecret: key.Hashed, UserID: user.ID, Kind: "token", Name: name,
		ExpiresAt: s.opts.Now().Add(lifetime), LastUsedAt: s.opts.Now(),
	})
	if store.IsUniqueViolation(err, "api_keys_token_name_key") {
		httpapi.Invalid(w, sdk.ValidationError{Field: "name", Detail: fmt.Sprintf("%s already has a token named %q", user.Username, name)})
		return
	}
	if err != nil {
		httpapi.InternalError(w, r, s.logger, err)
		return
	}
	httpapi.Write(w, http.StatusCreated, sdk.CreateTokenResponse{Token: convertToken(row), Key: key.String()})
}

func (s *Server) deleteToken(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	user := httpmw.UserParam(ctx)
	if !s.authorize(w, r, policy.ActionDelete, tokenObject(user)) {
		return
	}
	ref := chi.URLParam(r, "token")
	key, err := s.store.GetTokenByName(ctx, db.GetTokenByNameParams{UserID: user.ID, Name: ref})
	if store.IsNotFound(err) {
		key, err = s.store.GetAPIKeyByID(ctx, strings.ToLower(ref))
		if err == nil && (key.UserID != user.ID || key.Kind != "token") {
			err = store.ErrNotFound
		}
	}
	if store.IsNotFound(err) {
		httpapi.Errorf(w, http.StatusNotFound, "%s has no token named %q", user.Username, ref)
		return
	}
	if err != nil {
		httpapi.InternalError(w, r, s.logger, err)
		return
	}
	if err := s.store.DeleteAPIKey(ctx, key.ID); err != nil {
		httpapi.InternalError(w, r, s.logger, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
