package server_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"testing"

	"den/sdk"
	"den/server/servertest"
)

func TestWorkspaceListPagesAndSearch(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv, owner, _ := newWorkspaceEnv(t)
	srv.PushTemplate(t, owner, "other", map[string]string{"den.yaml": testTemplate})
	alice, _ := srv.CreateUser(t, owner, "alice")
	bob, _ := srv.CreateUser(t, owner, "Bob")
	auditor, _ := srv.CreateUser(t, owner, "auditor", sdk.RoleAuditor)
	params := []sdk.ParameterValue{{Name: "region", Value: "eu"}}
	for _, c := range []struct {
		user       *sdk.Client
		name, tmpl string
	}{{alice, "web", "base"}, {alice, "api", "base"}, {bob, "web2", "base"}, {bob, "db", "other"}} {
		ws, err := c.user.CreateWorkspace(ctx, sdk.Me, sdk.CreateWorkspaceRequest{Name: c.name, Template: c.tmpl, Parameters: params})
		if err != nil {
			t.Fatal(err)
		}
		servertest.WaitJob(t, c.user, ws.LatestBuild.Job.ID)
		if c.name == "api" {
			build(t, alice, ws, sdk.CreateWorkspaceBuildRequest{Transition: sdk.TransitionStop})
		}
	}

	names := func(ws []sdk.Workspace) []string {
		var out []string
		for _, w := range ws {
			out = append(out, w.OwnerName+"/"+w.Name)
		}
		return out
	}
	page := func(c *sdk.Client, f sdk.WorkspaceFilter, offset, limit int) ([]string, int64) {
		t.Helper()
		p, err := c.WorkspacesPage(ctx, f, offset, limit)
		if err != nil {
			t.Fatalf("%+v offset %d limit %d: %v", f, offset, limit, err)
		}
		return names(p.Workspaces), p.Count
	}
	all := []string{"alice/api", "alice/web", "Bob/db", "Bob/web2"}
	// Pages, in order of owner and then name, whatever their case.
	for _, c := range []struct {
		offset, limit int
		want          []string
	}{{0, 0, all}, {0, 2, all[:2]}, {2, 2, all[2:]}, {3, 5, all[3:]}, {10, 2, nil}} {
		if got, n := page(owner, sdk.WorkspaceFilter{}, c.offset, c.limit); !slices.Equal(got, c.want) || n != 4 {
			t.Errorf("offset %d limit %d: %v of %d, want %v of 4", c.offset, c.limit, got, n, c.want)
		}
	}
	// Searches.
	for q, want := range map[string][]string{
		"status:stopped":          {"alice/api"},
		"template:OTHER":          {"Bob/db"},
		"owner:alice web":         {"alice/web"},
		"WEB":                     {"alice/web", "Bob/web2"},
		"name:eb":                 {"alice/web", "Bob/web2"},
		"running bob":             {"Bob/db", "Bob/web2"},
		"owner:bob status:failed": nil,
		"owner:nobody":            nil,
	} {
		if got, n := page(owner, sdk.WorkspaceFilter{Query: q}, 0, 0); !slices.Equal(got, want) || n != int64(len(want)) {
			t.Errorf("q=%q: %v of %d, want %v", q, got, n, want)
		}
	}
	if got, _ := page(owner, sdk.WorkspaceFilter{Owner: "alice", Query: "owner:ALICE"}, 0, 0); !slices.Equal(got, all[:2]) {
		t.Errorf("owner=alice and q=owner:ALICE: %v", got)
	}
	if got, _ := page(owner, sdk.WorkspaceFilter{Template: "other"}, 0, 0); !slices.Equal(got, []string{"Bob/db"}) {
		t.Errorf("template=other: %v", got)
	}
	// The SDK's whole list walks the pages.
	if ws, err := owner.Workspaces(ctx, sdk.WorkspaceFilter{}); err != nil || !slices.Equal(names(ws), all) {
		t.Errorf("Workspaces: %v, %v", names(ws), err)
	}

	// A member sees its own alone, and the count is of those.
	if got, n := page(alice, sdk.WorkspaceFilter{}, 0, 1); !slices.Equal(got, all[:1]) || n != 2 {
		t.Errorf("alice: %v of %d, want %v of 2", got, n, all[:1])
	}
	for _, f := range []sdk.WorkspaceFilter{{Owner: "bob"}, {Query: "owner:bob"}, {Query: "db"}} {
		if got, n := page(alice, f, 0, 0); len(got) != 0 || n != 0 {
			t.Errorf("alice asks for %+v: %v of %d", f, got, n)
		}
	}
	if got, _ := page(alice, sdk.WorkspaceFilter{Owner: sdk.Me}, 0, 0); !slices.Equal(got, all[:2]) {
		t.Errorf("alice, owner=me: %v", got)
	}
	// An auditor sees everyone's.
	if got, n := page(auditor, sdk.WorkspaceFilter{Query: "status:running"}, 0, 0); len(got) != 3 || n != 3 {
		t.Errorf("auditor, running: %v of %d", got, n)
	}

	// Bad input names its field.
	for _, c := range []struct {
		f             sdk.WorkspaceFilter
		offset, limit int
		field         string
	}{
		{sdk.WorkspaceFilter{Query: "color:blue"}, 0, 0, "q"},
		{sdk.WorkspaceFilter{Query: "status:asleep"}, 0, 0, "q"},
		{sdk.WorkspaceFilter{Owner: "alice", Query: "owner:bob"}, 0, 0, "q"},
		{sdk.WorkspaceFilter{}, 0, sdk.MaxWorkspacePage + 1, "limit"},
		{sdk.WorkspaceFilter{}, -1, 0, ""}, // the SDK leaves a negative offset out
	} {
		_, err := owner.WorkspacesPage(ctx, c.f, c.offset, c.limit)
		if c.field == "" {
			if err != nil {
				t.Errorf("%+v offset %d: %v", c.f, c.offset, err)
			}
			continue
		}
		var e *sdk.Error
		if !errors.As(err, &e) || e.StatusCode != http.StatusBadRequest || len(e.Validations) != 1 || e.Validations[0].Field != c.field {
			t.Errorf("%+v offset %d limit %d: %v, want a 400 on %s", c.f, c.offset, c.limit, err, c.field)
		}
	}
	for _, qs := range []string{"limit=0", "limit=x", "offset=-1", "offset=1e3"} {
		resp, err := owner.Request(ctx, http.MethodGet, sdk.APIPrefix+"/workspaces?"+qs, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("?%s: %s, want 400", qs, resp.Status)
		}
	}
}
