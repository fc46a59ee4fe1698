package denyaml

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"den/sdk"
)

// App is a web app in the workspace that Den serves to browsers. Exactly
// one of Port and URL is set.
type App struct {
	// Slug names the app in its URL: lower-case letters, digits and -.
	Slug string `yaml:"slug" json:"slug"`
	// Name is shown to people; default the slug.
	Name string `yaml:"name" json:"name,omitempty"`
	// Port is where the app listens on the workspace's loopback: a number
	// or a reference such as ${param.port}.
	Port string `yaml:"port" json:"port,omitempty"`
	// URL is where the app listens inside the workspace, for an app on
	// another address or under a path: http://127.0.0.1:8000/sub/.
	URL string `yaml:"url" json:"url,omitempty"`
	// Share is who may open the app: owner (the default), authenticated
	// or public.
	Share       string       `yaml:"share" json:"share,omitempty"`
	Healthcheck *Healthcheck `yaml:"healthcheck" json:"healthcheck,omitempty"`
}

// Healthcheck is how the agent tells whether an app is up. Exactly one of
// Path and URL is set.
type Healthcheck struct {
	// Path is fetched on the app's server, such as /healthz.
	Path string `yaml:"path" json:"path,omitempty"`
	// URL is fetched instead, for a check elsewhere.
	URL string `yaml:"url" json:"url,omitempty"`
	// Interval is a duration between checks; default 5s.
	Interval string `yaml:"interval" json:"interval,omitempty"`
	// Threshold is how many failures in a row make the app unhealthy;
	// default 3.
	Threshold int `yaml:"threshold" json:"threshold,omitempty"`
}

// The defaults and bounds of apps.
const (
	DefaultHealthInterval  = 5 * time.Second
	DefaultHealthThreshold = 3
	maxHealthThreshold     = 100
)

func (c *checker) apps(apps []App) {
	slugs := map[string]int{}
	for i := range apps {
		a := &apps[i]
		at := indexPath("apps", i)
		switch first, dup := slugs[a.Slug]; {
		case a.Slug == "":
			c.errorf(at, "an app needs a slug, the name in its URL (such as web)")
		case sdk.ValidateAppSlug(a.Slug) != nil:
			c.errorf(at+".slug", "%v", sdk.ValidateAppSlug(a.Slug))
		case dup:
			c.errorf(at+".slug", "app %s is already defined (apps[%d])", quote(a.Slug), first)
		default:
			slugs[a.Slug] = i
		}
		if strings.TrimSpace(a.Name) == "" {
			a.Name = a.Slug
		}
		switch {
		case a.Port != "" && a.URL != "":
			c.keyErrorf(at+".url", "set port or url, not both")
		case a.Port == "" && a.URL == "":
			c.errorf(at, "set port (where the app listens on the workspace's loopback, such as 8000) or url (such as http://127.0.0.1:8000/)")
		case a.Port != "" && !hasRef(a.Port):
			if _, err := appPort(a.Port); err != nil {
				c.errorf(at+".port", "%v", err)
			}
		case a.URL != "" && !hasRef(a.URL):
			if _, err := appURL(a.URL); err != nil {
				c.errorf(at+".url", "%v", err)
			}
		}
		switch sdk.AppShare(a.Share) {
		case "":
			a.Share = string(sdk.AppShareOwner)
		case sdk.AppShareOwner, sdk.AppShareAuthenticated, sdk.AppSharePublic:
		default:
			c.errorf(at+".share", "unknown sharing level %s; use owner (the default: only the workspace's owner), authenticated (every signed-in user) or public (anyone)", quote(a.Share))
		}
		if h := a.Healthcheck; h != nil {
			c.healthcheck(at+".healthcheck", h)
		}
	}
}

func (c *checker) healthcheck(at string, h *Healthcheck) {
	switch {
	case h.Path != "" && h.URL != "":
		c.keyErrorf(at+".url", "set path or url, not both")
	case h.Path == "" && h.URL == "":
		c.errorf(at, "set path (fetched on the app's server, such as /healthz) or url")
	case h.Path != "" && !strings.HasPrefix(h.Path, "/"):
		c.errorf(at+".path", "%s does not start with /; write a path such as /healthz", quote(h.Path))
	case h.Path != "" && strings.ContainsAny(h.Path, " \t\n#"):
		c.errorf(at+".path", "%s is not a URL path; it has spaces or #", quote(h.Path))
	case h.URL != "" && !hasRef(h.URL):
		if _, err := appURL(h.URL); err != nil {
			c.errorf(at+".url", "%v", err)
		}
	}
	if _, err := h.interval(); err != nil {
		c.errorf(at+".interval", "%v", err)
	}
	switch {
	case h.Threshold == 0:
		if _, written := c.src.nodes[at+".threshold"]; written {
			c.errorf(at+".threshold", "must be at least 1 (failures in a row before the app is unhealthy)")
		}
		h.Threshold = DefaultHealthThreshold
	case h.Threshold < 0 || h.Threshold > maxHealthThreshold:
		c.errorf(at+".threshold", "%d is out of range; use 1 to %d failures in a row", h.Threshold, maxHealthThreshold)
	}
}

// interval is Interval as a duration, DefaultHealthInterval when unset.
func (h Healthcheck) interval() (time.Duration, error) {
	if h.Interval == "" {
		return DefaultHealthInterval, nil
	}
	d, err := time.ParseDuration(h.Interval)
	if err != nil || d < time.Second || d > time.Hour {
		return 0, fmt.Errorf("%s is not a duration between 1s and 1h; write one such as 5s or 1m", quote(h.Interval))
	}
	return d, nil
}

// appPort reads a port number.
func appPort(s string) (int, error) {
	p, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || p < 1 || p > 65535 {
		return 0, fmt.Errorf("%s is not a port; use a number from 1 to 65535", quote(s))
	}
	return p, nil
}

// appURL reads an http URL inside the workspace.
func appURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return nil, fmt.Errorf("%s is not a URL; write one such as http://127.0.0.1:8000/", quote(s))
	case u.Scheme != "http":
		return nil, fmt.Errorf("%s is not an http:// URL; Den reaches apps inside the workspace over plain http, such as http://127.0.0.1:8000/", quote(s))
	case u.Host == "" || u.Hostname() == "":
		return nil, fmt.Errorf("%s names no host; write one such as http://127.0.0.1:8000/", quote(s))
	case u.User != nil:
		return nil, fmt.Errorf("%s holds a user or password; apps are reached without them", quote(s))
	case u.Fragment != "" || strings.Contains(s, "#"):
		return nil, fmt.Errorf("%s has a #fragment; leave it out", quote(s))
	}
	if p := u.Port(); p != "" {
		if _, err := appPort(p); err != nil {
			return nil, fmt.Errorf("%s: %w", quote(s), err)
		}
	}
	return u, nil
}

// resolveApps checks again what references decided in apps.
func resolveApps(written, out []App, fail func(path, format string, args ...any)) {
	for i, a := range out {
		at := indexPath("apps", i)
		if a.Port != "" {
			if _, err := appPort(a.Port); err != nil {
				fail(at+".port", "%s", resolvedProblem(written[i].Port, err))
			}
		}
		if a.URL != "" {
			if _, err := appURL(a.URL); err != nil {
				fail(at+".url", "%s", resolvedProblem(written[i].URL, err))
			}
		}
		if h := a.Healthcheck; h != nil && h.URL != "" {
			if _, err := appURL(h.URL); err != nil {
				fail(at+".healthcheck.url", "%s", resolvedProblem(written[i].Healthcheck.URL, err))
			}
		}
	}
}

// AgentApps returns the apps as the agent's manifest carries them: each
// with the URL it listens on and the URL of its health check. Call it on a
// resolved Spec.
func (s *Spec) AgentApps() ([]sdk.AgentApp, error) {
	out := make([]sdk.AgentApp, 0, len(s.Apps))
	for i, a := range s.Apps {
		at := indexPath("apps", i)
		target, err := a.target()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", at, err)
		}
		app := sdk.AgentApp{Slug: a.Slug, Name: a.Name, Share: sdk.AppShare(a.Share), URL: target.String()}
		if app.Name == "" {
			app.Name = a.Slug
		}
		if app.Share == "" {
			app.Share = sdk.AppShareOwner
		}
		if h := a.Healthcheck; h != nil {
			check, err := h.target(target)
			if err != nil {
				return nil, fmt.Errorf("%s.healthcheck: %w", at, err)
			}
			interval, err := h.interval()
			if err != nil {
				return nil, fmt.Errorf("%s.healthcheck.interval: %w", at, err)
			}
			threshold := h.Threshold
			if threshold == 0 {
				threshold = DefaultHealthThreshold
			}
			app.Healthcheck = &sdk.AppHealthcheck{URL: check, IntervalMS: int(interval / time.Millisecond), Threshold: threshold}
		}
		out = append(out, app)
	}
	return out, nil
}

// target is the URL the app listens on.
func (a App) target() (*url.URL, error) {
	if hasRef(a.Port) || hasRef(a.URL) {
		return nil, errors.New("holds a reference; call Resolve first")
	}
	if a.URL != "" {
		return appURL(a.URL)
	}
	p, err := appPort(a.Port)
	if err != nil {
		return nil, err
	}
	return &url.URL{Scheme: "http", Host: net.JoinHostPort("127.0.0.1", strconv.Itoa(p)), Path: "/"}, nil
}

// target is the URL the check fetches.
func (h Healthcheck) target(app *url.URL) (string, error) {
	if h.URL != "" {
		if hasRef(h.URL) {
			return "", errors.New("holds a reference; call Resolve first")
		}
		u, err := appURL(h.URL)
		if err != nil {
			return "", err
		}
		return u.String(), nil
	}
	p, err := url.Parse(h.Path)
	if err != nil {
		return "", fmt.Errorf("path %s: %w", quote(h.Path), err)
	}
	return (&url.URL{Scheme: app.Scheme, Host: app.Host}).ResolveReference(p).String(), nil
}
