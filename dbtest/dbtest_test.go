package dbtest_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"den/dbtest"
	"den/store"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

func connect(t *testing.T, url string) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

func queryInt(t *testing.T, pool *pgxpool.Pool, sql string, args ...any) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var n int
	if err := pool.QueryRow(ctx, sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// TestNew makes pairs of databases in parallel subtests, writes to one of
// each pair and checks that the other does not see it.
func TestNew(t *testing.T) {
	migrations, err := store.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t.Parallel()
			a, b := connect(t, dbtest.New(t)), connect(t, dbtest.New(t))
			ctx := context.Background()
			for _, pool := range []*pgxpool.Pool{a, b} {
				if n := queryInt(t, pool, "SELECT count(*) FROM schema_migrations"); n != len(migrations) {
					t.Errorf("%d migrations applied, want %d", n, len(migrations))
				}
			}
			var nameA, nameB string
			if err := a.QueryRow(ctx, "SELECT current_database()").Scan(&nameA); err != nil {
				t.Fatal(err)
			}
			if err := b.QueryRow(ctx, "SELECT current_database()").Scan(&nameB); err != nil {
				t.Fatal(err)
			}
			if nameA == nameB {
				t.Fatalf("both databases are %s", nameA)
			}
			if _, err := a.Exec(ctx, "CREATE TABLE marker (x int); INSERT INTO marker VALUES (1)"); err != nil {
				t.Fatal(err)
			}
			if n := queryInt(t, a, "SELECT count(*) FROM marker"); n != 1 {
				t.Fatalf("marker has %d rows in the database written to, want 1", n)
			}
			if n := queryInt(t, b, "SELECT count(*) FROM pg_class WHERE relname = 'marker'"); n != 0 {
				t.Error("the write reached the other database")
			}
		})
	}
}

// TestDropped checks that a test's database is gone once the test ends.
func TestDropped(t *testing.T) {
	var name string
	t.Run("use", func(t *testing.T) {
		pool := connect(t, dbtest.New(t))
		if err := pool.QueryRow(context.Background(), "SELECT current_database()").Scan(&name); err != nil {
			t.Fatal(err)
		}
	})
	pool := connect(t, dbtest.New(t))
	if n := queryInt(t, pool, "SELECT count(*) FROM pg_database WHERE datname = $1", name); n != 0 {
		t.Errorf("database %s still exists after its test", name)
	}
}

// BenchmarkNew measures cloning the template. The databases are dropped when
// the benchmark ends, outside the timing.
func BenchmarkNew(b *testing.B) {
	dbtest.New(b) // set up outside the timing
	for b.Loop() {
		dbtest.New(b)
	}
}
