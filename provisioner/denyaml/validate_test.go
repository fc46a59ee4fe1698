package denyaml

import (
	"strings"
	"testing"
)

// TestValidateValid: templates every rule accepts.
func TestValidateValid(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, src string }{
		{"provisioner docker", "provisioner: docker\n" + minimal},
		{"parameter kinds", minimal + `parameters:
  - name: a
  - name: b_2
    type: number
    default: 3
    validation: {min: 1, max: 3}
  - name: c
    type: bool
    default: false
  - name: d
    type: list(string)
    default: []
  - name: e
    default: main
    validation:
      regex: ^[a-z]+$
      error: lower-case only
  - name: f
    type: number
    validation: {min: 2, max: 2}
`},
		{"build", "container:\n  build:\n    context: ./docker/\n    dockerfile: sub/../Dockerfile\n    args: {A_1: x, B: '${param.p}'}\nparameters: [{name: p, default: x}]\n"},
		{"limits", minimal + "  cpus: 0.01\n  memory: 6m\n"},
		{"cpus forms", minimal + "  cpus: 2\n  memory: 1.5g\n"},
		{"cpus text", minimal + "  cpus: '1.5'\n  memory: 2 GiB\n"},
		{"limit references", minimal + "  cpus: ${param.c}\n  memory: ${param.m}g\nparameters: [{name: c, type: number, default: 1}, {name: m, default: '2'}]\n"},
		{"every reference", `parameters:
  - name: p
container:
  image: ${param.p}
  network: ${param.p}
  user: ${owner.name}
  hostname: ${workspace.name}
  env: {A: "${workspace.id} ${owner.email} ${template.name}"}
volumes:
  - {name: v, path: "/home/${owner.name}", persistent: true}
agent:
  dir: /home/${owner.name}
  env: {B: "$${not.a.reference} $$ $HOME"}
  startup_script: echo ${workspace.name} $${HOME}
`},
		{"volumes", minimal + `volumes:
  - {name: home, path: /home/dev, persistent: true}
  - {name: cache, path: /home/dev/.cache, persistent: false}
  - {name: a-1, path: /data, persistent: true}
  - {name: ` + strings.Repeat("v", 32) + `, path: /v, persistent: false}
`},
		{"network", minimal + "  network: bridge\n"},
		{"empty sections", minimal + "parameters: []\nvolumes:\nagent:\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			mustParse(t, tc.src)
		})
	}
}

// TestValidateInvalid: each rule, with the line and field of the problem.
func TestValidateInvalid(t *testing.T) {
	t.Parallel()
	params := func(s string) string { return minimal + "parameters:\n" + s } // the parameters start on line 4
	vols := func(s string) string { return minimal + "volumes:\n" + s }      // and so do the volumes
	for _, tc := range []struct {
		name, src string
		wants     []want
	}{
		// provisioner
		{"provisioner", "provisioner: terraform\n" + minimal, []want{{1, "provisioner", `unknown provisioner "terraform"`}}},

		// parameters
		{"no name", params("  - type: number\n"), []want{{4, "parameters[0]", "a parameter needs a name"}}},
		{"bad name", params("  - name: Cpus\n"), []want{{4, "parameters[0].name", `"Cpus" is not a parameter name`}}},
		{"name with dash", params("  - name: a-b\n"), []want{{4, "parameters[0].name", "not a parameter name"}}},
		{"name with digit first", params("  - name: 1a\n"), []want{{4, "parameters[0].name", "not a parameter name"}}},
		{"duplicate name", params("  - name: a\n  - name: a\n"), []want{{5, "parameters[1].name", `parameter "a" is already defined (parameters[0])`}}},
		{"unknown type", params("  - name: a\n    type: int\n"), []want{{5, "parameters[0].type", `unknown type "int"`}}},
		{"number default", params("  - name: a\n    type: number\n    default: two\n"), []want{{6, "parameters[0].default", `"two" is not a number`}}},
		{"list default for a number", params("  - name: a\n    type: number\n    default: [1]\n"), []want{{6, "parameters[0].default", "takes one value, not a list"}}},
		{"bool default", params("  - name: a\n    type: bool\n    default: yes\n"), []want{{6, "parameters[0].default", `"yes" is not true or false`}}},
		{"list default", params("  - name: a\n    type: list(string)\n    default: a\n"), []want{{6, "parameters[0].default", "is not a list of strings"}}},
		{"default below min", params("  - name: a\n    type: number\n    default: 0\n    validation: {min: 1}\n"), []want{{6, "parameters[0].default", `"0": must be at least 1`}}},
		{"default above max", params("  - name: a\n    type: number\n    default: 9\n    validation: {max: 8, error: too many}\n"), []want{{6, "parameters[0].default", `"9": too many`}}},
		{"default against regex", params("  - name: a\n    default: B\n    validation: {regex: '^[a-z]+$'}\n"), []want{{5, "parameters[0].default", `"B": must match ^[a-z]+$`}}},
		{"default not an option", params("  - name: a\n    default: c\n    options: [a, b]\n"), []want{{5, "parameters[0].default", `"c" is not one of the options: "a", "b"`}}},
		{"regex does not compile", params("  - name: a\n    validation:\n      regex: '['\n"), []want{{6, "parameters[0].validation.regex", "does not compile"}}},
		{"regex on a number", params("  - name: a\n    type: number\n    validation:\n      regex: x\n"), []want{{7, "parameters[0].validation.regex", "only string parameters take a regex"}}},
		{"min on a string", params("  - name: a\n    validation:\n      min: 1\n"), []want{{6, "parameters[0].validation.min", "only number parameters take min and max"}}},
		{"max on a bool", params("  - name: a\n    type: bool\n    validation:\n      max: 1\n"), []want{{7, "parameters[0].validation.max", "only number parameters take min and max"}}},
		{"min above max", params("  - name: a\n    type: number\n    validation: {min: 3, max: 2}\n"), []want{{6, "parameters[0].validation.max", "max (2) is less than min (3)"}}},
		{"duplicate option", params("  - name: a\n    options: [x, y, x]\n"), []want{{5, "parameters[0].options[2]", `"x" is listed twice (first as options[0])`}}},
		{"duplicate option after normalizing", params("  - name: a\n    type: number\n    options: [1, 1.0]\n"), []want{{6, "parameters[0].options[1]", `"1" is listed twice`}}},
		{"option of the wrong type", params("  - name: a\n    type: number\n    options:\n      - value: x\n"), []want{{7, "parameters[0].options[0].value", `"x" is not a number`}}},
		{"option against max", params("  - name: a\n    type: number\n    validation: {max: 4}\n    options: [2, 8]\n"), []want{{7, "parameters[0].options[1]", `"8": must be at most 4`}}},
		{"option without value", params("  - name: a\n    options:\n      - name: X\n"), []want{{6, "parameters[0].options[0]", "an option needs a value"}}},
		{"aliased option without value", params("  - name: a\n    options:\n      - &o {name: X}\n      - *o\n"), []want{
			{6, "parameters[0].options[0]", "an option needs a value"},
			{7, "parameters[0].options[1]", "an option needs a value"},
		}},
		{"options on a list", params("  - name: a\n    type: list(string)\n    options: [x]\n"), []want{{6, "parameters[0].options", "takes no options"}}},
		{"every parameter problem", params("  - name: A\n  - name: b\n    type: number\n    default: x\n  - name: b\n"), []want{
			{4, "parameters[0].name", "not a parameter name"},
			{7, "parameters[1].default", "not a number"},
			{8, "parameters[2].name", "already defined"},
		}},

		// container
		{"no container", "description: x\n", []want{{1, "container", "set image"}}},
		{"neither image nor build", "container:\n  user: dev\n", []want{{2, "container", "set image"}}},
		{"empty image", "container:\n  image: ''\n", []want{{2, "container", "set image"}}},
		{"image and build", "container:\n  image: x\n  build: {}\n", []want{{3, "container.build", "not both"}}},
		{"image with spaces", "container:\n  image: den debian\n", []want{{2, "container.image", "has spaces"}}},
		{"absolute context", "container:\n  build:\n    context: /src\n", []want{{3, "container.build.context", "is absolute"}}},
		{"context escapes", "container:\n  build:\n    context: a/../../b\n", []want{{3, "container.build.context", "leaves the template's directory"}}},
		{"dockerfile escapes", "container:\n  build:\n    dockerfile: ../Dockerfile\n", []want{{3, "container.build.dockerfile", "leaves the template's directory"}}},
		{"absolute dockerfile", "container:\n  build:\n    dockerfile: /Dockerfile\n", []want{{3, "container.build.dockerfile", "is absolute"}}},
		{"backslash", "container:\n  build:\n    dockerfile: 'a\\Dockerfile'\n", []want{{3, "container.build.dockerfile", `uses \`}}},
		{"build arg name", "container:\n  build:\n    args: {A-B: x}\n", []want{{3, "container.build.args.A-B", "not a valid build argument name"}}},
		{"env name", minimal + "  env:\n    OK: x\n    1BAD: x\n", []want{{5, "container.env.1BAD", `"1BAD" is not a valid environment variable name`}}},
		{"env name with dot", minimal + "  env:\n    a.b: x\n", []want{{4, `container.env["a.b"]`, "not a valid environment variable name"}}},
		{"reserved env name", minimal + "  env:\n    DEN_AGENT_TOKEN: x\n", []want{{4, "container.env.DEN_AGENT_TOKEN", "reserved"}}},
		{"cpus not a number", minimal + "  cpus: two\n", []want{{3, "container.cpus", `"two" is not a number of CPUs`}}},
		{"cpus zero", minimal + "  cpus: 0\n", []want{{3, "container.cpus", "0 CPUs"}}},
		{"cpus negative", minimal + "  cpus: -1\n", []want{{3, "container.cpus", "not a number of CPUs"}}},
		{"cpus too small", minimal + "  cpus: 0.001\n", []want{{3, "container.cpus", "less than Docker's minimum"}}},
		{"cpus exponent", minimal + "  cpus: 1e3\n", []want{{3, "container.cpus", "not a number of CPUs"}}},
		{"memory words", minimal + "  memory: 2 gigs\n", []want{{3, "container.memory", `"2 gigs" is not a size; use a number of bytes or a size such as 512m or 2g`}}},
		{"memory zero", minimal + "  memory: 0\n", []want{{3, "container.memory", "0 bytes"}}},
		{"memory small", minimal + "  memory: 512\n", []want{{3, "container.memory", "did you mean 512m?"}}},
		{"memory fraction of a byte", minimal + "  memory: 1.5\n", []want{{3, "container.memory", "not a whole number of bytes"}}},
		{"memory huge", minimal + "  memory: 9000000t\n", []want{{3, "container.memory", "more memory than any machine has"}}},
		{"blank network", minimal + "  network: ' '\n", []want{{3, "container.network", "is blank"}}},

		// references
		{"unknown parameter", minimal + "  user: ${param.usr}\nparameters: [{name: user}]\n", []want{{3, "container.user", "did you mean ${param.user}?"}}},
		{"parameter of another template", minimal + "  user: ${param.user}\n", []want{{3, "container.user", "the template has no parameters"}}},
		{"unknown name", minimal + "  hostname: ${workspace.owner}\n", []want{{3, "container.hostname", "unknown reference ${workspace.owner}"}}},
		{"shell variable", minimal + "  env: {P: '${PATH}:/x'}\n", []want{{3, "container.env.P", "write $${PATH}"}}},
		{"unterminated", "container:\n  image: x:${param.tag\n", []want{{2, "container.image", "has no closing }"}}},
		{"empty reference", minimal + "  network: ${}\n", []want{{3, "container.network", "unknown reference ${}"}}},
		{"reference in a build arg", "container:\n  build:\n    args: {A: '${x}'}\n", []want{{3, "container.build.args.A", "unknown reference ${x}"}}},
		{"reference in cpus", minimal + "  cpus: ${param.cpus}\n", []want{{3, "container.cpus", "no parameters"}}},
		{"reference in a volume path", vols("  - {name: v, path: '/${owner.nam}', persistent: true}\n"), []want{{4, "volumes[0].path", "did you mean ${owner.name}?"}}},
		{"reference in the agent", minimal + "agent:\n  dir: /${a}\n  env: {X: '${b}'}\n", []want{
			{4, "agent.dir", "${a}"},
			{5, "agent.env.X", "${b}"},
		}},
		{"reference in a script", minimal + "agent:\n  startup_script: |\n    echo one\n    echo ${HOME}\n", []want{{6, "agent.startup_script", "write $${HOME}"}}},

		// volumes
		{"no volume name", vols("  - {path: /a, persistent: true}\n"), []want{{4, "volumes[0]", "a volume needs a name"}}},
		{"volume name", vols("  - {name: Home, path: /a, persistent: true}\n"), []want{{4, "volumes[0].name", `"Home" is not a volume name`}}},
		{"volume name dash", vols("  - {name: -a, path: /a, persistent: true}\n"), []want{{4, "volumes[0].name", "not a volume name"}}},
		{"volume name long", vols("  - {name: " + strings.Repeat("a", 33) + ", path: /a, persistent: true}\n"), []want{{4, "volumes[0].name", "at most 32"}}},
		{"duplicate volume name", vols("  - {name: a, path: /a, persistent: true}\n  - {name: a, path: /b, persistent: true}\n"), []want{{5, "volumes[1].name", `volume "a" is already defined`}}},
		{"no volume path", vols("  - {name: a, persistent: true}\n"), []want{{4, "volumes[0]", "a volume needs a path"}}},
		{"relative path", vols("  - {name: a, path: a, persistent: true}\n"), []want{{4, "volumes[0].path", "is not absolute"}}},
		{"root path", vols("  - {name: a, path: /, persistent: true}\n"), []want{{4, "volumes[0].path", "the container's root"}}},
		{"unclean path", vols("  - {name: a, path: /a/, persistent: true}\n"), []want{{4, "volumes[0].path", "not clean; write /a"}}},
		{"dotdot path", vols("  - {name: a, path: /a/../b, persistent: true}\n"), []want{{4, "volumes[0].path", "write /b"}}},
		{"agent's directory", vols("  - {name: a, path: /.den/x, persistent: true}\n"), []want{{4, "volumes[0].path", "where Den puts its agent"}}},
		{"duplicate path", vols("  - {name: a, path: /a, persistent: true}\n  - {name: b, path: /a, persistent: false}\n"), []want{{5, "volumes[1].path", "already the path of volumes[0]"}}},
		{"persistent missing", vols("  - name: a\n    path: /a\n"), []want{{4, "volumes[0].persistent", "missing; write persistent: true"}}},
		{"persistent null", vols("  - name: a\n    path: /a\n    persistent:\n"), []want{{6, "volumes[0].persistent", "A template says what persists"}}},

		// agent
		{"relative dir", minimal + "agent:\n  dir: home\n", []want{{4, "agent.dir", "not absolute"}}},
		{"agent env name", minimal + "agent:\n  env: {'A B': x}\n", []want{{4, `agent.env["A B"]`, "not a valid environment variable name"}}},

		{"problems everywhere, in file order", `provisioner: x
container:
  image: x
  memory: lots
volumes:
  - {name: a, path: b}
agent:
  dir: c
`, []want{
			{1, "provisioner", "unknown provisioner"},
			{4, "container.memory", "not a size"},
			{6, "volumes[0].persistent", "missing"},
			{6, "volumes[0].path", "not absolute"},
			{8, "agent.dir", "not absolute"},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse([]byte(tc.src))
			checkErrors(t, err, tc.wants...)
		})
	}
}
