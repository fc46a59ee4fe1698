// Package provisioner is the contract between the job runner and the code
// that turns a template into infrastructure. A Provisioner parses a
// template version's files (the import job) and applies a transition to a
// workspace (a build job); docker/ and fake/ implement it.
package provisioner

import (
	"context"
	"io/fs"
	"time"

	"github.com/google/uuid"

	"den/sdk"
)

// Transition is what a build does to a workspace.
type Transition string

// The transitions.
const (
	TransitionStart  Transition = "start"
	TransitionStop   Transition = "stop"
	TransitionDelete Transition = "delete"
)

// Provisioner turns templates into infrastructure.
type Provisioner interface {
	// Parse validates a template version and extracts what the server needs
	// to know about it. An invalid template is an error whose text names the
	// file, line and field.
	Parse(ctx context.Context, files fs.FS, log Logger) (ParseResult, error)
	// Apply performs a transition. It must be idempotent and converge: after
	// a crash halfway, running it again finishes the job. Its error text is
	// shown to the person who asked for the build.
	Apply(ctx context.Context, req ApplyRequest, log Logger) (ApplyResult, error)
}

// ParseResult is what an import job learns from a template version.
type ParseResult struct {
	Parameters []sdk.TemplateParameter
	// Description summarizes the template for people.
	Description string
}

// ApplyRequest is one build of one workspace.
type ApplyRequest struct {
	Transition Transition
	// Files is the template version's directory.
	Files fs.FS
	// Parameters holds a value for every parameter of the template version.
	Parameters map[string]string
	Workspace  Workspace
	// Agent is how the workspace's agent reaches the server (start only).
	Agent Agent
	// State is what the previous build of this workspace returned, or nil.
	State []byte
}

// Workspace names the workspace a build is for; provisioners label what they
// create with it.
type Workspace struct {
	ID           uuid.UUID
	Name         string
	OwnerID      uuid.UUID
	OwnerName    string
	OwnerEmail   string
	TemplateName string
	BuildID      uuid.UUID
	BuildNumber  int32
}

// Agent is what the agent inside the workspace needs to dial the server.
type Agent struct {
	// URL is the server's access URL.
	URL string
	// Token authenticates the agent; it is new for every build.
	Token string
}

// ApplyResult is what a build leaves behind.
type ApplyResult struct {
	// State is handed to the next build of the workspace.
	State []byte
	// Resources lists what exists after the build.
	Resources []Resource
	// Agent, after a start, describes the agent the provisioner started in
	// the workspace; nil when it started none.
	Agent *AgentSpec
}

// AgentSpec is what the agent of a workspace runs.
type AgentSpec struct {
	// Dir is the working directory of sessions and the startup script;
	// empty means the user's home.
	Dir            string
	Env            map[string]string
	StartupScript  string
	StartupTimeout time.Duration
	// Apps are the workspace's web apps, in the template's order.
	Apps []sdk.AgentApp
}

// Resource is one piece of infrastructure a workspace has.
type Resource struct {
	// Type is the kind, such as "container" or "volume".
	Type string `json:"type"`
	Name string `json:"name"`
	// ID is the infrastructure's own identifier.
	ID string `json:"id"`
	// Persistent resources survive a stop.
	Persistent bool `json:"persistent"`
	// Attributes are details worth showing, such as the image or mount path.
	Attributes map[string]string `json:"attributes,omitempty"`
}

// Level is the severity of a log line.
type Level string

// The levels.
const (
	LevelDebug Level = "debug"
	LevelInfo  Level = "info"
	LevelWarn  Level = "warn"
	LevelError Level = "error"
)

// Logger receives a job's output, line by line, as it happens. Stage names
// the step ("Creating volumes", "Starting container").
type Logger interface {
	Log(level Level, stage, line string)
}

// LoggerFunc adapts a function to Logger.
type LoggerFunc func(level Level, stage, line string)

// Log calls f.
func (f LoggerFunc) Log(level Level, stage, line string) { f(level, stage, line) }
