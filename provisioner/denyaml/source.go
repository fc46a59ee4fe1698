package denyaml

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"unicode/utf8"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/lexer"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"
)

// MaxFileSize is the largest den.yaml Parse accepts.
const MaxFileSize = 256 << 10

const (
	// maxNesting bounds the nesting of the YAML, as tooDeep estimates it
	// (about two per level of a block mapping). den.yaml needs about 15;
	// the YAML parser's memory grows with the square of the depth.
	maxNesting = 200
	// maxTokens bounds the YAML tokens (keys, values and punctuation). The
	// starter has about 200. The parser's time grows with the square of a
	// mapping's keys: 20,000 tokens parse in well under a second.
	maxTokens = 20_000
	// maxSteps bounds the nodes decoded through aliases, counting each use
	// of an alias again, so that aliases cannot make a small file huge.
	// (Without aliases, the work is bounded by the file's size.)
	maxSteps = 100_000
)

// source is a decoded den.yaml: where each field was written. Paths are
// those of Error.Field.
type source struct {
	root   ast.Node
	nodes  map[string]ast.Node // the value written for a field
	keys   map[string]ast.Node // the key of a field
	values map[string]ast.Node // a parameter value, aliases resolved
}

// at returns the position of the field at path, or of the nearest
// enclosing field that was written.
func (s *source) at(path string) (line, col int) {
	for {
		if n, ok := s.nodes[path]; ok {
			return position(n)
		}
		if path == "" {
			return position(s.root)
		}
		path = parentPath(path)
	}
}

// keyAt is like at but prefers the key of the field.
func (s *source) keyAt(path string) (line, col int) {
	if k, ok := s.keys[path]; ok {
		return position(k)
	}
	return s.at(path)
}

func parentPath(path string) string {
	i := max(strings.LastIndexByte(path, '.'), strings.LastIndexByte(path, '['))
	if i < 0 {
		return ""
	}
	return path[:i]
}

// position is where a node starts, 1-based; line 1 (and column 0) when
// unknown, so that every problem in the file has a line.
func position(n ast.Node) (line, col int) {
	if n == nil {
		return 1, 0
	}
	tk := n.GetToken()
	switch n := n.(type) {
	case *ast.MappingNode:
		if !n.IsFlowStyle && len(n.Values) > 0 {
			return position(n.Values[0])
		}
	case *ast.MappingValueNode:
		return position(n.Key)
	}
	if tk == nil || tk.Position == nil {
		return 1, 0
	}
	return tk.Position.Line, tk.Position.Column
}

// decodeYAML parses data into a Spec, checking the YAML's shape against the
// Spec's types: unknown and duplicate keys, wrong kinds of values.
func decodeYAML(data []byte) (spec *Spec, src *source, errs Errors) {
	if len(data) > MaxFileSize {
		return nil, nil, fileError("the file is %d KiB; a den.yaml may be at most %d KiB", (len(data)+1023)/1024, MaxFileSize>>10)
	}
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	if !utf8.Valid(data) {
		line := 1 + bytes.Count(data[:invalidUTF8(data)], []byte("\n"))
		return nil, nil, Errors{{File: FileName, Line: line, Message: "the file is not UTF-8 text"}}
	}
	if i := bytes.IndexByte(data, 0); i >= 0 {
		line := 1 + bytes.Count(data[:i], []byte("\n"))
		return nil, nil, Errors{{File: FileName, Line: line, Message: "the file holds a NUL byte; it is not text"}}
	}
	file, err := parseAST(data)
	if err != nil {
		return nil, nil, Errors{syntaxError(data, err)}
	}
	var docs []*ast.DocumentNode
	for _, doc := range file.Docs {
		if doc.Body != nil {
			docs = append(docs, doc)
		}
	}
	if len(docs) == 0 {
		return nil, nil, Errors{{File: FileName, Line: 1, Message: "the file is empty; a template needs at least container.image or container.build"}}
	}
	if len(docs) > 1 {
		line, col := position(docs[1].Body)
		if docs[1].Start != nil && docs[1].Start.Position != nil {
			line, col = docs[1].Start.Position.Line, docs[1].Start.Position.Column
		}
		return nil, nil, Errors{{File: FileName, Line: line, Column: col, Message: "a second YAML document (after ---); a den.yaml holds one"}}
	}
	d := &decoder{
		src: &source{
			root:   docs[0].Body,
			nodes:  map[string]ast.Node{},
			keys:   map[string]ast.Node{},
			values: map[string]ast.Node{},
		},
		aliases: map[*ast.AliasNode]ast.Node{},
	}
	d.collectAnchors(docs[0].Body, map[string]ast.Node{}, 0)
	spec = new(Spec)
	if m := d.resolve(docs[0].Body); m != nil && !isMapping(m) {
		d.errorAt(m, "", "the file must be a mapping of sections (provisioner, parameters, container, volumes, agent), not %s", kind(m))
	} else {
		d.decode("", docs[0].Body, reflect.ValueOf(spec).Elem())
	}
	if d.steps > maxSteps {
		return nil, nil, fileError("aliases (*name) expand to more than %d values; use fewer", maxSteps)
	}
	if len(d.errs) > 0 {
		return nil, nil, d.errs.sorted().limited()
	}
	return spec, d.src, nil
}

// errPanic marks a panic (of the YAML library, or a bug here) turned into an
// error, so that Parse never panics and the fuzz test still notices.
type errPanic struct{ v any }

func (e errPanic) Error() string { return fmt.Sprint(e.v) }

// parseAST runs goccy/go-yaml's lexer and parser, refusing nesting deep
// enough to exhaust memory and turning a panic of the library into an
// error.
func parseAST(data []byte) (file *ast.File, err error) {
	defer func() {
		if v := recover(); v != nil {
			file, err = nil, errPanic{v}
		}
	}()
	tokens := lexer.Tokenize(string(data))
	if len(tokens) > maxTokens {
		return nil, &yaml.SyntaxError{Message: fmt.Sprintf("more than %d YAML tokens (keys, values and punctuation) here; a template needs far fewer", maxTokens), Token: tokens[maxTokens]}
	}
	if tk := tooDeep(tokens); tk != nil {
		return nil, &yaml.SyntaxError{Message: "nested too deeply; den.yaml needs only a few levels", Token: tk}
	}
	// Duplicate keys are found by the decoder, which names the field.
	return parser.Parse(tokens, 0, parser.AllowDuplicateMapKey())
}

// tooDeep returns the first token nested deeper than maxNesting, counting
// open flow collections ([ and {) and, in block context, the stack of
// increasing columns (an over-estimate: a block collection nests in
// whatever started at a smaller column before it).
func tooDeep(tokens token.Tokens) *token.Token {
	flow := 0
	var columns []int
	for _, tk := range tokens {
		if tk.Type == token.CommentType || tk.Position == nil {
			continue
		}
		if flow == 0 {
			col := tk.Position.Column
			for len(columns) > 0 && columns[len(columns)-1] >= col {
				columns = columns[:len(columns)-1]
			}
			columns = append(columns, col)
		}
		switch tk.Type {
		case token.SequenceStartType, token.MappingStartType:
			flow++
		case token.SequenceEndType, token.MappingEndType:
			flow = max(0, flow-1)
		}
		if len(columns)+flow > maxNesting {
			return tk
		}
	}
	return nil
}

func invalidUTF8(data []byte) int {
	for i := 0; i < len(data); {
		r, n := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return len(data)
}

// syntaxError turns an error of the YAML library into an *Error.
func syntaxError(data []byte, err error) *Error {
	e := &Error{File: FileName, err: err}
	if p, ok := err.(errPanic); ok {
		e.Message = problem("the YAML parser failed on this file (%v); please report it", p.v)
		return e
	}
	var yerr yaml.Error
	if !errors.As(err, &yerr) {
		e.Message = problem("invalid YAML: %v", err)
		return e
	}
	// Not yerr.Error(): it prints the source around the token, which takes
	// long on long lines.
	e.Message = problem("invalid YAML: %s", yerr.GetMessage())
	if tk := yerr.GetToken(); tk != nil && tk.Position != nil {
		e.Line, e.Column = tk.Position.Line, tk.Position.Column
		lines := bytes.Split(data, []byte("\n"))
		near := lines[min(len(lines), max(0, e.Line-2)):min(len(lines), max(0, e.Line))]
		for _, l := range near {
			if bytes.HasPrefix(bytes.TrimLeft(l, " "), []byte("\t")) {
				e.Message += " (YAML indents with spaces, not tabs)"
				return e
			}
		}
		if len(near) > 0 && bytes.Contains(near[len(near)-1], []byte("${")) {
			e.Message += ` (inside [ ] or { }, quote values that hold ${...}, such as "${param.x}")`
		}
	}
	return e
}
