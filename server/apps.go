package server

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/google/uuid"

	"den/sdk"
	"den/server/httpapi"
	"den/server/httpmw"
	"den/store"
	"den/store/db"
)

// Workspace apps: web servers inside a workspace that the server serves to
// browsers through the agent. This file keeps them (recorded when a start
// build completes, health reported by the agent) and shows them in the
// API; apps_serve.go decides who reaches them, apps_proxy.go carries the
// requests and apps_token.go signs the tickets and cookies of subdomain
// apps.

// recordApps stores the apps of a successful start's agent.
func recordApps(ctx context.Context, tx store.Store, build uuid.UUID, apps []sdk.AgentApp) error {
	if len(apps) == 0 {
		return nil
	}
	agent, err := tx.GetWorkspaceAgentByBuild(ctx, build)
	if err != nil {
		return fmt.Errorf("load the agent of build %s: %w", build, err)
	}
	for i, a := range apps {
		if err := sdk.ValidateAppSlug(a.Slug); err != nil {
			return fmt.Errorf("the provisioner reported a bad app: %w", err)
		}
		if !a.Share.Valid() {
			return fmt.Errorf("the provisioner reported app %s with sharing level %q", a.Slug, a.Share)
		}
		if u, err := url.Parse(a.URL); err != nil || u.Scheme != "http" || u.Host == "" {
			return fmt.Errorf("the provisioner reported app %s at %q, not an http:// URL", a.Slug, a.URL)
		}
		p := db.InsertWorkspaceAppParams{
			AgentID: agent.ID, Slug: a.Slug, Position: int32(i), Name: a.Name, TargetUrl: a.URL,
			Share: string(a.Share), Health: string(sdk.AppHealthDisabled),
		}
		if h := a.Healthcheck; h != nil {
			p.Health = string(sdk.AppHealthInitializing)
			p.HealthcheckUrl, p.HealthcheckIntervalMs, p.HealthcheckThreshold = h.URL, int32(h.IntervalMS), int32(h.Threshold)
		}
		if err := tx.InsertWorkspaceApp(ctx, p); err != nil {
			return fmt.Errorf("record app %s: %w", a.Slug, err)
		}
	}
	return nil
}

// manifestApps are an agent's apps as its manifest carries them.
func (s *Server) manifestApps(ctx context.Context, agent uuid.UUID) ([]sdk.AgentApp, error) {
	rows, err := s.store.ListWorkspaceAppsByAgents(ctx, []uuid.UUID{agent})
	if err != nil {
		return nil, err
	}
	out := make([]sdk.AgentApp, 0, len(rows))
	for _, r := range rows {
		a := sdk.AgentApp{Slug: r.Slug, Name: r.Name, Share: sdk.AppShare(r.Share), URL: r.TargetUrl}
		if r.HealthcheckUrl != "" {
			a.Healthcheck = &sdk.AppHealthcheck{URL: r.HealthcheckUrl, IntervalMS: int(r.HealthcheckIntervalMs), Threshold: int(r.HealthcheckThreshold)}
		}
		out = append(out, a)
	}
	return out, nil
}

// addApps fills in the apps of workspaces (of their current agents), with
// the URLs browsers open them at.
func (s *Server) addApps(ctx context.Context, ws []sdk.Workspace) error {
	var agents []uuid.UUID
	for i := range ws {
		ws[i].Apps = []sdk.WorkspaceApp{}
		if ws[i].Agent != nil {
			agents = append(agents, ws[i].Agent.ID)
		}
	}
	if len(agents) == 0 {
		return nil
	}
	rows, err := s.store.ListWorkspaceAppsByAgents(ctx, agents)
	if err != nil {
		return fmt.Errorf("list apps: %w", err)
	}
	byAgent := make(map[uuid.UUID][]db.WorkspaceApp, len(agents))
	for _, r := range rows {
		byAgent[r.AgentID] = append(byAgent[r.AgentID], r)
	}
	for i := range ws {
		w := &ws[i]
		if w.Agent == nil {
			continue
		}
		for _, r := range byAgent[w.Agent.ID] {
			w.Apps = append(w.Apps, sdk.WorkspaceApp{
				Slug: r.Slug, Name: r.Name, Share: sdk.AppShare(r.Share), Health: sdk.AppHealth(r.Health),
				URL: s.appURL(w.ID, w.OwnerName, w.Name, r.Slug),
			})
		}
	}
	return nil
}

// appURL is where a browser opens an app: on a subdomain through the
// route that hands out tickets, or else on a path of the access URL.
func (s *Server) appURL(workspace uuid.UUID, owner, name, slug string) string {
	base := strings.TrimSuffix(s.opts.AccessURL.String(), "/")
	if s.wildcardSuffix() != "" {
		q := url.Values{"workspace": {workspace.String()}, "app": {slug}}
		return base + sdk.APIPrefix + "/apps/open?" + q.Encode()
	}
	return base + appPathPrefix(owner, name, slug) + "/"
}

// appPathPrefix is the path an app is served under without subdomains.
func appPathPrefix(owner, workspace, slug string) string {
	return "/@" + url.PathEscape(strings.ToLower(owner)) + "/" + url.PathEscape(workspace) + "/apps/" + url.PathEscape(slug)
}

// agentAppHealth records the health the agent reports for its apps.
func (s *Server) agentAppHealth(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a := httpmw.AgentFrom(ctx)
	var req sdk.AgentAppHealthRequest
	if !httpapi.Read(w, r, &req) {
		return
	}
	rows, err := s.store.ListWorkspaceAppsByAgents(ctx, []uuid.UUID{a.Agent.ID})
	if err != nil {
		httpapi.InternalError(w, r, s.logger, err)
		return
	}
	slugs := make([]string, 0, len(req.Apps))
	for slug, h := range req.Apps {
		field := "apps." + slug
		switch {
		case !slices.ContainsFunc(rows, func(r db.WorkspaceApp) bool { return r.Slug == slug }):
			httpapi.Invalid(w, sdk.ValidationError{Field: field, Detail: "this agent has no such app"})
			return
		case h != sdk.AppHealthInitializing && h != sdk.AppHealthHealthy && h != sdk.AppHealthUnhealthy:
			httpapi.Invalid(w, sdk.ValidationError{Field: field, Detail: "must be initializing, healthy or unhealthy"})
			return
		}
		slugs = append(slugs, slug)
	}
	slices.Sort(slugs)
	changed := false
	err = s.store.InTx(ctx, func(tx store.Store) error {
		for _, slug := range slugs {
			_, err := tx.UpdateWorkspaceAppHealth(ctx, db.UpdateWorkspaceAppHealthParams{AgentID: a.Agent.ID, Slug: slug, Health: string(req.Apps[slug])})
			if store.IsNotFound(err) {
				continue // unchanged, or an app without a health check
			}
			if err != nil {
				return err
			}
			changed = true
		}
		return nil
	})
	if err != nil {
		httpapi.InternalError(w, r, s.logger, err)
		return
	}
	if changed {
		s.logger.Debug("app health", "workspace", a.Workspace.Name, "agent", a.Agent.ID, "apps", req.Apps)
		s.notifyWorkspace(ctx, a.Workspace.ID)
	}
	w.WriteHeader(http.StatusNoContent)
}
