package server

import (
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/coder/websocket"

	"den/sdk"
	"den/server/httpapi"
)

// acceptStream turns a request into a byte stream: a raw HTTP Upgrade to
// sdk.StreamUpgrade when the client asks for one (the CLI and agents do), or
// a WebSocket (browsers, and clients behind proxies that only pass
// WebSockets). Anything else is a 426. On failure the response is written.
func (s *Server) acceptStream(w http.ResponseWriter, r *http.Request) (net.Conn, bool) {
	if strings.EqualFold(r.Header.Get("Upgrade"), sdk.StreamUpgrade) && headerHasToken(r.Header, "Connection", "upgrade") {
		conn, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			httpapi.InternalError(w, r, s.logger, err)
			return nil, false
		}
		_, err = brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: " + sdk.StreamUpgrade + "\r\n\r\n")
		if err == nil {
			err = brw.Flush()
		}
		if err != nil {
			conn.Close()
			return nil, false
		}
		return sdk.BufferedConn(conn, brw.Reader), true
	}
	if !strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
		httpapi.WriteError(w, http.StatusUpgradeRequired, sdk.Error{
			Message: "this endpoint is a stream: upgrade to " + sdk.StreamUpgrade + " or websocket",
		})
		return nil, false
	}
	c, err := websocket.Accept(w, r, &websocket.AcceptOptions{CompressionMode: websocket.CompressionDisabled})
	if err != nil {
		return nil, false // Accept answered the client
	}
	c.SetReadLimit(-1) // the stream flows through; nothing is buffered whole
	return websocket.NetConn(s.ctx, c, websocket.MessageBinary), true
}

func headerHasToken(h http.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		for _, t := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

// crossOriginUpgrade reports a WebSocket (or other upgrade) that a browser
// opens from a page of another origin: one that says so in Sec-Fetch-Site,
// or whose Origin is not this host. Unsafe methods have
// http.CrossOriginProtection; an upgrade is a GET, which it lets through.
// The web terminal and apps refuse these.
func crossOriginUpgrade(r *http.Request) bool {
	if r.Header.Get("Upgrade") == "" {
		return false
	}
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
		return true
	}
	if o := r.Header.Get("Origin"); o != "" {
		u, err := url.Parse(o)
		return err != nil || !strings.EqualFold(u.Host, r.Host)
	}
	return false
}
