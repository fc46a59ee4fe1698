package server_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"

	"den/sdk"
)

// BenchmarkAppProxy measures what the app proxy adds to a request: GETs of
// an app's page through Den, one after another on a kept-alive connection,
// signed in with the owner's cookie, beside the same GET straight to the
// app's server in the same run:
//
//   - direct: the app's server itself (loopback HTTP);
//   - path: the path app /@owner/dev/apps/web/ (no wildcard access URL);
//   - subdomain: the subdomain app web--dev--owner.apps.localhost, after
//     its ticket was exchanged for the app's cookie.
//
// Each request goes server → agent (in-process here) → app and back. The
// figures are per request: p50 and p95 in µs, and the p50 added to direct.
//
//	go test ./server -run '^$' -bench AppProxy -benchtime 1x
func BenchmarkAppProxy(b *testing.B) {
	n := envInt(b, "DEN_BENCH_REQUESTS", 500)
	app := sdk.AgentApp{Slug: "web", Name: "Web", Share: sdk.AppShareOwner}
	pathEnv := newAppEnv(b, "", app)
	subEnv := newAppEnv(b, appsWildcard, app)

	type path struct {
		name string
		c    *http.Client
		url  string
	}
	direct := &http.Client{Timeout: 30 * time.Second}
	sub := subEnv.browser(b, subEnv.owner)
	// The ticket exchange, once: the app's cookie is in the jar after it.
	open := subEnv.srv.URL.String() + "/api/v2/apps/open?workspace=" + subEnv.ws.ID.String() + "&app=web"
	resp, err := sub.Get(open)
	if err != nil {
		b.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b.Fatalf("open the subdomain app: %s", resp.Status)
	}
	subURL := resp.Request.URL.String()
	paths := []path{
		{"direct", direct, pathEnv.target.URL + "/"},
		{"path", pathEnv.browser(b, pathEnv.owner), pathEnv.srv.URL.String() + "/@owner/dev/apps/web/"},
		{"subdomain", sub, subURL},
	}
	lat := map[string][]time.Duration{}
	for b.Loop() {
		for _, p := range paths {
			for range n {
				t0 := time.Now()
				if err := fetch(p.c, p.url); err != nil {
					b.Fatalf("%s: %v", p.name, err)
				}
				lat[p.name] = append(lat[p.name], time.Since(t0))
			}
		}
	}
	base := percentile(lat["direct"], 50)
	for _, p := range paths {
		d := lat[p.name]
		p50, p95 := percentile(d, 50), percentile(d, 95)
		b.Logf("%-9s n=%d p50=%v p95=%v", p.name, len(d), p50, p95)
		b.ReportMetric(float64(p50.Microseconds()), p.name+"-p50-us")
		b.ReportMetric(float64(p95.Microseconds()), p.name+"-p95-us")
		if p.name != "direct" {
			b.ReportMetric(float64((p50 - base).Microseconds()), p.name+"-added-p50-us")
		}
	}
}

// fetch GETs u and reads the whole answer, which must be a 200 from the app.
func fetch(c *http.Client, u string) error {
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK || len(body) < 5 || string(body[:5]) != "path=" {
		return fmt.Errorf("%s: %s %.100q", redact(u), resp.Status, body)
	}
	return nil
}

func redact(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "?"
	}
	p.RawQuery = ""
	return p.String()
}
