package agent

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

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

// handle reads a stream's header and serves it.
func (a *Agent) handle(ctx context.Context, stream net.Conn) {
	_ = stream.SetReadDeadline(time.Now().Add(15 * time.Second))
	var h sdk.StreamHeader
	if err := sdk.ReadStreamMessage(stream, &h); err != nil {
		stream.Close()
		return
	}
	if err := h.Validate(); err != nil {
		_ = sdk.WriteStreamMessage(stream, sdk.StreamReply{Error: err.Error()})
		stream.Close()
		return
	}
	_ = stream.SetReadDeadline(time.Time{})
	switch h.Kind {
	case sdk.StreamSSH:
		a.mu.Lock()
		srv := a.sshd
		a.mu.Unlock()
		if srv == nil {
			reject(stream, "the workspace's SSH server is not running")
			return
		}
		if accept(stream) {
			srv.ServeConn(ctx, stream)
		}
	case sdk.StreamTCP:
		var d net.Dialer
		dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		conn, err := d.DialContext(dctx, "tcp", h.Addr)
		cancel()
		if err != nil {
			reject(stream, fmt.Sprintf("cannot connect to %s in the workspace: %s", h.Addr, dialReason(err)))
			return
		}
		if accept(stream) {
			splice.Conns(stream, conn)
		} else {
			conn.Close()
		}
	case sdk.StreamPing:
		if accept(stream) {
			_, _ = io.Copy(stream, stream)
			stream.Close()
		}
	case sdk.StreamSpeedtest:
		if accept(stream) {
			speedtest(stream, h)
		}
	}
}

func accept(stream net.Conn) bool {
	if err := sdk.WriteStreamMessage(stream, sdk.StreamReply{}); err != nil {
		stream.Close()
		return false
	}
	return true
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
