// Package server is Den's control plane: the HTTP API under /api/v2, the
// health endpoints, and (in later stages) the relay, provisioner daemons and
// scheduler. New builds it from Options; it serves as an http.Handler.
package server

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"
	"github.com/hashicorp/yamux"
	"github.com/jackc/pgx/v5/pgxpool"

	"den/buildinfo"
	"den/provisioner"
	"den/provisionerd"
	"den/pubsub"
	"den/sdk"
	"den/server/httpapi"
	"den/server/httpmw"
	"den/server/policy"
	"den/server/ratelimit"
	"den/site"
	"den/store"
)

// Options configures a Server. Zero values get the defaults New documents.
type Options struct {
	Logger *slog.Logger
	// DB is the migrated database; required.
	DB *pgxpool.Pool
	// AccessURL is how clients reach the server.
	AccessURL *url.URL
	// Now is the clock; default time.Now.
	Now func() time.Time
	// SessionDuration is how long a session lives after its last use;
	// default 7 days.
	SessionDuration time.Duration
	// DefaultTokenLifetime (default 30 days) and MaxTokenLifetime (default
	// 365 days) bound API tokens.
	DefaultTokenLifetime time.Duration
	MaxTokenLifetime     time.Duration
	// LoginAttemptsPerAccount (default 10) and LoginAttemptsPerAddress
	// (default 60) bound login attempts per minute; a negative value means
	// no limit.
	LoginAttemptsPerAccount int
	LoginAttemptsPerAddress int
	// Provisioners run jobs in ProvisionerDaemons in-process daemons
	// (default 3; negative: none, for external daemons only).
	Provisioners       map[string]provisioner.Provisioner
	ProvisionerDaemons int
	// JobHeartbeat is how often daemons heartbeat (default 5 s); a running
	// job silent for JobTimeout (default 30 s) is failed.
	JobHeartbeat time.Duration
	JobTimeout   time.Duration
	// MaxArchiveBytes bounds an uploaded template archive; default 16 MiB.
	MaxArchiveBytes int64
	// OwnersMayConnect lets users with the owner role connect to (SSH into,
	// forward ports of) everyone's workspaces; by default only a
	// workspace's owner may.
	OwnersMayConnect bool
	// WildcardAccessURL, such as "*.apps.example.com", serves workspace
	// apps on subdomains, each its own origin; empty serves them on paths
	// of the access URL, to their owners only.
	WildcardAccessURL string
	// DisablePathApps refuses apps on paths of the access URL, which share
	// the dashboard's origin (an app's own scripts could call the API as
	// its owner there): apps are then served on subdomains alone. den
	// server requires WildcardAccessURL with it.
	DisablePathApps bool
}

// Server is the control plane's HTTP side.
type Server struct {
	opts           Options
	logger         *slog.Logger
	store          store.Store
	router         chi.Router
	accountLimiter *ratelimit.Limiter
	addressLimiter *ratelimit.Limiter
	pubsub         *pubsub.Listener
	policy         policy.Policy
	agents         agentSessions
	dialBacks      dialBacks
	apps           appsState

	secretsMu sync.Mutex
	secrets   map[string][]byte

	// ctx ends when the server closes; long-lived connections use it.
	ctx    context.Context
	cancel context.CancelFunc
	done   sync.WaitGroup
	// streams ends when the server starts to shut down: streamed answers
	// (watches, followed logs) break then, so shutdown need not wait.
	streams    context.Context
	endStreams context.CancelFunc
}

// New builds a Server.
func New(opts Options) *Server {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.AccessURL == nil {
		opts.AccessURL = &url.URL{Scheme: "http", Host: "127.0.0.1:3000"}
	}
	opts.SessionDuration = orDefault(opts.SessionDuration, 7*24*time.Hour)
	opts.DefaultTokenLifetime = orDefault(opts.DefaultTokenLifetime, 30*24*time.Hour)
	opts.MaxTokenLifetime = orDefault(opts.MaxTokenLifetime, 365*24*time.Hour)
	opts.LoginAttemptsPerAccount = orDefault(opts.LoginAttemptsPerAccount, 10)
	opts.LoginAttemptsPerAddress = orDefault(opts.LoginAttemptsPerAddress, 60)
	opts.ProvisionerDaemons = orDefault(opts.ProvisionerDaemons, 3)
	opts.JobHeartbeat = orDefault(opts.JobHeartbeat, 5*time.Second)
	opts.JobTimeout = orDefault(opts.JobTimeout, 30*time.Second)
	opts.MaxArchiveBytes = orDefault(opts.MaxArchiveBytes, 16<<20)
	s := &Server{
		opts:           opts,
		logger:         opts.Logger,
		store:          store.New(opts.DB),
		accountLimiter: ratelimit.New(opts.LoginAttemptsPerAccount, time.Minute, opts.Now),
		addressLimiter: ratelimit.New(opts.LoginAttemptsPerAddress, time.Minute, opts.Now),
		pubsub:         pubsub.NewListener(opts.DB.Config().ConnConfig.ConnString(), opts.Logger.With("subsystem", "pubsub")),
		policy:         policy.Policy{OwnersMayConnect: opts.OwnersMayConnect},
		agents:         agentSessions{sessions: map[uuid.UUID]*yamux.Session{}},
		dialBacks:      dialBacks{pending: map[string]*dialBack{}},
		secrets:        map[string][]byte{},
	}
	if opts.WildcardAccessURL != "" {
		// den server checks the flag before it starts; a bad one serves
		// apps on paths.
		s.apps.suffix, _ = ParseWildcardAccessURL(opts.WildcardAccessURL)
	}
	s.streams, s.endStreams = context.WithCancel(context.Background())
	s.router = s.routes()
	s.start()
	return s
}

// start runs the background work: the pubsub listener, the in-process
// provisioner daemons and the reaper of stale jobs. Close stops it.
func (s *Server) start() {
	ctx, cancel := context.WithCancel(context.Background())
	s.ctx, s.cancel = ctx, cancel
	// Agents connected to an earlier run of the server are not connected
	// now; they reconnect within seconds.
	if err := s.store.MarkAllAgentsDisconnected(ctx); err != nil {
		s.logger.Warn("mark agents disconnected", "error", err)
	}
	s.done.Go(func() { s.pubsub.Run(ctx) })
	s.done.Go(func() { s.reapStaleJobs(ctx) })
	if len(s.opts.Provisioners) == 0 {
		return
	}
	for i := range max(s.opts.ProvisionerDaemons, 0) {
		d := provisionerd.New(provisionerd.Options{
			Name:              fmt.Sprintf("builtin-%d", i+1),
			Coordinator:       coordinator{s: s},
			Provisioners:      s.opts.Provisioners,
			Logger:            s.logger.With("subsystem", "provisionerd"),
			HeartbeatInterval: s.opts.JobHeartbeat,
		})
		s.done.Go(func() {
			if err := d.Run(ctx); err != nil {
				s.logger.Error("provisioner daemon stopped", "error", err)
			}
		})
	}
}

func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// ServeHTTP serves the API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.router.ServeHTTP(w, r)
}

func (s *Server) routes() chi.Router {
	r := chi.NewRouter()
	r.Use(httpmw.Log(s.logger.With("subsystem", "http")))
	r.Use(s.appHosts) // app hosts go to the app proxy before any of Den's routes
	dashboard := site.New(buildinfo.Version(), s.opts.AccessURL.String())
	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, sdk.APIPrefix+"/") || r.URL.Path == sdk.APIPrefix ||
			(r.Method != http.MethodGet && r.Method != http.MethodHead) {
			httpapi.Errorf(w, http.StatusNotFound, "no such route: %s %s", r.Method, r.URL.Path)
			return
		}
		dashboard.ServeHTTP(w, r) // the dashboard's own routes
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		httpapi.Errorf(w, http.StatusMethodNotAllowed, "method %s is not allowed on %s", r.Method, r.URL.Path)
	})
	r.Get("/healthz", s.healthz)
	r.Get("/readyz", s.readyz)
	r.HandleFunc("/@{user}/{workspace}/apps/{app}", s.servePathApp)
	r.HandleFunc("/@{user}/{workspace}/apps/{app}/*", s.servePathApp)

	auth := httpmw.Authenticate(httpmw.AuthOptions{
		Store: s.store, Logger: s.logger, Now: s.opts.Now, SessionDuration: s.opts.SessionDuration,
		SecureCookies: s.secureCookies(),
	})
	r.Route(sdk.APIPrefix, func(r chi.Router) {
		r.Use(httpmw.CrossOrigin)
		r.Route("/agent", func(r chi.Router) {
			r.Use(httpmw.AuthenticateAgent(s.store, s.logger))
			r.Get("/manifest", s.agentManifest)
			r.Post("/lifecycle", s.agentLifecycle)
			r.Post("/logs", s.agentLogs)
			r.Post("/apps/health", s.agentAppHealth)
			r.Get("/connect", s.agentConnect)
			r.Get("/streams/{stream}", s.agentStream)
		})
		r.Get("/buildinfo", s.buildInfo)
		r.Get("/apps/open", s.openApp)
		r.Get("/setup", s.setup)
		r.Post("/users/first", s.createFirstUser)
		r.Post("/users/login", s.login)
		r.Group(func(r chi.Router) {
			r.Use(auth)
			r.Post("/users/logout", s.logout)
			r.Get("/users", s.listUsers)
			r.Post("/users", s.createUser)
			r.Post("/files", s.uploadFile)
			r.Get("/files/{hash}", s.downloadFile)
			r.Get("/templates", s.listTemplates)
			r.Post("/templates/{template}/versions", s.createTemplateVersion)
			r.Route("/templates/{template}", func(r chi.Router) {
				r.Use(httpmw.LoadTemplate(s.store, s.logger))
				r.Get("/", s.getTemplate)
				r.Delete("/", s.deleteTemplate)
				r.Get("/versions", s.listTemplateVersions)
				r.Get("/versions/{version}", s.getTemplateVersion)
			})
			r.Get("/workspaces", s.listWorkspaces)
			r.Route("/workspaces/{workspace}", func(r chi.Router) {
				r.Use(httpmw.LoadWorkspace(s.store, s.logger))
				r.Get("/", s.getWorkspace)
				r.Get("/watch", s.watchWorkspace)
				r.Get("/builds", s.listBuilds)
				r.Post("/builds", s.createBuild)
				r.Get("/builds/{number}", s.getBuild)
				r.Get("/connect", s.connectWorkspace)
				r.Get("/pty", s.workspacePTY)
			})
			r.Route("/jobs/{job}", func(r chi.Router) {
				r.Use(httpmw.LoadJob(s.store, s.logger))
				r.Get("/", s.getJob)
				r.Get("/logs", s.jobLogs)
			})
			r.Route("/users/{user}", func(r chi.Router) {
				r.Use(httpmw.LoadUser(s.store, s.logger))
				r.Post("/workspaces", s.createWorkspace)
				r.With(httpmw.LoadUserWorkspace(s.store, s.logger)).Get("/workspaces/{workspace}", s.getWorkspace)
				r.Get("/", s.getUser)
				r.Delete("/", s.deleteUser)
				r.Put("/status", s.updateUserStatus)
				r.Put("/roles", s.updateUserRoles)
				r.Put("/password", s.updatePassword)
				r.Get("/tokens", s.listTokens)
				r.Post("/tokens", s.createToken)
				r.Delete("/tokens/{token}", s.deleteToken)
			})
		})
	})
	return r
}

// Coordinator is the job queue's side of provisionerd, for daemons that run
// beside the server rather than in it.
func (s *Server) Coordinator() provisionerd.Coordinator { return coordinator{s: s} }

// Close stops the background work, canceling jobs in flight (they are
// reported as interrupted), and waits for it. The database pool belongs to
// the caller.
func (s *Server) Close() {
	s.endStreams()
	s.cancel()
	s.done.Wait()
}

// EndStreams breaks the connections of streamed answers (workspace watches,
// followed job logs), whose clients reconnect, so that an http.Server's
// graceful Shutdown does not wait for them: register it with
// RegisterOnShutdown.
func (s *Server) EndStreams() { s.endStreams() }
