// Package docker is the native provisioner: it turns a den.yaml template
// into a Docker container running the den agent, plus named volumes, by
// speaking to the Docker Engine API.
//
// Everything it creates carries labels naming the workspace and the build
// (den.managed, den.workspace.id, ...). Stop and delete find what to remove
// by those labels, not only by the previous build's state, so every
// transition converges after a crash and never touches another workspace.
package docker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/docker/docker/client"
	"github.com/google/uuid"

	"den/provisioner"
	"den/provisioner/denyaml"
)

// The stages that Apply's log lines name.
const (
	stageParse    = "Parsing template"
	stageImage    = "Preparing image"
	stageCleanup  = "Removing the previous container"
	stageVolumes  = "Creating volumes"
	stageStart    = "Starting container"
	stageStop     = "Stopping container"
	stageRemove   = "Removing volumes"
	agentPath     = "/.den/den"
	agentDir      = "/.den"
	stopTimeout   = 10 // seconds a container's agent has to exit on stop
	runningWithin = 30 * time.Second
)

// Options configure a Provisioner. Zero values take the defaults.
type Options struct {
	// Client talks to the Docker engine. Nil: a client for Host.
	Client *client.Client
	// Host is the engine's address in DOCKER_HOST form, used when Client
	// is nil. Empty: $DOCKER_HOST, else Docker's default socket.
	Host string
	// AgentBinary is the path, on this machine, of the static den binary
	// that runs as each workspace's agent. Start needs it.
	AgentBinary string
	// CopyAgent copies AgentBinary into each container instead of
	// bind-mounting it read-only. It is always copied when the engine is
	// not on a local unix socket.
	CopyAgent bool
	// Logger receives the provisioner's own diagnostics (not the build log).
	Logger *slog.Logger
}

// Provisioner is the docker provisioner.
type Provisioner struct {
	cli       *client.Client
	clientErr error // from creating the client; returned by every call
	agent     string
	copyAgent bool
	logger    *slog.Logger
}

var _ provisioner.Provisioner = (*Provisioner)(nil)

// New returns a Provisioner. An invalid Host is reported by its first call.
func New(o Options) *Provisioner {
	p := &Provisioner{cli: o.Client, agent: o.AgentBinary, copyAgent: o.CopyAgent, logger: o.Logger}
	if p.logger == nil {
		p.logger = slog.New(slog.DiscardHandler)
	}
	p.logger = p.logger.With("subsystem", "provisioner.docker")
	if p.cli == nil {
		opts := []client.Opt{client.FromEnv, client.WithAPIVersionNegotiation()}
		if o.Host != "" {
			opts = append(opts, client.WithHost(o.Host))
		}
		p.cli, p.clientErr = client.NewClientWithOpts(opts...)
		if p.clientErr != nil {
			p.clientErr = fmt.Errorf("docker engine address %q: %w", o.Host, p.clientErr)
		}
	}
	if p.cli != nil && !strings.HasPrefix(p.cli.DaemonHost(), "unix://") {
		p.copyAgent = true
	}
	return p
}

// Parse validates a template and returns its parameters. A fixed image that
// the Docker host lacks is only a warning: a registry may still have it.
func (p *Provisioner) Parse(ctx context.Context, files fs.FS, log provisioner.Logger) (provisioner.ParseResult, error) {
	spec, err := denyaml.ParseFS(files)
	if err != nil {
		return provisioner.ParseResult{}, err
	}
	if img := spec.Container.Image; img != "" && !strings.Contains(img, "${") && p.clientErr == nil {
		if ok, err := p.imageExists(ctx, img); err != nil {
			log.Log(provisioner.LevelWarn, stageParse, fmt.Sprintf("could not check for image %q: %v", img, p.engineError(err)))
		} else if !ok {
			log.Log(provisioner.LevelWarn, stageParse, fmt.Sprintf("image %q is not on the Docker host (%s); a workspace start will try to pull it", img, p.cli.DaemonHost()))
		}
	}
	return provisioner.ParseResult{Parameters: spec.SDKParameters(), Description: spec.Description}, nil
}

// Apply performs a transition on one workspace.
func (p *Provisioner) Apply(ctx context.Context, req provisioner.ApplyRequest, log provisioner.Logger) (provisioner.ApplyResult, error) {
	if p.clientErr != nil {
		return provisioner.ApplyResult{}, p.clientErr
	}
	if req.Workspace.ID == uuid.Nil {
		return provisioner.ApplyResult{}, errors.New("the build names no workspace ID")
	}
	if _, err := p.cli.Ping(ctx); err != nil {
		return provisioner.ApplyResult{}, p.engineError(err)
	}
	var (
		res provisioner.ApplyResult
		err error
	)
	switch req.Transition {
	case provisioner.TransitionStart:
		res, err = p.start(ctx, req, log)
	case provisioner.TransitionStop:
		res, err = p.stop(ctx, req, log)
	case provisioner.TransitionDelete:
		res, err = p.delete(ctx, req, log)
	default:
		return provisioner.ApplyResult{}, fmt.Errorf("unknown transition %q", req.Transition)
	}
	return res, p.engineError(err)
}

// EngineError says the Docker engine could not be reached.
type EngineError struct {
	Host string
	Err  error
}

func (e *EngineError) Error() string {
	return fmt.Sprintf("cannot reach the Docker engine at %s: %v; is it running?", e.Host, e.Err)
}

func (e *EngineError) Unwrap() error { return e.Err }

// engineError turns a failure to connect into an EngineError, with the
// reason the SDK leaves out found by dialing the engine's address.
func (p *Provisioner) engineError(err error) error {
	var ee *EngineError
	if err == nil || !client.IsErrConnectionFailed(err) || errors.As(err, &ee) {
		return err
	}
	host := p.cli.DaemonHost()
	reason := err
	if u, perr := url.Parse(host); perr == nil && (u.Scheme == "unix" || u.Scheme == "tcp") {
		network, addr := u.Scheme, u.Host
		if network == "unix" {
			addr = u.Path
		}
		if c, derr := net.DialTimeout(network, addr, 2*time.Second); derr != nil {
			reason = derr
		} else {
			c.Close()
		}
	}
	return &EngineError{Host: host, Err: reason}
}

// state is what a build hands to the next one. Labels, not state, decide
// what stop and delete remove; state is for people and the server.
type state struct {
	ContainerID   string   `json:"container_id,omitempty"`
	ContainerName string   `json:"container_name,omitempty"`
	Image         string   `json:"image,omitempty"`
	Volumes       []string `json:"volumes,omitempty"`
}

func (s state) encode() []byte {
	b, _ := json.Marshal(s)
	return b
}

// The labels on everything the provisioner creates.
const (
	labelManaged          = "den.managed"
	labelWorkspaceID      = "den.workspace.id"
	labelWorkspaceName    = "den.workspace.name"
	labelOwnerName        = "den.owner.name"
	labelBuildID          = "den.build.id"
	labelBuildNumber      = "den.build.number"
	labelVolumeName       = "den.volume.name"
	labelVolumePersistent = "den.volume.persistent"
)

func workspaceLabels(w provisioner.Workspace) map[string]string {
	return map[string]string{
		labelManaged:       "true",
		labelWorkspaceID:   w.ID.String(),
		labelWorkspaceName: w.Name,
		labelOwnerName:     w.OwnerName,
		labelBuildID:       w.BuildID.String(),
		labelBuildNumber:   fmt.Sprint(w.BuildNumber),
	}
}

// containerName is den-<owner>-<workspace>-<first 8 hex digits of its ID>.
func containerName(w provisioner.Workspace) string {
	return "den-" + dockerName(w.OwnerName) + "-" + dockerName(w.Name) + "-" + strings.ReplaceAll(w.ID.String(), "-", "")[:8]
}

// volumeName is den-<workspace id>-<volume name>.
func volumeName(w provisioner.Workspace, name string) string {
	return "den-" + w.ID.String() + "-" + name
}

// dockerName keeps the characters Docker allows in names ([a-zA-Z0-9_.-]).
func dockerName(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '.', r == '-':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	if b.Len() == 0 {
		return "x"
	}
	return b.String()
}

// logf writes one line to the build log.
func logf(log provisioner.Logger, level provisioner.Level, stage, format string, args ...any) {
	log.Log(level, stage, fmt.Sprintf(format, args...))
}
