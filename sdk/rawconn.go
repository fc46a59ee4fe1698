package sdk

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"strings"
	"time"
)

// dialOwn sends an upgrade request on a connection of its own rather than
// through the HTTP client, so that the stream it returns is the TCP (or TLS)
// connection itself: it can half-close, and a relay can hand its bytes from
// socket to socket in the kernel. ok is false when the client's transport is
// one it cannot stand in for (a custom RoundTripper or dialer, a proxy); the
// caller then goes through the HTTP client.
func (c *Client) dialOwn(ctx context.Context, req *http.Request) (conn net.Conn, ok bool, err error) {
	tr, isTransport := c.httpClient().Transport.(*http.Transport)
	if c.httpClient().Transport == nil {
		tr, isTransport = http.DefaultTransport.(*http.Transport)
	}
	if !isTransport || tr.DialTLSContext != nil {
		return nil, false, nil
	}
	if tr.Proxy != nil {
		if p, err := tr.Proxy(req); err != nil || p != nil {
			return nil, false, nil
		}
	}
	host, port := req.URL.Hostname(), req.URL.Port()
	if port == "" {
		port = map[bool]string{true: "443", false: "80"}[req.URL.Scheme == "https"]
	}
	dial := (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	if tr.DialContext != nil {
		dial = tr.DialContext
	}
	raw, err := dial(ctx, "tcp", net.JoinHostPort(host, port))
	if err != nil {
		return nil, true, err
	}
	conn = raw
	// Until the upgrade is answered, ctx bounds every step.
	stop := context.AfterFunc(ctx, func() { _ = raw.SetDeadline(time.Unix(1, 0)) })
	fail := func(err error) (net.Conn, bool, error) {
		stop()
		conn.Close()
		if ctx.Err() != nil {
			return nil, true, ctx.Err()
		}
		return nil, true, err
	}
	if req.URL.Scheme == "https" {
		cfg := &tls.Config{}
		if tr.TLSClientConfig != nil {
			cfg = tr.TLSClientConfig.Clone()
		}
		if cfg.ServerName == "" {
			cfg.ServerName = host
		}
		cfg.NextProtos = []string{"http/1.1"}
		tc := tls.Client(raw, cfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			return fail(err)
		}
		conn = tc
	}
	if err := req.Write(conn); err != nil {
		return fail(err)
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, req)
	if err != nil {
		return fail(err)
	}
	if !stop() {
		return fail(ctx.Err())
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		defer conn.Close()
		defer resp.Body.Close()
		return nil, true, ReadError(resp)
	}
	if !strings.EqualFold(resp.Header.Get("Upgrade"), StreamUpgrade) {
		conn.Close()
		return nil, true, &Error{Message: "the server switched to another protocol", StatusCode: http.StatusUpgradeRequired, notFromDen: true}
	}
	return BufferedConn(conn, br), true, nil
}

// BufferedConn returns conn reading first what r has already buffered from
// it. When nothing is buffered it returns conn itself, so a TCP connection
// stays one (for splicing and half-closing).
func BufferedConn(conn net.Conn, r *bufio.Reader) net.Conn {
	if r.Buffered() == 0 {
		return conn
	}
	return &bufferedConn{Conn: conn, r: r}
}

type bufferedConn struct {
	net.Conn
	r *bufio.Reader // nil once drained
}

func (b *bufferedConn) Read(p []byte) (int, error) {
	if b.r != nil {
		if b.r.Buffered() > 0 {
			return b.r.Read(p)
		}
		b.r = nil
	}
	return b.Conn.Read(p)
}

// CloseWrite ends the writing side, when the connection underneath can.
func (b *bufferedConn) CloseWrite() error {
	if hc, ok := b.Conn.(interface{ CloseWrite() error }); ok {
		return hc.CloseWrite()
	}
	return errors.ErrUnsupported
}
