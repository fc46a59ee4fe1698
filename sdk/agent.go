package sdk

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/coder/websocket"
	"github.com/google/uuid"
	"github.com/hashicorp/yamux"
	"golang.org/x/crypto/ssh"
)

// AgentTokenHeader carries a workspace agent's token.
const AgentTokenHeader = "Den-Agent-Token"

// AgentLifecycle is where a workspace agent stands.
type AgentLifecycle string

// The agent lifecycle states: created → starting → ready (or start_error,
// start_timeout); shutting_down → off when the workspace stops.
const (
	AgentCreated      AgentLifecycle = "created"
	AgentStarting     AgentLifecycle = "starting"
	AgentReady        AgentLifecycle = "ready"
	AgentStartError   AgentLifecycle = "start_error"
	AgentStartTimeout AgentLifecycle = "start_timeout"
	AgentShuttingDown AgentLifecycle = "shutting_down"
	AgentOff          AgentLifecycle = "off"
)

// Valid reports whether l is a lifecycle state.
func (l AgentLifecycle) Valid() bool {
	switch l {
	case AgentCreated, AgentStarting, AgentReady, AgentStartError, AgentStartTimeout, AgentShuttingDown, AgentOff:
		return true
	}
	return false
}

// Started reports whether the agent's start is over, well or not.
func (l AgentLifecycle) Started() bool {
	return l == AgentReady || l == AgentStartError || l == AgentStartTimeout || l == AgentShuttingDown || l == AgentOff
}

// AgentConnection says whether the agent is connected to the server.
type AgentConnection string

// The connection states.
const (
	AgentConnecting   AgentConnection = "connecting" // never connected yet
	AgentConnected    AgentConnection = "connected"
	AgentDisconnected AgentConnection = "disconnected"
)

// WorkspaceAgent is the agent of a workspace's current start.
type WorkspaceAgent struct {
	ID               uuid.UUID       `json:"id"`
	Version          string          `json:"version,omitempty"`
	Lifecycle        AgentLifecycle  `json:"lifecycle"`
	Connection       AgentConnection `json:"connection"`
	StartedAt        *time.Time      `json:"started_at,omitempty"`
	ReadyAt          *time.Time      `json:"ready_at,omitempty"`
	FirstConnectedAt *time.Time      `json:"first_connected_at,omitempty"`
	LastConnectedAt  *time.Time      `json:"last_connected_at,omitempty"`
	DisconnectedAt   *time.Time      `json:"disconnected_at,omitempty"`
}

// AgentManifest is what an agent needs to know to run.
type AgentManifest struct {
	AgentID       uuid.UUID         `json:"agent_id"`
	WorkspaceID   uuid.UUID         `json:"workspace_id"`
	WorkspaceName string            `json:"workspace_name"`
	OwnerName     string            `json:"owner_name"`
	OwnerEmail    string            `json:"owner_email"`
	Dir           string            `json:"dir,omitempty"`
	Env           map[string]string `json:"env,omitempty"`
	StartupScript string            `json:"startup_script,omitempty"`
	// StartupTimeoutSeconds bounds the startup script; 0 means the default.
	StartupTimeoutSeconds int `json:"startup_timeout_seconds,omitempty"`
	// Apps are the workspace's web apps, whose health checks the agent runs.
	Apps []AgentApp `json:"apps,omitempty"`
	// SSHHostKeySeed is the seed of the workspace's ed25519 host key, the
	// same for every start of the workspace.
	SSHHostKeySeed []byte `json:"ssh_host_key_seed"`
}

// HostKey returns the workspace's SSH host key.
func (m AgentManifest) HostKey() (ed25519.PrivateKey, error) {
	if len(m.SSHHostKeySeed) != ed25519.SeedSize {
		return nil, fmt.Errorf("the manifest's host key seed has %d bytes, want %d", len(m.SSHHostKeySeed), ed25519.SeedSize)
	}
	return ed25519.NewKeyFromSeed(m.SSHHostKeySeed), nil
}

// AgentLifecycleRequest reports a lifecycle change.
type AgentLifecycleRequest struct {
	State AgentLifecycle `json:"state"`
}

// AgentLog is one line the agent reports, such as startup script output.
type AgentLog struct {
	CreatedAt time.Time `json:"created_at"`
	Level     string    `json:"level"`
	Output    string    `json:"output"`
}

// AgentLogsRequest carries a batch of log lines.
type AgentLogsRequest struct {
	Logs []AgentLog `json:"logs"`
}

// The limits of what an agent may send.
const (
	MaxAgentLogsPerRequest = 1000
	MaxAgentLogLine        = 16 << 10
	MaxAgentLogBytes       = 1 << 20
)

// AgentClient is the agent's view of the server.
type AgentClient struct {
	Client *Client
	Token  string
}

// NewAgentClient returns a client for an agent with token.
func NewAgentClient(c *Client, token string) *AgentClient {
	return &AgentClient{Client: c, Token: token}
}

func (a *AgentClient) do(ctx context.Context, method, path string, in, out any) error {
	req, err := a.Client.newRequest(ctx, method, path, in)
	if err != nil {
		return err
	}
	req.Header.Set(AgentTokenHeader, a.Token)
	return a.Client.send(req, out)
}

// Manifest fetches the agent's manifest. Until the start build has
// finished it answers 409; try again.
func (a *AgentClient) Manifest(ctx context.Context) (AgentManifest, error) {
	var m AgentManifest
	err := a.do(ctx, http.MethodGet, APIPrefix+"/agent/manifest", nil, &m)
	return m, err
}

// PostLifecycle reports a lifecycle change.
func (a *AgentClient) PostLifecycle(ctx context.Context, state AgentLifecycle) error {
	return a.do(ctx, http.MethodPost, APIPrefix+"/agent/lifecycle", AgentLifecycleRequest{State: state}, nil)
}

// PostLogs sends log lines.
func (a *AgentClient) PostLogs(ctx context.Context, logs []AgentLog) error {
	return a.do(ctx, http.MethodPost, APIPrefix+"/agent/logs", AgentLogsRequest{Logs: logs}, nil)
}

// Connect opens the agent's WebSocket to the server as a net.Conn, for the
// stream multiplexer. version is the agent's build.
func (a *AgentClient) Connect(ctx context.Context, version string) (net.Conn, error) {
	h := http.Header{}
	h.Set(AgentTokenHeader, a.Token)
	h.Set("Den-Agent-Version", version)
	return a.Client.dialStream(ctx, APIPrefix+"/agent/connect", h)
}

// DialBack opens the connection that carries one stream the server asked
// for (StreamHeader.DialBack) beside the multiplexed link.
func (a *AgentClient) DialBack(ctx context.Context, id string) (net.Conn, error) {
	h := http.Header{}
	h.Set(AgentTokenHeader, a.Token)
	return a.Client.dialStream(ctx, APIPrefix+"/agent/streams/"+url.PathEscape(id), h)
}

// MultiplexerConfig is the setup of the stream multiplexer (yamux) on both
// ends of an agent's connection: keepalives often enough for proxies that
// drop idle connections, a larger stream window, and no logging to stderr.
func MultiplexerConfig() *yamux.Config {
	c := yamux.DefaultConfig()
	c.KeepAliveInterval = 15 * time.Second
	c.ConnectionWriteTimeout = 15 * time.Second
	c.LogOutput = io.Discard
	// A stream may have 1 MiB in flight (yamux's default, 256 KiB, caps
	// a stream at a window per round trip); memory is taken only as data waits.
	c.MaxStreamWindowSize = 1 << 20
	return c
}

// SSHPublicKey renders a host key's public half in authorized_keys form.
func SSHPublicKey(pub ed25519.PublicKey) (string, error) {
	k, err := ssh.NewPublicKey(pub)
	if err != nil {
		return "", err
	}
	return k.Type() + " " + base64.StdEncoding.EncodeToString(k.Marshal()), nil
}

// dialWebSocket opens a WebSocket to path and returns it as a net.Conn of
// binary messages. The connection lives until closed, not until ctx ends.
func (c *Client) dialWebSocket(ctx context.Context, path string, h http.Header) (net.Conn, error) {
	u := *c.URL
	switch u.Scheme {
	case "https":
		u.Scheme = "wss"
	default:
		u.Scheme = "ws"
	}
	if c.SessionToken != "" && h.Get(SessionTokenHeader) == "" {
		h.Set(SessionTokenHeader, c.SessionToken)
	}
	full := u.String() + path
	conn, resp, err := websocket.Dial(ctx, full, &websocket.DialOptions{
		HTTPClient: c.HTTPClient, HTTPHeader: h, CompressionMode: websocket.CompressionDisabled,
	})
	if err != nil {
		if resp != nil && resp.StatusCode >= 400 {
			if apiErr := ReadError(resp); apiErr != nil {
				return nil, apiErr
			}
		}
		return nil, err
	}
	conn.SetReadLimit(-1)
	return websocket.NetConn(context.WithoutCancel(ctx), conn, websocket.MessageBinary), nil
}
