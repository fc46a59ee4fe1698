package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"den/server/servertest"
)

func TestConfigSSHIsIdempotentAndRemovable(t *testing.T) {
	t.Parallel()
	srv := servertest.New(t)
	d := newDen(t)
	d.ok("login", srv.URL.String(), "--username", "ada", "--email", "ada@example.com", "--password", "password123")
	cfg := filepath.Join(t.TempDir(), "ssh", "config")
	if err := os.MkdirAll(filepath.Dir(cfg), 0o700); err != nil {
		t.Fatal(err)
	}
	mine := "Host example\n\tUser me\n"
	if err := os.WriteFile(cfg, []byte(mine), 0o600); err != nil {
		t.Fatal(err)
	}
	d.ok("config-ssh", "--ssh-config", cfg)
	first, _ := os.ReadFile(cfg)
	d.ok("config-ssh", "--ssh-config", cfg)
	second, _ := os.ReadFile(cfg)
	if string(first) != string(second) {
		t.Fatalf("a second run changed the file:\n%s\n---\n%s", first, second)
	}
	text := string(second)
	if !strings.HasPrefix(text, mine) || strings.Count(text, "START DEN") != 1 ||
		!strings.Contains(text, "Host den.*") || !strings.Contains(text, "ssh --stdio %n") {
		t.Fatalf("config:\n%s", text)
	}
	if st, _ := os.Stat(cfg); st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", st.Mode().Perm())
	}
	d.ok("config-ssh", "--ssh-config", cfg, "--remove")
	if after, _ := os.ReadFile(cfg); string(after) != mine {
		t.Fatalf("after --remove:\n%q\nwant\n%q", after, mine)
	}
}
