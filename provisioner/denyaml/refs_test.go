package denyaml

import (
	"fmt"
	"reflect"
	"testing"
)

func TestScanRefs(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in    string
		names []string
		err   bool
	}{
		{"plain", nil, false},
		{"${a}", []string{"a"}, false},
		{"x${a}y${b.c}z", []string{"a", "b.c"}, false},
		{"$${a}", nil, false},
		{"$${a} ${b}", []string{"b"}, false},
		{"$a $$ $HOME {x}", nil, false},
		{"${}", []string{""}, false},
		{"${a", nil, true},
		{"${a} ${b", []string{"a"}, true},
		{"$${a", nil, false},
		{"${ a }", []string{" a "}, false},
	} {
		refs, err := scanRefs(tc.in)
		var names []string
		for _, r := range refs {
			names = append(names, r.name)
		}
		if !reflect.DeepEqual(names, tc.names) || (err != nil) != tc.err {
			t.Errorf("scanRefs(%q) = %q, %v; want %q, error %v", tc.in, names, err, tc.names, tc.err)
		}
	}
}

func TestSubstitute(t *testing.T) {
	t.Parallel()
	lookup := func(name string) (string, error) {
		if name == "bad" {
			return "", fmt.Errorf("no %s", name)
		}
		return "<" + name + ">", nil
	}
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"plain $HOME $$", "plain $HOME $$"},
		{"${a}", "<a>"},
		{"x${a}y${b}z", "x<a>y<b>z"},
		{"$${a}", "${a}"},
		{"$${a} ${b} $${c}", "${a} <b> ${c}"},
		{"${a}${b}", "<a><b>"},
		{"${a}$${b}", "<a>${b}"},
	} {
		got, err := substitute(tc.in, lookup)
		if err != nil || got != tc.want {
			t.Errorf("substitute(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	for _, in := range []string{"${bad}", "${a", "x ${bad} y"} {
		if got, err := substitute(in, lookup); err == nil {
			t.Errorf("substitute(%q) = %q; want an error", in, got)
		}
	}
}

// TestRefFieldsAreAllStrings: eachRefField visits the fields documented as
// taking references, and only those.
func TestRefFields(t *testing.T) {
	t.Parallel()
	s := mustParse(t, resolveSrc)
	var got []string
	s.eachRefField(func(path, value string) string {
		got = append(got, path)
		return value
	})
	want := []string{
		"container.image", "container.env.ID", "container.env.LITERAL", "container.env.WS",
		"container.cpus", "container.memory", "container.network", "container.user", "container.hostname",
		"volumes[0].path", "agent.dir", "agent.env.EMAIL", "agent.startup_script",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}
