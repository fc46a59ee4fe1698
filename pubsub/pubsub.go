// Package pubsub carries small messages between the parts of Den, within one
// server and across replicas, over PostgreSQL's LISTEN/NOTIFY. One dedicated
// connection listens for every channel a subscriber asked for. To publish,
// run pg_notify on any connection (the store's Notify query): inside a
// transaction, the message is delivered only if the transaction commits.
package pubsub

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
)

// Listener delivers notifications to subscribers.
type Listener struct {
	url    string
	logger *slog.Logger

	mu      sync.Mutex
	subs    map[string]map[*subscription]struct{}
	active  map[string]chan struct{} // closed once the channel is listened on
	pending chan struct{}            // wakes the loop to LISTEN on new channels
	ready   chan struct{}            // closed once the first connection listens
	once    sync.Once
}

type subscription struct {
	ch chan string
}

// NewListener returns a Listener on the database at url; Run starts it.
func NewListener(url string, logger *slog.Logger) *Listener {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Listener{
		url:     url,
		logger:  logger,
		subs:    map[string]map[*subscription]struct{}{},
		active:  map[string]chan struct{}{},
		pending: make(chan struct{}, 1),
		ready:   make(chan struct{}),
	}
}

// Subscribe delivers the payloads published on channel to the returned
// channel until cancel is called. It returns once the listener listens on the
// channel, so nothing published after it returns is missed (unless the
// connection drops, after which every subscriber gets an empty payload).
// Delivery does not block the listener: when a subscriber falls behind by
// more than a few messages a payload is dropped, so subscribers treat a
// message as "look again", not as data. Channels are never unlistened: use a
// few fixed channel names and put what changed in the payload.
func (l *Listener) Subscribe(ctx context.Context, channel string) (<-chan string, func(), error) {
	s := &subscription{ch: make(chan string, 16)}
	l.mu.Lock()
	set, ok := l.subs[channel]
	if !ok {
		set = map[*subscription]struct{}{}
		l.subs[channel] = set
	}
	set[s] = struct{}{}
	active, ok := l.active[channel]
	if !ok {
		active = make(chan struct{})
		l.active[channel] = active
	}
	l.mu.Unlock()
	if !ok {
		select {
		case l.pending <- struct{}{}:
		default:
		}
	}
	var once sync.Once
	cancel := func() {
		once.Do(func() {
			l.mu.Lock()
			delete(l.subs[channel], s)
			l.mu.Unlock()
		})
	}
	select {
	case <-active:
		return s.ch, cancel, nil
	case <-ctx.Done():
		cancel()
		return nil, nil, fmt.Errorf("subscribe to %s: %w", channel, ctx.Err())
	}
}

// Ready is closed once the listener has connected the first time.
func (l *Listener) Ready() <-chan struct{} { return l.ready }

// Run listens until ctx ends, reconnecting after errors. After a reconnect
// every subscriber gets an empty payload, since notifications may have been
// missed meanwhile.
func (l *Listener) Run(ctx context.Context) {
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		err := l.listen(ctx)
		if ctx.Err() != nil {
			return
		}
		l.logger.Warn("pubsub connection lost; reconnecting", "error", err, "in", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

func (l *Listener) listen(ctx context.Context) error {
	cfg, err := pgx.ParseConfig(l.url)
	if err != nil {
		return fmt.Errorf("parse database url: %w", err)
	}
	// Wake a wait at once when its context ends (to LISTEN on a new
	// channel), instead of after a cancel request and a grace period.
	cfg.BuildContextWatcherHandler = func(pc *pgconn.PgConn) ctxwatch.Handler {
		return &pgconn.DeadlineContextWatcherHandler{Conn: pc.Conn()}
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	listening := map[string]bool{}
	first := true
	for {
		// LISTEN on every channel someone subscribed to.
		l.mu.Lock()
		var want []string
		for ch := range l.active {
			if !listening[ch] {
				want = append(want, ch)
			}
		}
		l.mu.Unlock()
		for _, ch := range want {
			if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{ch}.Sanitize()); err != nil {
				return fmt.Errorf("listen %s: %w", ch, err)
			}
			listening[ch] = true
			l.mu.Lock()
			select {
			case <-l.active[ch]:
			default:
				close(l.active[ch])
			}
			l.mu.Unlock()
		}
		if first {
			first = false
			l.once.Do(func() { close(l.ready) })
			l.broadcast("") // a reconnect may have missed messages
		}
		waitCtx, cancel := context.WithCancel(ctx)
		go func() {
			select {
			case <-l.pending:
				cancel()
			case <-waitCtx.Done():
			}
		}()
		n, err := conn.WaitForNotification(waitCtx)
		woken := waitCtx.Err() != nil && ctx.Err() == nil
		cancel()
		if err != nil {
			if woken && errors.Is(err, context.Canceled) {
				continue // a new channel to listen on
			}
			return err
		}
		l.deliver(n.Channel, n.Payload)
	}
}

func (l *Listener) deliver(channel, payload string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for s := range l.subs[channel] {
		select {
		case s.ch <- payload:
		default:
		}
	}
}

func (l *Listener) broadcast(payload string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, set := range l.subs {
		for s := range set {
			select {
			case s.ch <- payload:
			default:
			}
		}
	}
}
