package main

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// source is what reflection cannot see in package sdk: the constants of
// each named string type, and doc comments.
type source struct {
	consts   map[string][]string // type name → constant values, in source order
	typeDocs map[string]string   // type name → doc comment
	// fieldDocs maps "Type.Field" to the field's doc or line comment.
	fieldDocs map[string]string
}

// readSource parses the non-test Go files of dir.
func readSource(dir string) (source, error) {
	src := source{consts: map[string][]string{}, typeDocs: map[string]string{}, fieldDocs: map[string]string{}}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return src, fmt.Errorf("read the sdk source (run from the module root): %w", err)
	}
	var names []string
	for _, e := range entries {
		n := e.Name()
		if strings.HasSuffix(n, ".go") && !strings.HasSuffix(n, "_test.go") {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	fset := token.NewFileSet()
	for _, n := range names {
		f, err := parser.ParseFile(fset, filepath.Join(dir, n), nil, parser.ParseComments)
		if err != nil {
			return src, err
		}
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok {
				continue
			}
			switch gd.Tok {
			case token.CONST:
				src.addConsts(gd)
			case token.TYPE:
				src.addTypeDocs(gd)
			}
		}
	}
	return src, nil
}

func (s source) addConsts(gd *ast.GenDecl) {
	for _, spec := range gd.Specs {
		vs := spec.(*ast.ValueSpec)
		typ, ok := vs.Type.(*ast.Ident)
		if !ok {
			continue
		}
		for _, v := range vs.Values {
			lit, ok := v.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				continue
			}
			val, err := strconv.Unquote(lit.Value)
			if err == nil {
				s.consts[typ.Name] = append(s.consts[typ.Name], val)
			}
		}
	}
}

func (s source) addTypeDocs(gd *ast.GenDecl) {
	for _, spec := range gd.Specs {
		ts := spec.(*ast.TypeSpec)
		doc := ts.Doc
		if doc == nil && len(gd.Specs) == 1 {
			doc = gd.Doc
		}
		if doc != nil {
			s.typeDocs[ts.Name.Name] = doc.Text()
		}
		st, ok := ts.Type.(*ast.StructType)
		if !ok {
			continue
		}
		for _, f := range st.Fields.List {
			text := ""
			if f.Doc != nil {
				text = f.Doc.Text()
			} else if f.Comment != nil {
				text = f.Comment.Text()
			}
			if text == "" {
				continue
			}
			for _, n := range f.Names {
				s.fieldDocs[ts.Name.Name+"."+n.Name] = text
			}
		}
	}
}
