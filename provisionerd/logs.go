package provisionerd

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"den/provisioner"
)

const (
	flushInterval = 100 * time.Millisecond
	flushLines    = 100
	maxLineBytes  = 16 << 10
)

// logBuffer batches a job's log lines and sends them to the coordinator
// every flushInterval, or sooner when many lines pile up.
type logBuffer struct {
	coord Coordinator
	job   uuid.UUID
	log   *slog.Logger

	mu      sync.Mutex
	pending []Log
	kick    chan struct{}
}

var _ provisioner.Logger = (*logBuffer)(nil)

func newLogBuffer(c Coordinator, job uuid.UUID, log *slog.Logger) *logBuffer {
	return &logBuffer{coord: c, job: job, log: log, kick: make(chan struct{}, 1)}
}

// Log queues a line; text with newlines becomes several lines.
func (b *logBuffer) Log(level provisioner.Level, stage, text string) {
	now := time.Now()
	b.mu.Lock()
	for _, line := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		if len(line) > maxLineBytes {
			line = line[:maxLineBytes] + "…"
		}
		b.pending = append(b.pending, Log{CreatedAt: now, Level: level, Stage: stage, Output: strings.ToValidUTF8(line, "�")})
	}
	n := len(b.pending)
	b.mu.Unlock()
	if n >= flushLines {
		select {
		case b.kick <- struct{}{}:
		default:
		}
	}
}

// run flushes until ctx ends.
func (b *logBuffer) run(ctx context.Context) {
	t := time.NewTicker(flushInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-b.kick:
		}
		b.flush(ctx)
	}
}

// flush sends what is queued. A failed send is logged and the lines are
// kept for the next try.
func (b *logBuffer) flush(ctx context.Context) {
	b.mu.Lock()
	batch := b.pending
	b.pending = nil
	b.mu.Unlock()
	if len(batch) == 0 {
		return
	}
	if err := b.coord.AppendLogs(ctx, b.job, batch); err != nil {
		if ctx.Err() == nil {
			b.log.Warn("send job logs", "error", err, "lines", len(batch))
		}
		b.mu.Lock()
		b.pending = append(batch, b.pending...)
		b.mu.Unlock()
	}
}
