// Package servertest starts the real server in-process, on a fresh real
// PostgreSQL database, for black-box tests through the SDK.
package servertest

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"os"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"den/dbtest"
	"den/sdk"
	"den/server"
	"den/store"
)

// Password is the password of every user the harness creates.
const Password = "correct-horse-battery"

// Server is a running test server.
type Server struct {
	URL    *url.URL
	Server *server.Server
	DB     *pgxpool.Pool
}

// New starts a server on a fresh database. opts may adjust the options;
// login rate limits are off unless a test sets them.
func New(t testing.TB, opts ...func(*server.Options)) *Server {
	t.Helper()
	ctx := context.Background()
	pool, err := store.Open(ctx, dbtest.New(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	o := server.Options{
		DB:                      pool,
		Logger:                  logger(t),
		LoginAttemptsPerAccount: -1,
		LoginAttemptsPerAddress: -1,
	}
	for _, f := range opts {
		f(&o)
	}
	hs := httptest.NewUnstartedServer(nil)
	u, _ := url.Parse("http://" + hs.Listener.Addr().String())
	o.AccessURL = u
	srv := server.New(o)
	hs.Config.Handler = srv
	hs.Start()
	t.Cleanup(hs.Close)
	return &Server{URL: u, Server: srv, DB: pool}
}

func logger(t testing.TB) *slog.Logger {
	if os.Getenv("DEN_TEST_LOG") == "" {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})).With("test", t.Name())
}

// Client returns a client with no session.
func (s *Server) Client() *sdk.Client { return sdk.New(s.URL) }

// FirstUser creates the owner "owner" and returns a client signed in as them.
func (s *Server) FirstUser(t testing.TB) (*sdk.Client, sdk.User) {
	t.Helper()
	resp, err := s.Client().CreateFirstUser(context.Background(), sdk.CreateFirstUserRequest{
		Username: "owner", Email: "owner@example.com", Password: Password,
	})
	if err != nil {
		t.Fatalf("create first user: %v", err)
	}
	c := s.Client()
	c.SessionToken = resp.SessionToken
	return c, resp.User
}

// CreateUser has admin create a user with roles, signs them in and returns
// their client.
func (s *Server) CreateUser(t testing.TB, admin *sdk.Client, username string, roles ...sdk.Role) (*sdk.Client, sdk.User) {
	t.Helper()
	ctx := context.Background()
	u, err := admin.CreateUser(ctx, sdk.CreateUserRequest{
		Username: username, Email: username + "@example.com", Password: Password, Roles: roles,
	})
	if err != nil {
		t.Fatalf("create user %s: %v", username, err)
	}
	resp, err := s.Client().Login(ctx, sdk.LoginRequest{Login: username, Password: Password})
	if err != nil {
		t.Fatalf("log in as %s: %v", username, err)
	}
	c := s.Client()
	c.SessionToken = resp.SessionToken
	return c, u
}
