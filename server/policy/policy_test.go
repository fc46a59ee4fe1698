package policy

import (
	"errors"
	"testing"

	"github.com/google/uuid"

	"den/sdk"
)

func TestAuthorize(t *testing.T) {
	t.Parallel()
	me := uuid.New()
	other := uuid.New()
	sub := func(roles ...sdk.Role) Subject { return Subject{ID: me, Roles: append(roles, sdk.RoleMember)} }
	for _, tc := range []struct {
		name string
		s    Subject
		a    Action
		o    Object
		want bool
	}{
		{"nobody", Subject{}, ActionRead, Object{Type: ResourceUser, OwnerID: other}, false},
		{"member reads self", sub(), ActionRead, Object{Type: ResourceUser, OwnerID: me}, true},
		{"member reads other", sub(), ActionRead, Object{Type: ResourceUser, OwnerID: other}, false},
		{"member updates self", sub(), ActionUpdate, Object{Type: ResourceUser, OwnerID: me}, false},
		{"auditor reads other", sub(sdk.RoleAuditor), ActionRead, Object{Type: ResourceUser, OwnerID: other}, true},
		{"auditor deletes other", sub(sdk.RoleAuditor), ActionDelete, Object{Type: ResourceUser, OwnerID: other}, false},
		{"user-admin deletes member", sub(sdk.RoleUserAdmin), ActionDelete, Object{Type: ResourceUser, OwnerID: other}, true},
		{"user-admin deletes owner", sub(sdk.RoleUserAdmin), ActionDelete, Object{Type: ResourceUser, OwnerID: other, Roles: []sdk.Role{sdk.RoleOwner}}, false},
		{"user-admin grants owner", sub(sdk.RoleUserAdmin), ActionUpdate, Object{Type: ResourceUserRoles, OwnerID: other, Roles: []sdk.Role{sdk.RoleOwner}}, false},
		{"user-admin grants auditor", sub(sdk.RoleUserAdmin), ActionUpdate, Object{Type: ResourceUserRoles, OwnerID: other, Roles: []sdk.Role{sdk.RoleAuditor}}, true},
		{"user-admin grants self", sub(sdk.RoleUserAdmin), ActionUpdate, Object{Type: ResourceUserRoles, OwnerID: me, Roles: []sdk.Role{sdk.RoleAuditor}}, false},
		{"member sets own password", sub(), ActionUpdate, Object{Type: ResourceUserPassword, OwnerID: me}, true},
		{"member sets other's password", sub(), ActionUpdate, Object{Type: ResourceUserPassword, OwnerID: other}, false},
		{"auditor sets other's password", sub(sdk.RoleAuditor), ActionUpdate, Object{Type: ResourceUserPassword, OwnerID: other}, false},
		{"user-admin sets member's password", sub(sdk.RoleUserAdmin), ActionUpdate, Object{Type: ResourceUserPassword, OwnerID: other}, true},
		{"user-admin sets owner's password", sub(sdk.RoleUserAdmin), ActionUpdate, Object{Type: ResourceUserPassword, OwnerID: other, Roles: []sdk.Role{sdk.RoleOwner}}, false},
		{"owner does anything", sub(sdk.RoleOwner), ActionDelete, Object{Type: ResourceUser, OwnerID: other, Roles: []sdk.Role{sdk.RoleOwner}}, true},
		{"member makes own token", sub(), ActionCreate, Object{Type: ResourceAPIKey, OwnerID: me}, true},
		{"member reads other's tokens", sub(), ActionRead, Object{Type: ResourceAPIKey, OwnerID: other}, false},
		{"user-admin revokes member token", sub(sdk.RoleUserAdmin), ActionDelete, Object{Type: ResourceAPIKey, OwnerID: other}, true},
		{"user-admin mints member token", sub(sdk.RoleUserAdmin), ActionCreate, Object{Type: ResourceAPIKey, OwnerID: other}, false},
		{"member reads template", sub(), ActionRead, Object{Type: ResourceTemplate}, true},
		{"member pushes template", sub(), ActionCreate, Object{Type: ResourceTemplate}, false},
		{"template-admin pushes template", sub(sdk.RoleTemplateAdmin), ActionCreate, Object{Type: ResourceTemplate}, true},
		{"member uploads file", sub(), ActionCreate, Object{Type: ResourceFile}, false},
		{"member creates own workspace", sub(), ActionCreate, Object{Type: ResourceWorkspace, OwnerID: me}, true},
		{"member creates workspace for other", sub(), ActionCreate, Object{Type: ResourceWorkspace, OwnerID: other}, false},
		{"member stops other's workspace", sub(), ActionUpdate, Object{Type: ResourceWorkspace, OwnerID: other}, false},
		{"auditor reads other's workspace", sub(sdk.RoleAuditor), ActionRead, Object{Type: ResourceWorkspace, OwnerID: other}, true},
		{"template-admin stops other's workspace", sub(sdk.RoleTemplateAdmin), ActionUpdate, Object{Type: ResourceWorkspace, OwnerID: other}, false},
		{"unknown resource", sub(sdk.RoleUserAdmin), ActionRead, Object{Type: "nope", OwnerID: me}, false},
	} {
		err := Authorize(tc.s, tc.a, tc.o)
		if got := err == nil; got != tc.want {
			t.Errorf("%s: allowed = %v, want %v", tc.name, got, tc.want)
		}
		if err != nil && !errors.Is(err, ErrForbidden) {
			t.Errorf("%s: err %v does not wrap ErrForbidden", tc.name, err)
		}
	}
}

func TestConnectIsTheOwnersAlone(t *testing.T) {
	t.Parallel()
	me, other := uuid.New(), uuid.New()
	owner := Subject{ID: me, Roles: []sdk.Role{sdk.RoleOwner, sdk.RoleMember}}
	member := Subject{ID: me, Roles: []sdk.Role{sdk.RoleMember}}
	mine := Object{Type: ResourceWorkspace, OwnerID: me}
	theirs := Object{Type: ResourceWorkspace, OwnerID: other}
	for _, tc := range []struct {
		name string
		p    Policy
		s    Subject
		o    Object
		want bool
	}{
		{"member into own", Policy{}, member, mine, true},
		{"member into other's", Policy{}, member, theirs, false},
		{"owner role into other's, by default", Policy{}, owner, theirs, false},
		{"owner role into other's, when allowed", Policy{OwnersMayConnect: true}, owner, theirs, true},
		{"member into other's, even when owners may", Policy{OwnersMayConnect: true}, member, theirs, false},
		{"connect to a user", Policy{OwnersMayConnect: true}, owner, Object{Type: ResourceUser, OwnerID: other}, false},
	} {
		if got := tc.p.Authorize(tc.s, ActionConnect, tc.o) == nil; got != tc.want {
			t.Errorf("%s: allowed = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestSeesEveryWorkspace(t *testing.T) {
	t.Parallel()
	for roles, want := range map[sdk.Role]bool{
		"":                    false,
		sdk.RoleUserAdmin:     false,
		sdk.RoleTemplateAdmin: true,
		sdk.RoleAuditor:       true,
		sdk.RoleOwner:         true,
	} {
		s := Subject{ID: uuid.New()}
		if roles != "" {
			s.Roles = []sdk.Role{roles}
		}
		if got := (Policy{}).SeesEveryWorkspace(s); got != want {
			t.Errorf("%q: SeesEveryWorkspace = %v, want %v", roles, got, want)
		}
	}
	if (Policy{}).SeesEveryWorkspace(Subject{Roles: []sdk.Role{sdk.RoleOwner}}) {
		t.Error("a subject without an ID sees every workspace")
	}
}
