package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"den/dbtest"
	"den/store"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// TestMigrateConcurrently has several servers migrate one empty database at
// once: each migration is applied exactly once and none of them fails.
func TestMigrateConcurrently(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cfg := emptyDatabase(t, "den_migrate")

	const servers = 4
	var wg sync.WaitGroup
	errs := make([]error, servers)
	for i := range servers {
		wg.Go(func() {
			pcfg, err := pgxpool.ParseConfig("")
			if err != nil {
				errs[i] = err
				return
			}
			pcfg.ConnConfig = cfg.Copy()
			pool, err := pgxpool.NewWithConfig(ctx, pcfg)
			if err != nil {
				errs[i] = err
				return
			}
			defer pool.Close()
			errs[i] = store.Migrate(ctx, pool)
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("server %d: %v", i, err)
		}
	}
	migs, err := store.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var applied int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM schema_migrations").Scan(&applied); err != nil {
		t.Fatal(err)
	}
	if applied != len(migs) {
		t.Fatalf("%d migrations recorded, want %d", applied, len(migs))
	}
}

// emptyDatabase creates a database with nothing in it, not even Den's
// migrations, dropped when the test ends, and returns how to connect to it.
func emptyDatabase(t *testing.T, prefix string) *pgx.ConnConfig {
	t.Helper()
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, dbtest.New(t))
	if err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("%s_%d", prefix, admin.PgConn().PID())
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name+" TEMPLATE template0"); err != nil {
		admin.Close(ctx)
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx := context.Background()
		if _, err := admin.Exec(ctx, "DROP DATABASE "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
		admin.Close(ctx)
	})
	cfg := admin.Config().Copy()
	cfg.Database = name
	return cfg
}
