package server

import (
	"fmt"
	"slices"
	"strings"

	"den/sdk"
)

// workspaceQuery is a parsed workspace search (?q=): the dashboard's filter
// box, done by the database.
type workspaceQuery struct {
	Owner    string // a username or sdk.Me; exact
	Template string // exact
	Status   sdk.WorkspaceStatus
	Name     string   // part of the name
	Words    []string // each in the name, owner, template or status; lower-cased
}

// workspaceStatuses are the statuses a search may ask for.
var workspaceStatuses = []sdk.WorkspaceStatus{
	sdk.WorkspacePending, sdk.WorkspaceStarting, sdk.WorkspaceRunning, sdk.WorkspaceStopping,
	sdk.WorkspaceStopped, sdk.WorkspaceFailed, sdk.WorkspaceCanceling, sdk.WorkspaceCanceled,
	sdk.WorkspaceDeleting, sdk.WorkspaceDeleted,
}

// maxQueryWords bounds a search, so one request cannot make the database
// test thousands of words on every row.
const maxQueryWords = 16

// parseWorkspaceQuery reads a search: words separated by spaces, each
// either plain text or "key:value" with key owner, template, status or name.
// The errors are for a person typing into a filter box.
func parseWorkspaceQuery(q string) (workspaceQuery, error) {
	var out workspaceQuery
	fields := strings.Fields(q)
	if len(fields) > maxQueryWords {
		return out, fmt.Errorf("the search has %d words; use at most %d", len(fields), maxQueryWords)
	}
	seen := map[string]bool{}
	for _, f := range fields {
		key, value, ok := strings.Cut(f, ":")
		if !ok {
			out.Words = append(out.Words, strings.ToLower(f))
			continue
		}
		key = strings.ToLower(key)
		if seen[key] {
			return out, fmt.Errorf("the search gives %s: twice; give each of owner:, template:, status: and name: at most once", key)
		}
		seen[key] = true
		if value == "" {
			return out, fmt.Errorf("the search has %s: with nothing after it", key)
		}
		switch key {
		case "owner":
			out.Owner = value
		case "template":
			out.Template = value
		case "name":
			out.Name = value
		case "status":
			st := sdk.WorkspaceStatus(strings.ToLower(value))
			if !slices.Contains(workspaceStatuses, st) {
				return out, fmt.Errorf("the search has status:%s, which is not a status; use one of %s", value, statusList())
			}
			out.Status = st
		default:
			return out, fmt.Errorf("the search has %q, and %s: is not a filter; the filters are owner:, template:, status: and name: (a word alone matches any of them)", f, key)
		}
	}
	return out, nil
}

func statusList() string {
	s := make([]string, len(workspaceStatuses))
	for i, st := range workspaceStatuses {
		s[i] = string(st)
	}
	return strings.Join(s, ", ")
}
