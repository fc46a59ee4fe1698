package denyaml

import (
	"fmt"
	"path"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"

	"den/sdk"
)

var (
	// fieldName is a map key that reads well in a field path unquoted.
	fieldName     = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_-]*$`)
	parameterName = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	envName       = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	volumeName    = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?$`)
)

// MaxVolumeName is the longest volume name.
const MaxVolumeName = 32

// reservedDir is where the docker provisioner mounts the agent.
const reservedDir = "/.den"

// reservedEnvPrefix starts the variables the provisioner sets for the
// agent; a template may not set them.
const reservedEnvPrefix = "DEN_AGENT_"

var parameterTypes = []sdk.ParameterType{sdk.ParameterString, sdk.ParameterNumber, sdk.ParameterBool, sdk.ParameterListString}

// checker runs the semantic checks on a decoded Spec, applying defaults and
// normalizing parameter values as it goes.
type checker struct {
	src  *source
	errs Errors
}

func (c *checker) errorf(path, format string, args ...any) {
	line, col := c.src.at(path)
	c.errs = append(c.errs, &Error{File: FileName, Line: line, Column: col, Field: path, Message: problem(format, args...)})
}

func (c *checker) keyErrorf(path, format string, args ...any) {
	line, col := c.src.keyAt(path)
	c.errs = append(c.errs, &Error{File: FileName, Line: line, Column: col, Field: path, Message: problem(format, args...)})
}

// refErrorf reports a bad reference; in a literal block (|) it names the
// line of the block the reference is on.
func (c *checker) refErrorf(path, value string, err *refError) {
	line, col := c.src.at(path)
	n := c.src.nodes[path]
	for {
		if a, ok := n.(*ast.AnchorNode); ok {
			n = a.Value
			continue
		}
		if t, ok := n.(*ast.TagNode); ok {
			n = t.Value
			continue
		}
		break
	}
	if lit, ok := n.(*ast.LiteralNode); ok && lit.Start != nil && lit.Start.Type == token.LiteralType && err.offset <= len(value) {
		line, col = line+1+strings.Count(value[:err.offset], "\n"), 0
	}
	c.errs = append(c.errs, &Error{File: FileName, Line: line, Column: col, Field: path, Message: shorten(err.msg, 600)})
}

// validate checks s, decoded from src, and applies the defaults.
func validate(s *Spec, src *source) Errors {
	c := &checker{src: src}
	switch s.Provisioner {
	case "", "docker":
		s.Provisioner = "docker"
	default:
		c.errorf("provisioner", "unknown provisioner %s; the only one is docker (the default)", quote(s.Provisioner))
	}
	params := c.parameters(s.Parameters)
	s.eachRefField(func(path, value string) string {
		if err := checkRefs(value, params); err != nil {
			c.refErrorf(path, value, err)
		}
		return value
	})
	c.container(&s.Container)
	c.volumes(s.Volumes)
	c.agent(&s.Agent)
	c.apps(s.Apps)
	return c.errs.sorted().limited()
}

// parameters checks the parameters and returns their names.
func (c *checker) parameters(ps []Parameter) map[string]bool {
	names := map[string]bool{}
	firstAt := map[string]int{}
	for i := range ps {
		p := &ps[i]
		at := indexPath("parameters", i)
		switch j, dup := firstAt[p.Name]; {
		case p.Name == "":
			c.errorf(at, "a parameter needs a name")
		case !parameterName.MatchString(p.Name):
			c.errorf(at+".name", "%s is not a parameter name; use lower-case letters, digits and _, starting with a letter, such as cpus or dotfiles_repo", quote(p.Name))
		case dup:
			c.errorf(at+".name", "parameter %s is already defined (parameters[%d])", quote(p.Name), j)
		default:
			firstAt[p.Name] = i
		}
		names[p.Name] = p.Name != ""
		if p.Type == "" {
			p.Type = string(sdk.ParameterString)
		}
		c.parameter(at, p)
	}
	delete(names, "")
	return names
}

func (c *checker) parameter(at string, p *Parameter) {
	typ := sdk.ParameterType(p.Type)
	known := false
	for _, t := range parameterTypes {
		known = known || t == typ
	}
	if !known {
		c.errorf(at+".type", "unknown type %s; use string (the default), number, bool or list(string)", quote(p.Type))
		return
	}
	// base holds the rules without the options, to check each option.
	base := sdk.TemplateParameter{Name: p.Name, Type: typ}
	if v := p.Validation; v != nil {
		val := &sdk.ParameterValidation{Min: v.Min, Max: v.Max, Error: v.Error}
		if v.Regex != "" {
			if typ != sdk.ParameterString {
				c.errorf(at+".validation.regex", "only string parameters take a regex; this one is %s", typ)
			} else if _, err := regexp.Compile(v.Regex); err != nil {
				c.errorf(at+".validation.regex", "%s does not compile: %v", quote(v.Regex), err)
			} else {
				val.Regex = v.Regex
			}
		}
		if v.Min != nil || v.Max != nil {
			field := at + ".validation.min"
			if v.Min == nil {
				field = at + ".validation.max"
			}
			switch {
			case typ != sdk.ParameterNumber:
				c.errorf(field, "only number parameters take min and max; this one is %s", typ)
			case v.Min != nil && v.Max != nil && *v.Min > *v.Max:
				c.errorf(at+".validation.max", "max (%s) is less than min (%s)", formatNumber(*v.Max), formatNumber(*v.Min))
			}
		}
		base.Validation = val
	}
	if len(p.Options) > 0 && typ == sdk.ParameterListString {
		c.errorf(at+".options", "a list(string) parameter takes no options")
		return
	}
	full := base
	seen := map[string]int{}
	for j := range p.Options {
		o := &p.Options[j]
		oat := indexPath(at+".options", j)
		vat := oat + ".value" // written as {value: ...}
		if _, ok := c.src.values[vat]; !ok {
			if _, ok := c.src.values[oat]; !ok {
				c.errorf(oat, "an option needs a value")
				continue
			}
			vat = oat // written as a bare value
		}
		v, err := normalize(typ, c.src.values[vat], o.Value.S)
		o.Value.S = v
		switch first, dup := seen[v]; {
		case err != nil:
			c.errorf(vat, "%v", err)
		case dup:
			c.errorf(vat, "%s is listed twice (first as options[%d])", quote(v), first)
		default:
			if err := base.ValidateValue(v); err != nil {
				c.errorf(vat, "%s", withValue(v, err))
			}
			seen[v] = j
		}
		full.Options = append(full.Options, sdk.ParameterOption{Value: v})
	}
	if p.Default != nil {
		dat := at + ".default"
		v, err := normalize(typ, c.src.values[dat], p.Default.S)
		p.Default.S = v
		if err == nil {
			err = full.ValidateValue(v)
		}
		if err != nil {
			c.errorf(dat, "%s", withValue(v, err))
		}
	}
}

// withValue shows the value a message is about, once.
func withValue(v string, err error) string {
	if msg := err.Error(); strings.HasPrefix(msg, strconv.Quote(v)) {
		return msg
	}
	return fmt.Sprintf("%s: %v", quote(v), err)
}

// normalize turns the value written as n into the string form of typ (see
// sdk.ParameterType). A value of the wrong form is returned as written, for
// sdk's ValidateValue to explain; only a list where one value belongs is an
// error here. text is the decoded value, used when n is unknown.
func normalize(typ sdk.ParameterType, n ast.Node, text string) (string, error) {
	if n == nil {
		return text, nil
	}
	if _, ok := n.(*ast.SequenceNode); ok {
		if typ == sdk.ParameterListString {
			return text, nil
		}
		return text, fmt.Errorf("a %s parameter takes one value, not a list", typ)
	}
	switch typ {
	case sdk.ParameterNumber:
		switch n := n.(type) {
		case *ast.IntegerNode:
			switch v := n.Value.(type) {
			case int64:
				return strconv.FormatInt(v, 10), nil
			case uint64:
				return strconv.FormatUint(v, 10), nil
			}
		case *ast.FloatNode:
			return formatNumber(n.Value), nil
		}
		if f, err := strconv.ParseFloat(strings.TrimSpace(text), 64); err == nil && !isSpecial(text) {
			return formatNumber(f), nil
		}
	case sdk.ParameterBool:
		if b, ok := n.(*ast.BoolNode); ok {
			return strconv.FormatBool(b.Value), nil
		}
	}
	return text, nil
}

// isSpecial reports text that ParseFloat reads but is no decimal number:
// infinities, NaN, hexadecimal and underscores.
func isSpecial(text string) bool {
	t := strings.ToLower(text)
	return strings.ContainsAny(t, "xnip_")
}

func formatNumber(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

func (c *checker) container(ct *Container) {
	hasImage := strings.TrimSpace(ct.Image) != ""
	switch {
	case hasImage && ct.Build != nil:
		c.keyErrorf("container.build", "set image or build, not both")
	case !hasImage && ct.Build == nil:
		c.errorf("container", "set image (such as den-debian:bookworm) or build (a Dockerfile in the template)")
	case hasImage && strings.ContainsAny(ct.Image, " \t\n") && !hasRef(ct.Image):
		c.errorf("container.image", "%s is not an image reference; it has spaces", quote(ct.Image))
	}
	if b := ct.Build; b != nil {
		if b.Context == "" {
			b.Context = "."
		}
		if b.Dockerfile == "" {
			b.Dockerfile = "Dockerfile"
		}
		if msg := relativePathProblem(b.Context); msg != "" {
			c.errorf("container.build.context", "%s %s", quote(b.Context), msg)
		}
		if msg := relativePathProblem(b.Dockerfile); msg != "" {
			c.errorf("container.build.dockerfile", "%s %s; it is a path inside the context", quote(b.Dockerfile), msg)
		}
		c.envKeys("container.build.args", b.Args, "build argument", false)
	}
	c.envKeys("container.env", ct.Env, "environment variable", true)
	if ct.CPUs != "" && !hasRef(ct.CPUs) {
		if _, err := parseCPUs(ct.CPUs); err != nil {
			c.errorf("container.cpus", "%v", err)
		}
	}
	if ct.Memory != "" && !hasRef(ct.Memory) {
		if _, err := parseSize(ct.Memory); err != nil {
			c.errorf("container.memory", "%v", err)
		}
	}
	if ct.Network == "" {
		ct.Network = "host"
	}
	if strings.TrimSpace(ct.Network) == "" {
		c.errorf("container.network", "is blank; leave it out for host, or name a network")
	}
}

// relativePathProblem says what is wrong with a path that must stay inside
// the template, or returns "".
func relativePathProblem(p string) string {
	switch clean := path.Clean(p); {
	case strings.HasPrefix(p, "/"):
		return "is absolute; use a path relative to the template's directory"
	case clean == ".." || strings.HasPrefix(clean, "../"):
		return "leaves the template's directory"
	case strings.Contains(p, `\`):
		return `uses \; separate directories with /`
	}
	return ""
}

// envKeys checks the names of variables (or build arguments); reserved
// says whether DEN_AGENT_* is off limits.
func (c *checker) envKeys(at string, env map[string]string, what string, reserved bool) {
	for k := range env {
		switch {
		case !envName.MatchString(k):
			c.keyErrorf(joinPath(at, k), "%s is not a valid %s name; use letters, digits and _, not starting with a digit", quote(k), what)
		case reserved && strings.HasPrefix(k, reservedEnvPrefix):
			c.keyErrorf(joinPath(at, k), "%s* is reserved: the provisioner sets these for the agent", reservedEnvPrefix)
		}
	}
}

func (c *checker) volumes(vs []Volume) {
	names := map[string]int{}
	paths := map[string]int{}
	for i, v := range vs {
		at := indexPath("volumes", i)
		switch first, dup := names[v.Name]; {
		case v.Name == "":
			c.errorf(at, "a volume needs a name")
		case len(v.Name) > MaxVolumeName || !volumeName.MatchString(v.Name):
			c.errorf(at+".name", "%s is not a volume name; use at most %d lower-case letters, digits and -, starting and ending with a letter or digit", quote(v.Name), MaxVolumeName)
		case dup:
			c.errorf(at+".name", "volume %s is already defined (volumes[%d])", quote(v.Name), first)
		default:
			names[v.Name] = i
		}
		switch first, dup := paths[path.Clean(v.Path)]; {
		case v.Path == "":
			c.errorf(at, "a volume needs a path, where it is mounted in the container")
		case hasRef(v.Path) && strings.HasPrefix(v.Path, "/"):
		case mountPathProblem(v.Path) != "":
			c.errorf(at+".path", "%s %s", quote(v.Path), mountPathProblem(v.Path))
		case dup:
			c.errorf(at+".path", "%s is already the path of volumes[%d]", quote(v.Path), first)
		default:
			paths[v.Path] = i
		}
		if v.Persistent == nil {
			c.errorf(at+".persistent", "missing; write persistent: true to keep the volume's files when the workspace stops, or persistent: false for scratch space emptied at every stop. A template says what persists")
		}
	}
}

// mountPathProblem says what is wrong with a mount path, or returns "".
func mountPathProblem(p string) string {
	switch {
	case !strings.HasPrefix(p, "/"):
		return "is not absolute; a mount path starts with /"
	case p == "/":
		return "is the container's root; mount volumes in a directory such as /home/dev"
	case path.Clean(p) != p:
		return fmt.Sprintf("is not clean; write %s", path.Clean(p))
	case p == reservedDir || strings.HasPrefix(p, reservedDir+"/"):
		return "is where Den puts its agent; mount volumes elsewhere"
	}
	return ""
}

func (c *checker) agent(a *Agent) {
	if a.Dir != "" && !hasRef(a.Dir) && !strings.HasPrefix(a.Dir, "/") {
		c.errorf("agent.dir", "%s is not absolute; use a directory such as /home/dev", quote(a.Dir))
	}
	c.envKeys("agent.env", a.Env, "environment variable", true)
	if a.StartupTimeout != "" {
		if _, err := a.Timeout(); err != nil {
			c.errorf("agent.startup_timeout", "%s", err)
		}
	}
}

// DefaultStartupTimeout bounds a startup script when the template does not.
const DefaultStartupTimeout = 5 * time.Minute

// Timeout is StartupTimeout as a duration, DefaultStartupTimeout when unset.
func (a Agent) Timeout() (time.Duration, error) {
	if a.StartupTimeout == "" {
		return DefaultStartupTimeout, nil
	}
	d, err := time.ParseDuration(a.StartupTimeout)
	if err != nil || d <= 0 || d > 24*time.Hour {
		return 0, fmt.Errorf("%s is not a duration between 1s and 24h; write one such as 90s, 5m or 1h", quote(a.StartupTimeout))
	}
	return d, nil
}
