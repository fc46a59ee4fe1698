// Package server is Den's control plane: the HTTP API under /api/v2, the
// health endpoints, and (in later stages) the relay, provisioner daemons and
// scheduler. New builds it from Options; it serves as an http.Handler.
package server

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"den/sdk"
	"den/server/httpapi"
	"den/server/httpmw"
	"den/server/ratelimit"
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
}

// Server is the control plane's HTTP side.
type Server struct {
	opts           Options
	logger         *slog.Logger
	store          store.Store
	router         chi.Router
	accountLimiter *ratelimit.Limiter
	addressLimiter *ratelimit.Limiter
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
	s := &Server{
		opts:           opts,
		logger:         opts.Logger,
		store:          store.New(opts.DB),
		accountLimiter: ratelimit.New(opts.LoginAttemptsPerAccount, time.Minute, opts.Now),
		addressLimiter: ratelimit.New(opts.LoginAttemptsPerAddress, time.Minute, opts.Now),
	}
	s.router = s.routes()
	return s
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
	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		httpapi.Errorf(w, http.StatusNotFound, "no such route: %s %s", r.Method, r.URL.Path)
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		httpapi.Errorf(w, http.StatusMethodNotAllowed, "method %s is not allowed on %s", r.Method, r.URL.Path)
	})
	r.Get("/healthz", s.healthz)
	r.Get("/readyz", s.readyz)
	r.Get("/", s.index)

	auth := httpmw.Authenticate(httpmw.AuthOptions{
		Store: s.store, Logger: s.logger, Now: s.opts.Now, SessionDuration: s.opts.SessionDuration,
	})
	r.Route(sdk.APIPrefix, func(r chi.Router) {
		r.Get("/buildinfo", s.buildInfo)
		r.Get("/setup", s.setup)
		r.Post("/users/first", s.createFirstUser)
		r.Post("/users/login", s.login)
		r.Group(func(r chi.Router) {
			r.Use(auth)
			r.Post("/users/logout", s.logout)
			r.Get("/users", s.listUsers)
			r.Post("/users", s.createUser)
			r.Route("/users/{user}", func(r chi.Router) {
				r.Use(httpmw.LoadUser(s.store, s.logger))
				r.Get("/", s.getUser)
				r.Delete("/", s.deleteUser)
				r.Put("/status", s.updateUserStatus)
				r.Put("/roles", s.updateUserRoles)
				r.Get("/tokens", s.listTokens)
				r.Post("/tokens", s.createToken)
				r.Delete("/tokens/{token}", s.deleteToken)
			})
		})
	})
	return r
}

// Close releases what the server holds. The database pool belongs to the
// caller.
func (s *Server) Close(context.Context) error { return nil }
