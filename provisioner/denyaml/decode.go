package denyaml

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"
)

// decoder fills a Spec from the YAML tree, reporting every mismatch.
type decoder struct {
	src     *source
	aliases map[*ast.AliasNode]ast.Node
	inAlias int // > 0 while decoding what an alias refers to
	steps   int // nodes decoded through aliases
	errs    Errors
}

// step counts one node and reports whether the budget is spent.
func (d *decoder) step() bool {
	if d.inAlias > 0 {
		d.steps++
	}
	return d.steps > maxSteps
}

// enter notes that n is (or goes through) an alias; call the returned
// function when done with it.
func (d *decoder) enter(n ast.Node) func() {
	for i := 0; n != nil && i < 4*maxNesting; i++ {
		switch v := n.(type) {
		case *ast.AnchorNode:
			n = v.Value
		case *ast.TagNode:
			n = v.Value
		case *ast.AliasNode:
			d.inAlias++
			return func() { d.inAlias-- }
		default:
			return func() {}
		}
	}
	return func() {}
}

func (d *decoder) errorAt(n ast.Node, path, format string, args ...any) {
	line, col := position(n)
	d.errs = append(d.errs, &Error{File: FileName, Line: line, Column: col, Field: path, Message: problem(format, args...)})
}

// collectAnchors binds each alias to the node of the anchor defined before
// it. An anchor is bound once its node ends, so no alias refers to a node
// that holds it: the expansion is a DAG, bounded by maxSteps.
func (d *decoder) collectAnchors(n ast.Node, anchors map[string]ast.Node, depth int) {
	if n == nil || depth > 4*maxNesting {
		return
	}
	depth++
	switch n := n.(type) {
	case *ast.AnchorNode:
		d.collectAnchors(n.Value, anchors, depth)
		if n.Name != nil && n.Name.GetToken() != nil && n.Value != nil {
			anchors[n.Name.GetToken().Value] = n.Value
		}
	case *ast.AliasNode:
		name := ""
		if n.Value != nil && n.Value.GetToken() != nil {
			name = n.Value.GetToken().Value
		}
		if target, ok := anchors[name]; ok {
			d.aliases[n] = target
		} else {
			d.errorAt(n, "", "alias *%s refers to no anchor &%s defined before it", name, name)
		}
	case *ast.MappingNode:
		for _, v := range n.Values {
			d.collectAnchors(v, anchors, depth)
		}
	case *ast.MappingValueNode:
		d.collectAnchors(n.Key, anchors, depth)
		d.collectAnchors(n.Value, anchors, depth)
	case *ast.MappingKeyNode:
		d.collectAnchors(n.Value, anchors, depth)
	case *ast.SequenceNode:
		for _, v := range n.Values {
			d.collectAnchors(v, anchors, depth)
		}
	case *ast.TagNode:
		d.collectAnchors(n.Value, anchors, depth)
	}
}

// resolve looks through anchors, tags and aliases to the node that holds
// the value; nil for an alias that refers to nothing.
func (d *decoder) resolve(n ast.Node) ast.Node {
	for i := 0; n != nil; i++ {
		if i > 4*maxNesting {
			return nil
		}
		switch v := n.(type) {
		case *ast.AnchorNode:
			n = v.Value
		case *ast.TagNode:
			n = v.Value
		case *ast.MappingKeyNode:
			n = v.Value
		case *ast.AliasNode:
			n = d.aliases[v]
		default:
			return n
		}
	}
	return nil
}

func isMapping(n ast.Node) bool {
	switch n.(type) {
	case *ast.MappingNode, *ast.MappingValueNode:
		return true
	}
	return false
}

func isNull(n ast.Node) bool {
	_, ok := n.(*ast.NullNode)
	return n == nil || ok
}

// kind names the kind of a (resolved) node for messages.
func kind(n ast.Node) string {
	switch n.(type) {
	case nil, *ast.NullNode:
		return "nothing"
	case *ast.MappingNode, *ast.MappingValueNode:
		return "a mapping"
	case *ast.SequenceNode:
		return "a list"
	case *ast.IntegerNode, *ast.FloatNode, *ast.InfinityNode, *ast.NanNode:
		return "a number"
	case *ast.BoolNode:
		return "true or false"
	default:
		return "text"
	}
}

// scalarText is the text of a scalar as written (so 1.10 stays "1.10" and
// 0755 stays "0755"), with ok false for collections. Null is "".
func scalarText(n ast.Node) (text string, ok bool) {
	switch n := n.(type) {
	case nil, *ast.NullNode:
		return "", true
	case *ast.StringNode:
		return n.Value, true
	case *ast.LiteralNode:
		if n.Value == nil {
			return "", true
		}
		return n.Value.Value, true
	case *ast.MappingNode, *ast.MappingValueNode, *ast.SequenceNode:
		return "", false
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.InfinityNode, *ast.NanNode, *ast.MergeKeyNode:
		if tk := n.GetToken(); tk != nil {
			return tk.Value, true
		}
	}
	return "", false
}

// pair is one key and value of a mapping.
type pair struct {
	key     string
	keyNode ast.Node
	value   ast.Node
}

// pairs lists the entries of a mapping in the order written, with merge
// keys (<<: *other) applied: a key written out wins over a merged one.
func (d *decoder) pairs(path string, n ast.Node, depth int) []pair {
	var values []*ast.MappingValueNode
	switch n := n.(type) {
	case *ast.MappingNode:
		values = n.Values
	case *ast.MappingValueNode:
		values = []*ast.MappingValueNode{n}
	}
	var out, merged []pair
	seen := map[string]ast.Node{}
	for _, mv := range values {
		if d.step() {
			return nil
		}
		if mv == nil || mv.Key == nil {
			continue
		}
		if mv.Key.IsMergeKey() {
			done := d.enter(mv.Value)
			merged = append(merged, d.merge(path, mv.Value, depth)...)
			done()
			continue
		}
		k := d.resolve(mv.Key)
		text, ok := scalarText(k)
		if !ok || isNull(k) {
			d.errorAt(mv.Key, path, "a key must be a name, not %s", kind(k))
			continue
		}
		if first, dup := seen[text]; dup {
			line, _ := position(first)
			d.errorAt(mv.Key, joinPath(path, text), "duplicate key %s; it is already set on line %d", quote(text), line)
			continue
		}
		seen[text] = mv.Key
		out = append(out, pair{key: text, keyNode: mv.Key, value: mv.Value})
	}
	for _, p := range merged {
		if _, dup := seen[p.key]; !dup {
			seen[p.key] = p.keyNode
			out = append(out, p)
		}
	}
	return out
}

func (d *decoder) merge(path string, n ast.Node, depth int) []pair {
	if depth > maxNesting || d.steps > maxSteps {
		return nil
	}
	switch m := d.resolve(n); {
	case isMapping(m):
		return d.pairs(path, m, depth+1)
	case m != nil && m.Type() == ast.SequenceType:
		var out []pair
		for _, item := range m.(*ast.SequenceNode).Values {
			if r := d.resolve(item); !isMapping(r) {
				d.errorAt(item, path, "a merge key (<<) takes mappings, not %s", kind(r))
				continue
			}
			done := d.enter(item)
			out = append(out, d.merge(path, item, depth+1)...)
			done()
		}
		return out
	default:
		d.errorAt(n, path, "a merge key (<<) takes a mapping or a list of mappings, not %s", kind(m))
		return nil
	}
}

func joinPath(path, key string) string {
	key = shorten(key, 60)
	if !fieldName.MatchString(key) {
		return path + "[" + strconv.Quote(key) + "]"
	}
	if path == "" {
		return key
	}
	return path + "." + key
}

func indexPath(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

var (
	valueType  = reflect.TypeFor[Value]()
	optionType = reflect.TypeFor[Option]()
)

// decode fills v from the node written at path.
func (d *decoder) decode(path string, written ast.Node, v reflect.Value) {
	defer d.enter(written)()
	if d.step() {
		return
	}
	d.src.nodes[path] = written
	n := d.resolve(written)
	switch {
	case v.Type() == valueType:
		d.decodeValue(path, written, n, v.Addr().Interface().(*Value))
		return
	case v.Type() == optionType && !isMapping(n) && !isNull(n):
		d.decodeValue(path, written, n, &v.Addr().Interface().(*Option).Value)
		return
	}
	switch v.Kind() {
	case reflect.String:
		text, ok := scalarText(n)
		if !ok {
			d.errorAt(written, path, "must be a single value, not %s", kind(n))
			return
		}
		v.SetString(text)
	case reflect.Bool:
		b, ok := n.(*ast.BoolNode)
		if !ok {
			text, _ := scalarText(n)
			d.errorAt(written, path, "must be true or false, not %s", describe(n, text))
			return
		}
		v.SetBool(b.Value)
	case reflect.Float64:
		f, ok := number(n)
		if !ok {
			text, _ := scalarText(n)
			d.errorAt(written, path, "must be a number, not %s", describe(n, text))
			return
		}
		v.SetFloat(f)
	case reflect.Int:
		i, ok := wholeNumber(n)
		if !ok {
			text, _ := scalarText(n)
			d.errorAt(written, path, "must be a whole number, not %s", describe(n, text))
			return
		}
		v.SetInt(i)
	case reflect.Pointer:
		if isNull(n) {
			if v.Type().Elem() == valueType {
				d.errorAt(written, path, `has no value; write default: "" for an empty default, or leave default out to make the parameter required`)
			}
			return // stays nil
		}
		p := reflect.New(v.Type().Elem())
		d.decode(path, written, p.Elem())
		v.Set(p)
	case reflect.Slice:
		if isNull(n) {
			return
		}
		seq, ok := n.(*ast.SequenceNode)
		if !ok {
			d.errorAt(written, path, "must be a list (lines starting with -), not %s", kind(n))
			return
		}
		s := reflect.MakeSlice(v.Type(), len(seq.Values), len(seq.Values))
		for i, item := range seq.Values {
			d.decode(indexPath(path, i), item, s.Index(i))
		}
		v.Set(s)
	case reflect.Map: // map[string]string
		if isNull(n) {
			return
		}
		if !isMapping(n) {
			d.errorAt(written, path, "must be a mapping of names to values, not %s", kind(n))
			return
		}
		m := reflect.MakeMap(v.Type())
		for _, p := range d.pairs(path, n, 0) {
			elem := reflect.New(v.Type().Elem()).Elem()
			fp := joinPath(path, p.key)
			d.src.keys[fp] = p.keyNode
			d.decode(fp, p.value, elem)
			m.SetMapIndex(reflect.ValueOf(p.key), elem)
		}
		v.Set(m)
	case reflect.Struct:
		if isNull(n) {
			return
		}
		if !isMapping(n) {
			d.errorAt(written, path, "must be a mapping (key: value lines), not %s", kind(n))
			return
		}
		fields := yamlFields(v.Type())
		for _, p := range d.pairs(path, n, 0) {
			fp := joinPath(path, p.key)
			i, ok := fields[p.key]
			if !ok {
				d.errorAt(p.keyNode, fp, "unknown field%s", suggest(p.key, path, fields))
				continue
			}
			d.src.keys[fp] = p.keyNode
			d.decode(fp, p.value, v.Field(i))
		}
	default: // a field of a type this decoder does not know yet
		d.errorAt(written, path, "den cannot read this field (type %s); please report it", v.Type())
	}
}

// decodeValue reads a parameter value: a scalar, or a list of scalars
// (for list(string)). validate normalizes it once the type is known.
func (d *decoder) decodeValue(path string, written, n ast.Node, out *Value) {
	d.src.nodes[path] = written
	d.src.values[path] = n
	if text, ok := scalarText(n); ok {
		out.S = text
		return
	}
	seq, ok := n.(*ast.SequenceNode)
	if !ok {
		d.errorAt(written, path, "must be a value or a list of text, not %s", kind(n))
		return
	}
	list := make([]string, 0, len(seq.Values))
	for i, item := range seq.Values {
		if d.step() {
			return
		}
		r := d.resolve(item)
		text, ok := scalarText(r)
		if !ok || isNull(r) {
			d.errorAt(item, indexPath(path, i), "a list item must be text, not %s", kind(r))
			continue
		}
		list = append(list, text)
	}
	b, _ := json.Marshal(list)
	out.S = string(b)
}

// number is the value of a numeric scalar (including 1e9, which the YAML
// library reads as text), with ok false for anything else.
func number(n ast.Node) (float64, bool) {
	switch n := n.(type) {
	case *ast.IntegerNode:
		switch v := n.Value.(type) {
		case int64:
			return float64(v), true
		case uint64:
			return float64(v), true
		}
	case *ast.FloatNode:
		return n.Value, !math.IsInf(n.Value, 0) && !math.IsNaN(n.Value)
	case *ast.StringNode:
		if n.Token != nil && n.Token.Type == token.StringType {
			f, err := strconv.ParseFloat(n.Value, 64)
			return f, err == nil && !math.IsInf(f, 0) && !math.IsNaN(f)
		}
	}
	return 0, false
}

// wholeNumber is the value of an integer scalar that fits in 32 bits, with
// ok false for anything else.
func wholeNumber(n ast.Node) (int64, bool) {
	in, ok := n.(*ast.IntegerNode)
	if !ok {
		return 0, false
	}
	switch v := in.Value.(type) {
	case int64:
		return v, v >= math.MinInt32 && v <= math.MaxInt32
	case uint64:
		return int64(v), v <= math.MaxInt32
	}
	return 0, false
}

// describe shows a wrong value in a message: its text for scalars, its kind
// for collections.
func describe(n ast.Node, text string) string {
	switch n.(type) {
	case *ast.MappingNode, *ast.MappingValueNode, *ast.SequenceNode, nil, *ast.NullNode:
		return kind(n)
	}
	return quote(text)
}

// yamlFields maps the yaml names of a struct's fields to their indexes.
func yamlFields(t reflect.Type) map[string]int {
	m := map[string]int{}
	for i := range t.NumField() {
		if name := yamlName(t.Field(i)); name != "" {
			m[name] = i
		}
	}
	return m
}

func yamlName(f reflect.StructField) string {
	if !f.IsExported() {
		return ""
	}
	name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	if name == "-" {
		return ""
	}
	return name
}

// suggest explains an unknown field: a near miss, a field that belongs in
// another section, or the fields there are.
func suggest(key, path string, fields map[string]int) string {
	names := make([]string, 0, len(fields))
	for name := range fields {
		names = append(names, name)
	}
	slices.Sort(names)
	best, bestDist := "", 3
	for _, name := range names {
		if dist := editDistance(strings.ToLower(key), name); dist < bestDist {
			best, bestDist = name, dist
		}
	}
	if best != "" {
		return fmt.Sprintf("; did you mean %s?", best)
	}
	if path == "" {
		for _, section := range []struct {
			name string
			t    reflect.Type
		}{{"container", reflect.TypeFor[Container]()}, {"agent", reflect.TypeFor[Agent]()}} {
			if _, ok := yamlFields(section.t)[key]; ok {
				return fmt.Sprintf("; did you mean %s.%s? (%s belongs in the %s section)", section.name, key, key, section.name)
			}
		}
	}
	if path == "" {
		return fmt.Sprintf("; the sections of den.yaml are %s", strings.Join(names, ", "))
	}
	return fmt.Sprintf("; the fields of %s are %s", path, strings.Join(names, ", "))
}

// editDistance is the Levenshtein distance of two short strings.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
