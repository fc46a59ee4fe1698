// Package servertest starts the real server in-process, on a fresh real
// PostgreSQL database, for black-box tests through the SDK.
package servertest

import (
	"archive/tar"
	"bytes"
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"den/dbtest"
	"den/provisioner"
	"den/provisioner/fake"
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
	// Fake is the provisioner the server's daemons run, unless a test set
	// its own provisioners.
	Fake *fake.Provisioner

	opts server.Options
	stop func()
}

// New starts a server on a fresh database. opts may adjust the options;
// login rate limits are off unless a test sets them, and templates are built
// by the fake provisioner (as "docker") with quick heartbeats.
func New(t testing.TB, opts ...func(*server.Options)) *Server {
	t.Helper()
	ctx := context.Background()
	pool, err := store.Open(ctx, dbtest.New(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	fp := &fake.Provisioner{}
	o := server.Options{
		DB:                      pool,
		Logger:                  logger(t),
		LoginAttemptsPerAccount: -1,
		LoginAttemptsPerAddress: -1,
		Provisioners:            map[string]provisioner.Provisioner{"docker": fp},
		JobHeartbeat:            100 * time.Millisecond,
	}
	for _, f := range opts {
		f(&o)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse("http://" + ln.Addr().String())
	o.AccessURL = u
	s := &Server{URL: u, DB: pool, Fake: fp, opts: o}
	s.serve(t, ln)
	return s
}

// serve runs a server with s.opts on ln until Stop or the end of the test.
func (s *Server) serve(t testing.TB, ln net.Listener) {
	srv := server.New(s.opts)
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	go hs.Serve(ln) //nolint:errcheck // ends with Close
	var once sync.Once
	s.Server = srv
	s.stop = func() {
		once.Do(func() {
			hs.Close()
			srv.Close()
		})
	}
	t.Cleanup(s.stop)
}

// Restart stops the server (as a crash would: connections drop) and starts a
// new one on the same address and database, after pause.
func (s *Server) Restart(t testing.TB, pause time.Duration) {
	t.Helper()
	s.stop()
	time.Sleep(pause) //nolint:forbidigo // the outage itself, not a wait for a condition
	var ln net.Listener
	deadline := time.Now().Add(10 * time.Second)
	for {
		var err error
		ln, err = net.Listen("tcp", s.URL.Host)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("listen again on %s: %v", s.URL.Host, err)
		}
		time.Sleep(20 * time.Millisecond) //nolint:forbidigo // polling for the port, bounded
	}
	s.serve(t, ln)
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

// PushTemplate uploads the files (name → content) as a new version of
// template name and waits for its import. It fails the test when the upload
// or the import fails.
func (s *Server) PushTemplate(t testing.TB, c *sdk.Client, name string, files map[string]string) sdk.TemplateVersion {
	t.Helper()
	v, err := s.TryPushTemplate(t, c, name, files)
	if err != nil {
		t.Fatalf("push template %s: %v", name, err)
	}
	if v.Job.Status != sdk.JobSucceeded {
		t.Fatalf("import of template %s: %s: %s", name, v.Job.Status, v.Job.Error)
	}
	return v
}

// TryPushTemplate pushes and waits for the import, returning the version as
// it ended (its Job says how).
func (s *Server) TryPushTemplate(t testing.TB, c *sdk.Client, name string, files map[string]string) (sdk.TemplateVersion, error) {
	t.Helper()
	ctx := context.Background()
	up, err := c.Upload(ctx, Tar(t, files))
	if err != nil {
		return sdk.TemplateVersion{}, err
	}
	v, err := c.CreateTemplateVersion(ctx, name, sdk.CreateTemplateVersionRequest{FileHash: up.Hash})
	if err != nil {
		return v, err
	}
	v.Job = WaitJob(t, c, v.Job.ID)
	return v, nil
}

// WaitJob follows a job to its end and returns it.
func WaitJob(t testing.TB, c *sdk.Client, id uuid.UUID) sdk.ProvisionerJob {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var job sdk.ProvisionerJob
	err := c.JobLogs(ctx, id, 0, true, func(ev sdk.JobEvent) error {
		if ev.Job != nil {
			job = *ev.Job
		}
		return nil
	})
	if err != nil {
		t.Fatalf("follow job %s: %v", id, err)
	}
	if !job.Status.Done() {
		t.Fatalf("job %s: the log stream ended while the job is %s", id, job.Status)
	}
	return job
}

// Tar makes a template archive of files (name → content).
func Tar(t testing.TB, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if err := tw.WriteHeader(&tar.Header{Name: n, Mode: 0o644, Size: int64(len(files[n])), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(files[n])); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
