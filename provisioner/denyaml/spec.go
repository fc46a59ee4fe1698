// Package denyaml reads den.yaml, the declarative template of the docker
// provisioner: typed parameters, the container, its volumes (each persistent
// or not), the agent section and the web apps Den serves from the
// workspace. Values may refer to ${param.NAME}, ${workspace.name},
// ${owner.name} and the like; Resolve substitutes them.
package denyaml

// FileName is the template file every template directory holds.
const FileName = "den.yaml"

// Spec is a parsed den.yaml.
type Spec struct {
	// Provisioner names the provisioner; only "docker" (the default) exists.
	Provisioner string `yaml:"provisioner" json:"provisioner,omitempty"`
	// Description tells people what the template gives them.
	Description string      `yaml:"description" json:"description,omitempty"`
	Parameters  []Parameter `yaml:"parameters" json:"parameters,omitempty"`
	Container   Container   `yaml:"container" json:"container"`
	Volumes     []Volume    `yaml:"volumes" json:"volumes,omitempty"`
	Agent       Agent       `yaml:"agent" json:"agent"`
	// Apps are web apps in the workspace that Den serves to browsers.
	Apps []App `yaml:"apps" json:"apps,omitempty"`
}

// Parameter is a typed choice left to whoever creates a workspace.
type Parameter struct {
	Name        string `yaml:"name" json:"name"`
	DisplayName string `yaml:"display_name" json:"display_name,omitempty"`
	Description string `yaml:"description" json:"description,omitempty"`
	// Type is string (the default), number, bool or list(string).
	Type string `yaml:"type" json:"type,omitempty"`
	// Default is any YAML scalar, or a list of strings for list(string);
	// normalized to the string form of sdk.TemplateParameter. Absent means
	// the parameter is required.
	Default *Value `yaml:"default" json:"default,omitempty"`
	// Options restrict the value to a list. Each is a plain value or
	// {value, name, description}.
	Options    []Option    `yaml:"options" json:"options,omitempty"`
	Validation *Validation `yaml:"validation" json:"validation,omitempty"`
	// Mutable parameters may change after creation; the default is false
	// (fixed at creation).
	Mutable bool `yaml:"mutable" json:"mutable,omitempty"`
}

// Value is a parameter value in its string form (see sdk.ParameterType).
type Value struct {
	S string
}

// Option is one allowed value.
type Option struct {
	Value       Value  `yaml:"value" json:"value"`
	Name        string `yaml:"name" json:"name,omitempty"`
	Description string `yaml:"description" json:"description,omitempty"`
}

// Validation constrains a value: regex for strings, min/max for numbers.
type Validation struct {
	Regex string   `yaml:"regex" json:"regex,omitempty"`
	Min   *float64 `yaml:"min" json:"min,omitempty"`
	Max   *float64 `yaml:"max" json:"max,omitempty"`
	// Error replaces the default message when a value fails.
	Error string `yaml:"error" json:"error,omitempty"`
}

// Container is the workspace's container. Exactly one of Image and Build is
// set.
type Container struct {
	// Image is a reference such as "den-debian:bookworm" or any image from
	// a registry the Docker host can pull from.
	Image string `yaml:"image" json:"image,omitempty"`
	// Build builds the image from a Dockerfile in the template.
	Build *Build            `yaml:"build" json:"build,omitempty"`
	Env   map[string]string `yaml:"env" json:"env,omitempty"`
	// CPUs is a number (such as 2 or 0.5), or a reference like
	// "${param.cpus}". Empty means no limit.
	CPUs string `yaml:"cpus" json:"cpus,omitempty"`
	// Memory is a size such as "2g", "512m" or a number of bytes, or a
	// reference. Empty means no limit.
	Memory string `yaml:"memory" json:"memory,omitempty"`
	// Network is a Docker network mode or name: "host" (the default, so the
	// agent reaches a server on loopback), "bridge", "none" or a network's
	// name.
	Network string `yaml:"network" json:"network,omitempty"`
	// User runs the agent and everything it starts, as "name", "uid" or
	// "uid:gid". Empty means the image's user.
	User string `yaml:"user" json:"user,omitempty"`
	// Hostname is the container's host name; default the workspace name.
	// Docker ignores it with network "host".
	Hostname string `yaml:"hostname" json:"hostname,omitempty"`
}

// Build builds an image from the template's files.
type Build struct {
	// Context is a directory in the template; default ".".
	Context string `yaml:"context" json:"context,omitempty"`
	// Dockerfile is a path inside Context; default "Dockerfile".
	Dockerfile string            `yaml:"dockerfile" json:"dockerfile,omitempty"`
	Args       map[string]string `yaml:"args" json:"args,omitempty"`
}

// Volume is storage mounted into the container.
type Volume struct {
	// Name is a DNS-label-like name, unique in the template.
	Name string `yaml:"name" json:"name"`
	// Path is the absolute mount path in the container.
	Path string `yaml:"path" json:"path"`
	// Persistent volumes survive a stop; the others are emptied by it. It
	// must be written out: the template says what persists.
	Persistent *bool `yaml:"persistent" json:"persistent"`
}

// Agent configures the agent in the workspace.
type Agent struct {
	// Dir is the working directory of shells and the startup script;
	// default the home directory of the container's user.
	Dir string            `yaml:"dir" json:"dir,omitempty"`
	Env map[string]string `yaml:"env" json:"env,omitempty"`
	// StartupScript runs (with sh) each time the workspace starts.
	StartupScript string `yaml:"startup_script" json:"startup_script,omitempty"`
	// StartupTimeout bounds the startup script, as a Go duration ("5m");
	// default 5 minutes. Past it the agent reports start_timeout.
	StartupTimeout string `yaml:"startup_timeout" json:"startup_timeout,omitempty"`
}
