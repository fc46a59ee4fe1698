// Package splice joins two connections, copying both ways with pooled
// buffers: the relay in the server, port forwarding in the CLI and the
// agent use it.
package splice

import (
	"errors"
	"io"
	"net"
	"sync"
)

// bufPool holds the buffers of spliced connections, so an idle relay holds
// none and a busy one reuses them.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 64<<10); return &b }}

// halfCloser is a stream that can end its writing side alone.
type halfCloser interface{ CloseWrite() error }

// Conns copies both ways between a and b until both directions end. When
// one side ends its writing, the other side's writing is ended too (or the
// connection closed, when it cannot half-close); an error closes both.
func Conns(a, b net.Conn) {
	var wg sync.WaitGroup
	var once sync.Once
	closeBoth := func() {
		once.Do(func() {
			a.Close()
			b.Close()
		})
	}
	copyHalf := func(dst, src net.Conn) {
		defer wg.Done()
		buf := bufPool.Get().(*[]byte)
		_, err := io.CopyBuffer(dst, src, *buf)
		bufPool.Put(buf)
		if err != nil && !errors.Is(err, net.ErrClosed) {
			closeBoth()
			return
		}
		if hc, ok := dst.(halfCloser); ok && hc.CloseWrite() == nil {
			return
		}
		closeBoth()
	}
	wg.Add(2)
	go copyHalf(b, a)
	go copyHalf(a, b)
	wg.Wait()
	closeBoth()
}
