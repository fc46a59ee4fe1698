package server

import (
	"context"
	"net/http"
	"sync"

	"github.com/google/uuid"
	"github.com/hashicorp/yamux"

	"den/sdk"
	"den/server/httpapi"
	"den/server/httpmw"
	"den/store/db"
)

// agentSessions holds the multiplexed connection of every agent connected
// to this server.
type agentSessions struct {
	mu       sync.Mutex
	sessions map[uuid.UUID]*yamux.Session
}

func (a *agentSessions) get(id uuid.UUID) *yamux.Session {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.sessions[id]
}

// put records the agent's session, closing one it replaces (an agent that
// reconnected before the server noticed the old connection drop).
func (a *agentSessions) put(id uuid.UUID, s *yamux.Session) {
	a.mu.Lock()
	old := a.sessions[id]
	a.sessions[id] = s
	a.mu.Unlock()
	if old != nil {
		old.Close()
	}
}

// remove forgets s, unless a newer session replaced it; it reports whether
// s was the agent's session.
func (a *agentSessions) remove(id uuid.UUID, s *yamux.Session) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.sessions[id] != s {
		return false
	}
	delete(a.sessions, id)
	return true
}

// yamuxConfig is the agent connection's multiplexer on the server's end: the
// server never accepts streams from agents, so it queues few.
func yamuxConfig() *yamux.Config {
	c := sdk.MultiplexerConfig()
	c.AcceptBacklog = 4
	return c
}

// agentConnect takes an agent's WebSocket and keeps it as the agent's
// session until it drops or the server stops.
func (s *Server) agentConnect(w http.ResponseWriter, r *http.Request) {
	a := httpmw.AgentFrom(r.Context())
	conn, ok := s.acceptStream(w, r)
	if !ok {
		return
	}
	sess, err := yamux.Server(sdk.MultiplexerConn(conn), yamuxConfig())
	if err != nil {
		conn.Close()
		httpapi.InternalError(w, r, s.logger, err)
		return
	}
	version := r.Header.Get("Den-Agent-Version")
	if len(version) > 64 {
		version = version[:64]
	}
	ctx := context.WithoutCancel(r.Context())
	s.agents.put(a.Agent.ID, sess)
	if err := s.store.WorkspaceAgentConnected(ctx, db.WorkspaceAgentConnectedParams{ID: a.Agent.ID, Version: version}); err != nil {
		s.logger.Warn("record agent connection", "agent", a.Agent.ID, "error", err)
	}
	s.notifyAgent(ctx, a)
	s.logger.Debug("agent connected", "workspace", a.Workspace.Name, "agent", a.Agent.ID, "version", version)
	// The connection outlives this handler: a fresh goroutine watches it, so
	// the handler's deep stack (HTTP server, middleware) is freed. An idle
	// agent then costs its connection, the multiplexer and this one small
	// goroutine.
	s.done.Go(func() { s.holdAgent(ctx, a, sess) })
}

// holdAgent waits for an agent's session to end (or the server to stop) and
// records the disconnection.
func (s *Server) holdAgent(ctx context.Context, a httpmw.Agent, sess *yamux.Session) {
	select {
	case <-sess.CloseChan():
	case <-s.ctx.Done():
		sess.Close()
	}
	if s.agents.remove(a.Agent.ID, sess) && s.ctx.Err() == nil {
		if err := s.store.WorkspaceAgentDisconnected(ctx, a.Agent.ID); err != nil {
			s.logger.Warn("record agent disconnection", "agent", a.Agent.ID, "error", err)
		}
		s.notifyAgent(ctx, a)
	}
	s.logger.Debug("agent disconnected", "workspace", a.Workspace.Name, "agent", a.Agent.ID)
}
