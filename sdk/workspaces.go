package sdk

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/google/uuid"
)

// WorkspaceStatus is where a workspace stands, from its latest build.
type WorkspaceStatus string

// The workspace statuses.
const (
	WorkspacePending   WorkspaceStatus = "pending"
	WorkspaceStarting  WorkspaceStatus = "starting"
	WorkspaceRunning   WorkspaceStatus = "running"
	WorkspaceStopping  WorkspaceStatus = "stopping"
	WorkspaceStopped   WorkspaceStatus = "stopped"
	WorkspaceFailed    WorkspaceStatus = "failed"
	WorkspaceCanceling WorkspaceStatus = "canceling"
	WorkspaceCanceled  WorkspaceStatus = "canceled"
	WorkspaceDeleting  WorkspaceStatus = "deleting"
	WorkspaceDeleted   WorkspaceStatus = "deleted"
)

// Transition is what a build does to a workspace.
type Transition string

// The transitions.
const (
	TransitionStart  Transition = "start"
	TransitionStop   Transition = "stop"
	TransitionDelete Transition = "delete"
)

// Workspace is a developer's environment made from a template.
type Workspace struct {
	ID           uuid.UUID       `json:"id"`
	Name         string          `json:"name"`
	OwnerID      uuid.UUID       `json:"owner_id"`
	OwnerName    string          `json:"owner_name"`
	TemplateID   uuid.UUID       `json:"template_id"`
	TemplateName string          `json:"template_name"`
	Status       WorkspaceStatus `json:"status"`
	// Outdated is true when the latest build used a version other than the
	// template's active one.
	Outdated    bool           `json:"outdated"`
	LatestBuild WorkspaceBuild `json:"latest_build"`
	// Agent is the agent of the latest build, when it is a start whose
	// provisioner started one.
	Agent *WorkspaceAgent `json:"agent,omitempty"`
	// Apps are the web apps of the agent, in the template's order.
	Apps []WorkspaceApp `json:"apps"`
	// SSHHostKey is the workspace's SSH host key, in authorized_keys form.
	SSHHostKey string    `json:"ssh_host_key,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// WorkspaceBuild is one transition of a workspace.
type WorkspaceBuild struct {
	ID                    uuid.UUID        `json:"id"`
	WorkspaceID           uuid.UUID        `json:"workspace_id"`
	Number                int32            `json:"number"`
	Transition            Transition       `json:"transition"`
	TemplateVersionID     uuid.UUID        `json:"template_version_id"`
	TemplateVersionNumber int32            `json:"template_version_number"`
	Parameters            []ParameterValue `json:"parameters"`
	InitiatorName         string           `json:"initiator_name"`
	Orphan                bool             `json:"orphan,omitempty"`
	// Restart marks a stop that a start follows once it succeeds.
	Restart   bool                `json:"restart,omitempty"`
	Resources []WorkspaceResource `json:"resources"`
	Job       ProvisionerJob      `json:"job"`
	CreatedAt time.Time           `json:"created_at"`
}

// WorkspaceResource is a piece of a workspace's infrastructure.
type WorkspaceResource struct {
	Type       string            `json:"type"`
	Name       string            `json:"name"`
	ID         string            `json:"id"`
	Persistent bool              `json:"persistent"`
	Attributes map[string]string `json:"attributes,omitempty"`
}

// CreateWorkspaceRequest makes a workspace and its first (start) build.
type CreateWorkspaceRequest struct {
	Name     string `json:"name"`
	Template string `json:"template"`
	// Parameters may leave out parameters that have a default.
	Parameters []ParameterValue `json:"parameters,omitempty"`
}

// CreateWorkspaceBuildRequest asks for a transition. For start, a template
// version (to update) and changed parameter values may be given.
type CreateWorkspaceBuildRequest struct {
	Transition        Transition       `json:"transition"`
	TemplateVersionID *uuid.UUID       `json:"template_version_id,omitempty"`
	Parameters        []ParameterValue `json:"parameters,omitempty"`
	// Orphan, for delete, forgets the workspace without removing its
	// infrastructure.
	Orphan bool `json:"orphan,omitempty"`
	// Restart, for stop, starts the workspace again once the stop succeeds,
	// with the same template version and parameters. The server queues the
	// start itself, so the restart ends even if the client goes away.
	Restart bool `json:"restart,omitempty"`
}

// WorkspaceFilter narrows a workspace list.
type WorkspaceFilter struct {
	// Owner is a username, or empty for every workspace the caller may see.
	Owner string
	// Template is a template's name, or empty for every template.
	Template string
	// Query is a search, as the dashboard's filter box takes it: words
	// that each match a workspace's name, owner, template or status, and
	// "owner:NAME", "template:NAME", "status:STATUS" and "name:TEXT" for
	// one field ("owner:me" is the caller).
	Query string
}

// Workspace list pages: the size when none is asked for, and the largest.
const (
	DefaultWorkspacePage = 50
	MaxWorkspacePage     = 500
)

// WorkspacePage is one page of a workspace list
// (GET /workspaces?q=&owner=&template=&limit=&offset=), ordered by owner,
// then name.
type WorkspacePage struct {
	Workspaces []Workspace `json:"workspaces"`
	// Count is how many workspaces match, on every page together.
	Count int64 `json:"count"`
}

// CreateWorkspace makes a workspace for user (a username, ID or Me).
func (c *Client) CreateWorkspace(ctx context.Context, user string, req CreateWorkspaceRequest) (Workspace, error) {
	var w Workspace
	err := c.do(ctx, http.MethodPost, APIPrefix+"/users/"+pathEscape(user)+"/workspaces", req, &w)
	return w, err
}

// WorkspacesPage returns the page of the workspaces matching f that starts
// at offset and holds at most limit (0 for the server's default).
func (c *Client) WorkspacesPage(ctx context.Context, f WorkspaceFilter, offset, limit int) (WorkspacePage, error) {
	q := url.Values{}
	if f.Owner != "" {
		q.Set("owner", f.Owner)
	}
	if f.Template != "" {
		q.Set("template", f.Template)
	}
	if f.Query != "" {
		q.Set("q", f.Query)
	}
	if offset > 0 {
		q.Set("offset", strconv.Itoa(offset))
	}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	var p WorkspacePage
	err := c.do(ctx, http.MethodGet, APIPrefix+"/workspaces?"+q.Encode(), nil, &p)
	return p, err
}

// Workspaces lists every workspace matching f, a page at a time.
func (c *Client) Workspaces(ctx context.Context, f WorkspaceFilter) ([]Workspace, error) {
	var all []Workspace
	for {
		p, err := c.WorkspacesPage(ctx, f, len(all), MaxWorkspacePage)
		if err != nil {
			return nil, err
		}
		all = append(all, p.Workspaces...)
		// Workspaces made or deleted meanwhile shift the pages; an empty
		// page ends the walk either way.
		if len(p.Workspaces) == 0 || int64(len(all)) >= p.Count {
			return all, nil
		}
	}
}

// WatchWorkspace calls fn with the workspace (GET /workspaces/{id}/watch):
// at once, then whenever it changes (its builds, its agent, its apps'
// health), and at least every WatchKeepalive. It returns nil when the
// workspace is gone (deleted), fn's error, or the stream's.
func (c *Client) WatchWorkspace(ctx context.Context, id uuid.UUID, fn func(Workspace) error) error {
	return readNDJSON(ctx, c, APIPrefix+"/workspaces/"+id.String()+"/watch", "workspace", "the workspace's watch stream", fn)
}

// WatchKeepalive is the longest a workspace's watch stream stays silent.
const WatchKeepalive = 25 * time.Second

// WorkspaceByName returns a user's workspace.
func (c *Client) WorkspaceByName(ctx context.Context, user, name string) (Workspace, error) {
	var w Workspace
	err := c.do(ctx, http.MethodGet, APIPrefix+"/users/"+pathEscape(user)+"/workspaces/"+pathEscape(name), nil, &w)
	return w, err
}

// Workspace returns a workspace by ID.
func (c *Client) Workspace(ctx context.Context, id uuid.UUID) (Workspace, error) {
	var w Workspace
	err := c.do(ctx, http.MethodGet, APIPrefix+"/workspaces/"+id.String(), nil, &w)
	return w, err
}

// CreateWorkspaceBuild starts a transition of a workspace.
func (c *Client) CreateWorkspaceBuild(ctx context.Context, id uuid.UUID, req CreateWorkspaceBuildRequest) (WorkspaceBuild, error) {
	var b WorkspaceBuild
	err := c.do(ctx, http.MethodPost, APIPrefix+"/workspaces/"+id.String()+"/builds", req, &b)
	return b, err
}

// Build list pages: the size when none is asked for, and the largest.
const (
	DefaultBuildPage = 100
	MaxBuildPage     = 1000
)

// WorkspaceBuilds returns a workspace's builds, newest first: the page
// that skips offset builds and holds at most limit (0 for
// DefaultBuildPage). A build's number says how many there are before it.
func (c *Client) WorkspaceBuilds(ctx context.Context, id uuid.UUID, offset, limit int) ([]WorkspaceBuild, error) {
	q := url.Values{}
	if offset > 0 {
		q.Set("offset", strconv.Itoa(offset))
	}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	var bs []WorkspaceBuild
	err := c.do(ctx, http.MethodGet, APIPrefix+"/workspaces/"+id.String()+"/builds?"+q.Encode(), nil, &bs)
	return bs, err
}

// WorkspaceBuild returns one build by number.
func (c *Client) WorkspaceBuild(ctx context.Context, id uuid.UUID, number int32) (WorkspaceBuild, error) {
	var b WorkspaceBuild
	err := c.do(ctx, http.MethodGet, fmt.Sprintf("%s/workspaces/%s/builds/%d", APIPrefix, id, number), nil, &b)
	return b, err
}
