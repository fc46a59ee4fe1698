package servertest

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"den/agent"
	"den/sdk"
)

// WaitJobDone polls until job id is done, without following its log (which,
// for a start whose agent has not started yet, waits for the agent).
func WaitJobDone(t testing.TB, c *sdk.Client, id uuid.UUID) sdk.ProvisionerJob {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		j, err := c.Job(context.Background(), id)
		if err == nil && j.Status.Done() {
			return j
		}
		if time.Now().After(deadline) {
			t.Fatalf("job not done: %+v %v", j, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// WaitWorkspace polls workspace id until cond holds, and returns it.
func WaitWorkspace(t testing.TB, c *sdk.Client, id uuid.UUID, what string, cond func(sdk.Workspace) bool) sdk.Workspace {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ws, err := c.Workspace(context.Background(), id)
		if err == nil && cond(ws) {
			return ws
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: status %s, agent %+v, apps %+v, err %v", what, ws.Status, ws.Agent, ws.Apps, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// RunAgent runs the real agent in this process as the agent of the fake
// provisioner's latest start build (whose job the caller waited for), until
// the test ends.
func (s *Server) RunAgent(t testing.TB) {
	t.Helper()
	applied := s.Fake.Applied()
	token := ""
	if len(applied) > 0 {
		token = applied[len(applied)-1].Agent.Token
	}
	if token == "" {
		t.Fatal("the start build minted no agent token")
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	a := agent.New(agent.Options{Client: sdk.NewAgentClient(sdk.New(s.URL), token), Version: "v-test"})
	go func() { done <- a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Error("the agent did not stop within 20s")
		}
	})
}
