package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"den/cli"
	"den/dbtest"
	"den/sdk"
	"den/server/servertest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// den runs the CLI in-process with env, and returns stdout, stderr.
type den struct {
	t   *testing.T
	env map[string]string
}

func newDen(t *testing.T) *den {
	return &den{t: t, env: map[string]string{"XDG_CONFIG_HOME": t.TempDir(), "HOME": t.TempDir()}}
}

func (d *den) run(args ...string) (string, string, error) {
	var out, errOut bytes.Buffer
	r := &cli.Root{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut, Getenv: func(k string) string { return d.env[k] }}
	err := r.Run(context.Background(), args)
	return out.String(), errOut.String(), err
}

func (d *den) ok(args ...string) string {
	d.t.Helper()
	out, errOut, err := d.run(args...)
	if err != nil {
		d.t.Fatalf("den %s: %v\nstderr: %s", strings.Join(args, " "), err, errOut)
	}
	return out
}

func (d *den) fails(want string, args ...string) {
	d.t.Helper()
	_, _, err := d.run(args...)
	if err == nil {
		d.t.Fatalf("den %s succeeded, want an error containing %q", strings.Join(args, " "), want)
	}
	if msg := cli.FormatError(err); !strings.Contains(msg, want) {
		d.t.Fatalf("den %s: error %q does not contain %q", strings.Join(args, " "), msg, want)
	}
}

func TestLoginUsersTokens(t *testing.T) {
	t.Parallel()
	srv := servertest.New(t)
	url := srv.URL.String()
	d := newDen(t)

	d.fails("not logged in", "whoami")
	d.fails("missing --email, --password", "login", url, "--username", "ada")
	out := d.ok("login", url, "--username", "ada", "--email", "ada@example.com", "--password", "password123")
	if !strings.Contains(out, "You are the owner") {
		t.Errorf("first login said %q", out)
	}
	cfg := filepath.Join(d.env["XDG_CONFIG_HOME"], "den", "session.json")
	st, err := os.Stat(cfg)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("config %s: %v, mode %v; want 0600", cfg, err, st.Mode().Perm())
	}
	if out := d.ok("whoami"); !strings.HasPrefix(out, "ada (ada@example.com) on "+url+", roles: owner, member") {
		t.Errorf("whoami = %q", out)
	}

	d.ok("users", "create", "bob", "--email", "bob@example.com", "--password", "password123", "--role", "auditor")
	d.fails("username: is taken", "users", "create", "bob", "--email", "bob2@example.com", "--password", "password123")
	d.fails("unknown role", "users", "create", "carl", "--email", "c@example.com", "--password", "password123", "--role", "king")
	var users []sdk.User
	if err := json.Unmarshal([]byte(d.ok("users", "list", "-o", "json")), &users); err != nil || len(users) != 2 {
		t.Fatalf("users list -o json: %v %+v", err, users)
	}
	if table := d.ok("users", "list"); !strings.Contains(table, "USERNAME") || !strings.Contains(table, "bob") {
		t.Errorf("users list = %q", table)
	}
	d.fails("unknown output format", "users", "list", "-o", "yaml")
	d.ok("users", "set-roles", "bob", "user-admin")
	if out := d.ok("users", "show", "bob"); !strings.Contains(out, "user-admin, member") {
		t.Errorf("users show bob = %q", out)
	}
	d.ok("users", "suspend", "bob")
	d.fails("suspended", "login", url, "--username", "bob", "--password", "password123")
	d.ok("users", "activate", "bob")
	// Passwords: another user's as an owner, then one's own.
	if out := d.ok("users", "set-password", "bob", "--password", "bobs-new-secret"); !strings.Contains(out, "password of bob is set") {
		t.Errorf("set-password bob = %q", out)
	}
	bob := newDen(t)
	bob.ok("login", url, "--username", "bob", "--password", "bobs-new-secret")
	bob.fails("is not your current password", "users", "set-password", "--old-password", "password123", "--password", "another-secret")
	bob.fails("at least 8 characters", "users", "set-password", "--old-password", "bobs-new-secret", "--password", "short")
	if out := bob.ok("users", "set-password", "--old-password", "bobs-new-secret", "--password", "another-secret"); !strings.Contains(out, "Your password is changed") {
		t.Errorf("set-password (own) = %q", out)
	}
	bob.ok("whoami") // the session that changed it goes on

	// A token works through the environment alone, with no login.
	token := strings.TrimSpace(d.ok("tokens", "create", "--name", "ci", "--lifetime", "24h"))
	script := newDen(t)
	script.env["DEN_URL"] = url
	script.env["DEN_SESSION_TOKEN"] = token
	if out := script.ok("whoami"); !strings.HasPrefix(out, "ada ") {
		t.Errorf("whoami by token = %q", out)
	}
	if out := d.ok("tokens", "list"); !strings.Contains(out, "ci") || strings.Contains(out, token) {
		t.Errorf("tokens list = %q", out)
	}
	d.ok("tokens", "remove", "ci")
	script.fails("not valid", "whoami")

	d.ok("users", "delete", "bob")
	d.fails("not found", "users", "show", "bob")

	// Log in again on the set-up server, by email, then out.
	d.ok("logout")
	d.fails("not logged in", "whoami")
	d.fails("incorrect login or password", "login", url, "--email", "ada@example.com", "--password", "wrong-password")
	if out := d.ok("login", url, "--email", "ada@example.com", "--password", "password123"); !strings.Contains(out, "Logged in") {
		t.Errorf("login = %q", out)
	}
	d.env["DEN_PASSWORD"] = "password123"
	d.ok("login", url, "--username", "ada")
}

func TestLoginErrors(t *testing.T) {
	t.Parallel()
	d := newDen(t)
	d.fails("which server", "login")
	d.fails("scheme must be http or https", "login", "ftp://x")
	d.fails("reach the Den server", "login", "http://127.0.0.1:1")
	d.fails("--lifetime", "tokens", "create", "--lifetime", "forever")
}
