package sshd

import (
	"context"
	"io"
	"net"
	"strconv"
	"sync"

	gliderssh "github.com/gliderlabs/ssh"
	gossh "golang.org/x/crypto/ssh"
)

// handleDirectTCPIP serves ssh -L: it dials the destination from inside
// the workspace and splices it with the channel.
func (s *Server) handleDirectTCPIP(ctx gliderssh.Context, c *conn, _ *gossh.ServerConn, nc gossh.NewChannel) {
	var d struct {
		DestAddr   string
		DestPort   uint32
		OriginAddr string
		OriginPort uint32
	}
	if err := gossh.Unmarshal(nc.ExtraData(), &d); err != nil {
		_ = nc.Reject(gossh.ConnectionFailed, "malformed direct-tcpip request")
		return
	}
	addr := net.JoinHostPort(d.DestAddr, strconv.FormatUint(uint64(d.DestPort), 10))
	dctx, cancel := context.WithTimeout(ctx, dialTimeout)
	var dialer net.Dialer
	tcp, err := dialer.DialContext(dctx, "tcp", addr)
	cancel()
	if err != nil {
		c.log.Debug("local forward", "addr", addr, "error", err)
		_ = nc.Reject(gossh.ConnectionFailed, err.Error())
		return
	}
	ch, reqs, err := nc.Accept()
	if err != nil {
		tcp.Close()
		return
	}
	c.log.Debug("local forward", "addr", addr)
	splice(c, ch, reqs, tcp)
}

// forwardKey names a remote forward as the client does: the bind address
// it asked for and the port bound.
type forwardKey struct {
	host string
	port uint32
}

// handleTCPIPForward serves ssh -R: it listens inside the workspace on the
// address asked ("localhost", OpenSSH's default, is 127.0.0.1; "" and "*"
// are every address) and opens a forwarded-tcpip channel per connection.
func handleTCPIPForward(ctx gliderssh.Context, c *conn, req *gossh.Request) (bool, []byte) {
	sc, _ := ctx.Value(gliderssh.ContextKeyConn).(*gossh.ServerConn)
	var r struct {
		BindAddr string
		BindPort uint32
	}
	if sc == nil || gossh.Unmarshal(req.Payload, &r) != nil || r.BindPort > 65535 {
		return false, nil
	}
	host := r.BindAddr
	switch host {
	case "*":
		host = ""
	case "localhost":
		host = "127.0.0.1" // no resolver needed, nor an /etc/hosts
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(host, strconv.FormatUint(uint64(r.BindPort), 10)))
	if err != nil {
		c.log.Info("remote forward", "bind_addr", r.BindAddr, "bind_port", r.BindPort, "error", err)
		return false, nil
	}
	port := uint32(ln.Addr().(*net.TCPAddr).Port)
	key := forwardKey{r.BindAddr, port}

	c.mu.Lock()
	if c.closing {
		c.mu.Unlock()
		ln.Close()
		return false, nil
	}
	if old, ok := c.forwards[key]; ok {
		old.Close()
	}
	c.forwards[key] = ln
	c.wg.Add(1)
	c.mu.Unlock()
	go func() {
		defer c.wg.Done()
		c.acceptForwards(sc, ln, key)
	}()
	c.log.Debug("remote forward", "bind_addr", r.BindAddr, "bind_port", port)
	if r.BindPort == 0 {
		return true, gossh.Marshal(&struct{ Port uint32 }{port})
	}
	return true, nil
}

func handleCancelTCPIPForward(_ gliderssh.Context, c *conn, req *gossh.Request) (bool, []byte) {
	var r struct {
		BindAddr string
		BindPort uint32
	}
	if gossh.Unmarshal(req.Payload, &r) != nil {
		return false, nil
	}
	key := forwardKey{r.BindAddr, r.BindPort}
	c.mu.Lock()
	ln, ok := c.forwards[key]
	delete(c.forwards, key)
	c.mu.Unlock()
	if ok {
		ln.Close()
	}
	return ok, nil
}

func (c *conn) acceptForwards(sc *gossh.ServerConn, ln net.Listener, key forwardKey) {
	for {
		tcp, err := ln.Accept()
		if err != nil {
			c.mu.Lock()
			if c.forwards[key] == ln {
				delete(c.forwards, key)
			}
			c.mu.Unlock()
			return
		}
		c.spawn(func() {
			origin, _ := tcp.RemoteAddr().(*net.TCPAddr)
			payload := struct {
				DestAddr   string
				DestPort   uint32
				OriginAddr string
				OriginPort uint32
			}{DestAddr: key.host, DestPort: key.port}
			if origin != nil {
				payload.OriginAddr, payload.OriginPort = origin.IP.String(), uint32(origin.Port)
			}
			ch, reqs, err := sc.OpenChannel("forwarded-tcpip", gossh.Marshal(&payload))
			if err != nil {
				c.log.Debug("remote forward: open channel", "error", err)
				tcp.Close()
				return
			}
			splice(c, ch, reqs, tcp)
		})
	}
}

// splice copies between ch and other both ways, passing on each side's
// EOF as a half close, until both ways are done or either side closes.
func splice(c *conn, ch gossh.Channel, reqs <-chan *gossh.Request, other net.Conn) {
	closed := make(chan struct{})
	c.spawn(func() {
		gossh.DiscardRequests(reqs) // returns when the channel is closed
		close(closed)
	})
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		_, _ = io.Copy(other, ch)
		closeWrite(other)
	}()
	go func() {
		defer wg.Done()
		_, _ = io.Copy(ch, other)
		_ = ch.CloseWrite()
	}()
	copied := make(chan struct{})
	go func() {
		wg.Wait()
		close(copied)
	}()
	select {
	case <-copied:
	case <-closed:
	}
	other.Close()
	_ = ch.Close()
	<-copied
}

func closeWrite(c net.Conn) {
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		_ = cw.CloseWrite()
		return
	}
	c.Close()
}
