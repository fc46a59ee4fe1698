package denyaml

import (
	"os"
	"strings"
	"testing"
	"testing/fstest"
)

// TestDocsExample: the full example in docs/templates.md parses.
func TestDocsExample(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile("../../docs/templates.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(doc), "## A full example\n\n```yaml\n")
	example, _, ok2 := strings.Cut(rest, "```")
	if !ok || !ok2 {
		t.Fatal("docs/templates.md has no full example")
	}
	s, err := ParseFS(fstest.MapFS{
		FileName:     {Data: []byte(example)},
		"Dockerfile": {Data: []byte("FROM den-debian:bookworm\n")},
	})
	if err != nil {
		t.Fatalf("the example in docs/templates.md does not parse:\n%v", err)
	}
	if len(s.Parameters) == 0 || len(s.Volumes) == 0 {
		t.Errorf("the example lost its parameters or volumes: %+v", s)
	}
}
