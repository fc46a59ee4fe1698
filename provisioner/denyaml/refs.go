package denyaml

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// The names a ${...} reference may use besides param.NAME.
const (
	RefWorkspaceName = "workspace.name"
	RefWorkspaceID   = "workspace.id"
	RefOwnerName     = "owner.name"
	RefOwnerEmail    = "owner.email"
	RefTemplateName  = "template.name"
	// RefParamPrefix starts a reference to a parameter: ${param.cpus}.
	RefParamPrefix = "param."
)

var fixedRefs = []string{RefWorkspaceName, RefWorkspaceID, RefOwnerName, RefOwnerEmail, RefTemplateName}

// ref is one ${name} in a string, at byte offsets [start, end).
type ref struct {
	name       string
	start, end int
}

// refError is a malformed or unknown reference at a byte offset.
type refError struct {
	offset int
	msg    string
}

func (e *refError) Error() string { return e.msg }

// scanRefs lists the references in s. $${ is a literal ${ and no
// reference.
func scanRefs(s string) ([]ref, *refError) {
	var refs []ref
	for i := 0; i < len(s); {
		j := strings.Index(s[i:], "${")
		if j < 0 {
			break
		}
		j += i
		if j > 0 && s[j-1] == '$' {
			i = j + 2 // $${: escaped
			continue
		}
		k := strings.IndexByte(s[j+2:], '}')
		if k < 0 {
			return refs, &refError{j, fmt.Sprintf("%s has no closing }; write $${ for a literal ${", quoteRef(s[j:]))}
		}
		end := j + 2 + k + 1
		refs = append(refs, ref{name: s[j+2 : end-1], start: j, end: end})
		i = end
	}
	return refs, nil
}

// quoteRef shows a value that may hold references in a message.
func quoteRef(s string) string { return quote(s) }

// hasRef reports whether s holds a reference (or something that looks
// like one), so checks of its final form wait for Resolve.
func hasRef(s string) bool {
	refs, err := scanRefs(s)
	return len(refs) > 0 || err != nil
}

// checkRefs reports the first reference in s that names nothing known.
func checkRefs(s string, params map[string]bool) *refError {
	refs, err := scanRefs(s)
	for _, r := range refs {
		if msg := unknownRef(r.name, params); msg != "" {
			return &refError{r.start, msg}
		}
	}
	return err
}

// unknownRef explains why name is not a reference, or returns "".
func unknownRef(name string, params map[string]bool) string {
	if slices.Contains(fixedRefs, name) {
		return ""
	}
	if p, ok := strings.CutPrefix(name, RefParamPrefix); ok {
		if params[p] {
			return ""
		}
		names := slices.Sorted(maps.Keys(params))
		switch {
		case len(names) == 0:
			return fmt.Sprintf("${%s} refers to parameter %s, but the template has no parameters", name, quote(p))
		default:
			msg := fmt.Sprintf("${%s} refers to no parameter; the parameters are %s", name, strings.Join(names, ", "))
			if best := closest(p, names); best != "" {
				msg = fmt.Sprintf("${%s} refers to no parameter; did you mean ${param.%s}?", name, best)
			}
			return msg
		}
	}
	if best := closest(name, fixedRefs); best != "" {
		return fmt.Sprintf("unknown reference ${%s}; did you mean ${%s}?", name, best)
	}
	all := append([]string{"param.NAME"}, fixedRefs...)
	return fmt.Sprintf("unknown reference ${%s}; den.yaml knows ${%s}. For the shell or a literal ${, write $${%s}",
		name, strings.Join(all, "}, ${"), name)
}

// closest is the name nearest to s, if any is near.
func closest(s string, names []string) string {
	best, bestDist := "", 3
	if len(s) > 64 {
		return ""
	}
	for _, n := range names {
		if d := editDistance(s, n); d < bestDist {
			best, bestDist = n, d
		}
	}
	return best
}

// substitute replaces every reference in s with lookup's value and $${
// with ${.
func substitute(s string, lookup func(name string) (string, error)) (string, error) {
	refs, rerr := scanRefs(s)
	if rerr != nil {
		return "", rerr
	}
	var b strings.Builder
	last := 0
	for _, r := range refs {
		v, err := lookup(r.name)
		if err != nil {
			return "", err
		}
		b.WriteString(unescape(s[last:r.start]))
		b.WriteString(v)
		last = r.end
	}
	b.WriteString(unescape(s[last:]))
	return b.String(), nil
}

// unescape turns $${ into ${ in text that holds no reference.
func unescape(s string) string { return strings.ReplaceAll(s, "$${", "${") }

// eachRefField calls fn with the path and value of every string field
// that may hold references, and stores what fn returns. It is the one list
// of those fields, used by both validation and Resolve.
func (s *Spec) eachRefField(fn func(path, value string) string) {
	c := &s.Container
	c.Image = fn("container.image", c.Image)
	if c.Build != nil {
		eachMapValue("container.build.args", c.Build.Args, fn)
	}
	eachMapValue("container.env", c.Env, fn)
	c.CPUs = fn("container.cpus", c.CPUs)
	c.Memory = fn("container.memory", c.Memory)
	c.Network = fn("container.network", c.Network)
	c.User = fn("container.user", c.User)
	c.Hostname = fn("container.hostname", c.Hostname)
	for i := range s.Volumes {
		s.Volumes[i].Path = fn(indexPath("volumes", i)+".path", s.Volumes[i].Path)
	}
	s.Agent.Dir = fn("agent.dir", s.Agent.Dir)
	eachMapValue("agent.env", s.Agent.Env, fn)
	s.Agent.StartupScript = fn("agent.startup_script", s.Agent.StartupScript)
	for i := range s.Apps {
		a := &s.Apps[i]
		at := indexPath("apps", i)
		a.Port = fn(at+".port", a.Port)
		a.URL = fn(at+".url", a.URL)
		if a.Healthcheck != nil {
			a.Healthcheck.URL = fn(at+".healthcheck.url", a.Healthcheck.URL)
		}
	}
}

func eachMapValue(path string, m map[string]string, fn func(path, value string) string) {
	for _, k := range slices.Sorted(maps.Keys(m)) {
		m[k] = fn(joinPath(path, k), m[k])
	}
}
