// Package ratelimit counts attempts per key (an account, a client address)
// in fixed windows and says how long to wait once a key has used its share.
package ratelimit

import (
	"sync"
	"time"
)

// Limiter allows Limit attempts per key in each Window.
type Limiter struct {
	limit  int
	window time.Duration
	now    func() time.Time

	mu      sync.Mutex
	windows map[string]window
	swept   time.Time
}

type window struct {
	start time.Time
	count int
}

// New returns a limiter of limit attempts per window. now may be nil.
func New(limit int, per time.Duration, now func() time.Time) *Limiter {
	if now == nil {
		now = time.Now
	}
	return &Limiter{limit: limit, window: per, now: now, windows: map[string]window{}}
}

// Allow counts one attempt for key. When the key is over its limit it
// returns false and how long until the window resets.
func (l *Limiter) Allow(key string) (ok bool, retryAfter time.Duration) {
	if l.limit <= 0 {
		return true, 0
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweep(now)
	w := l.windows[key]
	if now.Sub(w.start) >= l.window {
		w = window{start: now}
	}
	if w.count >= l.limit {
		return false, w.start.Add(l.window).Sub(now)
	}
	w.count++
	l.windows[key] = w
	return true, 0
}

// sweep forgets expired windows, at most once per window, so the map does
// not grow with every address ever seen.
func (l *Limiter) sweep(now time.Time) {
	if now.Sub(l.swept) < l.window {
		return
	}
	l.swept = now
	for k, w := range l.windows {
		if now.Sub(w.start) >= l.window {
			delete(l.windows, k)
		}
	}
}
