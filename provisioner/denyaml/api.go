package denyaml

import (
	"io/fs"

	"den/sdk"
)

// Vars are the values ${...} references resolve to at build time.
type Vars struct {
	// Params holds a value, in string form, for every parameter.
	Params        map[string]string
	WorkspaceName string
	WorkspaceID   string
	OwnerName     string
	OwnerEmail    string
	TemplateName  string
}

// Parse reads and checks a den.yaml. Its errors name the line and field.
func Parse(data []byte) (*Spec, error) { panic("not implemented") }

// ParseFS reads and checks FileName from a template directory.
func ParseFS(files fs.FS) (*Spec, error) { panic("not implemented") }

// SDKParameters returns the parameters as the API describes them.
func (s *Spec) SDKParameters() []sdk.TemplateParameter { panic("not implemented") }

// Resolve returns a copy of s with every ${...} reference substituted.
func (s *Spec) Resolve(v Vars) (*Spec, error) { panic("not implemented") }

// NanoCPUs is CPUs in units of 1e-9 CPUs, or 0 for no limit.
func (c Container) NanoCPUs() (int64, error) { panic("not implemented") }

// MemoryBytes is Memory in bytes, or 0 for no limit.
func (c Container) MemoryBytes() (int64, error) { panic("not implemented") }

// IsPersistent reports whether the volume survives a stop.
func (v Volume) IsPersistent() bool { return v.Persistent != nil && *v.Persistent }
