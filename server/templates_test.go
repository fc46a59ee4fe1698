package server_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"den/sdk"
	"den/server"
	"den/server/servertest"
)

// testTemplate is a den.yaml with one parameter of each kind of rule.
const testTemplate = `description: a test template
parameters:
  - name: cpus
    type: number
    default: 2
    validation: {min: 1, max: 4}
    mutable: true
  - name: region
    description: where it runs
    options: [eu, us]
  - name: repo
    default: ""
container:
  image: den-test-busybox:1
volumes:
  - name: home
    path: /home/dev
    persistent: true
`

func TestTemplatePushAndImport(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := servertest.New(t)
	owner, _ := srv.FirstUser(t)

	v1 := srv.PushTemplate(t, owner, "base", map[string]string{"den.yaml": testTemplate, "setup.sh": "echo hi\n"})
	if v1.Number != 1 || !strings.Contains(v1.Job.Status.String(), "succeeded") {
		t.Fatalf("v1 = %+v", v1)
	}
	tmpl, err := owner.Template(ctx, "base")
	if err != nil || tmpl.ActiveVersion != 1 || tmpl.Description != "a test template" {
		t.Fatalf("template = %+v, %v", tmpl, err)
	}
	active, err := owner.TemplateVersion(ctx, "base", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(active.Parameters) != 3 || active.Parameters[1].Name != "region" || !active.Parameters[1].Required() {
		t.Fatalf("parameters = %+v", active.Parameters)
	}

	// A broken version imports with an error naming the line, and the
	// active version stays.
	v2, err := srv.TryPushTemplate(t, owner, "base", map[string]string{"den.yaml": strings.Replace(testTemplate, "image: den-test-busybox:1", "image: den-test-busybox:1\n  memory: lots", 1)})
	if err != nil {
		t.Fatal(err)
	}
	if v2.Job.Status != sdk.JobFailed || !strings.Contains(v2.Job.Error, "den.yaml:") || !strings.Contains(v2.Job.Error, "container.memory") {
		t.Fatalf("broken version: %s %q", v2.Job.Status, v2.Job.Error)
	}
	v2, err = srv.TryPushTemplate(t, owner, "base", map[string]string{"README": "no den.yaml here"})
	if err != nil || v2.Job.Status != sdk.JobFailed || !strings.Contains(v2.Job.Error, "den.yaml") {
		t.Fatalf("version without den.yaml: %+v %v", v2.Job, err)
	}
	if tmpl, _ := owner.Template(ctx, "base"); tmpl.ActiveVersion != 1 {
		t.Fatalf("active version moved to %d after failed imports", tmpl.ActiveVersion)
	}
	versions, err := owner.TemplateVersions(ctx, "base")
	if err != nil || len(versions) != 3 || versions[0].Number != 3 || !versions[2].Active {
		t.Fatalf("versions = %+v, %v", versions, err)
	}
	// The archive comes back as pushed.
	archive, err := owner.Download(ctx, active.FileHash)
	if err != nil || !strings.Contains(string(archive), "echo hi") {
		t.Fatalf("download: %v", err)
	}

	// Members see templates but cannot push; template admins can.
	member, _ := srv.CreateUser(t, owner, "member")
	if ts, err := member.Templates(ctx); err != nil || len(ts) != 1 {
		t.Fatalf("member templates = %v, %v", ts, err)
	}
	if _, err := member.Upload(ctx, servertest.Tar(t, map[string]string{"den.yaml": testTemplate})); sdk.StatusCode(err) != http.StatusForbidden {
		t.Fatalf("member upload: %v, want 403", err)
	}
	if _, err := member.CreateTemplateVersion(ctx, "base", sdk.CreateTemplateVersionRequest{FileHash: active.FileHash}); sdk.StatusCode(err) != http.StatusForbidden {
		t.Fatalf("member push: %v, want 403", err)
	}
	admin, _ := srv.CreateUser(t, owner, "tadmin", sdk.RoleTemplateAdmin)
	srv.PushTemplate(t, admin, "other", map[string]string{"den.yaml": testTemplate})

	// A template in use cannot be deleted; an unused one can.
	if _, err := member.CreateWorkspace(ctx, sdk.Me, sdk.CreateWorkspaceRequest{Name: "ws", Template: "base", Parameters: []sdk.ParameterValue{{Name: "region", Value: "eu"}}}); err != nil {
		t.Fatal(err)
	}
	if err := owner.DeleteTemplate(ctx, "base"); sdk.StatusCode(err) != http.StatusConflict {
		t.Fatalf("delete template in use: %v, want 409", err)
	}
	if err := admin.DeleteTemplate(ctx, "other"); err != nil {
		t.Fatal(err)
	}
	if _, err := owner.Template(ctx, "other"); sdk.StatusCode(err) != http.StatusNotFound {
		t.Fatalf("deleted template: %v, want 404", err)
	}
}

func TestTemplateUploadAbuse(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := servertest.New(t, func(o *server.Options) { o.MaxArchiveBytes = 4096 })
	owner, _ := srv.FirstUser(t)
	for name, files := range map[string]map[string]string{
		"dotdot":   {"../evil": "x"},
		"absolute": {"/etc/evil": "x"},
	} {
		_, err := owner.Upload(ctx, servertest.Tar(t, files))
		var apiErr *sdk.Error
		if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusBadRequest || !strings.Contains(apiErr.Detail, "template archive") {
			t.Errorf("%s: %v, want 400 naming the archive", name, err)
		}
	}
	if _, err := owner.Upload(ctx, servertest.Tar(t, map[string]string{"big": strings.Repeat("x", 8192)})); sdk.StatusCode(err) != http.StatusRequestEntityTooLarge {
		t.Errorf("too large: %v, want 413", err)
	}
	resp, err := owner.Request(ctx, http.MethodPost, "/api/v2/files", map[string]string{"not": "a tar"})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnsupportedMediaType {
		t.Errorf("JSON upload: %d, want 415", resp.StatusCode)
	}
	_, err = owner.CreateTemplateVersion(ctx, "x", sdk.CreateTemplateVersionRequest{FileHash: "nope"})
	assertInvalid(t, err, "file_hash")
	up, err := owner.Upload(ctx, servertest.Tar(t, map[string]string{"den.yaml": testTemplate}))
	if err != nil {
		t.Fatal(err)
	}
	_, err = owner.CreateTemplateVersion(ctx, "Bad_Name", sdk.CreateTemplateVersionRequest{FileHash: up.Hash})
	assertInvalid(t, err, "template")
}
