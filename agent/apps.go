package agent

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"sync"
	"time"

	"den/sdk"
)

// runApps runs the health checks of the manifest's apps until ctx ends and
// reports every change of health to the server. An app is initializing
// until a check passes (a 2xx or 3xx answer), healthy from then on, and
// unhealthy after Threshold failures in a row, until a check passes again.
// Apps without a check stay "disabled" and need nothing here.
func (a *Agent) runApps(ctx context.Context, apps []sdk.AgentApp) {
	r := &healthReporter{client: a.client, log: a.log, pending: map[string]sdk.AppHealth{}, wake: make(chan struct{}, 1)}
	client := &http.Client{
		Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 1, IdleConnTimeout: time.Minute},
		// A redirect is an answer: the app is up.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	defer client.CloseIdleConnections()
	var wg sync.WaitGroup
	for _, app := range apps {
		if app.Healthcheck == nil || app.Healthcheck.URL == "" {
			continue
		}
		wg.Go(func() { checkApp(ctx, client, app.Slug, *app.Healthcheck, r.set) })
	}
	if len(apps) > 0 {
		wg.Go(func() { r.run(ctx, a.opts.Backoff) })
	}
	wg.Wait()
}

// checkApp checks one app every interval and calls report when its health
// changes.
func checkApp(ctx context.Context, client *http.Client, slug string, h sdk.AppHealthcheck, report func(string, sdk.AppHealth)) {
	interval := max(time.Duration(h.IntervalMS)*time.Millisecond, 10*time.Millisecond)
	timeout := min(max(interval, time.Second), 10*time.Second)
	threshold := max(h.Threshold, 1)
	state, failures := sdk.AppHealthInitializing, 0
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		next := state
		if probe(ctx, client, h.URL, timeout) {
			failures, next = 0, sdk.AppHealthHealthy
		} else if failures++; failures >= threshold {
			next = sdk.AppHealthUnhealthy
		}
		if ctx.Err() != nil {
			return
		}
		if next != state {
			state = next
			report(slug, state)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// probe fetches url and reports whether the answer is a 2xx or 3xx.
func probe(ctx context.Context, client *http.Client, url string, timeout time.Duration) bool {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return false
	}
	req.Header.Set("User-Agent", "den-agent-healthcheck")
	resp, err := client.Do(req)
	if err != nil {
		return false
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	return resp.StatusCode >= 200 && resp.StatusCode < 400
}

// healthReporter sends health changes to the server, the latest state of
// each app, retrying until they land.
type healthReporter struct {
	client *sdk.AgentClient
	log    *slog.Logger
	mu     sync.Mutex
	// pending holds changes not yet sent.
	pending map[string]sdk.AppHealth
	wake    chan struct{}
}

func (r *healthReporter) set(slug string, h sdk.AppHealth) {
	r.mu.Lock()
	r.pending[slug] = h
	r.mu.Unlock()
	r.poke()
}

func (r *healthReporter) run(ctx context.Context, b Backoff) {
	for attempt := 0; ; {
		select {
		case <-ctx.Done():
			return
		case <-r.wake:
		}
		r.mu.Lock()
		batch := r.pending
		r.pending = map[string]sdk.AppHealth{}
		r.mu.Unlock()
		if len(batch) == 0 {
			continue
		}
		err := r.client.PostAppHealth(ctx, batch)
		if err == nil {
			attempt = 0
			continue
		}
		switch code := sdk.StatusCode(err); {
		case code == http.StatusUnauthorized || errors.Is(err, context.Canceled):
			return // a newer build's agent took over, or the agent stops
		case code >= 400 && code < 500 && code != http.StatusTooManyRequests:
			r.log.Warn("the server refused a health report", "apps", batch, "error", err)
			continue // sending it again would not help
		}
		// Put the batch back under any newer changes and try again.
		r.mu.Lock()
		maps.Copy(batch, r.pending)
		r.pending = batch
		r.mu.Unlock()
		if !sleep(ctx, b.Next(attempt)) {
			return
		}
		attempt++
		r.poke()
	}
}

// poke wakes run.
func (r *healthReporter) poke() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}
