// Package dbtest gives each test a fresh, migrated PostgreSQL database,
// cloned from a template database that is migrated once per test binary.
//
// The first New starts a private cluster (package pgembed) in a temporary
// directory, in /dev/shm when the machine has it, tuned for speed over
// durability (fsync=off and the like), unless DEN_TEST_POSTGRES_URL
// names a server to use instead: the URL of a database whose user may
// CREATE DATABASE. A package whose tests call New must stop that cluster at
// the end with
//
//	func TestMain(m *testing.M) { dbtest.Main(m) }
package dbtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"den/pgembed"
	"den/store"
)

// URLEnv names the environment variable that points the tests at an
// existing server instead of a private cluster.
const URLEnv = "DEN_TEST_POSTGRES_URL"

// setupTimeout bounds starting the cluster and migrating the template.
const setupTimeout = 2 * time.Minute

// server is where the test databases live: the private cluster or the server
// named by URLEnv.
type server struct {
	admin    *pgxpool.Pool // creates and drops databases
	url      func(database string) string
	template string // the migrated template database
	prefix   string // of test database names

	cluster *pgembed.Cluster // nil with an external server
	tmpDir  string           // holds the cluster
}

var (
	setupOnce sync.Once
	shared    *server
	setupErr  error
	counter   atomic.Int64
)

// Main runs the package's tests, then stops the shared cluster, if one was
// started, and removes its directory. It exits with m.Run's code, or 1 if
// the cleanup fails.
func Main(m *testing.M) {
	code := m.Run()
	if shared != nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		err := shared.close(ctx)
		cancel()
		if err != nil {
			fmt.Fprintf(os.Stderr, "dbtest: %v\n", err)
			if code == 0 {
				code = 1
			}
		}
	}
	os.Exit(code)
}

// New returns the URL of a new database, already migrated, that is dropped
// when the test ends.
func New(t testing.TB) string {
	t.Helper()
	setupOnce.Do(func() { shared, setupErr = setup() })
	if setupErr != nil {
		t.Fatalf("dbtest: %v", setupErr)
	}
	s := shared
	name := fmt.Sprintf("%s%d", s.prefix, counter.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// Concurrent clones of one template are fine: the template has no
	// sessions, and CREATE DATABASE only shares a lock on it.
	if _, err := s.admin.Exec(ctx, "CREATE DATABASE "+ident(name)+" TEMPLATE "+ident(s.template)); err != nil {
		t.Fatalf("dbtest: create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := s.admin.Exec(ctx, "DROP DATABASE "+ident(name)+" WITH (FORCE)"); err != nil {
			t.Errorf("dbtest: drop database %s: %v", name, err)
		}
	})
	return s.url(name)
}

// setup connects to the server, starting the private cluster if needed, and
// creates the migrated template.
func setup() (*server, error) {
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	var s *server
	var err error
	if u := os.Getenv(URLEnv); u != "" {
		s, err = external(ctx, u)
	} else {
		s, err = private(ctx)
	}
	if err != nil {
		return nil, err
	}
	if err := s.migrateTemplate(ctx); err != nil {
		cleanupCtx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		s.close(cleanupCtx) //nolint:errcheck // the setup error is the one to report
		return nil, err
	}
	return s, nil
}

// private starts a cluster of this test binary's own.
func private(ctx context.Context) (*server, error) {
	tmp, err := mkdirTemp()
	if err != nil {
		return nil, fmt.Errorf("start postgres: %w", err)
	}
	// When root, postgres runs as the postgres user and must get through.
	if err := os.Chmod(tmp, 0o711); err != nil {
		os.RemoveAll(tmp)
		return nil, fmt.Errorf("start postgres: %w", err)
	}
	cluster, err := pgembed.Start(ctx, pgembed.Options{
		Dir: filepath.Join(tmp, "data"),
		Settings: map[string]string{
			"fsync":              "off",
			"synchronous_commit": "off",
			"full_page_writes":   "off",
			"max_connections":    "500",
			// Every clone writes the template to the WAL; bound the WAL's
			// size, as it may live in memory.
			"max_wal_size": "256MB",
		},
	})
	if err != nil {
		os.RemoveAll(tmp)
		return nil, err
	}
	s := &server{url: cluster.URL, template: "den_template", prefix: "den_test_", cluster: cluster, tmpDir: tmp}
	s.admin, err = pgxpool.New(ctx, cluster.URL("postgres"))
	if err != nil {
		s.close(ctx) //nolint:errcheck
		return nil, fmt.Errorf("connect to postgres: %w", err)
	}
	return s, nil
}

// mkdirTemp makes the directory for the cluster, in memory (/dev/shm) if the
// machine has it: cloning the template there takes about 15 ms instead of
// 50-300 ms on a virtual disk. Elsewhere it uses the usual temporary
// directory.
func mkdirTemp() (string, error) {
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		if dir, err := os.MkdirTemp("/dev/shm", "den-test-pg-"); err == nil {
			return dir, nil
		}
	}
	return os.MkdirTemp("", "den-test-pg-")
}

// external uses the server at rawURL. Test binaries of several packages may
// share it at once, so its database names carry the PID and a random tag.
func external(ctx context.Context, rawURL string) (*server, error) {
	urlFor, err := databaseURL(rawURL)
	if err != nil {
		return nil, err
	}
	b := make([]byte, 2)
	rand.Read(b)
	tag := fmt.Sprintf("%d_%s", os.Getpid(), hex.EncodeToString(b))
	admin, err := pgxpool.New(ctx, rawURL)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", URLEnv, err)
	}
	return &server{admin: admin, url: urlFor, template: "den_template_" + tag, prefix: "den_test_" + tag + "_"}, nil
}

// databaseURL returns a function that makes rawURL point at another database.
func databaseURL(rawURL string) (func(string) string, error) {
	if strings.HasPrefix(rawURL, "postgres://") || strings.HasPrefix(rawURL, "postgresql://") {
		u, err := url.Parse(rawURL)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", URLEnv, err)
		}
		return func(db string) string {
			v := *u
			v.Path, v.RawPath = "/"+db, ""
			return v.String()
		}, nil
	}
	// Keyword/value form: a later dbname wins.
	return func(db string) string { return rawURL + " dbname=" + db }, nil
}

// migrateTemplate creates the template database and applies the migrations,
// then closes every connection to it and forbids new ones, which
// CREATE DATABASE ... TEMPLATE requires.
func (s *server) migrateTemplate(ctx context.Context) error {
	if _, err := s.admin.Exec(ctx, "CREATE DATABASE "+ident(s.template)); err != nil {
		return fmt.Errorf("create template database: %w", err)
	}
	pool, err := pgxpool.New(ctx, s.url(s.template))
	if err != nil {
		return fmt.Errorf("connect to template database: %w", err)
	}
	err = store.Migrate(ctx, pool)
	pool.Close()
	if err != nil {
		return fmt.Errorf("migrate template database: %w", err)
	}
	if _, err := s.admin.Exec(ctx, "ALTER DATABASE "+ident(s.template)+" WITH ALLOW_CONNECTIONS false"); err != nil {
		return fmt.Errorf("close template database: %w", err)
	}
	return nil
}

// close stops the private cluster and removes its directory, or drops the
// template from the external server.
func (s *server) close(ctx context.Context) error {
	var err error
	if s.cluster == nil && s.admin != nil {
		if _, e := s.admin.Exec(ctx, "DROP DATABASE IF EXISTS "+ident(s.template)+" WITH (FORCE)"); e != nil {
			err = fmt.Errorf("drop template database: %w", e)
		}
	}
	if s.admin != nil {
		s.admin.Close()
	}
	if s.cluster != nil {
		if e := s.cluster.Stop(ctx); e != nil {
			err = fmt.Errorf("stop postgres: %w", e)
		}
		if e := os.RemoveAll(s.tmpDir); e != nil {
			err = fmt.Errorf("remove postgres directory: %w", e)
		}
	}
	return err
}

func ident(name string) string { return pgx.Identifier{name}.Sanitize() }
