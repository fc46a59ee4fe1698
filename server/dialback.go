package server

import (
	"crypto/rand"
	"encoding/hex"
	"net"
	"net/http"
	"sync"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"

	"den/sdk"
	"den/server/httpapi"
	"den/server/httpmw"
)

// dialBacks are the streams this server has asked agents to open back to
// it: a client's SSH or TCP stream is carried on a connection of its own
// between agent and server, which the relay splices to the client's socket
// to socket, rather than framed into the agent's multiplexed link.
type dialBacks struct {
	mu      sync.Mutex
	pending map[string]*dialBack
}

type dialBack struct {
	agent     uuid.UUID
	conn      chan net.Conn // buffered: delivery never waits
	abandoned bool
}

// add registers a stream that agent is to open; the caller waits on the
// returned channel and calls done when it stops waiting.
func (d *dialBacks) add(agent uuid.UUID) (id string, conn <-chan net.Conn, done func()) {
	var b [16]byte
	_, _ = rand.Read(b[:])
	id = hex.EncodeToString(b[:])
	p := &dialBack{agent: agent, conn: make(chan net.Conn, 1)}
	d.mu.Lock()
	d.pending[id] = p
	d.mu.Unlock()
	return id, p.conn, func() {
		d.mu.Lock()
		defer d.mu.Unlock()
		delete(d.pending, id)
		p.abandoned = true
		select {
		case c := <-p.conn:
			c.Close() // arrived after the wait ended
		default:
		}
	}
}

// take claims the stream id for agent; only that agent may open it, once.
func (d *dialBacks) take(id string, agent uuid.UUID) *dialBack {
	d.mu.Lock()
	defer d.mu.Unlock()
	p := d.pending[id]
	if p == nil || p.agent != agent {
		return nil
	}
	delete(d.pending, id)
	return p
}

// deliver hands conn to the waiting relay, or closes it when nobody waits.
func (d *dialBacks) deliver(p *dialBack, conn net.Conn) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if p.abandoned {
		conn.Close()
		return
	}
	p.conn <- conn
}

// agentStream takes a connection an agent opens for one stream.
func (s *Server) agentStream(w http.ResponseWriter, r *http.Request) {
	a := httpmw.AgentFrom(r.Context())
	p := s.dialBacks.take(chi.URLParam(r, "stream"), a.Agent.ID)
	if p == nil {
		httpapi.WriteError(w, http.StatusNotFound, sdk.Error{Message: "no stream of this agent waits for that id"})
		return
	}
	conn, ok := s.acceptStream(w, r)
	if !ok {
		return
	}
	s.dialBacks.deliver(p, conn)
}
