package denyaml

import (
	"errors"
	"io/fs"
	"strings"
	"testing"

	"den/sdk"
)

// FuzzParse: Parse never panics, and fails only with Errors whose every
// problem has text; what it accepts has parameters whose defaults pass
// their own checks, and resolves or fails without panicking.
func FuzzParse(f *testing.F) {
	starter, err := fs.ReadFile(Starter, FileName)
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []string{
		string(starter),
		minimal,
		resolveSrc,
		"",
		"container: {image: x}\nvolumes: [{name: a, path: /a, persistent: true}]\n",
		"container:\n  build: {context: ., args: {A: '${param.p}'}}\nparameters: [{name: p, type: list(string), default: [a, b]}]\n",
		"container: &c\n  image: x\n  env: &e {A: 1}\nagent:\n  env:\n    <<: *e\n",
		"parameters:\n  - {name: n, type: number, default: 1e3, options: [1000, {value: 2, name: two}], validation: {min: 0, max: 1e4}}\n" + minimal,
		"a: [[[{b: *c}]]]\n---\n- !!str 1\n",
		"container:\n  image: x\n  memory: 1.5GiB\n  cpus: .5\nagent: {startup_script: \"$${HOME} ${workspace.name}\"}\n",
		"? [a]\n: b\n",
		"container:\n\timage: x\n",
		minimal + "apps:\n  - {slug: web, port: 8000, share: public, healthcheck: {path: /h, interval: 2s, threshold: 2}}\n  - {slug: b, url: 'http://127.0.0.1:${param.p}/x/'}\nparameters: [{name: p, type: number, default: 80}]\n",
		minimal + "apps:\n  - slug: web\n    port: ${param.p}\n    healthcheck: {url: 'http://h:${param.p}/'}\nparameters: [{name: p, default: '1'}]\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		spec, err := Parse(data)
		if err != nil {
			if spec != nil {
				t.Fatal("a Spec and an error")
			}
			var errs Errors
			if !errors.As(err, &errs) {
				if strings.TrimSpace(err.Error()) == "" {
					t.Fatalf("an error without text: %#v", err)
				}
				return
			}
			if len(errs) == 0 {
				t.Fatal("empty Errors")
			}
			for _, e := range errs {
				if e == nil || e.File != FileName || strings.TrimSpace(e.Message) == "" || e.Line < 0 || e.Column < 0 {
					t.Fatalf("a bad problem: %#v", e)
				}
				var p errPanic
				if errors.As(e, &p) {
					t.Fatalf("the YAML library panicked: %v", p.v)
				}
			}
			return
		}
		params := map[string]string{}
		for _, p := range spec.SDKParameters() {
			if p.Default == nil {
				params[p.Name] = ""
				continue
			}
			if err := p.ValidateValue(*p.Default); err != nil {
				t.Fatalf("parameter %s: Parse accepted default %q, which ValidateValue refuses: %v", p.Name, *p.Default, err)
			}
			params[p.Name] = *p.Default
		}
		if r, err := spec.Resolve(Vars{Params: params, WorkspaceName: "ws"}); err == nil {
			if _, err := r.Container.NanoCPUs(); err != nil {
				t.Fatalf("Resolve accepted cpus %q: %v", r.Container.CPUs, err)
			}
			if _, err := r.Container.MemoryBytes(); err != nil {
				t.Fatalf("Resolve accepted memory %q: %v", r.Container.Memory, err)
			}
			apps, err := r.AgentApps()
			if err != nil {
				t.Fatalf("Resolve accepted apps that AgentApps refuses: %v", err)
			}
			for _, a := range apps {
				if sdk.ValidateAppSlug(a.Slug) != nil || !a.Share.Valid() || a.URL == "" {
					t.Fatalf("an app Parse accepted: %+v", a)
				}
			}
		}
	})
}
