package ratelimit

import (
	"testing"
	"time"
)

func TestLimiter(t *testing.T) {
	t.Parallel()
	now := time.Unix(1000, 0)
	l := New(2, time.Minute, func() time.Time { return now })
	for i := range 2 {
		if ok, _ := l.Allow("a"); !ok {
			t.Fatalf("attempt %d refused", i)
		}
	}
	now = now.Add(10 * time.Second)
	ok, wait := l.Allow("a")
	if ok || wait != 50*time.Second {
		t.Fatalf("third attempt: ok=%v wait=%v, want refused for 50s", ok, wait)
	}
	if ok, _ := l.Allow("b"); !ok {
		t.Fatal("another key is limited")
	}
	now = now.Add(50 * time.Second)
	if ok, _ := l.Allow("a"); !ok {
		t.Fatal("still limited after the window")
	}
	// Old windows are forgotten.
	now = now.Add(2 * time.Minute)
	l.Allow("c")
	if len(l.windows) != 1 {
		t.Fatalf("%d windows kept, want 1", len(l.windows))
	}
	if ok, _ := New(0, time.Minute, nil).Allow("x"); !ok {
		t.Fatal("a zero limit must mean no limit")
	}
}
