package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"
)

// terminal returns the file descriptor of stdin when it is a terminal.
func (r *Root) terminal() (int, bool) {
	f, ok := r.Stdin.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return 0, false
	}
	return int(f.Fd()), true
}

// prompter asks questions on a terminal.
type prompter struct {
	r  *Root
	in *bufio.Reader
}

func (r *Root) prompter() *prompter {
	return &prompter{r: r, in: bufio.NewReader(r.Stdin)}
}

// ask reads one line; an empty answer takes def.
func (p *prompter) ask(question, def string) (string, error) {
	if def != "" {
		fmt.Fprintf(p.r.Stderr, "%s [%s]: ", question, def)
	} else {
		fmt.Fprintf(p.r.Stderr, "%s: ", question)
	}
	line, err := p.in.ReadString('\n')
	if err != nil && !(errors.Is(err, io.EOF) && line != "") {
		return "", fmt.Errorf("read answer: %w", err)
	}
	line = strings.TrimSpace(line)
	if line == "" {
		return def, nil
	}
	return line, nil
}

// secret reads a line without echoing it.
func (p *prompter) secret(question string) (string, error) {
	fd, ok := p.r.terminal()
	if !ok {
		return "", errors.New("cannot ask for a password: stdin is not a terminal")
	}
	fmt.Fprintf(p.r.Stderr, "%s: ", question)
	b, err := term.ReadPassword(fd)
	fmt.Fprintln(p.r.Stderr)
	if err != nil {
		return "", fmt.Errorf("read password: %w", err)
	}
	return string(b), nil
}
