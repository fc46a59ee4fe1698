package rpty

// ring keeps the last len(buf) bytes written to it.
type ring struct {
	buf  []byte
	pos  int  // where the next byte goes
	full bool // buf has wrapped: the oldest byte is at pos
}

func newRing(size int) ring { return ring{buf: make([]byte, size)} }

func (r *ring) write(p []byte) {
	if len(p) >= len(r.buf) {
		copy(r.buf, p[len(p)-len(r.buf):])
		r.pos, r.full = 0, true
		return
	}
	end := r.pos + len(p)
	n := copy(r.buf[r.pos:], p)
	copy(r.buf, p[n:])
	if end >= len(r.buf) {
		r.full = true
	}
	r.pos = end % len(r.buf)
}

// bytes returns a copy of what the ring holds, oldest first.
func (r *ring) bytes() []byte {
	if !r.full {
		return append([]byte(nil), r.buf[:r.pos]...)
	}
	out := make([]byte, 0, len(r.buf))
	out = append(out, r.buf[r.pos:]...)
	return append(out, r.buf[:r.pos]...)
}
