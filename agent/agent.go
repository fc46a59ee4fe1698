// Package agent is the workspace agent, `den agent`: it runs inside every
// workspace, dials back to the server over one WebSocket carrying a stream
// multiplexer, runs the template's startup script, reports its lifecycle and
// serves the streams the server opens to it: SSH, TCP to ports in the
// workspace, ping and speed tests.
package agent

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	"den/agent/rpty"
	"den/agent/sshd"
	"den/sdk"
)

// Options configure an Agent.
type Options struct {
	Client  *sdk.AgentClient
	Version string
	Logger  *slog.Logger
	// Backoff bounds the waits between reconnects; the defaults bring the
	// agent back within about a second of the server returning.
	Backoff Backoff
}

// Agent is one workspace's agent.
type Agent struct {
	opts   Options
	log    *slog.Logger
	client *sdk.AgentClient

	mu    sync.Mutex
	sshd  *sshd.Server
	rpty  *rpty.Manager // the web terminal's sessions
	state sdk.AgentLifecycle
}

// New returns an agent.
func New(o Options) *Agent {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Backoff == (Backoff{}) {
		o.Backoff = Backoff{Min: 100 * time.Millisecond, Max: time.Second}
	}
	return &Agent{opts: o, log: o.Logger, client: o.Client}
}

// Run runs the agent until ctx ends (the workspace stops), then reports
// shutting_down and off.
func (a *Agent) Run(ctx context.Context) error {
	m, err := a.manifest(ctx)
	if err != nil {
		return err
	}
	key, err := m.HostKey()
	if err != nil {
		return err
	}
	// The SSH server adds the agent's own environment itself.
	var templateEnv []string
	for k, v := range m.Env {
		templateEnv = append(templateEnv, k+"="+v)
	}
	srv, err := sshd.New(sshd.Options{HostKey: ed25519.PrivateKey(key), Dir: m.Dir, Env: templateEnv, Logger: a.log.With("subsystem", "sshd")})
	if err != nil {
		return fmt.Errorf("start the ssh server: %w", err)
	}
	terminals := rpty.New(rpty.Options{
		Command: func() (*exec.Cmd, error) { return srv.LoginShell(rpty.Term) },
		Logger:  a.log.With("subsystem", "rpty"),
	})
	a.mu.Lock()
	a.sshd = srv
	a.rpty = terminals
	a.mu.Unlock()

	var wg sync.WaitGroup
	wg.Go(func() { a.connect(ctx) })
	wg.Go(func() { a.startup(ctx, m, sessionEnv(m.Env)) })
	wg.Go(func() { a.runApps(ctx, m.Apps) })
	<-ctx.Done()

	done, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	a.report(done, sdk.AgentShuttingDown)
	srv.Close()
	terminals.Close()
	a.report(done, sdk.AgentOff)
	wg.Wait()
	return nil
}

// manifest fetches the manifest, waiting while the start build finishes
// and while the server cannot be reached. A refused token ends the agent:
// a newer build's agent replaced it.
func (a *Agent) manifest(ctx context.Context) (sdk.AgentManifest, error) {
	b := a.opts.Backoff
	for attempt := 0; ; attempt++ {
		m, err := a.client.Manifest(ctx)
		if err == nil {
			return m, nil
		}
		if sdk.StatusCode(err) == http.StatusUnauthorized {
			return m, fmt.Errorf("the server refused this agent's token: %w", err)
		}
		if attempt%20 == 19 {
			a.log.Warn("waiting for the manifest", "error", err)
		}
		if !sleep(ctx, b.Next(attempt)) {
			return m, ctx.Err()
		}
	}
}

// report tells the server the agent's lifecycle state, retrying until it
// lands or ctx ends.
func (a *Agent) report(ctx context.Context, state sdk.AgentLifecycle) {
	a.mu.Lock()
	a.state = state
	a.mu.Unlock()
	for attempt := 0; ; attempt++ {
		err := a.client.PostLifecycle(ctx, state)
		if err == nil {
			a.log.Info("lifecycle", "state", state)
			return
		}
		if sdk.StatusCode(err) == http.StatusUnauthorized || errors.Is(err, context.Canceled) {
			return
		}
		if !sleep(ctx, a.opts.Backoff.Next(attempt)) {
			a.log.Warn("report lifecycle", "state", state, "error", err)
			return
		}
	}
}

// sessionEnv is the environment of the startup script and of sessions: the
// agent's own (the container's), without the agent's secrets, plus the
// template's agent env.
func sessionEnv(extra map[string]string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "DEN_AGENT_") {
			continue
		}
		env = append(env, kv)
	}
	for k, v := range extra {
		env = append(env, k+"="+v)
	}
	return env
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
