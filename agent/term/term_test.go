package term

import (
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestStartOnATerminalOfTheGivenSize(t *testing.T) {
	cmd := exec.Command("/bin/sh", "-c", `stty size; [ -t 0 ] && echo "tty=$TERM_CHECK"`)
	master, err := Start(cmd, unix.Winsize{Row: 30, Col: 100}, func(tty *os.File) error {
		cmd.Env = append(os.Environ(), "TERM_CHECK="+tty.Name())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	defer master.Close()
	_ = master.SetReadDeadline(time.Now().Add(10 * time.Second)) // non-blocking, so deadlines work
	var out strings.Builder
	_, _ = io.Copy(&out, master) // EIO once the shell has exited
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "30 100") || !strings.Contains(out.String(), "tty=/dev/pts/") {
		t.Fatalf("output %q: want the size 30 100 and a tty named by prepare", out.String())
	}
}
