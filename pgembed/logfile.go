package pgembed

import (
	"fmt"
	"io"
	"os"
	"strings"
)

const (
	// maxLogSize is the size past which Start moves the log aside.
	maxLogSize = 32 << 20
	// tailLines is how many lines of the log an error quotes.
	tailLines = 20
)

// openLog opens postgres's log for appending, moving it to path+".1" first if
// it has grown too big. It returns the offset where this run's output starts.
// The log is written through the descriptor postgres inherits, so it belongs
// to this process's user whoever postgres runs as.
func openLog(path string) (*os.File, int64, error) {
	if fi, err := os.Stat(path); err == nil && fi.Size() > maxLogSize {
		if err := os.Rename(path, path+".1"); err != nil {
			return nil, 0, fmt.Errorf("rotate postgres log: %w", err)
		}
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, 0, fmt.Errorf("open postgres log: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("open postgres log: %w", err)
	}
	return f, fi.Size(), nil
}

// logTail returns the last lines the log got since offset from, formatted to
// end an error message; empty if there are none.
func logTail(path string, from int64) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	const window = 8 << 10
	if fi, err := f.Stat(); err == nil && fi.Size()-window > from {
		from = fi.Size() - window
	}
	if _, err := f.Seek(from, io.SeekStart); err != nil {
		return ""
	}
	b, _ := io.ReadAll(io.LimitReader(f, window))
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > tailLines {
		lines = lines[len(lines)-tailLines:]
	}
	if len(lines) == 1 && lines[0] == "" {
		return ""
	}
	return "; last lines of " + path + ":\n\t" + strings.Join(lines, "\n\t")
}
