package server

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"den/sdk"
	"den/server/httpapi"
)

// appsState is what the app proxy keeps between requests: one HTTP
// transport whose connections are streams through agents, pooled per
// agent and app address.
type appsState struct {
	once      sync.Once
	transport *http.Transport
	// suffix is what app hosts end with (".apps.example.com"), from
	// Options.WildcardAccessURL; "" without subdomain apps.
	suffix string
}

// appTransport is the shared transport of app requests. The host of a
// request's URL names the agent and the address inside the workspace (see
// appDialHost), so a pooled connection is only ever reused for the same
// app of the same agent.
func (s *Server) appTransport() *http.Transport {
	s.apps.once.Do(func() {
		s.apps.transport = &http.Transport{
			DialContext:         s.dialApp,
			MaxIdleConnsPerHost: 16,
			IdleConnTimeout:     90 * time.Second,
			// Apps inside the workspace speak plain HTTP/1.1.
			ForceAttemptHTTP2: false,
		}
	})
	return s.apps.transport
}

// appDialHost is the URL host of a request to addr (host:port inside the
// workspace) through agent.
func appDialHost(agent uuid.UUID, addr string) string {
	return hex.EncodeToString(agent[:]) + "." + hex.EncodeToString([]byte(addr)) + ".den-app"
}

// dialApp opens a TCP stream to an app through its agent; addr is an
// appDialHost with the transport's port.
func (s *Server) dialApp(ctx context.Context, _, addr string) (net.Conn, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	agentHex, rest, _ := strings.Cut(host, ".")
	targetHex, _, _ := strings.Cut(rest, ".")
	a, err1 := hex.DecodeString(agentHex)
	target, err2 := hex.DecodeString(targetHex)
	agent, err3 := uuid.FromBytes(a)
	if err := errors.Join(err1, err2, err3); err != nil {
		return nil, fmt.Errorf("app address %q: %w", addr, err)
	}
	return s.dialAgent(ctx, agent, sdk.StreamHeader{Kind: sdk.StreamTCP, Addr: string(target)})
}

// proxyApp serves r from the app listening at target inside the
// workspace, through agent. prefix is the escaped path the app is served
// under, taken off the request's path (empty on a subdomain).
func (s *Server) proxyApp(w http.ResponseWriter, r *http.Request, agent uuid.UUID, slug string, target *url.URL, prefix string) {
	dial := *target
	dial.Host = appDialHost(agent, targetAddr(target))
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			if prefix != "" {
				rest := strings.TrimPrefix(pr.In.URL.EscapedPath(), prefix)
				if !strings.HasPrefix(rest, "/") {
					rest = "/" + rest
				}
				pr.Out.URL.Path, _ = url.PathUnescape(rest)
				pr.Out.URL.RawPath = rest
				pr.Out.Header.Set("X-Forwarded-Prefix", prefix)
			}
			pr.SetURL(&dial)
			// The browser's Host, as most apps expect: WebSocket servers
			// (Jupyter, code-server) check that Origin matches it. Dev
			// servers that allow only their own names need this one added.
			pr.Out.Host = pr.In.Host
			pr.SetXForwarded()
			if s.opts.AccessURL.Scheme == "https" {
				pr.Out.Header.Set("X-Forwarded-Proto", "https")
			}
			stripDenCredentials(pr.Out)
		},
		Transport:     s.appTransport(),
		FlushInterval: -1, // streamed responses (server-sent events, logs) pass at once
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			if errors.Is(err, context.Canceled) {
				return // the browser went away
			}
			s.logger.Debug("app request failed", "app", slug, "error", err)
			httpapi.WriteError(w, http.StatusBadGateway, sdk.Error{
				Message: fmt.Sprintf("app %s did not answer", slug),
				Detail:  err.Error() + "; is the app running in the workspace?",
			})
		},
	}
	rp.ServeHTTP(w, r)
}

// targetAddr is host:port of an http URL.
func targetAddr(u *url.URL) string {
	if u.Port() != "" {
		return u.Host
	}
	return net.JoinHostPort(u.Hostname(), "80")
}

// stripDenCredentials keeps Den's own credentials from reaching an app:
// the session token (header, bearer or cookie) and app cookies.
func stripDenCredentials(r *http.Request) {
	if tok := r.Header.Get(sdk.SessionTokenHeader); tok != "" {
		r.Header.Del(sdk.SessionTokenHeader)
		if strings.EqualFold(r.Header.Get("Authorization"), "bearer "+tok) {
			r.Header.Del("Authorization")
		}
	}
	if h := r.Header.Get("Authorization"); len(h) > 7 && strings.EqualFold(h[:7], "bearer ") && isDenKey(strings.TrimSpace(h[7:])) {
		r.Header.Del("Authorization")
	}
	var kept []string
	for _, line := range r.Header.Values("Cookie") {
		for _, c := range strings.Split(line, ";") {
			name, _, _ := strings.Cut(strings.TrimSpace(c), "=")
			switch name {
			case sdk.SessionTokenCookie, appCookieName(false), appCookieName(true):
				continue
			}
			if strings.TrimSpace(c) != "" {
				kept = append(kept, strings.TrimSpace(c))
			}
		}
	}
	r.Header.Del("Cookie")
	if len(kept) > 0 {
		r.Header.Set("Cookie", strings.Join(kept, "; "))
	}
}
