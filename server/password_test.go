package server_test

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"den/sdk"
	"den/server/servertest"
)

func TestUpdatePassword(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := servertest.New(t)
	owner, _ := srv.FirstUser(t)
	admin, _ := srv.CreateUser(t, owner, "admin", sdk.RoleUserAdmin)
	member, _ := srv.CreateUser(t, owner, "member")
	other, _ := srv.CreateUser(t, owner, "other")
	login := func(user, pw string) (*sdk.Client, error) {
		resp, err := srv.Client().Login(ctx, sdk.LoginRequest{Login: user, Password: pw})
		c := srv.Client()
		c.SessionToken = resp.SessionToken
		return c, err
	}
	// The member's second session, and an API token.
	laptop, err := login("member", servertest.Password)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := member.CreateToken(ctx, sdk.Me, sdk.CreateTokenRequest{Name: "ci", LifetimeSeconds: 3600})
	if err != nil {
		t.Fatal(err)
	}
	ci := srv.Client()
	ci.SessionToken = tok.Key

	invalid := func(what string, err error, field string) {
		t.Helper()
		var e *sdk.Error
		if !errors.As(err, &e) || e.StatusCode != http.StatusBadRequest || len(e.Validations) != 1 || e.Validations[0].Field != field {
			t.Errorf("%s: %v, want a 400 on %s", what, err, field)
		}
	}
	const newPW = "a-brand-new-passphrase"
	invalid("no current password", member.UpdatePassword(ctx, sdk.Me, sdk.UpdatePasswordRequest{Password: newPW}), "old_password")
	invalid("a wrong current password", member.UpdatePassword(ctx, sdk.Me, sdk.UpdatePasswordRequest{OldPassword: "not-it-at-all", Password: newPW}), "old_password")
	invalid("a short new one", member.UpdatePassword(ctx, sdk.Me, sdk.UpdatePasswordRequest{OldPassword: servertest.Password, Password: "short"}), "password")
	if _, err := login("member", servertest.Password); err != nil {
		t.Fatalf("refused changes changed the password: %v", err)
	}

	if err := member.UpdatePassword(ctx, sdk.Me, sdk.UpdatePasswordRequest{OldPassword: servertest.Password, Password: newPW}); err != nil {
		t.Fatal(err)
	}
	if _, err := login("member", servertest.Password); sdk.StatusCode(err) != http.StatusUnauthorized {
		t.Errorf("the old password signs in: %v", err)
	}
	if _, err := login("member", newPW); err != nil {
		t.Errorf("the new password: %v", err)
	}
	if _, err := member.User(ctx, sdk.Me); err != nil {
		t.Errorf("the session that changed it ended: %v", err)
	}
	if _, err := laptop.User(ctx, sdk.Me); sdk.StatusCode(err) != http.StatusUnauthorized {
		t.Errorf("another session still works: %v", err)
	}
	if _, err := ci.User(ctx, sdk.Me); err != nil {
		t.Errorf("the API token stopped working: %v", err)
	}

	// Other people's passwords.
	if err := member.UpdatePassword(ctx, "other", sdk.UpdatePasswordRequest{Password: newPW}); sdk.StatusCode(err) != http.StatusNotFound {
		t.Errorf("a member sets another's: %v, want 404", err)
	}
	if err := admin.UpdatePassword(ctx, "owner", sdk.UpdatePasswordRequest{Password: newPW}); sdk.StatusCode(err) != http.StatusForbidden {
		t.Errorf("a user admin sets the owner's: %v, want 403", err)
	}
	if err := admin.UpdatePassword(ctx, "other", sdk.UpdatePasswordRequest{Password: newPW}); err != nil {
		t.Errorf("a user admin resets a member's: %v", err)
	}
	if _, err := other.User(ctx, sdk.Me); sdk.StatusCode(err) != http.StatusUnauthorized {
		t.Errorf("a reset left the user's session working: %v", err)
	}
	if _, err := login("other", newPW); err != nil {
		t.Errorf("the reset password: %v", err)
	}
	if err := owner.UpdatePassword(ctx, "admin", sdk.UpdatePasswordRequest{Password: newPW}); err != nil {
		t.Errorf("the owner resets an admin's: %v", err)
	}
}
