package server_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sync/atomic"
	"testing"

	"den/sdk"
	"den/server/servertest"
)

// TestUserManagementByRole runs every user-management action as every role
// and checks who may do what.
func TestUserManagementByRole(t *testing.T) {
	t.Parallel()
	type env struct {
		ctx   context.Context
		srv   *servertest.Server
		owner *sdk.Client
		actor *sdk.Client
	}
	var seq atomic.Int64
	// target makes a fresh user for one action.
	target := func(e env, roles ...sdk.Role) string {
		name := fmt.Sprintf("target%d", seq.Add(1))
		if _, err := e.owner.CreateUser(e.ctx, sdk.CreateUserRequest{Username: name, Email: name + "@example.com", Password: servertest.Password, Roles: roles}); err != nil {
			t.Fatal(err)
		}
		return name
	}
	const ok = 0
	roles := []sdk.Role{sdk.RoleOwner, sdk.RoleUserAdmin, sdk.RoleTemplateAdmin, sdk.RoleAuditor, sdk.RoleMember}
	actions := []struct {
		name string
		do   func(env) error
		want []int // in the order of roles
	}{
		{"show a member", func(e env) error { _, err := e.actor.User(e.ctx, target(e)); return err },
			[]int{ok, ok, ok, ok, 404}},
		{"create a member", func(e env) error {
			n := fmt.Sprintf("new%d", seq.Add(1))
			_, err := e.actor.CreateUser(e.ctx, sdk.CreateUserRequest{Username: n, Email: n + "@example.com", Password: servertest.Password})
			return err
		}, []int{ok, ok, 403, 403, 403}},
		{"create an owner", func(e env) error {
			n := fmt.Sprintf("new%d", seq.Add(1))
			_, err := e.actor.CreateUser(e.ctx, sdk.CreateUserRequest{Username: n, Email: n + "@example.com", Password: servertest.Password, Roles: []sdk.Role{sdk.RoleOwner}})
			return err
		}, []int{ok, 403, 403, 403, 403}},
		{"suspend a member", func(e env) error {
			_, err := e.actor.UpdateUserStatus(e.ctx, target(e), sdk.UserStatusSuspended)
			return err
		}, []int{ok, ok, 403, 403, 404}},
		{"suspend an owner", func(e env) error {
			_, err := e.actor.UpdateUserStatus(e.ctx, target(e, sdk.RoleOwner), sdk.UserStatusSuspended)
			return err
		}, []int{ok, 403, 403, 403, 404}},
		{"activate a member", func(e env) error {
			n := target(e)
			if _, err := e.owner.UpdateUserStatus(e.ctx, n, sdk.UserStatusSuspended); err != nil {
				t.Fatal(err)
			}
			_, err := e.actor.UpdateUserStatus(e.ctx, n, sdk.UserStatusActive)
			return err
		}, []int{ok, ok, 403, 403, 404}},
		{"delete a member", func(e env) error { return e.actor.DeleteUser(e.ctx, target(e)) },
			[]int{ok, ok, 403, 403, 404}},
		{"delete an owner", func(e env) error { return e.actor.DeleteUser(e.ctx, target(e, sdk.RoleOwner)) },
			[]int{ok, 403, 403, 403, 404}},
		{"make a member an auditor", func(e env) error {
			_, err := e.actor.UpdateUserRoles(e.ctx, target(e), []sdk.Role{sdk.RoleAuditor})
			return err
		}, []int{ok, ok, 403, 403, 404}},
		{"make a member an owner", func(e env) error {
			_, err := e.actor.UpdateUserRoles(e.ctx, target(e), []sdk.Role{sdk.RoleOwner})
			return err
		}, []int{ok, 403, 403, 403, 404}},
		{"take an owner's roles", func(e env) error {
			_, err := e.actor.UpdateUserRoles(e.ctx, target(e, sdk.RoleOwner), nil)
			return err
		}, []int{ok, 403, 403, 403, 404}},
		{"list another user's tokens", func(e env) error {
			_, err := e.actor.Tokens(e.ctx, target(e))
			return err
		}, []int{ok, ok, 404, 404, 404}},
		{"create a token for another user", func(e env) error {
			_, err := e.actor.CreateToken(e.ctx, target(e), sdk.CreateTokenRequest{})
			return err
		}, []int{ok, 403, 404, 404, 404}},
	}
	for i, role := range roles {
		t.Run(string(role), func(t *testing.T) {
			t.Parallel()
			srv := servertest.New(t)
			owner, _ := srv.FirstUser(t)
			actor := owner
			if role != sdk.RoleOwner {
				var rs []sdk.Role
				if role != sdk.RoleMember {
					rs = []sdk.Role{role}
				}
				actor, _ = srv.CreateUser(t, owner, "actor", rs...)
			}
			e := env{ctx: context.Background(), srv: srv, owner: owner, actor: actor}
			for _, a := range actions {
				err := a.do(e)
				if got := sdk.StatusCode(err); got != a.want[i] || (a.want[i] == ok && err != nil) {
					t.Errorf("%s as %s: got status %d (%v), want %d", a.name, role, got, err, a.want[i])
				}
			}
		})
	}
}

func TestListUsersShowsWhatTheRoleMaySee(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := servertest.New(t)
	owner, _ := srv.FirstUser(t)
	member, _ := srv.CreateUser(t, owner, "member")
	auditor, _ := srv.CreateUser(t, owner, "auditor", sdk.RoleAuditor)
	names := func(c *sdk.Client) []string {
		us, err := c.Users(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, u := range us {
			out = append(out, u.Username)
		}
		return out
	}
	if got := names(member); !slices.Equal(got, []string{"member"}) {
		t.Errorf("member sees %v, want only themselves", got)
	}
	if got := names(auditor); !slices.Equal(got, []string{"auditor", "member", "owner"}) {
		t.Errorf("auditor sees %v, want everyone", got)
	}
}

func TestSuspendAndDeleteEndAccessAtOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := servertest.New(t)
	owner, _ := srv.FirstUser(t)
	for _, how := range []string{"suspend", "delete"} {
		name := "victim-" + how
		victim, _ := srv.CreateUser(t, owner, name)
		tok, err := victim.CreateToken(ctx, sdk.Me, sdk.CreateTokenRequest{Name: "ci"})
		if err != nil {
			t.Fatal(err)
		}
		byToken := srv.Client()
		byToken.SessionToken = tok.Key
		if _, err := byToken.User(ctx, sdk.Me); err != nil {
			t.Fatalf("token works before %s: %v", how, err)
		}
		if how == "suspend" {
			_, err = owner.UpdateUserStatus(ctx, name, sdk.UserStatusSuspended)
		} else {
			err = owner.DeleteUser(ctx, name)
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []*sdk.Client{victim, byToken} {
			if _, err := c.User(ctx, sdk.Me); sdk.StatusCode(err) != http.StatusUnauthorized {
				t.Errorf("after %s: err = %v, want 401", how, err)
			}
		}
		_, err = srv.Client().Login(ctx, sdk.LoginRequest{Login: name, Password: servertest.Password})
		if sdk.StatusCode(err) != http.StatusUnauthorized {
			t.Errorf("login after %s: err = %v, want 401", how, err)
		}
	}
	// An activated user signs in again; a deleted user's name is free again.
	if _, err := owner.UpdateUserStatus(ctx, "victim-suspend", sdk.UserStatusActive); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Client().Login(ctx, sdk.LoginRequest{Login: "victim-suspend", Password: servertest.Password}); err != nil {
		t.Fatalf("login after activate: %v", err)
	}
	srv.CreateUser(t, owner, "victim-delete")
}

func TestCannotLockYourselfOut(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := servertest.New(t)
	owner, _ := srv.FirstUser(t)
	if _, err := owner.UpdateUserStatus(ctx, sdk.Me, sdk.UserStatusSuspended); sdk.StatusCode(err) != http.StatusBadRequest {
		t.Errorf("suspend self: err = %v, want 400", err)
	}
	if err := owner.DeleteUser(ctx, sdk.Me); sdk.StatusCode(err) != http.StatusBadRequest {
		t.Errorf("delete self: err = %v, want 400", err)
	}
	if _, err := owner.UpdateUserRoles(ctx, sdk.Me, nil); sdk.StatusCode(err) != http.StatusBadRequest {
		t.Errorf("drop own roles: err = %v, want 400", err)
	}
}

func TestCreateUserConflicts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := servertest.New(t)
	owner, _ := srv.FirstUser(t)
	srv.CreateUser(t, owner, "ada")
	for _, tc := range []struct {
		req   sdk.CreateUserRequest
		field string
	}{
		{sdk.CreateUserRequest{Username: "ADA", Email: "other@example.com", Password: servertest.Password}, "username"},
		{sdk.CreateUserRequest{Username: "other", Email: "Ada@example.com", Password: servertest.Password}, "email"},
	} {
		_, err := owner.CreateUser(ctx, tc.req)
		assertInvalid(t, err, tc.field)
	}
}
