package server

import (
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"

	"den/sdk"
	"den/server/httpapi"
	"den/server/httpmw"
	"den/server/policy"
	"den/splice"
	"den/store/db"
)

// connectWorkspace relays one client connection (SSH, TCP to a port, ping,
// speed test) to the workspace's agent: it opens a stream to the agent,
// then upgrades the client's request to a stream and splices the two. The
// agent carries the stream on a connection of its own opened back to the
// server (see dialBacks) when it can, or else on its multiplexed link.
func (s *Server) connectWorkspace(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	ws := httpmw.WorkspaceParam(ctx)
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
	agentID, msg := s.connectableAgent(r, ws)
	if msg != "" {
		httpapi.WriteError(w, http.StatusConflict, sdk.Error{Message: msg})
		return
	}
	sess := s.agents.get(agentID)
	if sess == nil {
		httpapi.WriteError(w, http.StatusConflict, sdk.Error{
			Message: "the agent of " + ws.Name + " is not connected to the server",
			Detail:  "it reconnects by itself within seconds of a network or server blip; `den show " + ws.Name + "` shows its state",
		})
		return
	}
	dialBackID, dialedBack, done := s.dialBacks.add(agentID)
	defer done()
	h.DialBack = dialBackID
	stream, err := sess.OpenStream()
	if err != nil {
		httpapi.WriteError(w, http.StatusBadGateway, sdk.Error{Message: "the connection to the agent of " + ws.Name + " dropped", Detail: err.Error()})
		return
	}
	_ = stream.SetDeadline(time.Now().Add(15 * time.Second))
	var reply sdk.StreamReply
	err = sdk.WriteStreamMessage(stream, h)
	if err == nil {
		err = sdk.ReadStreamMessage(stream, &reply)
	}
	if err != nil {
		stream.Close()
		httpapi.WriteError(w, http.StatusBadGateway, sdk.Error{Message: "the agent of " + ws.Name + " did not answer", Detail: err.Error()})
		return
	}
	if reply.Error != "" {
		stream.Close()
		httpapi.WriteError(w, http.StatusBadGateway, sdk.Error{Message: reply.Error})
		return
	}
	var agentConn net.Conn = stream
	if reply.DialedBack {
		stream.Close()
		select {
		case agentConn = <-dialedBack:
		case <-time.After(15 * time.Second):
			httpapi.WriteError(w, http.StatusBadGateway, sdk.Error{Message: "the agent of " + ws.Name + " did not open the stream it said it had"})
			return
		case <-ctx.Done():
			return
		}
	}
	_ = stream.SetDeadline(time.Time{})
	client, ok := s.acceptStream(w, r)
	if !ok {
		agentConn.Close()
		return
	}
	splice.Conns(client, agentConn)
}

// connectableAgent returns the agent of a running workspace, or a message
// saying why there is none to connect to.
func (s *Server) connectableAgent(r *http.Request, ws db.Workspace) (id [16]byte, msg string) {
	rows, err := s.store.ListWorkspaces(r.Context(), db.ListWorkspacesParams{ID: &ws.ID})
	if err != nil || len(rows) == 0 {
		return id, "cannot look up " + ws.Name + " right now; try again"
	}
	w := convertWorkspace(rows[0])
	switch {
	case w.Status == sdk.WorkspaceStopped || w.Status == sdk.WorkspaceStopping:
		return id, fmt.Sprintf("workspace %s is %s; start it with `den start %s`", ws.Name, w.Status, ws.Name)
	case w.Status == sdk.WorkspaceFailed || w.Status == sdk.WorkspaceCanceled:
		return id, fmt.Sprintf("the last build of %s %s; `den logs %s` shows why, and `den start %s` tries again", ws.Name, w.Status, ws.Name, ws.Name)
	case w.Agent == nil:
		return id, fmt.Sprintf("workspace %s is %s and has no agent yet; wait for it to start (`den show %s`)", ws.Name, w.Status, ws.Name)
	}
	return w.Agent.ID, ""
}
