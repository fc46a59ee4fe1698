package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/coder/websocket"
	"github.com/google/uuid"

	"den/sdk"
	"den/server/httpapi"
	"den/server/httpmw"
	"den/server/policy"
)

// workspacePTY joins a reconnecting terminal session in the workspace over
// a WebSocket (the dashboard's web terminal; see sdk/pty.go): it opens a
// StreamPTY stream to the agent as connectWorkspace does, then translates
// the client's JSON messages into the stream's frames and the agent's
// output into binary messages.
func (s *Server) workspacePTY(w http.ResponseWriter, r *http.Request) {
	ws := httpmw.WorkspaceParam(r.Context())
	if !s.authorize(w, r, policy.ActionConnect, workspaceObject(ws)) {
		return
	}
	h, bad := ptyHeader(r.URL.Query())
	if bad != nil {
		httpapi.Invalid(w, *bad)
		return
	}
	// Refuse what the upgrade would refuse before a shell starts for it.
	if !strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
		httpapi.WriteError(w, http.StatusUpgradeRequired, sdk.Error{Message: "this endpoint is a WebSocket: the web terminal's"})
		return
	}
	if crossOriginUpgrade(r) {
		httpapi.WriteError(w, http.StatusForbidden, sdk.Error{
			Message: "the web terminal opens only from the dashboard's own origin",
			Detail:  "Origin " + r.Header.Get("Origin") + " is not " + r.Host,
		})
		return
	}
	agentConn, ok := s.openAgentStream(w, r, ws, h)
	if !ok {
		return
	}
	defer agentConn.Close()
	// The library's own origin check stays on.
	c, err := websocket.Accept(w, r, &websocket.AcceptOptions{CompressionMode: websocket.CompressionDisabled})
	if err != nil {
		return // Accept answered the client
	}
	c.SetReadLimit(sdk.MaxPTYMessage)
	relayPTY(s.ctx, c, agentConn)
}

// ptyHeader reads the stream header from the query, or says which
// parameter is wrong.
func ptyHeader(q url.Values) (sdk.StreamHeader, *sdk.ValidationError) {
	h := sdk.StreamHeader{Kind: sdk.StreamPTY}
	id, err := uuid.Parse(q.Get("session"))
	if err != nil {
		return h, &sdk.ValidationError{Field: "session", Detail: "session must be a UUID the client chose (joining again with the same one rejoins the same shell)"}
	}
	h.Session = id.String()
	for _, f := range []struct {
		name string
		v    *uint16
	}{{"rows", &h.Rows}, {"cols", &h.Cols}} {
		s := q.Get(f.name)
		if s == "" {
			continue
		}
		n, err := strconv.ParseUint(s, 10, 16)
		if err != nil || n < 1 || n > sdk.MaxPTYSize {
			return h, &sdk.ValidationError{Field: f.name, Detail: fmt.Sprintf("%s must be 1 to %d", f.name, sdk.MaxPTYSize)}
		}
		*f.v = uint16(n)
	}
	if err := h.Validate(); err != nil {
		return h, &sdk.ValidationError{Field: "session", Detail: err.Error()}
	}
	return h, nil
}

// relayPTY carries a terminal session between the WebSocket and the
// agent's stream until either ends. The shell's exit (the agent's EOF)
// closes the WebSocket with 1000 and sdk.PTYExitedReason; a message that is
// not a text message of a valid sdk.PTYMessage closes it with 1003 or 1008.
func relayPTY(ctx context.Context, c *websocket.Conn, agent net.Conn) {
	ctx, cancel := context.WithCancel(ctx)
	output := make(chan struct{})
	go func() {
		defer close(output)
		buf := make([]byte, 32<<10)
		for {
			n, err := agent.Read(buf)
			if n > 0 {
				if werr := c.Write(ctx, websocket.MessageBinary, buf[:n]); werr != nil {
					agent.Close()
					return
				}
			}
			switch {
			case errors.Is(err, io.EOF):
				_ = c.Close(websocket.StatusNormalClosure, sdk.PTYExitedReason)
				return
			case err != nil:
				_ = c.Close(websocket.StatusInternalError, "the connection to the workspace's agent dropped; reconnect")
				return
			}
		}
	}()
	for {
		typ, b, err := c.Read(ctx)
		if err != nil {
			break // the client left, or the output side closed
		}
		if typ != websocket.MessageText {
			_ = c.Close(websocket.StatusUnsupportedData, `send text messages of JSON: {"data":"..."} or {"rows":N,"cols":N}`)
			break
		}
		m, err := sdk.ParsePTYMessage(b)
		if err != nil {
			_ = c.Close(websocket.StatusPolicyViolation, closeReason(err.Error()))
			break
		}
		if err := sdk.WritePTYMessage(agent, m); err != nil {
			break // the agent's side ended; the output side says so
		}
	}
	agent.Close()
	cancel()
	<-output
}

// closeReason fits a reason into a close frame (123 bytes).
func closeReason(s string) string {
	const limit = 123
	if len(s) <= limit {
		return s
	}
	i := limit - 3
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "..."
}
