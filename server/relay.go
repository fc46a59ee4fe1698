package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/google/uuid"

	"den/sdk"
	"den/server/httpapi"
	"den/server/httpmw"
	"den/server/policy"
	"den/splice"
	"den/store/db"
)

// connectWorkspace relays one client connection (SSH, TCP to a port, ping,
// speed test) to the workspace's agent: it opens a stream to the agent,
// then upgrades the client's request to a stream and splices the two.
func (s *Server) connectWorkspace(w http.ResponseWriter, r *http.Request) {
	ws := httpmw.WorkspaceParam(r.Context())
	if !s.authorize(w, r, policy.ActionConnect, workspaceObject(ws)) {
		return
	}
	q := r.URL.Query()
	h := sdk.StreamHeader{Kind: sdk.StreamKind(q.Get("kind")), Addr: q.Get("addr"), Direction: q.Get("direction")}
	if b := q.Get("bytes"); b != "" {
		h.Bytes, _ = strconv.ParseInt(b, 10, 64)
	}
	if err := h.Validate(); err != nil {
		httpapi.Invalid(w, sdk.ValidationError{Field: "kind", Detail: err.Error()})
		return
	}
	agentConn, ok := s.openAgentStream(w, r, ws, h)
	if !ok {
		return
	}
	client, ok := s.acceptStream(w, r)
	if !ok {
		agentConn.Close()
		return
	}
	splice.Conns(client, agentConn)
}

// openAgentStream opens a stream with header h to the agent of ws, which
// the caller authorized the client to connect to (see dialAgent). A
// workspace without a connected agent is a 409, an agent that refuses the
// stream a 502; on failure the response is written.
func (s *Server) openAgentStream(w http.ResponseWriter, r *http.Request, ws db.Workspace, h sdk.StreamHeader) (net.Conn, bool) {
	agentID, msg := s.connectableAgent(r, ws)
	if msg != "" {
		httpapi.WriteError(w, http.StatusConflict, sdk.Error{Message: msg})
		return nil, false
	}
	conn, err := s.dialAgent(r.Context(), agentID, h)
	switch {
	case errors.Is(err, errAgentNotConnected):
		httpapi.WriteError(w, http.StatusConflict, sdk.Error{
			Message: "the agent of " + ws.Name + " is not connected to the server",
			Detail:  "it reconnects by itself within seconds of a network or server blip; `den show " + ws.Name + "` shows its state",
		})
		return nil, false
	case r.Context().Err() != nil:
		return nil, false // the client left
	case err != nil:
		httpapi.WriteError(w, http.StatusBadGateway, sdk.Error{Message: err.Error()})
		return nil, false
	}
	return conn, true
}

// errAgentNotConnected: the agent has no connection to this server.
var errAgentNotConnected = errors.New("the workspace's agent is not connected to the server; it reconnects by itself within seconds")

// dialAgent opens a stream with header h to a connected agent and returns
// the connection it goes on: one the agent opened back to the server for it
// (see dialBacks) when it can, or else a stream of its multiplexed link.
// Its errors are for people: they say what failed.
func (s *Server) dialAgent(ctx context.Context, agent uuid.UUID, h sdk.StreamHeader) (net.Conn, error) {
	sess := s.agents.get(agent)
	if sess == nil {
		return nil, errAgentNotConnected
	}
	id, dialedBack, done := s.dialBacks.add(agent)
	defer done()
	h.DialBack = id
	stream, err := sess.OpenStream()
	if err != nil {
		return nil, fmt.Errorf("the connection to the workspace's agent dropped: %w", err)
	}
	deadline := time.Now().Add(15 * time.Second)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	_ = stream.SetDeadline(deadline)
	var reply sdk.StreamReply
	err = sdk.WriteStreamMessage(stream, h)
	if err == nil {
		err = sdk.ReadStreamMessage(stream, &reply)
	}
	switch {
	case err != nil:
		stream.Close()
		return nil, fmt.Errorf("the workspace's agent did not answer: %w", err)
	case reply.Error != "":
		stream.Close()
		return nil, errors.New(reply.Error)
	case !reply.DialedBack:
		_ = stream.SetDeadline(time.Time{})
		return stream, nil
	}
	stream.Close()
	select {
	case conn := <-dialedBack:
		return conn, nil
	case <-time.After(time.Until(deadline)):
		return nil, errors.New("the workspace's agent did not open the stream it said it had")
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// connectableAgent returns the agent of a running workspace, or a message
// saying why there is none to connect to.
func (s *Server) connectableAgent(r *http.Request, ws db.Workspace) (id [16]byte, msg string) {
	w, err := s.store.GetLiveWorkspaceByID(r.Context(), db.GetLiveWorkspaceByIDParams{ID: ws.ID})
	if err != nil {
		return id, "cannot look up " + ws.Name + " right now; try again"
	}
	switch status := sdk.WorkspaceStatus(w.Status); {
	case status == sdk.WorkspaceStopped || status == sdk.WorkspaceStopping:
		return id, fmt.Sprintf("workspace %s is %s; start it with `den start %s`", ws.Name, status, ws.Name)
	case status == sdk.WorkspaceFailed || status == sdk.WorkspaceCanceled:
		return id, fmt.Sprintf("the last build of %s %s; `den logs %s` shows why, and `den start %s` tries again", ws.Name, status, ws.Name, ws.Name)
	case w.AgentID == nil:
		return id, fmt.Sprintf("workspace %s is %s and has no agent yet; wait for it to start (`den show %s`)", ws.Name, status, ws.Name)
	}
	return *w.AgentID, ""
}
