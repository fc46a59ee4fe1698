// Package sdk is Den's API contract: every request and response type, and a
// typed Client that the CLI (and anyone else) uses to talk to a Den server.
package sdk

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// SessionTokenHeader carries a session or API token on every request.
const SessionTokenHeader = "Den-Session-Token"

// SessionTokenCookie carries the session token for the browser.
const SessionTokenCookie = "den_session"

// APIPrefix is where every API route lives.
const APIPrefix = "/api/v2"

// Client talks to one Den server.
type Client struct {
	URL          *url.URL
	SessionToken string
	HTTPClient   *http.Client
	// WebSocketOnly makes streams (SSH, port forwarding, the agent's link)
	// use WebSockets rather than trying a raw HTTP Upgrade first.
	WebSocketOnly bool
}

// New returns a client for the server at u, with no session.
func New(u *url.URL) *Client {
	return &Client{URL: u, HTTPClient: &http.Client{}}
}

// ParseURL reads a server address as a person types it: a scheme is optional
// (http is assumed for loopback addresses, https otherwise), and a trailing
// slash or path is not allowed.
func ParseURL(raw string) (*url.URL, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return nil, fmt.Errorf("the server URL is empty")
	}
	if !strings.Contains(raw, "://") {
		scheme := "https://"
		host := raw
		if i := strings.IndexAny(host, "/"); i >= 0 {
			host = host[:i]
		}
		if h, _, err := splitHostPortLoose(host); err == nil && isLoopbackHost(h) {
			scheme = "http://"
		}
		raw = scheme + raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("parse server URL %q: %w", raw, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("server URL %q: scheme must be http or https", raw)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("server URL %q has no host", raw)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawQuery, u.Fragment = "", ""
	return u, nil
}

// Request sends one API request. body, when not nil, is sent as JSON.
func (c *Client) Request(ctx context.Context, method, path string, body any) (*http.Response, error) {
	req, err := c.newRequest(ctx, method, path, body)
	if err != nil {
		return nil, err
	}
	return c.httpClient().Do(req) // its error names the method and URL
}

// newRequest builds a request with the session and a JSON body.
func (c *Client) newRequest(ctx context.Context, method, path string, body any) (*http.Request, error) {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("encode request: %w", err)
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.URL.String()+path, r)
	if err != nil {
		return nil, fmt.Errorf("build request: %w", err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.SessionToken != "" {
		req.Header.Set(SessionTokenHeader, c.SessionToken)
	}
	return req, nil
}

func (c *Client) httpClient() *http.Client {
	if c.HTTPClient == nil {
		return http.DefaultClient
	}
	return c.HTTPClient
}

// send sends a prepared request and decodes a JSON answer into out.
func (c *Client) send(req *http.Request, out any) error {
	resp, err := c.httpClient().Do(req)
	if err != nil {
		return err
	}
	return decodeResponse(resp, req.Method, req.URL.Path, out)
}

// do sends a request and decodes a JSON answer into out (when not nil); a
// status of 400 or more becomes an *Error.
func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	resp, err := c.Request(ctx, method, path, in)
	if err != nil {
		return err
	}
	return decodeResponse(resp, method, path, out)
}

func decodeResponse(resp *http.Response, method, path string, out any) error {
	defer resp.Body.Close()
	if resp.StatusCode >= 400 {
		return ReadError(resp)
	}
	if out == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		return nil
	}
	// The whole body, then one Unmarshal: a Decoder would read it in small
	// pieces, growing and copying its buffer, and scan it twice as well.
	buf := bytes.NewBuffer(make([]byte, 0, max(min(resp.ContentLength, maxPrealloc), 512)))
	if _, err := buf.ReadFrom(resp.Body); err != nil {
		return fmt.Errorf("read response to %s %s: %w", method, path, err)
	}
	if err := json.Unmarshal(buf.Bytes(), out); err != nil {
		return fmt.Errorf("decode response to %s %s: %w", method, path, err)
	}
	return nil
}

// maxPrealloc bounds the buffer a response's Content-Length reserves.
const maxPrealloc = 4 << 20

// pathEscape escapes one path segment.
func pathEscape(s string) string { return url.PathEscape(s) }
