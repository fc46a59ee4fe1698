package agent

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/google/uuid"
	"github.com/hashicorp/yamux"

	"den/sdk"
	"den/splice"
)

// connect keeps the agent's connection to the server up until ctx ends,
// reconnecting with jittered backoff after a drop.
func (a *Agent) connect(ctx context.Context) {
	attempt := 0
	for ctx.Err() == nil {
		conn, err := a.client.Connect(ctx, a.opts.Version)
		if err != nil {
			wait := a.opts.Backoff.Next(attempt)
			if sdk.StatusCode(err) == http.StatusUnauthorized {
				wait = 30 * time.Second // a stopped workspace's agent, about to go
			}
			if attempt%20 == 0 {
				a.log.Warn("connect to the server", "error", err, "retry_in", wait)
			}
			attempt++
			if !sleep(ctx, wait) {
				return
			}
			continue
		}
		attempt = 0
		sess, err := yamux.Client(sdk.MultiplexerConn(conn), sdk.MultiplexerConfig())
		if err != nil {
			conn.Close()
			continue
		}
		a.log.Info("connected to the server")
		a.serve(ctx, sess)
		a.log.Info("disconnected from the server")
	}
}

// serve takes the streams the server opens until the session ends.
func (a *Agent) serve(ctx context.Context, sess *yamux.Session) {
	stop := context.AfterFunc(ctx, func() { sess.Close() })
	defer stop()
	defer sess.Close()
	for {
		stream, err := sess.AcceptStream()
		if err != nil {
			return
		}
		go a.handle(ctx, stream)
	}
}

// handle reads a stream's header, prepares what it asks for and serves it,
// on a connection opened back to the server when the server asked for one.
func (a *Agent) handle(ctx context.Context, stream net.Conn) {
	_ = stream.SetReadDeadline(time.Now().Add(15 * time.Second))
	var h sdk.StreamHeader
	if err := sdk.ReadStreamMessage(stream, &h); err != nil {
		stream.Close()
		return
	}
	if err := h.Validate(); err != nil {
		reject(stream, err.Error())
		return
	}
	_ = stream.SetReadDeadline(time.Time{})
	serve, abandon, msg := a.prepare(ctx, h)
	if msg != "" {
		reject(stream, msg)
		return
	}
	conn := a.answer(ctx, stream, h.DialBack)
	if conn == nil {
		abandon()
		return
	}
	serve(conn)
}

// prepare gets ready to serve a stream: serve carries it, abandon undoes
// the preparation when the stream never opens, and msg says why the stream
// cannot be served.
func (a *Agent) prepare(ctx context.Context, h sdk.StreamHeader) (serve func(net.Conn), abandon func(), msg string) {
	abandon = func() {}
	switch h.Kind {
	case sdk.StreamSSH:
		a.mu.Lock()
		srv := a.sshd
		a.mu.Unlock()
		if srv == nil {
			return nil, nil, "the workspace's SSH server is not running"
		}
		return func(c net.Conn) { srv.ServeConn(ctx, c) }, abandon, ""
	case sdk.StreamTCP:
		var d net.Dialer
		dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		target, err := d.DialContext(dctx, "tcp", h.Addr)
		cancel()
		if err != nil {
			return nil, nil, fmt.Sprintf("cannot connect to %s in the workspace: %s", h.Addr, dialReason(err))
		}
		return func(c net.Conn) { splice.Conns(c, target) }, func() { target.Close() }, ""
	case sdk.StreamPTY:
		a.mu.Lock()
		terminals := a.rpty
		a.mu.Unlock()
		if terminals == nil {
			return nil, nil, "the workspace's terminal sessions are not running"
		}
		att, err := terminals.Attach(uuid.MustParse(h.Session), h.Rows, h.Cols)
		if err != nil {
			return nil, nil, err.Error()
		}
		return func(c net.Conn) { att.Serve(c) }, att.Cancel, ""
	case sdk.StreamPing:
		return func(c net.Conn) {
			_, _ = io.Copy(c, c)
			c.Close()
		}, abandon, ""
	default: // sdk.StreamSpeedtest
		return func(c net.Conn) { speedtest(c, h) }, abandon, ""
	}
}

// answer tells the server the stream is open and returns the connection it
// goes on: one opened back to the server for it when the server asked and
// that works, or else the multiplexed stream itself. It returns nil when
// the server is gone.
func (a *Agent) answer(ctx context.Context, stream net.Conn, dialBack string) net.Conn {
	if dialBack != "" {
		dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		conn, err := a.client.DialBack(dctx, dialBack)
		cancel()
		if err == nil {
			err = sdk.WriteStreamMessage(stream, sdk.StreamReply{DialedBack: true})
			stream.Close()
			if err != nil {
				conn.Close()
				return nil
			}
			return conn
		}
		a.log.Warn("open a stream's own connection to the server; using the shared one", "error", err)
	}
	if err := sdk.WriteStreamMessage(stream, sdk.StreamReply{}); err != nil {
		stream.Close()
		return nil
	}
	return stream
}

func reject(stream net.Conn, msg string) {
	_ = sdk.WriteStreamMessage(stream, sdk.StreamReply{Error: msg})
	stream.Close()
}

func dialReason(err error) string {
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		return op.Err.Error()
	}
	return err.Error()
}

// speedtest sends (down) or swallows (up) h.Bytes bytes; after an upload it
// answers with the count it received, so the client times the whole trip.
func speedtest(stream net.Conn, h sdk.StreamHeader) {
	defer stream.Close()
	buf := make([]byte, 64<<10)
	if h.Direction == "down" {
		for left := h.Bytes; left > 0; {
			n := min(left, int64(len(buf)))
			if _, err := stream.Write(buf[:n]); err != nil {
				return
			}
			left -= n
		}
		return
	}
	n, _ := io.CopyBuffer(io.Discard, io.LimitReader(stream, h.Bytes), buf)
	_ = sdk.WriteStreamMessage(stream, map[string]int64{"bytes": n})
}
