package denyaml

import (
	"errors"
	"fmt"
	"maps"
	"strings"

	"den/sdk"
)

// resolve is Spec.Resolve.
func (s *Spec) resolve(v Vars) (*Spec, error) {
	out := s.clone()
	var errs Errors
	fail := func(path, format string, args ...any) {
		errs = append(errs, &Error{File: FileName, Field: path, Message: problem(format, args...)})
	}
	out.eachRefField(func(path, value string) string {
		resolved, err := substitute(value, v.lookup)
		if err != nil {
			fail(path, "%v", err)
			return value
		}
		return resolved
	})
	if len(errs) > 0 {
		return nil, errs
	}
	// Check again what references may have made invalid.
	c := &out.Container
	if c.Build == nil && strings.TrimSpace(c.Image) == "" {
		fail("container.image", "%s resolved to nothing", quoteRef(s.Container.Image))
	}
	if c.CPUs != "" {
		if _, err := parseCPUs(c.CPUs); err != nil {
			fail("container.cpus", "%s", resolvedProblem(s.Container.CPUs, err))
		}
	}
	if c.Memory != "" {
		if _, err := parseSize(c.Memory); err != nil {
			fail("container.memory", "%s", resolvedProblem(s.Container.Memory, err))
		}
	}
	if strings.TrimSpace(c.Network) == "" {
		fail("container.network", "%s resolved to nothing", quoteRef(s.Container.Network))
	}
	paths := map[string]int{}
	for i, vol := range out.Volumes {
		at := indexPath("volumes", i) + ".path"
		if msg := mountPathProblem(vol.Path); msg != "" {
			fail(at, "%s", resolvedProblem(s.Volumes[i].Path, errors.New(quoteRef(vol.Path)+" "+msg)))
		} else if first, dup := paths[vol.Path]; dup {
			fail(at, "%s resolved to %s, already the path of volumes[%d]", quoteRef(s.Volumes[i].Path), quote(vol.Path), first)
		} else {
			paths[vol.Path] = i
		}
	}
	if out.Agent.Dir != "" && !strings.HasPrefix(out.Agent.Dir, "/") {
		fail("agent.dir", "%s resolved to %s, which is not absolute", quoteRef(s.Agent.Dir), quote(out.Agent.Dir))
	}
	resolveApps(s.Apps, out.Apps, fail)
	if len(errs) > 0 {
		return nil, errs
	}
	return out, nil
}

// resolvedProblem explains a problem with a value that came from
// references.
func resolvedProblem(written string, err error) string {
	if !hasRef(written) {
		return err.Error()
	}
	return fmt.Sprintf("%s resolved to a bad value: %v", quoteRef(written), err)
}

// lookup is the value of one reference.
func (v Vars) lookup(name string) (string, error) {
	switch name {
	case RefWorkspaceName:
		return v.WorkspaceName, nil
	case RefWorkspaceID:
		return v.WorkspaceID, nil
	case RefOwnerName:
		return v.OwnerName, nil
	case RefOwnerEmail:
		return v.OwnerEmail, nil
	case RefTemplateName:
		return v.TemplateName, nil
	}
	if p, ok := strings.CutPrefix(name, RefParamPrefix); ok {
		if val, ok := v.Params[p]; ok {
			return val, nil
		}
		return "", fmt.Errorf("${%s}: no value was given for parameter %q", name, p)
	}
	return "", fmt.Errorf("unknown reference ${%s}", name)
}

// clone is a deep copy.
func (s *Spec) clone() *Spec {
	out := *s
	out.Parameters = cloneSlice(s.Parameters, func(p Parameter) Parameter {
		p.Default = clonePtr(p.Default)
		p.Options = cloneSlice(p.Options, func(o Option) Option { return o })
		if p.Validation != nil {
			v := *p.Validation
			v.Min, v.Max = clonePtr(v.Min), clonePtr(v.Max)
			p.Validation = &v
		}
		return p
	})
	out.Container.Env = maps.Clone(s.Container.Env)
	if b := s.Container.Build; b != nil {
		nb := *b
		nb.Args = maps.Clone(b.Args)
		out.Container.Build = &nb
	}
	out.Volumes = cloneSlice(s.Volumes, func(v Volume) Volume {
		v.Persistent = clonePtr(v.Persistent)
		return v
	})
	out.Agent.Env = maps.Clone(s.Agent.Env)
	out.Apps = cloneSlice(s.Apps, func(a App) App {
		a.Healthcheck = clonePtr(a.Healthcheck)
		return a
	})
	return &out
}

func cloneSlice[T any](s []T, elem func(T) T) []T {
	if s == nil {
		return nil
	}
	out := make([]T, len(s))
	for i, v := range s {
		out[i] = elem(v)
	}
	return out
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

// sdkParameters is Spec.SDKParameters.
func (s *Spec) sdkParameters() []sdk.TemplateParameter {
	out := make([]sdk.TemplateParameter, 0, len(s.Parameters))
	for _, p := range s.Parameters {
		tp := sdk.TemplateParameter{
			Name:        p.Name,
			DisplayName: p.DisplayName,
			Description: p.Description,
			Type:        sdk.ParameterType(p.Type),
			Mutable:     p.Mutable,
		}
		if tp.Type == "" {
			tp.Type = sdk.ParameterString
		}
		if p.Default != nil {
			d := p.Default.S
			tp.Default = &d
		}
		for _, o := range p.Options {
			tp.Options = append(tp.Options, sdk.ParameterOption{Name: o.Name, Description: o.Description, Value: o.Value.S})
		}
		if v := p.Validation; v != nil {
			tp.Validation = &sdk.ParameterValidation{Regex: v.Regex, Min: clonePtr(v.Min), Max: clonePtr(v.Max), Error: v.Error}
		}
		out = append(out, tp)
	}
	return out
}
