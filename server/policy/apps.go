package policy

import (
	"fmt"

	"github.com/google/uuid"

	"den/sdk"
)

// AppOrigin is where an app is served from.
type AppOrigin int

// The places apps are served from.
const (
	// AppOnSubdomain: the app has a host name of its own, so its pages
	// cannot read Den's cookies or call Den's API as the viewer.
	AppOnSubdomain AppOrigin = iota
	// AppOnPath: the app is under a path of Den's own origin, where its
	// pages act with the viewer's session; so only the workspace's owner
	// may open it, whatever its sharing level.
	AppOnPath
)

// OpenApp returns nil when s (a zero Subject for someone not signed in)
// may open an app of the workspace owned by owner, shared at share, served
// from origin; otherwise an error wrapping ErrForbidden.
func (p Policy) OpenApp(s Subject, share sdk.AppShare, owner uuid.UUID, origin AppOrigin) error {
	if p.mayOpenApp(s, share, owner, origin) {
		return nil
	}
	return fmt.Errorf("%w: open a %s app", ErrForbidden, share)
}

func (p Policy) mayOpenApp(s Subject, share sdk.AppShare, owner uuid.UUID, origin AppOrigin) bool {
	self := s.ID != uuid.Nil && s.ID == owner
	if origin == AppOnPath {
		return self
	}
	switch share {
	case sdk.AppSharePublic:
		return true
	case sdk.AppShareAuthenticated:
		return s.ID != uuid.Nil
	case sdk.AppShareOwner:
		// As for SSH: the owner, and the deployment's owners when it lets
		// them connect to every workspace.
		return self || s.ID != uuid.Nil && p.OwnersMayConnect && has(s.Roles, sdk.RoleOwner)
	}
	return false
}
