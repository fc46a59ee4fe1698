package server_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"

	"den/provisioner"
	"den/sdk"
	"den/server/servertest"
)

// newWorkspaceEnv is a server with the test template pushed, and a member.
func newWorkspaceEnv(t *testing.T) (*servertest.Server, *sdk.Client, *sdk.Client) {
	t.Helper()
	srv := servertest.New(t)
	owner, _ := srv.FirstUser(t)
	srv.PushTemplate(t, owner, "base", map[string]string{"den.yaml": testTemplate})
	member, _ := srv.CreateUser(t, owner, "member")
	return srv, owner, member
}

func build(t *testing.T, c *sdk.Client, ws sdk.Workspace, req sdk.CreateWorkspaceBuildRequest) sdk.WorkspaceBuild {
	t.Helper()
	b, err := c.CreateWorkspaceBuild(context.Background(), ws.ID, req)
	if err != nil {
		t.Fatalf("%s build: %v", req.Transition, err)
	}
	b.Job = servertest.WaitJob(t, c, b.Job.ID)
	return b
}

func status(t *testing.T, c *sdk.Client, id uuid.UUID) sdk.WorkspaceStatus {
	t.Helper()
	ws, err := c.Workspace(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return ws.Status
}

func TestWorkspaceLifecycle(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv, _, member := newWorkspaceEnv(t)

	ws, err := member.CreateWorkspace(ctx, sdk.Me, sdk.CreateWorkspaceRequest{
		Name: "dev", Template: "base", Parameters: []sdk.ParameterValue{{Name: "region", Value: "eu"}, {Name: "cpus", Value: "3"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if ws.LatestBuild.Number != 1 || ws.LatestBuild.Transition != sdk.TransitionStart || ws.OwnerName != "member" {
		t.Fatalf("created = %+v", ws)
	}
	servertest.WaitJob(t, member, ws.LatestBuild.Job.ID)
	if s := status(t, member, ws.ID); s != sdk.WorkspaceRunning {
		t.Fatalf("status after create = %s", s)
	}
	got, err := member.WorkspaceByName(ctx, sdk.Me, "dev")
	if err != nil || got.ID != ws.ID {
		t.Fatalf("by name: %v", err)
	}
	want := map[string]string{"cpus": "3", "region": "eu", "repo": ""}
	for _, p := range got.LatestBuild.Parameters {
		if want[p.Name] != p.Value {
			t.Errorf("parameter %s = %q, want %q", p.Name, p.Value, want[p.Name])
		}
	}
	if len(got.LatestBuild.Resources) != 1 || !got.LatestBuild.Resources[0].Persistent {
		t.Errorf("resources = %+v", got.LatestBuild.Resources)
	}

	build(t, member, ws, sdk.CreateWorkspaceBuildRequest{Transition: sdk.TransitionStop})
	if s := status(t, member, ws.ID); s != sdk.WorkspaceStopped {
		t.Fatalf("status after stop = %s", s)
	}
	// A mutable parameter may change at start; a fixed one may not.
	b := build(t, member, ws, sdk.CreateWorkspaceBuildRequest{Transition: sdk.TransitionStart, Parameters: []sdk.ParameterValue{{Name: "cpus", Value: "4"}}})
	if b.Parameters[0].Value != "4" {
		t.Errorf("cpus after start = %+v", b.Parameters)
	}
	_, err = member.CreateWorkspaceBuild(ctx, ws.ID, sdk.CreateWorkspaceBuildRequest{Transition: sdk.TransitionStart, Parameters: []sdk.ParameterValue{{Name: "region", Value: "us"}}})
	assertInvalid(t, err, "parameters.region")

	builds, err := member.WorkspaceBuilds(ctx, ws.ID, 0, 0)
	if err != nil || len(builds) != 3 || builds[0].Number != 3 {
		t.Fatalf("builds = %d, %v", len(builds), err)
	}
	// Pages, newest first.
	if page, err := member.WorkspaceBuilds(ctx, ws.ID, 1, 1); err != nil || len(page) != 1 || page[0].Number != 2 {
		t.Errorf("builds offset 1 limit 1 = %+v, %v", page, err)
	}
	if page, err := member.WorkspaceBuilds(ctx, ws.ID, 5, 0); err != nil || len(page) != 0 {
		t.Errorf("builds past the end = %+v, %v", page, err)
	}
	_, err = member.WorkspaceBuilds(ctx, ws.ID, 0, sdk.MaxBuildPage+1)
	assertInvalid(t, err, "limit")
	// The provisioner saw every transition, with the previous state.
	applied := srv.Fake.Applied()
	if len(applied) != 3 || applied[1].Transition != provisioner.TransitionStop || len(applied[2].State) == 0 {
		t.Fatalf("applied = %+v", applied)
	}
	if applied[0].Agent.Token == "" || applied[1].Agent.Token != "" || applied[0].Agent.Token == applied[2].Agent.Token {
		t.Errorf("agent tokens: start builds need a fresh one each, stop none")
	}
	if applied[0].Workspace.OwnerName != "member" || applied[0].Parameters["region"] != "eu" {
		t.Errorf("workspace = %+v, parameters %v", applied[0].Workspace, applied[0].Parameters)
	}

	list, err := member.Workspaces(ctx, sdk.WorkspaceFilter{Owner: sdk.Me})
	if err != nil || len(list) != 1 {
		t.Fatalf("list = %v, %v", list, err)
	}
	for tmpl, n := range map[string]int{ws.TemplateName: 1, "no-such-template": 0} {
		if list, err := member.Workspaces(ctx, sdk.WorkspaceFilter{Template: tmpl}); err != nil || len(list) != n {
			t.Errorf("workspaces of template %s = %d, %v; want %d", tmpl, len(list), err, n)
		}
	}
	b = build(t, member, ws, sdk.CreateWorkspaceBuildRequest{Transition: sdk.TransitionDelete})
	if b.Job.Status != sdk.JobSucceeded {
		t.Fatalf("delete: %+v", b.Job)
	}
	if _, err := member.Workspace(ctx, ws.ID); sdk.StatusCode(err) != http.StatusNotFound {
		t.Fatalf("deleted workspace: %v, want 404", err)
	}
	if list, _ := member.Workspaces(ctx, sdk.WorkspaceFilter{Owner: sdk.Me}); len(list) != 0 {
		t.Fatalf("list after delete = %v", list)
	}
	// The name is free again.
	if _, err := member.CreateWorkspace(ctx, sdk.Me, sdk.CreateWorkspaceRequest{Name: "dev", Template: "base", Parameters: []sdk.ParameterValue{{Name: "region", Value: "us"}}}); err != nil {
		t.Fatalf("reuse the name: %v", err)
	}
}

func TestCreateWorkspaceBadInput(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, _, member := newWorkspaceEnv(t)
	region := sdk.ParameterValue{Name: "region", Value: "eu"}
	for _, tc := range []struct {
		req   sdk.CreateWorkspaceRequest
		field string
	}{
		{sdk.CreateWorkspaceRequest{Name: "Dev!", Template: "base", Parameters: []sdk.ParameterValue{region}}, "name"},
		{sdk.CreateWorkspaceRequest{Name: "dev", Template: "nope"}, "template"},
		{sdk.CreateWorkspaceRequest{Name: "dev"}, "template"},
		{sdk.CreateWorkspaceRequest{Name: "dev", Template: "base"}, "parameters.region"},
		{sdk.CreateWorkspaceRequest{Name: "dev", Template: "base", Parameters: []sdk.ParameterValue{{Name: "region", Value: "mars"}}}, "parameters.region"},
		{sdk.CreateWorkspaceRequest{Name: "dev", Template: "base", Parameters: []sdk.ParameterValue{region, {Name: "cpus", Value: "9"}}}, "parameters.cpus"},
		{sdk.CreateWorkspaceRequest{Name: "dev", Template: "base", Parameters: []sdk.ParameterValue{region, {Name: "cpus", Value: "many"}}}, "parameters.cpus"},
		{sdk.CreateWorkspaceRequest{Name: "dev", Template: "base", Parameters: []sdk.ParameterValue{region, {Name: "gpu", Value: "1"}}}, "parameters.gpu"},
		{sdk.CreateWorkspaceRequest{Name: "dev", Template: "base", Parameters: []sdk.ParameterValue{region, region}}, "parameters.region"},
	} {
		_, err := member.CreateWorkspace(ctx, sdk.Me, tc.req)
		assertInvalid(t, err, tc.field)
	}
	if _, err := member.CreateWorkspace(ctx, sdk.Me, sdk.CreateWorkspaceRequest{Name: "dev", Template: "base", Parameters: []sdk.ParameterValue{region}}); err != nil {
		t.Fatal(err)
	}
	_, err := member.CreateWorkspace(ctx, sdk.Me, sdk.CreateWorkspaceRequest{Name: "dev", Template: "base", Parameters: []sdk.ParameterValue{region}})
	if sdk.StatusCode(err) != http.StatusConflict {
		t.Fatalf("duplicate name: %v, want 409", err)
	}
	ws, _ := member.WorkspaceByName(ctx, sdk.Me, "dev")
	for _, req := range []sdk.CreateWorkspaceBuildRequest{
		{Transition: "explode"},
		{Transition: sdk.TransitionStop, Orphan: true},
	} {
		_, err := member.CreateWorkspaceBuild(ctx, ws.ID, req)
		if sdk.StatusCode(err) != http.StatusBadRequest {
			t.Errorf("%+v: %v, want 400", req, err)
		}
	}
}

func TestWorkspacesAreTheirOwners(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv, owner, member := newWorkspaceEnv(t)
	other, _ := srv.CreateUser(t, owner, "other")
	auditor, _ := srv.CreateUser(t, owner, "auditor", sdk.RoleAuditor)
	ws, err := member.CreateWorkspace(ctx, sdk.Me, sdk.CreateWorkspaceRequest{Name: "dev", Template: "base", Parameters: []sdk.ParameterValue{{Name: "region", Value: "eu"}}})
	if err != nil {
		t.Fatal(err)
	}
	servertest.WaitJob(t, member, ws.LatestBuild.Job.ID)
	if _, err := other.Workspace(ctx, ws.ID); sdk.StatusCode(err) != http.StatusNotFound {
		t.Errorf("other reads: %v, want 404", err)
	}
	if _, err := other.CreateWorkspaceBuild(ctx, ws.ID, sdk.CreateWorkspaceBuildRequest{Transition: sdk.TransitionStop}); sdk.StatusCode(err) != http.StatusNotFound {
		t.Errorf("other stops: %v, want 404", err)
	}
	if _, err := other.CreateWorkspace(ctx, "member", sdk.CreateWorkspaceRequest{Name: "x", Template: "base"}); sdk.StatusCode(err) != http.StatusForbidden && sdk.StatusCode(err) != http.StatusNotFound {
		t.Errorf("other creates for member: %v, want 403/404", err)
	}
	if list, _ := other.Workspaces(ctx, sdk.WorkspaceFilter{}); len(list) != 0 {
		t.Errorf("other lists %d workspaces", len(list))
	}
	if _, err := auditor.Workspace(ctx, ws.ID); err != nil {
		t.Errorf("auditor reads: %v", err)
	}
	if _, err := auditor.CreateWorkspaceBuild(ctx, ws.ID, sdk.CreateWorkspaceBuildRequest{Transition: sdk.TransitionStop}); sdk.StatusCode(err) != http.StatusForbidden {
		t.Errorf("auditor stops: %v, want 403", err)
	}
	// An owner may act for anyone.
	if b, err := owner.CreateWorkspaceBuild(ctx, ws.ID, sdk.CreateWorkspaceBuildRequest{Transition: sdk.TransitionStop}); err != nil || b.InitiatorName != "owner" {
		t.Errorf("owner stops: %+v, %v", b, err)
	}
	// Build logs follow the workspace's rules.
	if err := other.JobLogs(ctx, ws.LatestBuild.Job.ID, 0, false, func(sdk.JobEvent) error { return nil }); sdk.StatusCode(err) != http.StatusNotFound {
		t.Errorf("other reads logs: %v, want 404", err)
	}
	var lines []string
	if err := member.JobLogs(ctx, ws.LatestBuild.Job.ID, 0, false, func(ev sdk.JobEvent) error {
		if ev.Log != nil {
			lines = append(lines, ev.Log.Output)
		}
		return nil
	}); err != nil || !strings.Contains(strings.Join(lines, "\n"), "start workspace dev") {
		t.Errorf("member reads logs: %q, %v", lines, err)
	}
}

func TestOrphanDelete(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv, _, member := newWorkspaceEnv(t)
	ws, err := member.CreateWorkspace(ctx, sdk.Me, sdk.CreateWorkspaceRequest{Name: "dev", Template: "base", Parameters: []sdk.ParameterValue{{Name: "region", Value: "eu"}}})
	if err != nil {
		t.Fatal(err)
	}
	servertest.WaitJob(t, member, ws.LatestBuild.Job.ID)
	b, err := member.CreateWorkspaceBuild(ctx, ws.ID, sdk.CreateWorkspaceBuildRequest{Transition: sdk.TransitionDelete, Orphan: true})
	if err != nil || !b.Orphan || b.Job.Status != sdk.JobSucceeded {
		t.Fatalf("orphan delete: %+v, %v", b, err)
	}
	if _, err := member.Workspace(ctx, ws.ID); sdk.StatusCode(err) != http.StatusNotFound {
		t.Fatalf("orphaned workspace: %v, want 404", err)
	}
	if n := len(srv.Fake.Applied()); n != 1 {
		t.Fatalf("the provisioner ran %d times, want once (the start)", n)
	}
}
