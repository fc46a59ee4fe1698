package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// TestCommittedTypesAreCurrent fails when web/src/api/types.gen.ts is not
// what the generator writes from package sdk today.
func TestCommittedTypesAreCurrent(t *testing.T) {
	want, err := Generate("../../sdk", roots)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("../../web/src/api/types.gen.ts")
	if err != nil {
		t.Fatalf("read the generated types: %v; run `go run ./tools/tsgen`", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("web/src/api/types.gen.ts is out of date with package sdk: run `go run ./tools/tsgen`")
	}
}

func TestGenerate(t *testing.T) {
	b, err := Generate("../../sdk", roots)
	if err != nil {
		t.Fatal(err)
	}
	out := string(b)
	for _, want := range []string{
		`export type WorkspaceStatus = "pending" | "starting" |`,
		"export interface Workspace {\n",
		"  id: string;\n",             // uuid.UUID
		"  created_at: string;\n",     // time.Time
		"  agent?: WorkspaceAgent;\n", // pointer with omitempty
		"  default?: string;\n",
		"  validations?: ValidationError[];\n",
		`export type ParameterType = "string" | "number" | "bool" | "list(string)";`,
		"  attributes?: Record<string, string>;\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("generated types lack %q", want)
		}
	}
	for _, unwanted := range []string{"StatusCode", "RetryAfter", "notFromDen"} {
		if strings.Contains(out, unwanted) {
			t.Errorf("generated types contain %q, a field not on the wire", unwanted)
		}
	}
}
