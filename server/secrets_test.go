package server_test

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"den/sdk"
	"den/server/servertest"
)

// TestDatabaseHoldsNoSecrets dumps every text and bytea column of every table
// and looks for passwords and token secrets in the clear.
func TestDatabaseHoldsNoSecrets(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := servertest.New(t)
	owner, _ := srv.FirstUser(t)
	member, _ := srv.CreateUser(t, owner, "member")
	tok, err := member.CreateToken(ctx, sdk.Me, sdk.CreateTokenRequest{Name: "ci"})
	if err != nil {
		t.Fatal(err)
	}
	login, err := srv.Client().Login(ctx, sdk.LoginRequest{Login: "owner", Password: servertest.Password})
	if err != nil {
		t.Fatal(err)
	}
	secrets := map[string]string{
		"password":      servertest.Password,
		"api token":     secretPart(tok.Key),
		"session token": secretPart(login.SessionToken),
		"first session": secretPart(owner.SessionToken),
	}

	rows, err := srv.DB.Query(ctx, `SELECT table_name, column_name FROM information_schema.columns
		WHERE table_schema = 'public' AND data_type IN ('text', 'bytea', 'ARRAY', 'character varying', 'jsonb')`)
	if err != nil {
		t.Fatal(err)
	}
	type col struct{ Table, Column string }
	cols, err := pgx.CollectRows(rows, pgx.RowToStructByPos[col])
	if err != nil {
		t.Fatal(err)
	}
	if len(cols) < 5 {
		t.Fatalf("found only %d columns to check", len(cols))
	}
	for _, c := range cols {
		q := "SELECT coalesce(" + pgx.Identifier{c.Column}.Sanitize() + "::text, '') FROM " + pgx.Identifier{c.Table}.Sanitize()
		rows, err := srv.DB.Query(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		values, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range values {
			for what, secret := range secrets {
				if strings.Contains(strings.ToLower(v), strings.ToLower(secret)) {
					t.Errorf("%s.%s holds the %s in the clear", c.Table, c.Column, what)
				}
			}
		}
	}
}

func secretPart(key string) string {
	_, s, _ := strings.Cut(key, "-")
	return s
}
