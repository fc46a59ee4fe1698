package sdk

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
)

// AppShare says who may open a workspace app.
type AppShare string

// The sharing levels, from the narrowest.
const (
	// AppShareOwner: the workspace's owner only (the default).
	AppShareOwner AppShare = "owner"
	// AppShareAuthenticated: any signed-in, active user of the deployment.
	AppShareAuthenticated AppShare = "authenticated"
	// AppSharePublic: anyone who can reach the server, signed in or not.
	AppSharePublic AppShare = "public"
)

// Valid reports whether s is a sharing level.
func (s AppShare) Valid() bool {
	return s == AppShareOwner || s == AppShareAuthenticated || s == AppSharePublic
}

// AppHealth is what the agent's health check last said about an app.
type AppHealth string

// The app health states.
const (
	// AppHealthDisabled: the app has no health check.
	AppHealthDisabled AppHealth = "disabled"
	// AppHealthInitializing: no check has passed yet.
	AppHealthInitializing AppHealth = "initializing"
	AppHealthHealthy      AppHealth = "healthy"
	// AppHealthUnhealthy: the check failed threshold times in a row.
	AppHealthUnhealthy AppHealth = "unhealthy"
)

// Valid reports whether h is a health state.
func (h AppHealth) Valid() bool {
	switch h {
	case AppHealthDisabled, AppHealthInitializing, AppHealthHealthy, AppHealthUnhealthy:
		return true
	}
	return false
}

// WorkspaceApp is a web app of a workspace, as the API shows it.
type WorkspaceApp struct {
	Slug   string    `json:"slug"`
	Name   string    `json:"name"`
	Share  AppShare  `json:"share"`
	Health AppHealth `json:"health"`
	// URL is where a browser opens the app: an absolute URL on the access
	// URL. For apps on subdomains it is a server route that hands the
	// browser a ticket for the app's host and redirects there.
	URL string `json:"url"`
}

// MaxAppSlug is the longest app slug.
const MaxAppSlug = 32

var appSlugRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?$`)

// ValidateAppSlug says what is wrong with an app slug, or returns nil. A
// slug is part of the app's host name ({slug}--{workspace}--{user}), so
// it is a short DNS label without "--".
func ValidateAppSlug(slug string) error {
	switch {
	case slug == "":
		return errors.New("an app needs a slug")
	case len(slug) > MaxAppSlug || !appSlugRE.MatchString(slug):
		return fmt.Errorf("%q is not an app slug; use at most %d lower-case letters, digits and -, starting and ending with a letter or digit", slug, MaxAppSlug)
	case strings.Contains(slug, "--"):
		return fmt.Errorf("%q is not an app slug: -- separates the parts of an app's host name; use a single -", slug)
	}
	return nil
}

// AgentApp is an app as the template declares it: what the provisioner
// reports, the server stores and the agent's manifest carries.
type AgentApp struct {
	Slug  string   `json:"slug"`
	Name  string   `json:"name"`
	Share AppShare `json:"share"`
	// URL is where the app listens inside the workspace, such as
	// http://127.0.0.1:8000 or http://127.0.0.1:8000/sub/.
	URL         string          `json:"url"`
	Healthcheck *AppHealthcheck `json:"healthcheck,omitempty"`
}

// AppHealthcheck is how the agent checks an app.
type AppHealthcheck struct {
	// URL is fetched (GET) inside the workspace; 2xx and 3xx are healthy.
	URL string `json:"url"`
	// IntervalMS is the time between checks, in milliseconds.
	IntervalMS int `json:"interval_ms"`
	// Threshold is how many failures in a row make the app unhealthy.
	Threshold int `json:"threshold"`
}

// AgentAppHealthRequest reports health changes: app slug to its health.
type AgentAppHealthRequest struct {
	Apps map[string]AppHealth `json:"apps"`
}

// PostAppHealth reports the health of the agent's apps.
func (a *AgentClient) PostAppHealth(ctx context.Context, apps map[string]AppHealth) error {
	return a.do(ctx, http.MethodPost, APIPrefix+"/agent/apps/health", AgentAppHealthRequest{Apps: apps}, nil)
}
