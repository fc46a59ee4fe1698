// Package fake is a provisioner that builds nothing: it parses den.yaml like
// the docker provisioner, and its Apply logs and records what it was asked,
// optionally waiting or failing. Tests use it for builds without Docker.
package fake

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"sync"

	"den/provisioner"
	"den/provisioner/denyaml"
)

// Provisioner is the fake. Its zero value works.
type Provisioner struct {
	// Hook, when set, runs at the start of each Apply; an error fails the
	// build. It may block (honoring ctx) to simulate a slow build.
	Hook func(ctx context.Context, req provisioner.ApplyRequest) error
	// Agent, when set, is reported as the agent each start started (the
	// test runs the agent itself, with the request's token).
	Agent *provisioner.AgentSpec

	mu      sync.Mutex
	applied []provisioner.ApplyRequest
}

var _ provisioner.Provisioner = (*Provisioner)(nil)

// State is what the fake keeps between builds.
type State struct {
	Transitions []provisioner.Transition `json:"transitions"`
}

// Parse reads den.yaml with the real parser.
func (p *Provisioner) Parse(_ context.Context, files fs.FS, log provisioner.Logger) (provisioner.ParseResult, error) {
	spec, err := denyaml.ParseFS(files)
	if err != nil {
		return provisioner.ParseResult{}, err
	}
	log.Log(provisioner.LevelInfo, "Parsing", fmt.Sprintf("den.yaml: %d parameters", len(spec.Parameters)))
	return provisioner.ParseResult{Parameters: spec.SDKParameters(), Description: spec.Description}, nil
}

// Apply records the request and returns one fake resource (none after a
// delete).
func (p *Provisioner) Apply(ctx context.Context, req provisioner.ApplyRequest, log provisioner.Logger) (provisioner.ApplyResult, error) {
	p.mu.Lock()
	p.applied = append(p.applied, req)
	p.mu.Unlock()
	log.Log(provisioner.LevelInfo, "Applying", fmt.Sprintf("%s workspace %s (build #%d)", req.Transition, req.Workspace.Name, req.Workspace.BuildNumber))
	if p.Hook != nil {
		if err := p.Hook(ctx, req); err != nil {
			return provisioner.ApplyResult{}, err
		}
	}
	var st State
	if len(req.State) > 0 {
		if err := json.Unmarshal(req.State, &st); err != nil {
			return provisioner.ApplyResult{}, fmt.Errorf("decode state: %w", err)
		}
	}
	st.Transitions = append(st.Transitions, req.Transition)
	raw, err := json.Marshal(st)
	if err != nil {
		return provisioner.ApplyResult{}, err
	}
	res := provisioner.ApplyResult{State: raw}
	if req.Transition != provisioner.TransitionDelete {
		res.Resources = []provisioner.Resource{{Type: "fake", Name: "home", ID: "fake-" + req.Workspace.ID.String(), Persistent: true}}
	}
	if req.Transition == provisioner.TransitionStart {
		res.Agent = p.Agent
	}
	return res, nil
}

// Applied returns every request Apply received, in order.
func (p *Provisioner) Applied() []provisioner.ApplyRequest {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]provisioner.ApplyRequest(nil), p.applied...)
}
