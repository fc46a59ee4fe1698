package denyaml

import (
	"encoding/json"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// schemaFile is the JSON Schema of den.yaml, kept beside the docs.
const schemaFile = "../../docs/den.schema.json"

// TestSchemaMatchesSpec walks the Spec by its yaml tags and the schema
// side by side: every field is a property at the same place and every
// property a field, objects allow no other properties, and leaf types
// agree. So the two cannot drift apart.
func TestSchemaMatchesSpec(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(schemaFile)
	if err != nil {
		t.Fatal(err)
	}
	var root map[string]any
	if err := json.Unmarshal(data, &root); err != nil {
		t.Fatalf("%s: %v", schemaFile, err)
	}
	if root["$schema"] != "https://json-schema.org/draft/2020-12/schema" {
		t.Errorf("$schema is %v, want draft 2020-12", root["$schema"])
	}
	w := &schemaWalker{t: t, root: root}
	w.check("", reflect.TypeFor[Spec](), root)
	w.everyObjectClosed("", root)
}

type schemaWalker struct {
	t    *testing.T
	root map[string]any
}

// deref follows $ref (only local ones: #/$defs/NAME).
func (w *schemaWalker) deref(path string, node any) map[string]any {
	m, _ := node.(map[string]any)
	for i := 0; m != nil && i < 10; i++ {
		ref, ok := m["$ref"].(string)
		if !ok {
			return m
		}
		name, ok := strings.CutPrefix(ref, "#/$defs/")
		defs, _ := w.root["$defs"].(map[string]any)
		target, _ := defs[name].(map[string]any)
		if !ok || target == nil {
			w.t.Errorf("%s: $ref %q leads nowhere", path, ref)
			return nil
		}
		m = target
	}
	return m
}

// branches are a schema and the alternatives of its anyOf and oneOf,
// dereferenced.
func (w *schemaWalker) branches(path string, node any) []map[string]any {
	m := w.deref(path, node)
	if m == nil {
		return nil
	}
	out := []map[string]any{m}
	for _, key := range []string{"anyOf", "oneOf"} {
		alts, _ := m[key].([]any)
		for _, alt := range alts {
			out = append(out, w.branches(path, alt)...)
		}
	}
	return out
}

// find is the first branch holding key.
func (w *schemaWalker) find(path string, node any, key string) map[string]any {
	for _, b := range w.branches(path, node) {
		if _, ok := b[key]; ok {
			return b
		}
	}
	return nil
}

// types are the JSON types a schema allows, over all its branches.
func (w *schemaWalker) types(path string, node any) []string {
	var out []string
	for _, b := range w.branches(path, node) {
		switch v := b["type"].(type) {
		case string:
			out = append(out, v)
		case []any:
			for _, s := range v {
				out = append(out, s.(string))
			}
		}
	}
	return out
}

func (w *schemaWalker) check(path string, typ reflect.Type, node any) {
	t := w.t
	if node == nil {
		t.Errorf("%s: no schema", path)
		return
	}
	if typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	types := w.types(path, node)
	switch {
	case typ == valueType:
		if !slices.Contains(types, "string") || !slices.Contains(types, "array") {
			t.Errorf("%s: a value is a scalar or a list; the schema allows %v", path, types)
		}
	case typ.Kind() == reflect.Struct:
		obj := w.find(path, node, "properties")
		if obj == nil {
			t.Errorf("%s: the schema has no properties for %s", path, typ)
			return
		}
		if typ == optionType && !slices.Contains(types, "string") {
			t.Errorf("%s: an option may be a bare value; the schema allows %v", path, types)
		}
		props, _ := obj["properties"].(map[string]any)
		fields := yamlFields(typ)
		for name, i := range fields {
			if _, ok := props[name]; !ok {
				t.Errorf("%s: field %s (%s.%s) is not in the schema", path, joinPath(path, name), typ.Name(), typ.Field(i).Name)
				continue
			}
			w.check(joinPath(path, name), typ.Field(i).Type, props[name])
		}
		for name := range props {
			if _, ok := fields[name]; !ok {
				t.Errorf("%s: the schema has property %s, which %s does not", path, joinPath(path, name), typ)
			}
		}
	case typ.Kind() == reflect.Slice:
		items := w.find(path, node, "items")
		if items == nil || !slices.Contains(types, "array") {
			t.Errorf("%s: a list in the Spec, not in the schema (types %v)", path, types)
			return
		}
		w.check(path+"[]", typ.Elem(), items["items"])
	case typ.Kind() == reflect.Map:
		obj := w.find(path, node, "additionalProperties")
		if obj == nil || !slices.Contains(types, "object") {
			t.Errorf("%s: a map in the Spec, not in the schema", path)
			return
		}
		if _, ok := obj["additionalProperties"].(map[string]any); !ok {
			t.Errorf("%s: a map's additionalProperties must be the schema of its values", path)
			return
		}
		w.check(path+".*", typ.Elem(), obj["additionalProperties"])
	default:
		want := map[reflect.Kind]string{reflect.String: "string", reflect.Bool: "boolean", reflect.Float64: "number", reflect.Int: "integer"}[typ.Kind()]
		if want == "" || !slices.Contains(types, want) {
			t.Errorf("%s: %s in the Spec; the schema allows %v", path, typ, types)
		}
	}
	if m := w.deref(path, node); m != nil && typ != valueType && typ != optionType {
		if d, _ := m["description"].(string); d == "" {
			t.Errorf("%s: no description in the schema", path)
		}
	}
}

// everyObjectClosed checks additionalProperties: false wherever the
// schema lists properties.
func (w *schemaWalker) everyObjectClosed(path string, node any) {
	switch v := node.(type) {
	case map[string]any:
		if _, ok := v["properties"]; ok && v["additionalProperties"] != false {
			w.t.Errorf("%s: an object schema without additionalProperties: false", path)
		}
		for k, child := range v {
			if k == "properties" {
				for name, p := range child.(map[string]any) {
					w.everyObjectClosed(path+"/"+name, p)
				}
				continue
			}
			w.everyObjectClosed(path+"/"+k, child)
		}
	case []any:
		for _, child := range v {
			w.everyObjectClosed(path+"/[]", child)
		}
	}
}
