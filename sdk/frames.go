package sdk

import (
	"encoding/binary"
	"net"
	"sync"
)

// yamux frame header: version, type, flags (2), stream ID (4), length (4).
const (
	yamuxHeaderLen = 12
	yamuxTypeData  = 0
)

// MultiplexerConn wraps the connection the multiplexer (yamux) runs on so
// that each data frame's header and body go out in one write, not two. On a
// WebSocket that is one message per frame instead of two, each with its own
// framing, lock and flush. Both ends of an agent's connection use it.
func MultiplexerConn(c net.Conn) net.Conn { return &frameConn{Conn: c} }

type frameConn struct {
	net.Conn
	// Only yamux's send loop writes, one frame at a time, so a held header
	// needs no lock.
	hdr     [yamuxHeaderLen]byte
	pending bool
}

var framePool = sync.Pool{New: func() any { b := make([]byte, 0, 64<<10); return &b }}

func (c *frameConn) Write(p []byte) (int, error) {
	if c.pending {
		c.pending = false
		bp := framePool.Get().(*[]byte)
		buf := append(append((*bp)[:0], c.hdr[:]...), p...)
		_, err := c.Conn.Write(buf)
		if cap(buf) <= 1<<20 {
			*bp = buf[:0]
			framePool.Put(bp)
		}
		if err != nil {
			return 0, err
		}
		return len(p), nil
	}
	if len(p) == yamuxHeaderLen && p[1] == yamuxTypeData && binary.BigEndian.Uint32(p[8:]) > 0 {
		copy(c.hdr[:], p)
		c.pending = true
		return len(p), nil
	}
	return c.Conn.Write(p)
}
