package cli

import (
	"context"
	"debug/elf"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"den/buildinfo"
	"den/pgembed"
	"den/provisioner"
	"den/provisioner/docker"
	"den/sdk"
	"den/server"
	"den/store"
)

// serverOptions are the flags of den server.
type serverOptions struct {
	httpAddress     string
	accessURL       string
	postgresURL     string
	dataDir         string
	logFormat       string
	logLevel        string
	dockerHost      string
	daemons         int
	agentBinary     string
	ownersSSH       bool
	wildcardURL     string
	disablePathApps bool
}

func (r *Root) serverCommand() *cobra.Command {
	var o serverOptions
	cmd := &cobra.Command{
		Use:   "server",
		Short: "Run the Den control plane",
		Long: `Run the Den control plane: the API, and everything behind it.

With no --postgres-url, den runs its own PostgreSQL from the machine's PostgreSQL
binaries, in <data-dir>/postgres, listening only on a Unix socket there.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return r.runServer(cmd.Context(), o)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&o.httpAddress, "http-address", "127.0.0.1:3000", "address to serve HTTP on")
	envFlag(fs, "http-address", "DEN_HTTP_ADDRESS")
	fs.StringVar(&o.accessURL, "access-url", "", "URL clients and workspaces reach the server at (default: http://<http-address>)")
	envFlag(fs, "access-url", "DEN_ACCESS_URL")
	fs.StringVar(&o.wildcardURL, "wildcard-access-url", "", "serve workspace apps on subdomains matching this pattern, such as *.apps.example.com (the scheme and port are the access URL's; DNS must send them to this server); without it, apps are served on paths, to their owners only")
	envFlag(fs, "wildcard-access-url", "DEN_WILDCARD_ACCESS_URL")
	fs.BoolVar(&o.disablePathApps, "disable-path-apps", false, "serve workspace apps on subdomains alone (needs --wildcard-access-url): apps on paths share the dashboard's origin, so an app's own scripts could act as its owner")
	envFlag(fs, "disable-path-apps", "DEN_DISABLE_PATH_APPS")
	fs.StringVar(&o.postgresURL, "postgres-url", "", "PostgreSQL URL (default: run a built-in PostgreSQL in the data directory)")
	envFlag(fs, "postgres-url", "DEN_POSTGRES_URL")
	fs.StringVar(&o.dataDir, "data-dir", "", "directory for the server's state (default: /var/lib/den as root, else ~/.local/share/den)")
	envFlag(fs, "data-dir", "DEN_DATA_DIR")
	fs.StringVar(&o.dockerHost, "docker-host", "", "the Docker engine of the docker provisioner (default: $DOCKER_HOST, else Docker's default socket)")
	envFlag(fs, "docker-host", "DEN_DOCKER_HOST")
	fs.IntVar(&o.daemons, "provisioner-daemons", 3, "how many provisioner daemons run in the server (0: none, for external ones only)")
	envFlag(fs, "provisioner-daemons", "DEN_PROVISIONER_DAEMONS")
	fs.StringVar(&o.agentBinary, "agent-binary", "", "the static den binary put into workspaces as their agent (default: this binary)")
	envFlag(fs, "agent-binary", "DEN_AGENT_BINARY")
	fs.BoolVar(&o.ownersSSH, "owners-may-connect", false, "let users with the owner role SSH into and forward ports of every workspace (by default only a workspace's owner may)")
	envFlag(fs, "owners-may-connect", "DEN_OWNERS_MAY_CONNECT")
	fs.StringVar(&o.logFormat, "log-format", "auto", "log format: auto (text on a terminal, else JSON), text or json")
	envFlag(fs, "log-format", "DEN_LOG_FORMAT")
	fs.StringVar(&o.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	envFlag(fs, "log-level", "DEN_LOG_LEVEL")
	return cmd
}

func (r *Root) runServer(ctx context.Context, o serverOptions) error {
	logger, err := r.newLogger(o.logFormat, o.logLevel)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", o.httpAddress)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (is another den server running? choose another --http-address)", o.httpAddress, err)
	}
	defer ln.Close()
	accessURL, err := accessURL(o.accessURL, ln.Addr().String())
	if err != nil {
		return err
	}
	if o.wildcardURL != "" {
		if _, err := server.ParseWildcardAccessURL(o.wildcardURL); err != nil {
			return fmt.Errorf("--wildcard-access-url: %w", err)
		}
	}
	if o.disablePathApps && o.wildcardURL == "" {
		return errors.New("--disable-path-apps leaves apps nowhere to be served without --wildcard-access-url; give both, or neither")
	}
	dataDir, err := r.dataDir(o.dataDir)
	if err != nil {
		return err
	}
	pgURL := o.postgresURL
	if pgURL == "" {
		cluster, err := pgembed.Start(ctx, pgembed.Options{
			Dir:    filepath.Join(dataDir, "postgres"),
			Logger: logger.With("subsystem", "pgembed"),
		})
		if err != nil {
			return fmt.Errorf("start the built-in PostgreSQL: %w", err)
		}
		defer func() {
			stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
			defer cancel()
			if err := cluster.Stop(stopCtx); err != nil {
				logger.Error("stop the built-in PostgreSQL", "error", err)
			} else {
				logger.Info("stopped the built-in PostgreSQL")
			}
		}()
		pgURL = cluster.URL("den")
		logger.Info("built-in PostgreSQL is running", "dir", filepath.Join(dataDir, "postgres"))
	}
	pool, err := store.Open(ctx, pgURL)
	if err != nil {
		return err
	}
	defer pool.Close()
	if err := store.Migrate(ctx, pool); err != nil {
		return fmt.Errorf("migrate the database: %w", err)
	}

	agentBinary, err := agentBinary(o.agentBinary, logger)
	if err != nil {
		return err
	}
	daemons := o.daemons
	if daemons == 0 {
		daemons = -1 // server.Options: negative means none
	}
	srv := server.New(server.Options{
		Logger: logger, DB: pool, AccessURL: accessURL,
		Provisioners: map[string]provisioner.Provisioner{
			"docker": docker.New(docker.Options{Host: o.dockerHost, AgentBinary: agentBinary, Logger: logger}),
		},
		ProvisionerDaemons: daemons,
		OwnersMayConnect:   o.ownersSSH,
		WildcardAccessURL:  o.wildcardURL,
		DisablePathApps:    o.disablePathApps,
	})
	defer srv.Close()
	httpServer := &http.Server{
		Handler:           srv,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	// Watches and followed logs break at once on shutdown (their clients
	// reconnect) instead of holding it up.
	httpServer.RegisterOnShutdown(srv.EndStreams)
	serveErr := make(chan error, 1)
	go func() { serveErr <- httpServer.Serve(ln) }()

	logger.Info("den server is ready", "version", buildinfo.Version(), "address", ln.Addr().String(), "access_url", accessURL.String())
	r.printNext(ctx, accessURL, store.New(pool))

	select {
	case err := <-serveErr:
		return fmt.Errorf("serve HTTP: %w", err)
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer cancel()
	if err := httpServer.Shutdown(shutdownCtx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		logger.Warn("shut down HTTP", "error", err)
	}
	return nil
}

// printNext tells the person who started the server what to do next.
func (r *Root) printNext(ctx context.Context, u *url.URL, st store.Store) {
	fmt.Fprintf(r.Stderr, "\nDen is running at %s\n", u)
	if n, err := st.CountUsers(ctx); err == nil && n == 0 {
		fmt.Fprintf(r.Stderr, "It has no users yet. Create the first one (the owner) in another terminal:\n\n  den login %s\n\n", u)
		return
	}
	fmt.Fprintf(r.Stderr, "Sign in from another terminal:\n\n  den login %s\n\n", u)
}

// agentBinary returns the den binary workspaces run as their agent, warning
// when it is not static (it then fails in images without the same libc).
func agentBinary(path string, logger *slog.Logger) (string, error) {
	if path == "" {
		exe, err := os.Executable()
		if err != nil {
			return "", fmt.Errorf("find the den binary for workspaces; pass --agent-binary: %w", err)
		}
		path = exe
	}
	path, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	f, err := elf.Open(path)
	if err != nil {
		return "", fmt.Errorf("--agent-binary %s: %w", path, err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			logger.Warn("the agent binary is dynamically linked and will not run in every image; build den with `make build` (CGO_ENABLED=0)", "agent_binary", path)
			break
		}
	}
	return path, nil
}

// accessURL is the --access-url, or else the address the server listens on.
func accessURL(raw, listening string) (*url.URL, error) {
	if raw == "" {
		host, port, err := net.SplitHostPort(listening)
		if err != nil {
			return nil, fmt.Errorf("listening address %q: %w", listening, err)
		}
		if host == "" || host == "0.0.0.0" || host == "::" {
			host = "127.0.0.1"
		}
		raw = "http://" + net.JoinHostPort(host, port)
	}
	u, err := sdk.ParseURL(raw)
	if err != nil {
		return nil, fmt.Errorf("--access-url: %w", err)
	}
	return u, nil
}

// dataDir returns the server's data directory, creating it.
func (r *Root) dataDir(dir string) (string, error) {
	if dir == "" {
		switch {
		case os.Geteuid() == 0:
			dir = "/var/lib/den"
		case r.Getenv("XDG_DATA_HOME") != "":
			dir = filepath.Join(r.Getenv("XDG_DATA_HOME"), "den")
		default:
			home, err := os.UserHomeDir()
			if err != nil {
				return "", fmt.Errorf("choose a data directory with --data-dir: %w", err)
			}
			dir = filepath.Join(home, ".local", "share", "den")
		}
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("--data-dir: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("create data directory: %w", err)
	}
	if os.Geteuid() == 0 {
		// The built-in PostgreSQL runs as the postgres user, who must be able
		// to pass through (not list) the data directory.
		st, err := os.Stat(dir)
		if err != nil {
			return "", fmt.Errorf("data directory: %w", err)
		}
		if st.Mode().Perm()&0o001 == 0 {
			if err := os.Chmod(dir, st.Mode().Perm()|0o001); err != nil {
				return "", fmt.Errorf("open data directory %s to the postgres user: %w", dir, err)
			}
		}
	}
	return dir, nil
}

// newLogger builds the server's logger: text on a terminal, JSON elsewhere.
func (r *Root) newLogger(format, level string) (*slog.Logger, error) {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: use debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lvl}
	if format == "auto" {
		format = "json"
		if f, ok := r.Stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
			format = "text"
		}
	}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(r.Stderr, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(r.Stderr, opts)), nil
	}
	return nil, fmt.Errorf("--log-format %q: use auto, text or json", format)
}
