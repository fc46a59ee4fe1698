package server

import (
	"net"
	"testing"

	"github.com/google/uuid"
)

func TestDialBacksBelongToOneAgentOnce(t *testing.T) {
	d := dialBacks{pending: map[string]*dialBack{}}
	agent, other := uuid.New(), uuid.New()
	id, ch, done := d.add(agent)
	if len(id) != 32 {
		t.Fatalf("id %q", id)
	}
	if d.take(id, other) != nil {
		t.Fatal("another agent took the stream")
	}
	p := d.take(id, agent)
	if p == nil {
		t.Fatal("the agent could not take its stream")
	}
	if d.take(id, agent) != nil {
		t.Fatal("the stream was taken twice")
	}
	a, b := net.Pipe()
	d.deliver(p, a)
	if got := <-ch; got != a {
		t.Fatal("the waiting relay got another connection")
	}
	done()
	b.Close()

	// A stream that arrives after the relay stopped waiting is closed.
	id, _, done = d.add(agent)
	p = d.take(id, agent)
	done()
	a, b = net.Pipe()
	d.deliver(p, a)
	if _, err := a.Write([]byte{1}); err == nil {
		t.Fatal("a late stream was left open")
	}
	b.Close()
	if len(d.pending) != 0 {
		t.Fatalf("%d streams still pending", len(d.pending))
	}
}
