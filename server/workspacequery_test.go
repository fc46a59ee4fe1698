package server

import (
	"reflect"
	"strings"
	"testing"

	"den/sdk"
)

func TestParseWorkspaceQuery(t *testing.T) {
	t.Parallel()
	good := []struct {
		in   string
		want workspaceQuery
	}{
		{"", workspaceQuery{}},
		{"  Web  API ", workspaceQuery{Words: []string{"web", "api"}}},
		{"owner:Ada template:go status:RUNNING name:Dev x", workspaceQuery{Owner: "Ada", Template: "go", Status: sdk.WorkspaceRunning, Name: "Dev", Words: []string{"x"}}},
		{"OWNER:me", workspaceQuery{Owner: sdk.Me}},
		{"name:a:b", workspaceQuery{Name: "a:b"}},
	}
	for _, c := range good {
		got, err := parseWorkspaceQuery(c.in)
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("parseWorkspaceQuery(%q) = %+v, %v; want %+v", c.in, got, err, c.want)
		}
	}
	bad := []struct{ in, says string }{
		{"foo:bar", "foo: is not a filter"},
		{"status:sleeping", "use one of pending, starting, running"},
		{"owner:a owner:b", "owner: twice"},
		{"template:", "template: with nothing after it"},
		{strings.Repeat("w ", maxQueryWords+1), "at most 16"},
	}
	for _, c := range bad {
		if _, err := parseWorkspaceQuery(c.in); err == nil || !strings.Contains(err.Error(), c.says) {
			t.Errorf("parseWorkspaceQuery(%q) = %v, want an error saying %q", c.in, err, c.says)
		}
	}
}

func FuzzParseWorkspaceQuery(f *testing.F) {
	for _, s := range []string{"", "web", "owner:me status:running", "name:a:b", "x:", ":", "status:Stopped"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		got, err := parseWorkspaceQuery(q)
		if err != nil {
			return
		}
		if len(got.Words) > maxQueryWords {
			t.Fatalf("%d words passed", len(got.Words))
		}
		for _, w := range got.Words {
			if w == "" || strings.Contains(w, ":") || w != strings.ToLower(w) || strings.ContainsFunc(w, isSpace) {
				t.Fatalf("word %q of %q", w, q)
			}
		}
		if got.Status != "" && !validStatus(got.Status) {
			t.Fatalf("status %q of %q", got.Status, q)
		}
	})
}

func isSpace(r rune) bool { return strings.TrimSpace(string(r)) == "" }

func validStatus(s sdk.WorkspaceStatus) bool {
	for _, v := range workspaceStatuses {
		if v == s {
			return true
		}
	}
	return false
}
