package server_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"den/sdk"
	"den/server"
	"den/server/servertest"
)

func TestTokens(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clk := newClock()
	srv := servertest.New(t, func(o *server.Options) { o.Now = clk.Now })
	owner, _ := srv.FirstUser(t)

	resp, err := owner.CreateToken(ctx, sdk.Me, sdk.CreateTokenRequest{Name: "ci", LifetimeSeconds: 3600})
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.Token.ExpiresAt.Sub(clk.Now()); got < 59*time.Minute || got > time.Hour {
		t.Errorf("expires in %v, want 1h", got)
	}
	byToken := srv.Client()
	byToken.SessionToken = resp.Key
	if me, err := byToken.User(ctx, sdk.Me); err != nil || me.Username != "owner" {
		t.Fatalf("me by token = %+v, %v", me, err)
	}
	// A token cannot log out; it is removed instead.
	if err := byToken.Logout(ctx); sdk.StatusCode(err) != http.StatusBadRequest {
		t.Errorf("logout with token: err = %v, want 400", err)
	}
	if _, err := owner.CreateToken(ctx, sdk.Me, sdk.CreateTokenRequest{Name: "ci"}); err == nil {
		t.Error("a second token named ci was created")
	} else {
		assertInvalid(t, err, "name")
	}
	def, err := owner.CreateToken(ctx, sdk.Me, sdk.CreateTokenRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if got := def.Token.ExpiresAt.Sub(clk.Now()); got < 29*24*time.Hour {
		t.Errorf("default lifetime %v, want 30 days", got)
	}
	_, err = owner.CreateToken(ctx, sdk.Me, sdk.CreateTokenRequest{LifetimeSeconds: 400 * 24 * 3600})
	assertInvalid(t, err, "lifetime_seconds")

	list, err := owner.Tokens(ctx, sdk.Me)
	if err != nil || len(list) != 2 || list[0].Name != "ci" {
		t.Fatalf("tokens = %+v, %v", list, err)
	}

	clk.Advance(time.Hour)
	if _, err := byToken.User(ctx, sdk.Me); sdk.StatusCode(err) != http.StatusUnauthorized {
		t.Errorf("expired token: err = %v, want 401", err)
	}

	if err := owner.DeleteToken(ctx, sdk.Me, def.Token.ID); err != nil {
		t.Fatalf("delete by id: %v", err)
	}
	if err := owner.DeleteToken(ctx, sdk.Me, "ci"); err != nil {
		t.Fatalf("delete by name: %v", err)
	}
	if err := owner.DeleteToken(ctx, sdk.Me, "ci"); sdk.StatusCode(err) != http.StatusNotFound {
		t.Errorf("delete again: err = %v, want 404", err)
	}
	byDef := srv.Client()
	byDef.SessionToken = def.Key
	if _, err := byDef.User(ctx, sdk.Me); sdk.StatusCode(err) != http.StatusUnauthorized {
		t.Errorf("removed token: err = %v, want 401", err)
	}
}

func TestTokenOfAnotherUserCannotBeDeletedByID(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := servertest.New(t)
	owner, _ := srv.FirstUser(t)
	member, _ := srv.CreateUser(t, owner, "member")
	tok, err := owner.CreateToken(ctx, sdk.Me, sdk.CreateTokenRequest{Name: "mine"})
	if err != nil {
		t.Fatal(err)
	}
	if err := member.DeleteToken(ctx, sdk.Me, tok.Token.ID); sdk.StatusCode(err) != http.StatusNotFound {
		t.Fatalf("member deleting owner's token by id: err = %v, want 404", err)
	}
	if list, _ := owner.Tokens(ctx, sdk.Me); len(list) != 1 {
		t.Fatalf("owner's token is gone")
	}
}
