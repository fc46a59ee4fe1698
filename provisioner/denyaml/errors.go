package denyaml

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Error is one problem in a den.yaml. Its Error text is what a person sees:
//
//	den.yaml:12:5: container.memory: "2 gigs" is not a size; ...
type Error struct {
	// File is the template file, FileName.
	File string
	// Line and Column are 1-based; 0 when the problem concerns the whole
	// file (too large, missing) or a value given at build time.
	Line, Column int
	// Field is the path of the field, such as "container.memory",
	// "parameters[1].default" or "container.env.HOME"; empty for syntax
	// errors.
	Field string
	// Message says what is wrong and, where it can, how to fix it.
	Message string

	err error // the cause, for errors.Is (such as fs.ErrNotExist)
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(cmp.Or(e.File, FileName))
	if e.Line > 0 {
		b.WriteString(":" + strconv.Itoa(e.Line))
		if e.Column > 0 {
			b.WriteString(":" + strconv.Itoa(e.Column))
		}
	}
	b.WriteString(": ")
	if e.Field != "" {
		b.WriteString(e.Field + ": ")
	}
	b.WriteString(e.Message)
	return b.String()
}

// Unwrap returns the cause, if any.
func (e *Error) Unwrap() error { return e.err }

// Errors is every problem found in a den.yaml, in the order of the file.
// Parse, ParseFS and Resolve return their problems as Errors (never empty);
// errors.As also finds the first *Error in it.
type Errors []*Error

// Error is one problem per line.
func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap lets errors.As and errors.Is look at each problem.
func (es Errors) Unwrap() []error {
	errs := make([]error, len(es))
	for i, e := range es {
		errs[i] = e
	}
	return errs
}

// sorted orders problems by position; problems without one come first.
func (es Errors) sorted() Errors {
	slices.SortStableFunc(es, func(a, b *Error) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
	})
	return es
}

// maxProblems bounds the problems reported at once.
const maxProblems = 50

// limited keeps the first maxProblems problems and says how many more there
// are.
func (es Errors) limited() Errors {
	if len(es) <= maxProblems {
		return es
	}
	more := len(es) - maxProblems
	es = append(es[:maxProblems:maxProblems], &Error{File: FileName, Message: fmt.Sprintf("and %d more problems", more)})
	return es
}

// shorten cuts text from the file to a length that fits in a message.
func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n/2]) + "..." + string(r[len(r)-n/2:])
}

// quote shows a text from the file in a message: quoted, and cut when
// long.
func quote(s string) string { return strconv.Quote(shorten(s, 60)) }

// problem is the message of a new Error, cut to a readable length.
func problem(format string, args ...any) string {
	return shorten(fmt.Sprintf(format, args...), 600)
}

// fileError is a problem with the file as a whole.
func fileError(format string, args ...any) Errors {
	return Errors{{File: FileName, Message: problem(format, args...)}}
}
