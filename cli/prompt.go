package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"
)

// errInterrupted ends a prompt that a Ctrl-C cut short.
var errInterrupted = errors.New("interrupted")

// terminal returns the file descriptor of stdin when it is a terminal.
func (r *Root) terminal() (int, bool) {
	f, ok := r.Stdin.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return 0, false
	}
	return int(f.Fd()), true
}

// prompter asks questions on a terminal. Every question gives way to ctx, so
// a Ctrl-C ends a prompt (den catches SIGINT to shut down in order, so the
// signal alone would not).
type prompter struct {
	r  *Root
	in *bufio.Reader
}

func (r *Root) prompter() *prompter {
	return &prompter{r: r, in: bufio.NewReader(r.Stdin)}
}

// ask reads one line; an empty answer takes def.
func (p *prompter) ask(ctx context.Context, question, def string) (string, error) {
	if def != "" {
		fmt.Fprintf(p.r.Stderr, "%s [%s]: ", question, def)
	} else {
		fmt.Fprintf(p.r.Stderr, "%s: ", question)
	}
	line, err := readAsync(ctx, func() (string, error) {
		line, err := p.in.ReadString('\n')
		if errors.Is(err, io.EOF) && line != "" {
			err = nil
		}
		return line, err
	})
	if err != nil {
		fmt.Fprintln(p.r.Stderr)
		return "", err
	}
	line = strings.TrimSpace(line)
	if line == "" {
		return def, nil
	}
	return line, nil
}

// secret reads a line without echoing it.
func (p *prompter) secret(ctx context.Context, question string) (string, error) {
	fd, ok := p.r.terminal()
	if !ok {
		return "", errors.New("cannot ask for a password: stdin is not a terminal")
	}
	state, err := term.GetState(fd)
	if err != nil {
		return "", fmt.Errorf("read terminal state: %w", err)
	}
	fmt.Fprintf(p.r.Stderr, "%s: ", question)
	pw, err := readAsync(ctx, func() (string, error) {
		b, err := term.ReadPassword(fd)
		return string(b), err
	})
	if errors.Is(err, errInterrupted) {
		_ = term.Restore(fd, state) // echo back on
	}
	fmt.Fprintln(p.r.Stderr)
	return pw, err
}

// readAsync runs read, or gives up when ctx ends.
func readAsync(ctx context.Context, read func() (string, error)) (string, error) {
	type result struct {
		s   string
		err error
	}
	ch := make(chan result, 1)
	go func() {
		s, err := read()
		ch <- result{s, err}
	}()
	select {
	case res := <-ch:
		if res.err != nil {
			return "", fmt.Errorf("read answer: %w", res.err)
		}
		return res.s, nil
	case <-ctx.Done():
		return "", errInterrupted
	}
}
