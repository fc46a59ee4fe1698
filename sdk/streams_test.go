package sdk

import (
	"bytes"
	"testing"
)

func TestStreamMessageRoundTrip(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	in := StreamHeader{Kind: StreamTCP, Addr: "127.0.0.1:3000"}
	if err := WriteStreamMessage(&buf, in); err != nil {
		t.Fatal(err)
	}
	var out StreamHeader
	if err := ReadStreamMessage(&buf, &out); err != nil || out != in || out.Validate() != nil {
		t.Fatalf("round trip: %+v, %v", out, err)
	}
	for _, bad := range []StreamHeader{
		{Kind: "exec"}, {Kind: StreamTCP, Addr: "nohost"}, {Kind: StreamTCP, Addr: "127.0.0.1:0"},
		{Kind: StreamTCP, Addr: ":80"}, {Kind: StreamSpeedtest, Direction: "sideways", Bytes: 1},
		{Kind: StreamSpeedtest, Direction: "up", Bytes: -1},
	} {
		if bad.Validate() == nil {
			t.Errorf("%+v passed validation", bad)
		}
	}
}

// FuzzReadStreamMessage feeds the agent's stream decoding hostile bytes: it
// must return an error or a header, never panic or read without bound.
func FuzzReadStreamMessage(f *testing.F) {
	var buf bytes.Buffer
	WriteStreamMessage(&buf, StreamHeader{Kind: StreamSSH}) //nolint:errcheck
	f.Add(buf.Bytes())
	f.Add([]byte{0xff, 0xff})
	f.Add([]byte{0, 2, '{', '}'})
	f.Fuzz(func(t *testing.T, data []byte) {
		var h StreamHeader
		if err := ReadStreamMessage(bytes.NewReader(data), &h); err != nil {
			return
		}
		_ = h.Validate()
	})
}
