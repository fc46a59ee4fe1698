package server_test

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"den/sdk"
	"den/server"
	"den/server/servertest"
)

func TestFirstUser(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := servertest.New(t)
	anon := srv.Client()

	setup, err := anon.Setup(ctx)
	if err != nil || !setup.FirstUserRequired {
		t.Fatalf("setup = %+v, %v; want first user required", setup, err)
	}
	owner, user := srv.FirstUser(t)
	if len(user.Roles) != 2 || user.Roles[0] != sdk.RoleOwner {
		t.Errorf("first user roles = %v, want [owner member]", user.Roles)
	}
	me, err := owner.User(ctx, sdk.Me)
	if err != nil || me.Username != "owner" {
		t.Fatalf("me = %+v, %v", me, err)
	}
	setup, err = anon.Setup(ctx)
	if err != nil || setup.FirstUserRequired {
		t.Fatalf("after first user: setup = %+v, %v", setup, err)
	}
	_, err = anon.CreateFirstUser(ctx, sdk.CreateFirstUserRequest{Username: "mallory", Email: "m@example.com", Password: "password123"})
	if sdk.StatusCode(err) != http.StatusConflict {
		t.Fatalf("second first user: err = %v, want 409", err)
	}
}

func TestFirstUserRace(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := servertest.New(t)
	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			_, errs[i] = srv.Client().CreateFirstUser(ctx, sdk.CreateFirstUserRequest{
				Username: "user" + string(rune('a'+i)), Email: string(rune('a'+i)) + "@example.com", Password: "password123",
			})
		})
	}
	wg.Wait()
	created := 0
	for _, err := range errs {
		switch {
		case err == nil:
			created++
		case sdk.StatusCode(err) != http.StatusConflict:
			t.Errorf("unexpected error: %v", err)
		}
	}
	if created != 1 {
		t.Fatalf("%d first users created, want exactly 1", created)
	}
}

func TestLogin(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := servertest.New(t)
	srv.FirstUser(t)
	anon := srv.Client()

	for _, login := range []string{"owner", "OWNER", "owner@example.com"} {
		resp, err := anon.Login(ctx, sdk.LoginRequest{Login: login, Password: servertest.Password})
		if err != nil {
			t.Fatalf("login as %q: %v", login, err)
		}
		c := srv.Client()
		c.SessionToken = resp.SessionToken
		if me, err := c.User(ctx, sdk.Me); err != nil || me.Username != "owner" {
			t.Fatalf("me after login as %q = %+v, %v", login, me, err)
		}
	}
	for _, tc := range []struct{ login, password string }{
		{"owner", "wrong-password"},
		{"nobody", servertest.Password},
	} {
		_, err := anon.Login(ctx, sdk.LoginRequest{Login: tc.login, Password: tc.password})
		var apiErr *sdk.Error
		if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusUnauthorized || apiErr.Message != "incorrect login or password" {
			t.Errorf("login %q/%q: err = %v, want 401 incorrect login or password", tc.login, tc.password, err)
		}
	}
	// A garbage or missing token is a 401, never a 500.
	for _, token := range []string{"", "garbage", "abcdefghij-" + "x", "abcdefghij-abcdefghijabcdefghijabcdef"} {
		c := srv.Client()
		c.SessionToken = token
		if _, err := c.User(ctx, sdk.Me); sdk.StatusCode(err) != http.StatusUnauthorized {
			t.Errorf("token %q: err = %v, want 401", token, err)
		}
	}
}

func TestLogout(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := servertest.New(t)
	owner, _ := srv.FirstUser(t)
	if err := owner.Logout(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := owner.User(ctx, sdk.Me); sdk.StatusCode(err) != http.StatusUnauthorized {
		t.Fatalf("after logout: err = %v, want 401", err)
	}
}

func TestLoginRateLimit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clk := newClock()
	srv := servertest.New(t, func(o *server.Options) {
		o.Now = clk.Now
		o.LoginAttemptsPerAccount = 3
		o.LoginAttemptsPerAddress = 5
	})
	srv.FirstUser(t)
	anon := srv.Client()
	login := func(name, pw string) error {
		_, err := anon.Login(ctx, sdk.LoginRequest{Login: name, Password: pw})
		return err
	}
	for range 3 {
		if err := login("owner", "wrong-password"); sdk.StatusCode(err) != http.StatusUnauthorized {
			t.Fatalf("attempt: err = %v, want 401", err)
		}
	}
	// The account is now limited, even with the right password.
	err := login("owner", servertest.Password)
	var apiErr *sdk.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("4th attempt: err = %v, want 429", err)
	}
	if apiErr.RetryAfter <= 0 || apiErr.RetryAfter > time.Minute {
		t.Errorf("Retry-After = %v, want within a minute", apiErr.RetryAfter)
	}
	// Every attempt counts against the address: it has one left.
	if err := login("nobody", "password123"); sdk.StatusCode(err) != http.StatusUnauthorized {
		t.Fatalf("other account: err = %v, want 401", err)
	}
	if err := login("somebody", "password123"); sdk.StatusCode(err) != http.StatusTooManyRequests {
		t.Fatalf("address limit: err = %v, want 429", err)
	}
	clk.Advance(time.Minute)
	if err := login("owner", servertest.Password); err != nil {
		t.Fatalf("after the window: %v", err)
	}
}

func TestSessionExpiry(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clk := newClock()
	srv := servertest.New(t, func(o *server.Options) {
		o.Now = clk.Now
		o.SessionDuration = time.Hour
	})
	owner, _ := srv.FirstUser(t)
	// Use keeps the session alive: each use pushes expiry an hour out.
	for range 3 {
		clk.Advance(50 * time.Minute)
		if _, err := owner.User(ctx, sdk.Me); err != nil {
			t.Fatalf("session used within its lifetime: %v", err)
		}
	}
	clk.Advance(61 * time.Minute)
	_, err := owner.User(ctx, sdk.Me)
	var apiErr *sdk.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusUnauthorized || apiErr.Message != "the session token has expired" {
		t.Fatalf("expired session: err = %v, want 401 expired", err)
	}
}

func TestLastUsedWrittenAtMostOncePerMinute(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clk := newClock()
	srv := servertest.New(t, func(o *server.Options) { o.Now = clk.Now })
	owner, _ := srv.FirstUser(t)
	lastUsed := func() time.Time {
		var ts time.Time
		if err := srv.DB.QueryRow(ctx, "SELECT last_used_at FROM api_keys WHERE kind = 'session'").Scan(&ts); err != nil {
			t.Fatal(err)
		}
		return ts
	}
	first := lastUsed()
	clk.Advance(30 * time.Second)
	if _, err := owner.User(ctx, sdk.Me); err != nil {
		t.Fatal(err)
	}
	if got := lastUsed(); !got.Equal(first) {
		t.Fatalf("last_used_at written after 30s: %v -> %v", first, got)
	}
	clk.Advance(31 * time.Second)
	if _, err := owner.User(ctx, sdk.Me); err != nil {
		t.Fatal(err)
	}
	if got := lastUsed(); !got.After(first) {
		t.Fatalf("last_used_at not written after 61s: %v -> %v", first, got)
	}
}
