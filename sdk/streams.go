package sdk

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"

	"github.com/google/uuid"
)

// StreamKind says what a stream to a workspace agent carries.
type StreamKind string

// The stream kinds.
const (
	// StreamSSH carries one SSH connection to the agent's SSH server.
	StreamSSH StreamKind = "ssh"
	// StreamTCP carries one TCP connection to Addr inside the workspace.
	StreamTCP StreamKind = "tcp"
	// StreamPing echoes what it receives.
	StreamPing StreamKind = "ping"
	// StreamSpeedtest sends (down) or swallows (up) Bytes bytes.
	StreamSpeedtest StreamKind = "speedtest"
	// StreamPTY joins the reconnecting terminal session Session (see pty.go).
	StreamPTY StreamKind = "pty"
)

// StreamHeader opens every stream the server opens to an agent.
type StreamHeader struct {
	Kind StreamKind `json:"kind"`
	// Addr is host:port inside the workspace, for StreamTCP.
	Addr string `json:"addr,omitempty"`
	// Direction ("up": client to workspace, "down": back) and Bytes, for
	// StreamSpeedtest.
	Direction string `json:"direction,omitempty"`
	Bytes     int64  `json:"bytes,omitempty"`
	// Session (a UUID the client chose), and the terminal's size (0: the
	// default), for StreamPTY.
	Session string `json:"session,omitempty"`
	Rows    uint16 `json:"rows,omitempty"`
	Cols    uint16 `json:"cols,omitempty"`
	// DialBack, when set, asks the agent to carry the stream on a
	// connection of its own, opened with AgentClient.DialBack(DialBack),
	// rather than on the multiplexed link: the server then splices the
	// client's connection to it socket to socket.
	DialBack string `json:"dial_back,omitempty"`
}

// StreamReply answers a StreamHeader: an empty Error means the stream is
// open.
type StreamReply struct {
	Error string `json:"error,omitempty"`
	// DialedBack says that the stream goes on over the connection the
	// agent opened back to the server, not over this one.
	DialedBack bool `json:"dialed_back,omitempty"`
}

// maxStreamMessage bounds a header or reply.
const maxStreamMessage = 4096

// MaxSpeedtestBytes bounds one direction of a speed test.
const MaxSpeedtestBytes = 4 << 30

// WriteStreamMessage writes v as a length-prefixed JSON message.
func WriteStreamMessage(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if len(b) > maxStreamMessage {
		return fmt.Errorf("stream message of %d bytes exceeds %d", len(b), maxStreamMessage)
	}
	buf := make([]byte, 2+len(b))
	binary.BigEndian.PutUint16(buf, uint16(len(b)))
	copy(buf[2:], b)
	_, err = w.Write(buf)
	return err
}

// ReadStreamMessage reads a length-prefixed JSON message into v.
func ReadStreamMessage(r io.Reader, v any) error {
	var n [2]byte
	if _, err := io.ReadFull(r, n[:]); err != nil {
		return fmt.Errorf("read stream message length: %w", err)
	}
	size := int(binary.BigEndian.Uint16(n[:]))
	if size == 0 || size > maxStreamMessage {
		return fmt.Errorf("stream message of %d bytes is out of bounds", size)
	}
	b := make([]byte, size)
	if _, err := io.ReadFull(r, b); err != nil {
		return fmt.Errorf("read stream message: %w", err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("decode stream message: %w", err)
	}
	return nil
}

// Validate says what is wrong with a header, or returns nil.
func (h StreamHeader) Validate() error {
	switch h.Kind {
	case StreamSSH, StreamPing:
	case StreamTCP:
		host, port, err := net.SplitHostPort(h.Addr)
		if err != nil {
			return fmt.Errorf("tcp address %q: %w", h.Addr, err)
		}
		if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
			return fmt.Errorf("tcp address %q: the port must be 1 to 65535", h.Addr)
		}
		if host == "" {
			return fmt.Errorf("tcp address %q has no host", h.Addr)
		}
	case StreamSpeedtest:
		if h.Direction != "up" && h.Direction != "down" {
			return errors.New(`speedtest direction must be "up" or "down"`)
		}
		if h.Bytes <= 0 || h.Bytes > MaxSpeedtestBytes {
			return fmt.Errorf("speedtest bytes must be 1 to %d", int64(MaxSpeedtestBytes))
		}
	case StreamPTY:
		if err := h.validatePTY(); err != nil {
			return err
		}
	default:
		return fmt.Errorf("unknown stream kind %q", h.Kind)
	}
	if h.DialBack != "" && !validDialBack(h.DialBack) {
		return errors.New("dial_back must be 32 hexadecimal digits")
	}
	return nil
}

// DialWorkspace opens a stream to a workspace's agent through the server: an
// SSH connection, a TCP connection to a port in the workspace, a ping or a
// speed test. The server checks who may connect; a stopped workspace is a
// 409 that says how to start it.
func (c *Client) DialWorkspace(ctx context.Context, workspace uuid.UUID, h StreamHeader) (net.Conn, error) {
	q := url.Values{}
	q.Set("kind", string(h.Kind))
	if h.Addr != "" {
		q.Set("addr", h.Addr)
	}
	if h.Direction != "" {
		q.Set("direction", h.Direction)
		q.Set("bytes", strconv.FormatInt(h.Bytes, 10))
	}
	return c.dialStream(ctx, fmt.Sprintf("%s/workspaces/%s/connect?%s", APIPrefix, workspace, q.Encode()), http.Header{})
}

func validDialBack(id string) bool {
	if len(id) != 32 {
		return false
	}
	for _, c := range id {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
