package server_test

import (
	"sync"
	"testing"
	"time"

	"den/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// clock is a settable time source for the server.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Now()} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}
