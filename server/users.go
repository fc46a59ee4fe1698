package server

import (
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/google/uuid"

	"den/sdk"
	"den/server/httpapi"
	"den/server/httpmw"
	"den/server/password"
	"den/server/policy"
	"den/store"
	"den/store/db"
)

func (s *Server) listUsers(w http.ResponseWriter, r *http.Request) {
	users, err := s.store.ListUsers(r.Context())
	if err != nil {
		httpapi.InternalError(w, r, s.logger, err)
		return
	}
	sub := subject(r)
	out := []sdk.User{}
	for _, u := range users {
		if s.policy.Authorize(sub, policy.ActionRead, userObject(u)) == nil {
			out = append(out, convertUser(u))
		}
	}
	httpapi.Write(w, http.StatusOK, out)
}

func (s *Server) getUser(w http.ResponseWriter, r *http.Request) {
	user := httpmw.UserParam(r.Context())
	if !s.authorize(w, r, policy.ActionRead, userObject(user)) {
		return
	}
	httpapi.Write(w, http.StatusOK, convertUser(user))
}

func (s *Server) createUser(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var req sdk.CreateUserRequest
	if !httpapi.Read(w, r, &req) {
		return
	}
	var v validations
	v.username("username", req.Username)
	v.email("email", req.Email)
	v.password("password", req.Password)
	rs := v.roles("roles", req.Roles)
	if len(v) > 0 {
		httpapi.Invalid(w, v...)
		return
	}
	obj := policy.Object{Type: policy.ResourceUser, Roles: req.Roles}
	if !s.authorize(w, r, policy.ActionCreate, obj) {
		return
	}
	hashed, err := password.Hash(ctx, req.Password)
	if err != nil {
		httpapi.InternalError(w, r, s.logger, err)
		return
	}
	user, err := s.store.InsertUser(ctx, db.InsertUserParams{
		ID: uuid.New(), Username: req.Username, Email: req.Email, HashedPassword: hashed, Roles: rs,
	})
	switch {
	case store.IsUniqueViolation(err, "users_username_key"):
		httpapi.Invalid(w, sdk.ValidationError{Field: "username", Detail: "is taken by another user"})
		return
	case store.IsUniqueViolation(err, "users_email_key"):
		httpapi.Invalid(w, sdk.ValidationError{Field: "email", Detail: "belongs to another user"})
		return
	case err != nil:
		httpapi.InternalError(w, r, s.logger, err)
		return
	}
	s.logger.Info("created user", "username", user.Username, "roles", rs)
	httpapi.Write(w, http.StatusCreated, convertUser(user))
}

func (s *Server) updateUserStatus(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	user := httpmw.UserParam(ctx)
	var req sdk.UpdateUserStatusRequest
	if !httpapi.Read(w, r, &req) {
		return
	}
	if req.Status != sdk.UserStatusActive && req.Status != sdk.UserStatusSuspended {
		httpapi.Invalid(w, sdk.ValidationError{Field: "status", Detail: `must be "active" or "suspended"`})
		return
	}
	if !s.authorize(w, r, policy.ActionUpdate, userObject(user)) {
		return
	}
	if s.isSelf(r, user) {
		httpapi.Errorf(w, http.StatusBadRequest, "you cannot change the status of your own account")
		return
	}
	var updated db.User
	err := s.store.InTx(ctx, func(tx store.Store) error {
		var err error
		updated, err = tx.UpdateUserStatus(ctx, db.UpdateUserStatusParams{ID: user.ID, Status: string(req.Status)})
		return err
	})
	if err != nil {
		httpapi.InternalError(w, r, s.logger, err)
		return
	}
	s.logger.Info("changed user status", "username", user.Username, "status", req.Status)
	httpapi.Write(w, http.StatusOK, convertUser(updated))
}

// updatePassword sets a user's password: one's own, given the current one,
// or another user's, where the policy lets. The user's other sessions end.
func (s *Server) updatePassword(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	user := httpmw.UserParam(ctx)
	var req sdk.UpdatePasswordRequest
	if !httpapi.Read(w, r, &req) {
		return
	}
	o := policy.Object{Type: policy.ResourceUserPassword, OwnerID: user.ID, Roles: roles(user)}
	if !s.authorize(w, r, policy.ActionUpdate, o) {
		return
	}
	self := s.isSelf(r, user)
	var v validations
	if self && req.OldPassword == "" {
		v.add("old_password", "is required: your current password")
	}
	if msg := password.Validate(req.Password); msg != "" {
		v.add("password", "%s", msg)
	}
	if len(v) > 0 {
		httpapi.Invalid(w, v...)
		return
	}
	if self {
		// The same limit as signing in: a stolen session must not make
		// guessing the password cheap.
		if ok, wait := s.accountLimiter.Allow(strings.ToLower(user.Username)); !ok {
			tooManyAttempts(w, wait)
			return
		}
		if err := password.Verify(ctx, user.HashedPassword, req.OldPassword); errors.Is(err, password.ErrMismatch) {
			httpapi.Invalid(w, sdk.ValidationError{Field: "old_password", Detail: "is not your current password"})
			return
		} else if err != nil {
			httpapi.InternalError(w, r, s.logger, err)
			return
		}
	}
	hash, err := password.Hash(ctx, req.Password)
	if err != nil {
		httpapi.InternalError(w, r, s.logger, err)
		return
	}
	keep := "" // an admin's reset ends every session of the user
	if actor, _ := httpmw.ActorFrom(ctx); self && actor.APIKey.Kind == "session" {
		keep = actor.APIKey.ID
	}
	err = s.store.InTx(ctx, func(tx store.Store) error {
		if err := tx.UpdateUserPassword(ctx, db.UpdateUserPasswordParams{ID: user.ID, HashedPassword: hash}); err != nil {
			return err
		}
		return tx.DeleteSessionsOfUser(ctx, db.DeleteSessionsOfUserParams{UserID: user.ID, Keep: keep})
	})
	if err != nil {
		httpapi.InternalError(w, r, s.logger, err)
		return
	}
	s.logger.Info("changed password", "username", user.Username, "by_self", self)
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) updateUserRoles(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	user := httpmw.UserParam(ctx)
	var req sdk.UpdateUserRolesRequest
	if !httpapi.Read(w, r, &req) {
		return
	}
	var v validations
	rs := v.roles("roles", req.Roles)
	if len(v) > 0 {
		httpapi.Invalid(w, v...)
		return
	}
	// Both the roles held and the roles asked for must be in the actor's gift.
	touched := append(roles(user), req.Roles...)
	obj := policy.Object{Type: policy.ResourceUserRoles, OwnerID: user.ID, Roles: touched}
	if !s.authorize(w, r, policy.ActionUpdate, obj) {
		return
	}
	if s.isSelf(r, user) && !slices.Equal(rs, user.Roles) {
		httpapi.Errorf(w, http.StatusBadRequest, "you cannot change your own roles; ask another owner")
		return
	}
	updated, err := s.store.UpdateUserRoles(ctx, db.UpdateUserRolesParams{ID: user.ID, Roles: rs})
	if err != nil {
		httpapi.InternalError(w, r, s.logger, err)
		return
	}
	s.logger.Info("changed user roles", "username", user.Username, "roles", rs)
	httpapi.Write(w, http.StatusOK, convertUser(updated))
}

func (s *Server) deleteUser(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	user := httpmw.UserParam(ctx)
	if !s.authorize(w, r, policy.ActionDelete, userObject(user)) {
		return
	}
	if s.isSelf(r, user) {
		httpapi.Errorf(w, http.StatusBadRequest, "you cannot delete your own account")
		return
	}
	err := s.store.InTx(ctx, func(tx store.Store) error {
		if err := tx.DeleteAPIKeysByUser(ctx, user.ID); err != nil {
			return err
		}
		return tx.SoftDeleteUser(ctx, user.ID)
	})
	if err != nil {
		httpapi.InternalError(w, r, s.logger, err)
		return
	}
	s.logger.Info("deleted user", "username", user.Username)
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) isSelf(r *http.Request, u db.User) bool {
	return subject(r).ID == u.ID
}
