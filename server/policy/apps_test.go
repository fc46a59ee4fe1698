package policy

import (
	"errors"
	"testing"

	"github.com/google/uuid"

	"den/sdk"
)

func TestOpenApp(t *testing.T) {
	t.Parallel()
	owner := uuid.New()
	member := Subject{ID: uuid.New(), Roles: []sdk.Role{sdk.RoleMember}}
	admin := Subject{ID: uuid.New(), Roles: []sdk.Role{sdk.RoleOwner, sdk.RoleMember}}
	self := Subject{ID: owner, Roles: []sdk.Role{sdk.RoleMember}}
	nobody := Subject{}
	for _, tc := range []struct {
		name     string
		p        Policy
		s        Subject
		share    sdk.AppShare
		want     bool
		wantPath bool // the same on a path
	}{
		{"owner opens own", Policy{}, self, sdk.AppShareOwner, true, true},
		{"member opens owner app", Policy{}, member, sdk.AppShareOwner, false, false},
		{"deployment owner opens owner app", Policy{}, admin, sdk.AppShareOwner, false, false},
		{"deployment owner with owners-may-connect", Policy{OwnersMayConnect: true}, admin, sdk.AppShareOwner, true, false},
		{"member opens authenticated app", Policy{}, member, sdk.AppShareAuthenticated, true, false},
		{"nobody opens authenticated app", Policy{}, nobody, sdk.AppShareAuthenticated, false, false},
		{"nobody opens public app", Policy{}, nobody, sdk.AppSharePublic, true, false},
		{"member opens public app", Policy{}, member, sdk.AppSharePublic, true, false},
		{"owner opens own public app", Policy{}, self, sdk.AppSharePublic, true, true},
		{"unknown share", Policy{}, self, "friends", false, true},
		{"nobody and a nil owner", Policy{}, nobody, sdk.AppShareOwner, false, false},
	} {
		owner := owner
		if tc.name == "nobody and a nil owner" {
			owner = uuid.Nil
		}
		err := tc.p.OpenApp(tc.s, tc.share, owner, AppOnSubdomain)
		if got := err == nil; got != tc.want {
			t.Errorf("%s: allowed = %v, want %v", tc.name, got, tc.want)
		}
		if err != nil && !errors.Is(err, ErrForbidden) {
			t.Errorf("%s: err %v does not wrap ErrForbidden", tc.name, err)
		}
		if got := tc.p.OpenApp(tc.s, tc.share, owner, AppOnPath) == nil; got != tc.wantPath {
			t.Errorf("%s on a path: allowed = %v, want %v", tc.name, got, tc.wantPath)
		}
	}
}
