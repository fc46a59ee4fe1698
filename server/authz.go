package server

import (
	"net/http"

	"github.com/google/uuid"

	"den/sdk"
	"den/server/httpapi"
	"den/server/httpmw"
	"den/server/policy"
	"den/store/db"
)

// subject is the policy's view of the request's actor.
func subject(r *http.Request) policy.Subject {
	a, _ := httpmw.ActorFrom(r.Context())
	return policy.Subject{ID: a.User.ID, Roles: roles(a.User)}
}

// authorize asks the policy whether the actor may do a to o. When the answer
// is no it writes the response and returns false: 404 when the actor may not
// even see the object (so its existence does not leak), 403 otherwise.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request, a policy.Action, o policy.Object) bool {
	sub := subject(r)
	if s.policy.Authorize(sub, a, o) == nil {
		return true
	}
	// An object that exists (it has an owner) and that the actor may not even
	// read is answered as missing.
	hidden := a == policy.ActionRead ||
		(o.OwnerID != uuid.Nil && s.policy.Authorize(sub, policy.ActionRead, o) != nil)
	if hidden {
		httpapi.Errorf(w, http.StatusNotFound, "not found")
		return false
	}
	httpapi.WriteError(w, http.StatusForbidden, sdk.Error{
		Message: "you are not allowed to " + string(a) + " this " + resourceNoun(o.Type),
		Detail:  "ask an owner or a user-admin for the role this needs",
	})
	return false
}

func resourceNoun(r policy.Resource) string {
	switch r {
	case policy.ResourceUserRoles:
		return "user's roles"
	case policy.ResourceUserPassword:
		return "user's password"
	case policy.ResourceAPIKey:
		return "API token"
	default:
		return string(r)
	}
}

func userObject(u db.User) policy.Object {
	return policy.Object{Type: policy.ResourceUser, OwnerID: u.ID, Roles: roles(u)}
}
