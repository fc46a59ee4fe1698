package pubsub_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"den/dbtest"
	"den/pubsub"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

type execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

func publish(ctx context.Context, db execer, channel, payload string) error {
	_, err := db.Exec(ctx, "SELECT pg_notify($1, $2)", channel, payload)
	return err
}

func recv(t *testing.T, ch <-chan string, want string) {
	t.Helper()
	for {
		select {
		case got := <-ch:
			if got == "" {
				continue // "look again", after a (re)connect
			}
			if got != want {
				t.Fatalf("got %q, want %q", got, want)
			}
			return
		case <-time.After(10 * time.Second):
			t.Fatalf("no message %q within 10s", want)
		}
	}
}

func TestPublishSubscribe(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	url := dbtest.New(t)
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	l := pubsub.NewListener(url, nil)
	go l.Run(ctx)

	a, cancelA, err := l.Subscribe(ctx, "alpha")
	if err != nil {
		t.Fatal(err)
	}
	if err := publish(ctx, pool, "alpha", "one"); err != nil {
		t.Fatal(err)
	}
	recv(t, a, "one")

	// A channel subscribed while the listener waits is listened on at once.
	start := time.Now()
	b, cancelB, err := l.Subscribe(ctx, "beta")
	if err != nil {
		t.Fatal(err)
	}
	defer cancelB()
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("subscribing took %v", d)
	}
	for i := range 3 {
		if err := publish(ctx, pool, "beta", fmt.Sprint(i)); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 3 {
		recv(t, b, fmt.Sprint(i))
	}
	// A publish in a rolled-back transaction is never delivered.
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := publish(ctx, tx, "alpha", "rolled back"); err != nil {
		t.Fatal(err)
	}
	tx.Rollback(ctx) //nolint:errcheck
	cancelA()
	if err := publish(ctx, pool, "beta", "last"); err != nil {
		t.Fatal(err)
	}
	recv(t, b, "last")
	for len(a) > 0 {
		if m := <-a; m != "" {
			t.Fatalf("cancelled subscriber got %q", m)
		}
	}
}
