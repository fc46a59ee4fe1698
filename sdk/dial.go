package sdk

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// StreamUpgrade is the HTTP Upgrade protocol of Den's raw streams: after
// "101 Switching Protocols" the connection carries bytes as they are, without
// WebSocket's framing and masking. CLI and agent links use it; when a proxy
// on the way does not pass it on, they fall back to a WebSocket.
const StreamUpgrade = "den-stream"

// dialStream opens a byte stream to path: an HTTP Upgrade to StreamUpgrade,
// or a WebSocket when the raw upgrade does not get through.
func (c *Client) dialStream(ctx context.Context, path string, h http.Header) (net.Conn, error) {
	if !c.WebSocketOnly {
		conn, err := c.dialRaw(ctx, path, h)
		var apiErr *Error
		switch {
		case err == nil:
			return conn, nil
		case !errors.As(err, &apiErr):
			return nil, err // the server is unreachable: a WebSocket would not do better
		case apiErr.StatusCode != http.StatusUpgradeRequired && !apiErr.notFromDen:
			return nil, err // Den answered: a stopped workspace, a refused token, ...
		}
	}
	return c.dialWebSocket(ctx, path, h)
}

func (c *Client) dialRaw(ctx context.Context, path string, h http.Header) (net.Conn, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.URL.String()+path, nil)
	if err != nil {
		return nil, fmt.Errorf("build request: %w", err)
	}
	for k, v := range h {
		req.Header[k] = v
	}
	if c.SessionToken != "" && req.Header.Get(SessionTokenHeader) == "" {
		req.Header.Set(SessionTokenHeader, c.SessionToken)
	}
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", StreamUpgrade)
	if conn, ok, err := c.dialOwn(ctx, req); ok {
		return conn, err
	}
	resp, err := c.httpClient().Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		defer resp.Body.Close()
		return nil, ReadError(resp)
	}
	rw, ok := resp.Body.(io.ReadWriteCloser)
	if !ok || !strings.EqualFold(resp.Header.Get("Upgrade"), StreamUpgrade) {
		resp.Body.Close()
		return nil, &Error{Message: "the server switched to another protocol", StatusCode: http.StatusUpgradeRequired, notFromDen: true}
	}
	return streamConn{ReadWriteCloser: rw}, nil
}

// streamConn is an upgraded HTTP connection as a net.Conn. Deadlines are not
// supported; nothing on these links uses them.
type streamConn struct{ io.ReadWriteCloser }

func (streamConn) LocalAddr() net.Addr              { return streamAddr{} }
func (streamConn) RemoteAddr() net.Addr             { return streamAddr{} }
func (streamConn) SetDeadline(time.Time) error      { return nil }
func (streamConn) SetReadDeadline(time.Time) error  { return nil }
func (streamConn) SetWriteDeadline(time.Time) error { return nil }

type streamAddr struct{}

func (streamAddr) Network() string { return StreamUpgrade }
func (streamAddr) String() string  { return StreamUpgrade }
