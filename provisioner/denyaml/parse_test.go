package denyaml

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"testing"
)

// minimal is the smallest valid den.yaml; tests append sections to it.
const minimal = "container:\n  image: den-debian:bookworm\n"

// want is one expected problem: its line, field and a part of its message.
type want struct {
	line  int
	field string
	msg   string
}

// checkErrors fails unless err holds exactly the problems in wants, in
// order.
func checkErrors(t *testing.T, err error, wants ...want) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error; want %d", len(wants))
	}
	var errs Errors
	if !errors.As(err, &errs) {
		t.Fatalf("error %T %q is not Errors", err, err)
	}
	var got []string
	for _, e := range errs {
		got = append(got, fmt.Sprintf("line %d field %q: %s", e.Line, e.Field, e.Message))
	}
	if len(errs) != len(wants) {
		t.Fatalf("got %d problems, want %d:\n%s", len(errs), len(wants), strings.Join(got, "\n"))
	}
	for i, w := range wants {
		e := errs[i]
		if e.Line != w.line || e.Field != w.field || !strings.Contains(e.Message, w.msg) {
			t.Errorf("problem %d:\n got %s\nwant line %d field %q: ...%s...", i, got[i], w.line, w.field, w.msg)
		}
		if e.File != FileName {
			t.Errorf("problem %d names file %q", i, e.File)
		}
	}
}

func mustParse(t *testing.T, src string) *Spec {
	t.Helper()
	s, err := Parse([]byte(src))
	if err != nil {
		t.Fatalf("Parse:\n%s\nerror:\n%v", src, err)
	}
	return s
}

func TestParseDefaults(t *testing.T) {
	t.Parallel()
	s := mustParse(t, minimal+"parameters:\n  - name: p\n")
	if s.Provisioner != "docker" || s.Container.Network != "host" || s.Parameters[0].Type != "string" {
		t.Errorf("defaults not applied: %+v", s)
	}
	if s.Parameters[0].Default != nil {
		t.Errorf("a parameter without default has default %q", s.Parameters[0].Default.S)
	}

	b := mustParse(t, "container:\n  build: {}\n")
	if b.Container.Build.Context != "." || b.Container.Build.Dockerfile != "Dockerfile" {
		t.Errorf("build defaults: %+v", *b.Container.Build)
	}
	b = mustParse(t, "container:\n  build:\n    context: docker\n    dockerfile: dev.Dockerfile\n    args: {GO_VERSION: 1.20}\n")
	if got := *b.Container.Build; got.Context != "docker" || got.Dockerfile != "dev.Dockerfile" || got.Args["GO_VERSION"] != "1.20" {
		t.Errorf("build: %+v", got)
	}
}

// TestParseScalarsAsWritten: string fields take any scalar as its text, so
// YAML's number and octal rules do not change what was written.
func TestParseScalarsAsWritten(t *testing.T) {
	t.Parallel()
	s := mustParse(t, `container:
  image: den-debian:bookworm
  user: 1000
  hostname: 007
  env:
    VERSION: 1.10
    MODE: 0755
    ON: true
    EMPTY:
    QUOTED: "a: b"
    HEX: 0x1F
    BIG: 123456789012345678901234567890
  cpus: 0.50
  memory: 1073741824
`)
	want := map[string]string{"VERSION": "1.10", "MODE": "0755", "ON": "true", "EMPTY": "", "QUOTED": "a: b", "HEX": "0x1F", "BIG": "123456789012345678901234567890"}
	for k, v := range want {
		if got := s.Container.Env[k]; got != v {
			t.Errorf("env %s = %q, want %q", k, got, v)
		}
	}
	if c := s.Container; c.User != "1000" || c.Hostname != "007" || c.CPUs != "0.50" || c.Memory != "1073741824" {
		t.Errorf("container: %+v", c)
	}
}

func TestParseParameterValues(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		typ, written, want string
	}{
		{"string", `hello`, "hello"},
		{"string", `""`, ""},
		{"string", `1.10`, "1.10"},
		{"string", `true`, "true"},
		{"string", `0755`, "0755"},
		{"string", "|\n      two\n      lines", "two\nlines\n"},
		{"", `x`, "x"},
		{"number", `2`, "2"},
		{"number", `-3`, "-3"},
		{"number", `2.50`, "2.5"},
		{"number", `1e3`, "1000"},
		{"number", `0x10`, "16"},
		{"number", `"4"`, "4"},
		{"number", `" 4 "`, "4"},
		{"number", `18446744073709551615`, "18446744073709551615"},
		{"bool", `true`, "true"},
		{"bool", `false`, "false"},
		{"bool", `"true"`, "true"},
		{"list(string)", `[a, b]`, `["a","b"]`},
		{"list(string)", "\n      - a\n      - 2", `["a","2"]`},
		{"list(string)", `[]`, `[]`},
		{"list(string)", `'["x", "y"]'`, `["x", "y"]`},
	} {
		t.Run(tc.typ+" "+tc.written, func(t *testing.T) {
			t.Parallel()
			src := minimal + "parameters:\n  - name: p\n"
			if tc.typ != "" {
				src += "    type: " + tc.typ + "\n"
			}
			src += "    default: " + tc.written + "\n"
			s := mustParse(t, src)
			if got := s.Parameters[0].Default.S; got != tc.want {
				t.Errorf("default %s as %s = %q, want %q", tc.written, tc.typ, got, tc.want)
			}
		})
	}
}

func TestParseOptions(t *testing.T) {
	t.Parallel()
	s := mustParse(t, minimal+`parameters:
  - name: size
    type: number
    default: 2
    options:
      - 1
      - value: 2.0
        name: Two
        description: Twice as much.
      - {value: 4, name: Four}
`)
	p := s.SDKParameters()[0]
	if len(p.Options) != 3 {
		t.Fatalf("options: %+v", p.Options)
	}
	for i, want := range []string{"1", "2", "4"} {
		if p.Options[i].Value != want {
			t.Errorf("option %d = %q, want %q", i, p.Options[i].Value, want)
		}
	}
	if p.Options[1].Name != "Two" || p.Options[1].Description != "Twice as much." || p.Options[2].Name != "Four" {
		t.Errorf("option names: %+v", p.Options)
	}
	if *p.Default != "2" {
		t.Errorf("default %q", *p.Default)
	}
}

func TestParseAliases(t *testing.T) {
	t.Parallel()
	s := mustParse(t, `container:
  image: den-debian:bookworm
  env: &env
    EDITOR: vim
    LANG: C.UTF-8
agent:
  env:
    <<: *env
    EDITOR: nano
`)
	if s.Agent.Env["EDITOR"] != "nano" || s.Agent.Env["LANG"] != "C.UTF-8" || s.Container.Env["EDITOR"] != "vim" {
		t.Errorf("merge: container %v agent %v", s.Container.Env, s.Agent.Env)
	}
}

func TestParseSyntax(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, src string
		want      want
	}{
		{"empty", "", want{1, "", "the file is empty"}},
		{"comments only", "# nothing\n", want{1, "", "the file is empty"}},
		{"unclosed quote", "container:\n  image: \"x\n", want{2, "", "invalid YAML"}},
		{"tab", "container:\n\timage: x\n", want{2, "", "not tabs"}},
		{"bad indent", "container:\n  image: x\n user: y\n", want{3, "", "invalid YAML"}},
		{"reference in a flow mapping", minimal + "  env: {A: ${workspace.name}}\n", want{3, "", `quote values that hold ${...}`}},
		{"two documents", minimal + "---\n" + minimal, want{3, "", "second YAML document"}},
		{"not a mapping", "- a\n- b\n", want{1, "", "must be a mapping of sections"}},
		{"scalar", "hello\n", want{1, "", "must be a mapping of sections"}},
		{"not utf-8", "container:\n  image: \xff\n", want{2, "", "not UTF-8"}},
		{"nul", "container:\n  image: x\x00\n", want{2, "", "NUL"}},
		{"unknown alias", minimal + "agent:\n  dir: *nope\n", want{4, "", "alias *nope"}},
		{"too deep", "a: " + strings.Repeat("[", 500) + strings.Repeat("]", 500), want{1, "", "nested too deeply"}},
		{"too deep block", strings.Repeat("- ", 500) + "x\n", want{1, "", "nested too deeply"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse([]byte(tc.src))
			checkErrors(t, err, tc.want)
		})
	}
}

func TestParseShape(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, src string
		wants     []want
	}{
		{"unknown top-level field", minimal + "foo: 1\n", []want{{3, "foo", "the sections of den.yaml are agent, apps, container"}}},
		{"misplaced field", minimal + "memory: 2g\n", []want{{3, "memory", "did you mean container.memory?"}}},
		{"typo", "container:\n  image: x\n  memroy: 2g\n", []want{{3, "container.memroy", "did you mean memory?"}}},
		{"unknown nested field", minimal + "volumes:\n  - name: a\n    path: /a\n    persistent: true\n    size: 10g\n", []want{{7, "volumes[0].size", "the fields of volumes[0] are name, path, persistent"}}},
		{"duplicate key", "container:\n  image: x\n  image: y\n", []want{{3, "container.image", `duplicate key "image"; it is already set on line 2`}}},
		{"duplicate top-level key", minimal + minimal, []want{{3, "container", "duplicate key"}}},
		{"duplicate env key", minimal + "  env:\n    A: 1\n    A: 2\n", []want{{5, "container.env.A", "duplicate key"}}},
		{"list for a string", "container:\n  image: [a]\n", []want{{2, "container.image", "must be a single value, not a list"}}},
		{"mapping for a string", "container:\n  image: {a: b}\n", []want{{2, "container.image", "not a mapping"}}},
		{"string for a bool", minimal + "parameters:\n  - name: p\n    mutable: yes\n", []want{{5, "parameters[0].mutable", `must be true or false, not "yes"`}}},
		{"string for a number", minimal + "parameters:\n  - name: p\n    type: number\n    validation: {min: one}\n", []want{{6, "parameters[0].validation.min", `must be a number, not "one"`}}},
		{"infinity for a number", minimal + "parameters:\n  - name: p\n    type: number\n    validation: {max: .inf}\n", []want{{6, "parameters[0].validation.max", "must be a number"}}},
		{"mapping for a list", minimal + "volumes:\n  name: a\n", []want{{4, "volumes", "must be a list"}}},
		{"scalar for a mapping", "container: den-debian\n", []want{{1, "container", "must be a mapping"}}},
		{"list for env", minimal + "  env: [A=1]\n", []want{{3, "container.env", "must be a mapping of names to values"}}},
		{"mapping for a value", minimal + "parameters:\n  - name: p\n    default: {a: 1}\n", []want{{5, "parameters[0].default", "must be a value or a list of text"}}},
		{"nested list in a value", minimal + "parameters:\n  - name: p\n    type: list(string)\n    default: [[a]]\n", []want{{6, "parameters[0].default[0]", "a list item must be text"}}},
		{"null default", minimal + "parameters:\n  - name: p\n    default:\n", []want{{5, "parameters[0].default", `write default: ""`}}},
		{"null key", minimal + "agent:\n  env:\n    ~: b\n", []want{{5, "agent.env", "a key must be a name, not nothing"}}},
		{"alias key", "container: &k {image: x}\nagent:\n  env:\n    *k : b\n", []want{{4, "agent.env", "a key must be a name, not a mapping"}}},
		{"all shape problems", "container:\n  image: [x]\n  cpus: {a: 1}\nfoo: 1\n", []want{
			{2, "container.image", "not a list"},
			{3, "container.cpus", "not a mapping"},
			{4, "foo", "unknown field"},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse([]byte(tc.src))
			checkErrors(t, err, tc.wants...)
		})
	}
}

func TestParseTooLarge(t *testing.T) {
	t.Parallel()
	big := minimal + "description: " + strings.Repeat("x", MaxFileSize) + "\n"
	_, err := Parse([]byte(big))
	checkErrors(t, err, want{0, "", "at most 256 KiB"})
	if err.Error() != "den.yaml: the file is 257 KiB; a den.yaml may be at most 256 KiB" {
		t.Errorf("text: %q", err)
	}
}

// TestParseAliasBomb: aliases must not turn a small file into an enormous
// amount of work: 4,000 uses of a parameter with 2,000 options.
func TestParseAliasBomb(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString(minimal + "parameters:\n  - &p {name: p, options: [")
	for j := range 2000 {
		fmt.Fprintf(&b, "o%d, ", j)
	}
	b.WriteString("x]}\n")
	for range 4000 {
		b.WriteString("  - *p\n")
	}
	if b.Len() > MaxFileSize {
		t.Fatalf("the test's file is too large: %d", b.Len())
	}
	_, err := Parse([]byte(b.String()))
	checkErrors(t, err, want{0, "", "aliases (*name) expand to more than"})
}

// TestParseLimits: inputs that would make the YAML library slow or huge are
// refused with a problem that says why.
func TestParseLimits(t *testing.T) {
	t.Parallel()
	var env strings.Builder
	env.WriteString("container:\n  image: x\n  env:\n")
	for i := 0; env.Len() < MaxFileSize-30; i++ {
		fmt.Fprintf(&env, "    K%d: v\n", i)
	}
	_, err := Parse([]byte(env.String()))
	checkErrors(t, err, want{6668, "", "more than 20000 YAML tokens"})

	_, err = Parse([]byte(minimal + "a: " + strings.Repeat("{b: ", 250) + "1" + strings.Repeat("}", 250) + "\n"))
	checkErrors(t, err, want{3, "", "nested too deeply"})
}

func TestParseManyProblems(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString(minimal)
	for i := range 80 {
		fmt.Fprintf(&b, "k%d: v\n", i)
	}
	_, err := Parse([]byte(b.String()))
	var errs Errors
	if !errors.As(err, &errs) || len(errs) != maxProblems+1 {
		t.Fatalf("got %d problems, want %d", len(errs), maxProblems+1)
	}
	if last := errs[maxProblems]; last.Message != "and 30 more problems" || last.Line != 0 {
		t.Errorf("last problem: %v", last)
	}
}

func TestParseLongTextIsShortened(t *testing.T) {
	t.Parallel()
	key := strings.Repeat("k", 10000)
	_, err := Parse([]byte(minimal + key + ": 1\nparameters: [{name: " + strings.ToUpper(key) + "}]\n"))
	var errs Errors
	if !errors.As(err, &errs) || len(errs) != 1 {
		t.Fatalf("got %v", err)
	}
	if n := len(err.Error()); n > 400 {
		t.Errorf("the message is %d bytes long:\n%v", n, err)
	}
}

func BenchmarkParseStarter(b *testing.B) {
	data, err := fs.ReadFile(Starter, FileName)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Parse(data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseLargest is a file just under the token limit: the worst
// case a template push can ask of the parser.
func BenchmarkParseLargest(b *testing.B) {
	var env strings.Builder
	env.WriteString("container:\n  image: x\n  env:\n")
	for i := 0; i < maxTokens/3-10; i++ {
		fmt.Fprintf(&env, "    K%d: v\n", i)
	}
	data := []byte(env.String())
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Parse(data); err != nil {
			b.Fatal(err)
		}
	}
}
