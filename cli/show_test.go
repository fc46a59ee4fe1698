package cli

import (
	"strings"
	"testing"

	"den/sdk"
)

func TestShowListsApps(t *testing.T) {
	var out strings.Builder
	r := &Root{Stdout: &out}
	r.printWorkspace(sdk.Workspace{
		Name: "dev", OwnerName: "ada", Status: sdk.WorkspaceRunning, TemplateName: "debian",
		Apps: []sdk.WorkspaceApp{
			{Slug: "web", Name: "Web", Share: sdk.AppShareOwner, Health: sdk.AppHealthHealthy, URL: "http://127.0.0.1:3000/@ada/dev/apps/web/"},
			{Slug: "docs", Name: "Docs", Share: sdk.AppSharePublic, Health: sdk.AppHealthDisabled, URL: "http://127.0.0.1:3000/api/v2/apps/open?app=docs"},
		},
	})
	for _, want := range []string{
		"  apps:\n",
		"    Web: http://127.0.0.1:3000/@ada/dev/apps/web/ (healthy, owner only)\n",
		"    Docs: http://127.0.0.1:3000/api/v2/apps/open?app=docs (disabled, anyone)\n",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("show lacks %q:\n%s", want, out.String())
		}
	}
}
