package denyaml

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"den/sdk"
)

const resolveSrc = `parameters:
  - name: cpus
    type: number
    default: 2
  - name: mem
    default: 4g
  - name: tags
    type: list(string)
    default: [a]
container:
  image: registry.example/${owner.name}:${param.tags}
  env:
    WS: ${workspace.name}
    ID: ${workspace.id}
    LITERAL: $${workspace.name} $$HOME
  cpus: ${param.cpus}
  memory: ${param.mem}
  network: net-${template.name}
  user: ${owner.name}
  hostname: ${workspace.name}
volumes:
  - name: home
    path: /home/${owner.name}
    persistent: true
agent:
  dir: /home/${owner.name}/src
  env:
    EMAIL: ${owner.email}
  startup_script: |
    echo ${workspace.name}
    echo "$${HOME}"
`

var resolveVars = Vars{
	Params:        map[string]string{"cpus": "1.5", "mem": "512m", "tags": `["x","y"]`},
	WorkspaceName: "ws",
	WorkspaceID:   "1234",
	OwnerName:     "alice",
	OwnerEmail:    "alice@example.com",
	TemplateName:  "tpl",
}

func TestResolve(t *testing.T) {
	t.Parallel()
	s := mustParse(t, resolveSrc)
	before := s.clone()
	r, err := s.Resolve(resolveVars)
	if err != nil {
		t.Fatal(err)
	}
	c := r.Container
	for _, check := range []struct{ got, want string }{
		{c.Image, `registry.example/alice:["x","y"]`},
		{c.Env["WS"], "ws"},
		{c.Env["ID"], "1234"},
		{c.Env["LITERAL"], "${workspace.name} $$HOME"},
		{c.CPUs, "1.5"},
		{c.Memory, "512m"},
		{c.Network, "net-tpl"},
		{c.User, "alice"},
		{c.Hostname, "ws"},
		{r.Volumes[0].Path, "/home/alice"},
		{r.Agent.Dir, "/home/alice/src"},
		{r.Agent.Env["EMAIL"], "alice@example.com"},
		{r.Agent.StartupScript, "echo ws\necho \"${HOME}\"\n"},
	} {
		if check.got != check.want {
			t.Errorf("got %q, want %q", check.got, check.want)
		}
	}
	if n, err := c.NanoCPUs(); err != nil || n != 1_500_000_000 {
		t.Errorf("NanoCPUs = %d, %v", n, err)
	}
	if n, err := c.MemoryBytes(); err != nil || n != 512<<20 {
		t.Errorf("MemoryBytes = %d, %v", n, err)
	}
	// s is untouched, and shares nothing with r.
	if !reflect.DeepEqual(s, before) {
		t.Errorf("Resolve changed its receiver")
	}
	r.Container.Env["WS"] = "changed"
	r.Agent.Env["EMAIL"] = "changed"
	*r.Volumes[0].Persistent = false
	*r.Parameters[0].Default = Value{"changed"}
	r.Parameters[2].Options = append(r.Parameters[2].Options, Option{})
	if !reflect.DeepEqual(s, before) {
		t.Errorf("the copy shares memory with the receiver")
	}
}

func TestResolveBuild(t *testing.T) {
	t.Parallel()
	s := mustParse(t, "container:\n  build:\n    args: {USER: '${owner.name}'}\n")
	r, err := s.Resolve(Vars{OwnerName: "bob"})
	if err != nil {
		t.Fatal(err)
	}
	if r.Container.Build.Args["USER"] != "bob" || s.Container.Build.Args["USER"] != "${owner.name}" {
		t.Errorf("args: resolved %v, original %v", r.Container.Build.Args, s.Container.Build.Args)
	}
}

func TestResolveErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, src string
		params    map[string]string
		field     string
		msg       string
	}{
		{"missing parameter", minimal + "  user: ${param.u}\nparameters: [{name: u}]\n", nil, "container.user", `no value was given for parameter "u"`},
		{"cpus", minimal + "  cpus: ${param.c}\nparameters: [{name: c}]\n", map[string]string{"c": "many"}, "container.cpus", `"${param.c}" resolved to a bad value: "many" is not a number of CPUs`},
		{"memory", minimal + "  memory: ${param.m}\nparameters: [{name: m}]\n", map[string]string{"m": "2 gigs"}, "container.memory", `"2 gigs" is not a size`},
		{"memory unit", minimal + "  memory: ${param.m}g\nparameters: [{name: m}]\n", map[string]string{"m": "0"}, "container.memory", "0 bytes"},
		{"network", minimal + "  network: ${param.n}\nparameters: [{name: n}]\n", map[string]string{"n": ""}, "container.network", "resolved to nothing"},
		{"image", "container:\n  image: ${param.i}\nparameters: [{name: i}]\n", map[string]string{"i": " "}, "container.image", "resolved to nothing"},
		{"volume path", minimal + "volumes: [{name: v, path: '/${param.p}', persistent: true}]\nparameters: [{name: p}]\n", map[string]string{"p": "a/../.."}, "volumes[0].path", "not clean"},
		{"volume root", minimal + "volumes: [{name: v, path: '/${param.p}', persistent: true}]\nparameters: [{name: p}]\n", map[string]string{"p": ""}, "volumes[0].path", "the container's root"},
		{"same volume paths", minimal + "volumes: [{name: v, path: '/${param.p}', persistent: true}, {name: w, path: /a, persistent: true}]\nparameters: [{name: p}]\n", map[string]string{"p": "a"}, "volumes[1].path", "already the path of volumes[0]"},
		{"agent dir", minimal + "agent: {dir: '${param.d}'}\nparameters: [{name: d}]\n", map[string]string{"d": "rel"}, "agent.dir", "not absolute"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := mustParse(t, tc.src)
			_, err := s.Resolve(Vars{Params: tc.params})
			var errs Errors
			if !errors.As(err, &errs) || len(errs) != 1 {
				t.Fatalf("error %T %v; want one problem", err, err)
			}
			if e := errs[0]; e.Field != tc.field || !strings.Contains(e.Message, tc.msg) || e.Line != 0 {
				t.Errorf("got %q (field %q line %d), want field %q and ...%s...", e, e.Field, e.Line, tc.field, tc.msg)
			}
		})
	}
}

func TestLimitsBeforeResolve(t *testing.T) {
	t.Parallel()
	s := mustParse(t, minimal+"  cpus: ${param.c}\n  memory: ${param.c}g\nparameters: [{name: c, default: '1'}]\n")
	if _, err := s.Container.NanoCPUs(); err == nil || !strings.Contains(err.Error(), "call Resolve first") {
		t.Errorf("NanoCPUs: %v", err)
	}
	if _, err := s.Container.MemoryBytes(); err == nil || !strings.Contains(err.Error(), "call Resolve first") {
		t.Errorf("MemoryBytes: %v", err)
	}
	var none Container
	if n, err := none.NanoCPUs(); n != 0 || err != nil {
		t.Errorf("no cpus: %d, %v", n, err)
	}
	if n, err := none.MemoryBytes(); n != 0 || err != nil {
		t.Errorf("no memory: %d, %v", n, err)
	}
}

func TestSDKParameters(t *testing.T) {
	t.Parallel()
	s := mustParse(t, minimal+`parameters:
  - name: cpus
    display_name: CPUs
    description: How many.
    type: number
    default: 2.0
    validation: {min: 1, max: 8, error: between 1 and 8}
    mutable: true
  - name: shell
    options:
      - value: bash
        name: Bash
        description: The usual.
      - sh
  - name: repo
    validation: {regex: ^https://}
`)
	one, eight := 1.0, 8.0
	two := "2"
	want := []sdk.TemplateParameter{
		{Name: "cpus", DisplayName: "CPUs", Description: "How many.", Type: sdk.ParameterNumber, Default: &two,
			Validation: &sdk.ParameterValidation{Min: &one, Max: &eight, Error: "between 1 and 8"}, Mutable: true},
		{Name: "shell", Type: sdk.ParameterString, Options: []sdk.ParameterOption{
			{Name: "Bash", Description: "The usual.", Value: "bash"}, {Value: "sh"}}},
		{Name: "repo", Type: sdk.ParameterString, Validation: &sdk.ParameterValidation{Regex: "^https://"}},
	}
	got := s.SDKParameters()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
	if got[1].Required() != true || got[0].Required() != false {
		t.Errorf("required")
	}
	// The parameters' own checks agree with the template's.
	if err := got[0].ValidateValue("9"); err == nil || err.Error() != "between 1 and 8" {
		t.Errorf("ValidateValue(9) = %v", err)
	}
	if got := mustParse(t, minimal).SDKParameters(); got == nil || len(got) != 0 {
		t.Errorf("no parameters: %#v", got)
	}
}
