package cli_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"den/sdk"
	"den/server/servertest"
)

// TestTemplatesAndWorkspaces walks the CLI through a template's life and a
// workspace's, on a server whose builds run on the fake provisioner.
func TestTemplatesAndWorkspaces(t *testing.T) {
	t.Parallel()
	srv := servertest.New(t)
	d := newDen(t)
	d.ok("login", srv.URL.String(), "--username", "ada", "--email", "ada@example.com", "--password", "password123")

	dir := filepath.Join(t.TempDir(), "tmpl")
	d.ok("templates", "init", dir)
	d.fails("already has a den.yaml", "templates", "init", dir)
	d.fails("has no den.yaml", "templates", "push", "debian", "-d", t.TempDir())
	if out := d.ok("templates", "push", "debian", "-d", dir, "-m", "first"); !strings.Contains(out, "version 1 is active") {
		t.Errorf("push = %q", out)
	}
	if out := d.ok("templates", "list"); !strings.Contains(out, "debian") {
		t.Errorf("templates list = %q", out)
	}

	d.fails("which template", "create", "dev")
	d.fails("no such parameter", "create", "dev", "-t", "debian", "--parameter", "gpus=1", "--yes")
	d.fails("must be at most 4", "create", "dev", "-t", "debian", "--parameter", "cpus=9", "--yes")
	out := d.ok("create", "dev", "-t", "debian", "--parameter", "cpus=3", "--yes")
	if !strings.Contains(out, "Workspace dev is running") {
		t.Errorf("create = %q", out)
	}
	if out := d.ok("list"); !strings.Contains(out, "dev") || !strings.Contains(out, "running") {
		t.Errorf("list = %q", out)
	}
	if out, errOut, err := d.run("list", "--search", "status:stopped"); err != nil || strings.Contains(out, "dev") || !strings.Contains(errOut, `No workspace matches "status:stopped"`) {
		t.Errorf("list --search status:stopped = %q, %q, %v", out, errOut, err)
	}
	if out := d.ok("list", "-s", "DE status:running"); !strings.Contains(out, "dev") {
		t.Errorf("list -s 'DE status:running' = %q", out)
	}
	d.fails("--search: the search has \"colour:blue\", and colour: is not a filter", "list", "--search", "colour:blue")
	show := d.ok("show", "dev")
	if !strings.Contains(show, "cpus = 3") || !strings.Contains(show, "kept on stop") {
		t.Errorf("show = %q", show)
	}
	if out := d.ok("stop", "dev"); !strings.Contains(out, "is stopped") {
		t.Errorf("stop = %q", out)
	}
	d.ok("start", "dev")
	d.ok("restart", "dev")
	var builds []sdk.WorkspaceBuild
	if err := json.Unmarshal([]byte(d.ok("builds", "dev", "-o", "json")), &builds); err != nil || len(builds) != 5 {
		t.Fatalf("builds: %v (%d)", err, len(builds))
	}
	if out := d.ok("logs", "dev", "--build", "2"); !strings.Contains(out, "stop workspace dev") || !strings.Contains(out, "succeeded") {
		t.Errorf("logs = %q", out)
	}

	// A new version with a new required parameter: update asks for it.
	yaml, err := os.ReadFile(filepath.Join(dir, "den.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	v2 := strings.Replace(string(yaml), "parameters:\n", "parameters:\n  - name: team\n    description: your team\n", 1)
	if err := os.WriteFile(filepath.Join(dir, "den.yaml"), []byte(v2), 0o644); err != nil {
		t.Fatal(err)
	}
	d.ok("templates", "push", "debian", "-d", dir, "-m", "add team")
	if out := d.ok("list"); !strings.Contains(out, "outdated") {
		t.Errorf("list after push = %q", out)
	}
	d.fails("parameter team has no default", "update", "dev")
	d.ok("update", "dev", "--parameter", "team=infra")
	if out := d.ok("show", "dev"); !strings.Contains(out, "version 2") || strings.Contains(out, "outdated") || !strings.Contains(out, "team = infra") {
		t.Errorf("show after update = %q", out)
	}
	if out := d.ok("templates", "versions", "debian"); !strings.Contains(out, "add team") || !strings.Contains(out, "active") {
		t.Errorf("versions = %q", out)
	}
	pulled := filepath.Join(t.TempDir(), "pulled")
	d.ok("templates", "pull", "debian", pulled, "--version", "1")
	if b, err := os.ReadFile(filepath.Join(pulled, "den.yaml")); err != nil || string(b) != string(yaml) {
		t.Errorf("pulled version 1 differs: %v", err)
	}

	d.fails("is used by 1 workspace", "templates", "delete", "debian")
	d.ok("delete", "dev")
	d.fails("not found", "show", "dev")
	d.ok("templates", "delete", "debian")
}
