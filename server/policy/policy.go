// Package policy decides who may do what. Every handler asks Authorize before
// it reads or changes anything; no handler carries its own rules.
package policy

import (
	"errors"
	"fmt"
	"slices"

	"github.com/google/uuid"

	"den/sdk"
)

// Action is what a subject wants to do to an object.
type Action string

// The actions.
const (
	ActionRead   Action = "read"
	ActionCreate Action = "create"
	ActionUpdate Action = "update"
	ActionDelete Action = "delete"
	// ActionConnect is reaching into a workspace: SSH, ports, apps.
	ActionConnect Action = "connect"
)

// Resource is a kind of object.
type Resource string

// The resources.
const (
	// ResourceUser is a user account. Its Roles are the target's roles.
	ResourceUser Resource = "user"
	// ResourceUserPassword is a user's password. Its Roles are the
	// target's roles.
	ResourceUserPassword Resource = "user_password"
	// ResourceUserRoles is the set of roles of a user. Its Roles are the
	// union of the roles held and the roles asked for.
	ResourceUserRoles Resource = "user_roles"
	// ResourceAPIKey is a user's API token; OwnerID is the user.
	ResourceAPIKey Resource = "api_key"
	// ResourceTemplate is a template and its versions.
	ResourceTemplate Resource = "template"
	// ResourceFile is an uploaded template archive.
	ResourceFile Resource = "file"
	// ResourceWorkspace is a workspace and its builds; OwnerID is its owner.
	ResourceWorkspace Resource = "workspace"
)

// Subject is the signed-in user asking.
type Subject struct {
	ID    uuid.UUID
	Roles []sdk.Role
}

// Object is the thing acted on.
type Object struct {
	Type    Resource
	OwnerID uuid.UUID
	Roles   []sdk.Role
}

// ErrForbidden is returned when the policy denies an action.
var ErrForbidden = errors.New("forbidden")

// Policy holds the deployment's choices that rules depend on.
type Policy struct {
	// OwnersMayConnect lets the owner role reach into every workspace;
	// otherwise only a workspace's owner connects to it.
	OwnersMayConnect bool
}

// Authorize returns nil when s may do a to o, and an error wrapping
// ErrForbidden otherwise.
func (p Policy) Authorize(s Subject, a Action, o Object) error {
	if p.allowed(s, a, o) {
		return nil
	}
	return fmt.Errorf("%w: %s on %s", ErrForbidden, a, o.Type)
}

// SeesEveryWorkspace says whether s may read the workspaces of every user,
// not only its own, so that a list need not be narrowed to s's own.
func (p Policy) SeesEveryWorkspace(s Subject) bool {
	someoneElse := s.ID
	someoneElse[0] ^= 0xff
	return p.allowed(s, ActionRead, Object{Type: ResourceWorkspace, OwnerID: someoneElse})
}

// Authorize is the default Policy's Authorize.
func Authorize(s Subject, a Action, o Object) error { return Policy{}.Authorize(s, a, o) }

func (p Policy) allowed(s Subject, a Action, o Object) bool {
	if s.ID == uuid.Nil {
		return false
	}
	self := o.OwnerID == s.ID
	if a == ActionConnect {
		// Reaching into a workspace is its owner's alone, unless the
		// deployment lets owners in too.
		return o.Type == ResourceWorkspace && (self || p.OwnersMayConnect && has(s.Roles, sdk.RoleOwner))
	}
	if has(s.Roles, sdk.RoleOwner) {
		return true
	}
	switch o.Type {
	case ResourceUser:
		if a == ActionRead {
			// Members see themselves; admins and auditors see everyone.
			return self || hasAny(s.Roles, sdk.RoleUserAdmin, sdk.RoleTemplateAdmin, sdk.RoleAuditor)
		}
		// Only owners may change owners.
		return has(s.Roles, sdk.RoleUserAdmin) && !has(o.Roles, sdk.RoleOwner)
	case ResourceUserPassword:
		if a == ActionRead { // seeing the user
			return self || hasAny(s.Roles, sdk.RoleUserAdmin, sdk.RoleTemplateAdmin, sdk.RoleAuditor)
		}
		// Everyone sets their own (the server asks for the current one);
		// user admins set non-owners'.
		return self || a == ActionUpdate && has(s.Roles, sdk.RoleUserAdmin) && !has(o.Roles, sdk.RoleOwner)
	case ResourceUserRoles:
		if a == ActionRead {
			return self || hasAny(s.Roles, sdk.RoleUserAdmin, sdk.RoleTemplateAdmin, sdk.RoleAuditor)
		}
		// User admins assign every role but owner, and not to themselves.
		return has(s.Roles, sdk.RoleUserAdmin) && !self && !has(o.Roles, sdk.RoleOwner)
	case ResourceAPIKey:
		// A user's tokens are theirs alone; user admins may read and
		// revoke them (not mint them) for non-owners.
		if self {
			return true
		}
		return (a == ActionRead || a == ActionDelete) && has(s.Roles, sdk.RoleUserAdmin) && !has(o.Roles, sdk.RoleOwner)
	case ResourceTemplate:
		// Everyone sees templates, to create workspaces from them.
		return a == ActionRead || has(s.Roles, sdk.RoleTemplateAdmin)
	case ResourceFile:
		return has(s.Roles, sdk.RoleTemplateAdmin)
	case ResourceWorkspace:
		// A workspace is its owner's; template admins and auditors see all.
		if self {
			return true
		}
		return a == ActionRead && hasAny(s.Roles, sdk.RoleTemplateAdmin, sdk.RoleAuditor)
	}
	return false
}

func has(roles []sdk.Role, r sdk.Role) bool { return slices.Contains(roles, r) }

func hasAny(roles []sdk.Role, rs ...sdk.Role) bool {
	for _, r := range rs {
		if has(roles, r) {
			return true
		}
	}
	return false
}
