package sdk

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"strings"
	"testing"
)

func frame(b []byte) []byte {
	out := make([]byte, 2+len(b))
	binary.BigEndian.PutUint16(out, uint16(len(b)))
	copy(out[2:], b)
	return out
}

func TestPTYMessages(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want PTYMessage
		err  string
	}{
		{in: `{"data":"ls\r"}`, want: PTYMessage{Data: "ls\r"}},
		{in: `{"rows":40,"cols":120}`, want: PTYMessage{Rows: 40, Cols: 120}},
		{in: `{"data":"x","rows":1,"cols":1000}`, want: PTYMessage{Data: "x", Rows: 1, Cols: 1000}},
		{in: `{}`, want: PTYMessage{}},
		{in: `{"rows":40}`, err: "cols must be 1 to 1000"},
		{in: `{"rows":1001,"cols":2}`, err: "rows must be 1 to 1000"},
		{in: `{"rows":-1,"cols":2}`, err: "JSON"},
		{in: `{"rows":70000,"cols":2}`, err: "JSON"},
		{in: `[1]`, err: "JSON"},
		{in: `{"data":1}`, err: "JSON"},
		{in: `{"data":"a"} x`, err: "JSON"},
		{in: ``, err: "JSON"},
	} {
		got, err := ParsePTYMessage([]byte(tc.in))
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: err %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%s: %+v %v, want %+v", tc.in, got, err, tc.want)
		}
	}
}

func TestPTYFraming(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	big := strings.Repeat("<é\x01", 40_000) // each expands when escaped
	for _, m := range []PTYMessage{{Data: "ls\r"}, {Rows: 3, Cols: 4}, {Data: big, Rows: 5, Cols: 6}} {
		if err := WritePTYMessage(&buf, m); err != nil {
			t.Fatal(err)
		}
	}
	var got []PTYMessage
	for {
		m, err := ReadPTYMessage(&buf)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, m)
	}
	if len(got) < 4 || got[0].Data != "ls\r" || got[1] != (PTYMessage{Rows: 3, Cols: 4}) || got[2].Rows != 5 || got[2].Cols != 6 {
		t.Fatalf("got %d messages: %+v %+v", len(got), got[0], got[1])
	}
	var data strings.Builder
	for _, m := range got[2:] {
		data.WriteString(m.Data)
	}
	if data.String() != big {
		t.Fatal("the split input does not join back")
	}
	if err := WritePTYMessage(&buf, PTYMessage{Rows: 2000, Cols: 1}); err == nil {
		t.Fatal("wrote an invalid size")
	}
	// A truncated frame, an empty frame.
	for _, in := range [][]byte{{0}, {0, 5, '{'}, {0, 0}} {
		if _, err := ReadPTYMessage(bytes.NewReader(in)); err == nil || errors.Is(err, io.EOF) {
			t.Errorf("%q: %v", in, err)
		}
	}
}

func TestPTYHeader(t *testing.T) {
	t.Parallel()
	const id = "5b0c1a4e-8f5d-4d2c-9a57-0d1b2c3d4e5f"
	for _, tc := range []struct {
		h  StreamHeader
		ok bool
	}{
		{StreamHeader{Kind: StreamPTY, Session: id}, true},
		{StreamHeader{Kind: StreamPTY, Session: id, Rows: 24, Cols: 80}, true},
		{StreamHeader{Kind: StreamPTY, Session: id, Rows: 1001}, false},
		{StreamHeader{Kind: StreamPTY}, false},
		{StreamHeader{Kind: StreamPTY, Session: "{" + id[:34] + "}"}, false},
		{StreamHeader{Kind: StreamPTY, Session: "urn:uuid:" + id}, false},
		{StreamHeader{Kind: StreamPTY, Session: id, DialBack: "x"}, false},
	} {
		if err := tc.h.Validate(); (err == nil) != tc.ok {
			t.Errorf("%+v: %v", tc.h, err)
		}
	}
}

// checkRoundTrip writes m and reads it back.
func checkRoundTrip(t *testing.T, m PTYMessage) {
	var buf bytes.Buffer
	if err := WritePTYMessage(&buf, m); err != nil {
		t.Fatalf("write %+v: %v", m, err)
	}
	var data strings.Builder
	for i := 0; ; i++ {
		got, err := ReadPTYMessage(&buf)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("read back: %v", err)
		}
		if i == 0 && (got.Rows != m.Rows || got.Cols != m.Cols) {
			t.Fatalf("size %+v, want %+v", got, m)
		}
		data.WriteString(got.Data)
	}
	if data.String() != m.Data {
		t.Fatalf("data %q, want %q", data.String(), m.Data)
	}
}

func FuzzParsePTYMessage(f *testing.F) {
	for _, s := range []string{`{"data":"ls\r"}`, `{"rows":40,"cols":120}`, `{"data":"\u001b[A","rows":1,"cols":1}`, `{"data":"\ud800"}`, `null`, `{"rows":0,"cols":5}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParsePTYMessage(b)
		if err != nil {
			return
		}
		if m.Validate() != nil {
			t.Fatalf("parsed an invalid message %+v", m)
		}
		checkRoundTrip(t, m)
	})
}

func FuzzReadPTYMessage(f *testing.F) {
	f.Add(frame([]byte(`{"data":"ls\r"}`)))
	f.Add(append(frame([]byte(`{"rows":40,"cols":120}`)), frame([]byte(`{"data":"x"}`))...))
	f.Add([]byte{0xff, 0xff, '{'})
	f.Add([]byte{0, 0})
	f.Add([]byte{0})
	f.Fuzz(func(t *testing.T, b []byte) {
		r := bytes.NewReader(b)
		for {
			m, err := ReadPTYMessage(r)
			if err != nil {
				return
			}
			if m.Validate() != nil {
				t.Fatalf("read an invalid message %+v", m)
			}
			checkRoundTrip(t, m)
		}
	})
}
