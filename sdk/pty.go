package sdk

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"
)

// The reconnecting PTY, which the dashboard's web terminal uses: a shell on
// a terminal in the workspace that outlives its connections. A client
// joins a session by its UUID (which the client chooses) with a WebSocket,
// GET /api/v2/workspaces/{id}/pty?session=<uuid>&rows=<n>&cols=<n>; joining
// again with the same UUID rejoins the same shell, whose recent output
// (MaxPTYReplay bytes) is replayed first.
//
// Client to server: text messages, each a PTYMessage in JSON. Server to
// client: binary messages of raw terminal output. When the shell exits
// the server closes the WebSocket with status 1000 and PTYExitedReason.
//
// Server to agent: a StreamPTY stream whose client-to-agent direction
// carries PTYMessages framed as 2-byte big-endian length + JSON (at most
// MaxPTYMessage bytes), and whose other direction is the raw output.

// PTYMessage is what a client sends: input, a new size, or both (the size
// applies first). Rows and Cols come together or not at all.
type PTYMessage struct {
	Data string `json:"data,omitempty"`
	Rows uint16 `json:"rows,omitempty"`
	Cols uint16 `json:"cols,omitempty"`
}

const (
	// MaxPTYMessage bounds one PTYMessage in JSON, on the WebSocket and on
	// the agent's stream.
	MaxPTYMessage = 1<<16 - 1
	// MaxPTYSize bounds a terminal's rows and columns.
	MaxPTYSize = 1000
	// MaxPTYReplay is how much recent output a session keeps for the
	// clients that join it.
	MaxPTYReplay = 64 << 10
	// PTYExitedReason is the WebSocket close reason when the shell exited.
	PTYExitedReason = "the shell exited"
)

// Validate says what is wrong with a message, or returns nil.
func (m PTYMessage) Validate() error {
	if m.Rows == 0 && m.Cols == 0 {
		return nil
	}
	return validPTYSize(m.Rows, m.Cols, false)
}

// ParsePTYMessage decodes and validates one message in JSON.
func ParsePTYMessage(b []byte) (PTYMessage, error) {
	var m PTYMessage
	if len(b) > MaxPTYMessage {
		return m, fmt.Errorf("a message of %d bytes exceeds %d", len(b), MaxPTYMessage)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return PTYMessage{}, fmt.Errorf(`a message is JSON, {"data":"..."} or {"rows":N,"cols":N}: %w`, err)
	}
	if err := m.Validate(); err != nil {
		return PTYMessage{}, err
	}
	return m, nil
}

// ReadPTYMessage reads one length-prefixed message.
func ReadPTYMessage(r io.Reader) (PTYMessage, error) {
	var n [2]byte
	if _, err := io.ReadFull(r, n[:]); err != nil {
		return PTYMessage{}, err // io.EOF between messages: the end
	}
	size := int(binary.BigEndian.Uint16(n[:]))
	if size == 0 {
		return PTYMessage{}, errors.New("an empty pty message")
	}
	b := make([]byte, size)
	if _, err := io.ReadFull(r, b); err != nil {
		return PTYMessage{}, fmt.Errorf("read pty message: %w", io.ErrUnexpectedEOF)
	}
	return ParsePTYMessage(b)
}

// WritePTYMessage writes m length-prefixed. Input whose JSON does not fit
// one frame goes in several, the size with the first.
func WritePTYMessage(w io.Writer, m PTYMessage) error {
	if err := m.Validate(); err != nil {
		return err
	}
	b, err := marshalPTY(m)
	if err != nil {
		return err
	}
	if len(b) <= MaxPTYMessage {
		buf := make([]byte, 2+len(b))
		binary.BigEndian.PutUint16(buf, uint16(len(b)))
		copy(buf[2:], b)
		_, err = w.Write(buf)
		return err
	}
	// Split the input at a character boundary near its middle. A single
	// character's JSON is a few bytes, so this ends.
	half := len(m.Data) / 2
	for half > 0 && !utf8.RuneStart(m.Data[half]) {
		half--
	}
	if half == 0 {
		half = len(m.Data) / 2
	}
	first := m
	first.Data = m.Data[:half]
	if err := WritePTYMessage(w, first); err != nil {
		return err
	}
	return WritePTYMessage(w, PTYMessage{Data: m.Data[half:]})
}

func marshalPTY(m PTYMessage) ([]byte, error) {
	var sb strings.Builder
	enc := json.NewEncoder(&sb)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m); err != nil {
		return nil, err
	}
	return []byte(strings.TrimSuffix(sb.String(), "\n")), nil
}

// validatePTY checks a StreamPTY header.
func (h StreamHeader) validatePTY() error {
	if len(h.Session) != 36 {
		return errors.New("session must be a UUID")
	}
	if _, err := uuid.Parse(h.Session); err != nil {
		return errors.New("session must be a UUID")
	}
	return validPTYSize(h.Rows, h.Cols, true)
}

// validPTYSize checks a terminal size; zero means the default when
// allowed.
func validPTYSize(rows, cols uint16, zeroOK bool) error {
	for _, v := range []struct {
		name string
		n    uint16
	}{{"rows", rows}, {"cols", cols}} {
		if v.n == 0 && zeroOK {
			continue
		}
		if v.n < 1 || v.n > MaxPTYSize {
			return fmt.Errorf("%s must be 1 to %d", v.name, MaxPTYSize)
		}
	}
	return nil
}
