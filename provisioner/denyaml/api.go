package denyaml

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"

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
// They are Errors (one *Error per problem); the Spec has its defaults
// applied and its parameter values in the string form of sdk.ParameterType.
func Parse(data []byte) (*Spec, error) {
	spec, _, err := parse(data)
	if err != nil {
		return nil, err
	}
	return spec, nil
}

func parse(data []byte) (spec *Spec, src *source, err error) {
	defer func() {
		if v := recover(); v != nil {
			spec, src = nil, nil
			err = Errors{{File: FileName, Message: problem("den failed to read this file (%v); please report it", v), err: errPanic{v}}}
		}
	}()
	spec, src, errs := decodeYAML(data)
	if len(errs) > 0 {
		return nil, nil, errs
	}
	if errs := validate(spec, src); len(errs) > 0 {
		return nil, nil, errs
	}
	return spec, src, nil
}

// ParseFS reads and checks FileName from a template directory. Beyond
// Parse, it checks that a build's context and Dockerfile are in files.
func ParseFS(files fs.FS) (*Spec, error) {
	f, err := files.Open(FileName)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, Errors{{File: FileName, Message: "the template has no den.yaml at its root; every template needs one (den templates init writes a starter)", err: err}}
	}
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", FileName, err)
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Size() > MaxFileSize {
		return nil, fileError("the file is %d KiB; a den.yaml may be at most %d KiB", (st.Size()+1023)/1024, MaxFileSize>>10)
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", FileName, err)
	}
	spec, src, err := parse(data)
	if err != nil {
		return nil, err
	}
	if b := spec.Container.Build; b != nil {
		c := &checker{src: src}
		if st, err := fs.Stat(files, path.Clean(b.Context)); err != nil || !st.IsDir() {
			c.errorf("container.build.context", "the template has no directory %q", b.Context)
		} else if st, err := fs.Stat(files, path.Join(b.Context, b.Dockerfile)); err != nil || st.IsDir() {
			c.errorf("container.build.dockerfile", "the template has no file %q", path.Join(b.Context, b.Dockerfile))
		}
		if len(c.errs) > 0 {
			return nil, c.errs
		}
	}
	return spec, nil
}

// SDKParameters returns the parameters as the API describes them.
func (s *Spec) SDKParameters() []sdk.TemplateParameter { return s.sdkParameters() }

// Resolve returns a copy of s with every ${...} reference substituted, and
// checks again the fields whose final form references decide (cpus,
// memory, network, volume paths, agent dir). Its errors are Errors without
// lines: the values come from Vars, not from the file.
func (s *Spec) Resolve(v Vars) (*Spec, error) { return s.resolve(v) }

// NanoCPUs is CPUs in units of 1e-9 CPUs, or 0 for no limit.
func (c Container) NanoCPUs() (int64, error) {
	if c.CPUs == "" {
		return 0, nil
	}
	if hasRef(c.CPUs) {
		return 0, fmt.Errorf("container.cpus: %s holds a reference; call Resolve first", quoteRef(c.CPUs))
	}
	n, err := parseCPUs(c.CPUs)
	if err != nil {
		return 0, fmt.Errorf("container.cpus: %w", err)
	}
	return n, nil
}

// MemoryBytes is Memory in bytes, or 0 for no limit.
func (c Container) MemoryBytes() (int64, error) {
	if c.Memory == "" {
		return 0, nil
	}
	if hasRef(c.Memory) {
		return 0, fmt.Errorf("container.memory: %s holds a reference; call Resolve first", quoteRef(c.Memory))
	}
	n, err := parseSize(c.Memory)
	if err != nil {
		return 0, fmt.Errorf("container.memory: %w", err)
	}
	return n, nil
}

// IsPersistent reports whether the volume survives a stop.
func (v Volume) IsPersistent() bool { return v.Persistent != nil && *v.Persistent }

// String is the value in its string form.
func (v Value) String() string { return v.S }

// MarshalJSON writes the value as a JSON string.
func (v Value) MarshalJSON() ([]byte, error) { return json.Marshal(v.S) }

// UnmarshalJSON reads a value written by MarshalJSON.
func (v *Value) UnmarshalJSON(b []byte) error { return json.Unmarshal(b, &v.S) }
