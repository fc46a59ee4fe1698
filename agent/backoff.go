package agent

import (
	"math/rand/v2"
	"time"
)

// Backoff is exponential backoff with jitter between Min and Max.
type Backoff struct {
	Min, Max time.Duration
}

// Next is the wait before retry number attempt (from 0): Min doubled per
// attempt, capped at Max, then spread by ±20% so many agents coming back
// at once do not come back in step.
func (b Backoff) Next(attempt int) time.Duration {
	d := b.Min
	for i := 0; i < attempt && d < b.Max; i++ {
		d *= 2
	}
	d = min(d, b.Max)
	jitter := time.Duration(rand.Int64N(int64(d)/5*2+1)) - d/5
	return d + jitter
}
