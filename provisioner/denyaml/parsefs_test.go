package denyaml

import (
	"errors"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
)

func TestParseFS(t *testing.T) {
	t.Parallel()
	build := "container:\n  build:\n    context: docker\n    dockerfile: dev.Dockerfile\n"
	for _, tc := range []struct {
		name  string
		files fstest.MapFS
		want  *want
	}{
		{"image", fstest.MapFS{"den.yaml": {Data: []byte(minimal)}}, nil},
		{"build", fstest.MapFS{"den.yaml": {Data: []byte(build)}, "docker/dev.Dockerfile": {Data: []byte("FROM scratch\n")}}, nil},
		{"build defaults", fstest.MapFS{"den.yaml": {Data: []byte("container:\n  build: {}\n")}, "Dockerfile": {Data: []byte("FROM scratch\n")}}, nil},
		{"no den.yaml", fstest.MapFS{"Dockerfile": {}}, &want{0, "", "the template has no den.yaml at its root"}},
		{"den.yaml in a subdirectory", fstest.MapFS{"sub/den.yaml": {Data: []byte(minimal)}}, &want{0, "", "no den.yaml at its root"}},
		{"invalid", fstest.MapFS{"den.yaml": {Data: []byte("container: {}\n")}}, &want{1, "container", "set image"}},
		{"no context", fstest.MapFS{"den.yaml": {Data: []byte(build)}}, &want{3, "container.build.context", `the template has no directory "docker"`}},
		{"no dockerfile", fstest.MapFS{"den.yaml": {Data: []byte(build)}, "docker/Dockerfile": {}}, &want{4, "container.build.dockerfile", `the template has no file "docker/dev.Dockerfile"`}},
		{"context is a file", fstest.MapFS{"den.yaml": {Data: []byte(build)}, "docker": {}}, &want{3, "container.build.context", "no directory"}},
		{"too large", fstest.MapFS{"den.yaml": {Data: []byte(minimal + strings.Repeat("#", MaxFileSize))}}, &want{0, "", "the file is 257 KiB; a den.yaml may be at most 256 KiB"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, err := ParseFS(tc.files)
			if tc.want == nil {
				if err != nil || s == nil {
					t.Fatalf("ParseFS: %v", err)
				}
				return
			}
			checkErrors(t, err, *tc.want)
		})
	}
}

func TestParseFSMissingIsNotExist(t *testing.T) {
	t.Parallel()
	_, err := ParseFS(fstest.MapFS{})
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("error %v is not fs.ErrNotExist", err)
	}
	if err.Error() != "den.yaml: the template has no den.yaml at its root; every template needs one (den templates init writes a starter)" {
		t.Errorf("text: %q", err)
	}
}

func TestErrorText(t *testing.T) {
	t.Parallel()
	_, err := Parse([]byte("container:\n  image: x\n  memory: 2 gigs\nvolumes:\n  - name: home\n    path: /home/dev\n"))
	want := `den.yaml:3:11: container.memory: "2 gigs" is not a size; use a number of bytes or a size such as 512m or 2g` + "\n" +
		`den.yaml:5:5: volumes[0].persistent: missing; write persistent: true to keep the volume's files when the workspace stops, or persistent: false for scratch space emptied at every stop. A template says what persists`
	if err == nil || err.Error() != want {
		t.Errorf("got:\n%v\nwant:\n%s", err, want)
	}
	var one *Error
	if !errors.As(err, &one) || one.Field != "container.memory" || one.Line != 3 || one.Column != 11 {
		t.Errorf("errors.As *Error: %+v", one)
	}
	for _, tc := range []struct {
		e    Error
		want string
	}{
		{Error{File: "den.yaml", Line: 3, Column: 5, Field: "a.b", Message: "bad"}, "den.yaml:3:5: a.b: bad"},
		{Error{File: "den.yaml", Line: 3, Message: "bad"}, "den.yaml:3: bad"},
		{Error{Field: "a", Message: "bad"}, "den.yaml: a: bad"},
	} {
		if got := tc.e.Error(); got != tc.want {
			t.Errorf("%+v: got %q, want %q", tc.e, got, tc.want)
		}
	}
}

func TestStarter(t *testing.T) {
	t.Parallel()
	s, err := ParseFS(Starter)
	if err != nil {
		t.Fatalf("the starter template does not parse:\n%v", err)
	}
	if s.Container.Image != "den-debian:bookworm" || s.Container.Network != "host" || s.Container.User != "dev" || s.Agent.Dir != "/home/dev" {
		t.Errorf("container %+v agent %+v", s.Container, s.Agent)
	}
	persists := map[string]bool{}
	for _, v := range s.Volumes {
		persists[v.Path] = v.IsPersistent()
	}
	if !persists["/home/dev"] || persists["/home/dev/.cache"] || len(persists) != 2 {
		t.Errorf("volumes: %v", persists)
	}
	types := map[string]bool{}
	params := map[string]string{}
	for _, p := range s.SDKParameters() {
		types[string(p.Type)] = true
		if p.Default == nil {
			t.Errorf("starter parameter %s has no default; den create would ask for it", p.Name)
			continue
		}
		params[p.Name] = *p.Default
	}
	if len(types) < 2 {
		t.Errorf("the starter shows only the types %v", types)
	}
	r, err := s.Resolve(Vars{Params: params, WorkspaceName: "ws", OwnerName: "dev"})
	if err != nil {
		t.Fatalf("Resolve with the defaults: %v", err)
	}
	if n, err := r.Container.NanoCPUs(); err != nil || n <= 0 {
		t.Errorf("NanoCPUs = %d, %v", n, err)
	}
	if n, err := r.Container.MemoryBytes(); err != nil || n <= 0 {
		t.Errorf("MemoryBytes = %d, %v", n, err)
	}
	entries, err := fs.ReadDir(Starter, ".")
	if err != nil || len(entries) == 0 || entries[0].Name() != FileName {
		t.Errorf("the starter's files are not at its root: %v %v", entries, err)
	}
}
