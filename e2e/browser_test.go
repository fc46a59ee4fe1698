package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"den/dockertest"
	"den/provisioner"
	"den/provisioner/docker"
	"den/sdk"
	"den/server"
	"den/server/servertest"
	"den/site"
)

// browserTemplate has a parameter for the create form, a startup script
// whose output the logs show, and an app: busybox httpd on APP_PORT (the
// container shares this host's network).
const browserTemplate = `description: busybox for the browser test
parameters:
  - name: greeting
    description: What the startup script says.
    default: hello
    validation:
      regex: ^[a-z-]+$
      error: lowercase letters and dashes only
container:
  image: den-test-busybox:1
  network: host
  env:
    GREETING: ${param.greeting}
volumes:
  - name: home
    path: /home/dev
    persistent: true
agent:
  dir: /home/dev
  startup_script: |
    echo "startup says $GREETING"
    mkdir -p /tmp/www
    echo "app page for $GREETING" > /tmp/www/index.html
    busybox httpd -p 127.0.0.1:APP_PORT -h /tmp/www
apps:
  - slug: web
    name: Web page
    port: APP_PORT
    healthcheck:
      path: /
      interval: 1s
`

// browserWorkspace is the workspace the browser test creates.
const browserWorkspace = "chromium-dev"

// TestDashboardInChromium drives the dashboard in headless Chromium
// (Debian's chromium, through playwright-core; scripts in web/e2e) against
// this server with the docker provisioner: first-user setup and login, then
// create from a template with a parameter, logs until running, the web
// terminal (a command's output, a reload that finds the same shell), the
// app, stop and delete. Screenshots of a failure are kept in
// .cache/browser-screenshots. `make test` builds the dashboard and sets
// DEN_BROWSER_TESTS=1, so this runs there; without a build it is skipped
// (a plain `go test` needs no Node).
func TestDashboardInChromium(t *testing.T) {
	required := os.Getenv("DEN_BROWSER_TESTS") != ""
	missing := func(what string) {
		t.Helper()
		if required {
			t.Fatalf("%s; `make test` sets it all up", what)
		}
		t.Skipf("%s (`make test` runs this test)", what)
	}
	if !site.New("", "").Built() {
		missing("the dashboard is not built into this test binary: cd web && npm ci && npm run build")
	}
	chromium := os.Getenv("DEN_CHROMIUM")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	if _, err := os.Stat(chromium); err != nil {
		missing("no Chromium at " + chromium + " (Debian package chromium)")
	}
	web, err := filepath.Abs("../web")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(web, "node_modules", "playwright-core")); err != nil {
		missing("web/node_modules has no playwright-core: cd web && npm ci")
	}
	shots, err := filepath.Abs("../.cache/browser-screenshots")
	if err != nil {
		t.Fatal(err)
	}
	_ = os.RemoveAll(shots)

	cli := dockertest.Client(t)
	if image := dockertest.BusyboxImage(t); image != "den-test-busybox:1" {
		t.Fatalf("busybox image is %q; update browserTemplate", image)
	}
	prov := docker.New(docker.Options{Client: cli, AgentBinary: dockertest.DenBinary(t)})
	srv := servertest.New(t, func(o *server.Options) {
		o.Provisioners = map[string]provisioner.Provisioner{"docker": prov}
	})
	dockertest.Cleanup(t, cli, "den.workspace.name="+browserWorkspace, "den.owner.name=owner")

	node := func(script string, env ...string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "node", "--test", "--test-reporter=spec", "--test-concurrency=1", script)
		cmd.Dir = web
		cmd.Env = append(os.Environ(), "DEN_URL="+srv.URL.String(), "DEN_CHROMIUM="+chromium,
			"DEN_SCREENSHOTS="+shots, "DEN_USER=owner", "DEN_PASSWORD="+servertest.Password)
		cmd.Env = append(cmd.Env, env...)
		out, err := cmd.CombinedOutput()
		t.Logf("node %s:\n%s", script, out)
		if err != nil {
			t.Fatalf("the browser test %s failed: %v (screenshots in %s)", script, err, shots)
		}
	}

	node("e2e/setup.test.mjs")

	owner := srv.Client()
	login, err := owner.Login(context.Background(), sdk.LoginRequest{Login: "owner", Password: servertest.Password})
	if err != nil {
		t.Fatalf("the user the browser set up cannot sign in: %v", err)
	}
	owner.SessionToken = login.SessionToken
	appPort := freePort(t)
	srv.PushTemplate(t, owner, "busybox", map[string]string{
		"den.yaml": strings.ReplaceAll(browserTemplate, "APP_PORT", fmt.Sprint(appPort)),
	})

	node("e2e/workspace.test.mjs", "DEN_TEMPLATE=busybox", "DEN_WORKSPACE="+browserWorkspace, "DEN_GREETING=from-chromium")

	// What the browser did, seen from the API: the workspace is gone.
	if _, err := owner.WorkspaceByName(context.Background(), sdk.Me, browserWorkspace); sdk.StatusCode(err) != 404 {
		t.Fatalf("after deleting in the browser: %v, want 404", err)
	}
}
