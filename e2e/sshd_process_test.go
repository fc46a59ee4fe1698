package e2e

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// sshdProcessEnv makes TestSSHDProcess serve: the child process that runs
// the agent's SSH server for the gossh-proc baseline.
const sshdProcessEnv = "DEN_BENCH_SSHD_PROCESS"

// goSSHDProcess runs the agent's SSH server (agent/sshd) in a child process
// behind a loopback listener: the same SSH stream as through Den, without
// the relay, and with client and server in processes of their own as they
// are through Den. It returns the address and the host key.
func goSSHDProcess(b *testing.B) (addr, hostKey string) {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestSSHDProcess$", "-test.count=1", "-test.timeout=0")
	cmd.Env = append(os.Environ(), sshdProcessEnv+"="+b.TempDir())
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		stdin.Close() // the child ends when its stdin does
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }() //nolint:errcheck // it was asked to end
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill() //nolint:errcheck
			<-done
		}
	})
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if f := strings.SplitN(sc.Text(), " ", 3); len(f) == 3 && f[0] == "sshd" {
			go io.Copy(io.Discard, stdout) //nolint:errcheck
			return f[1], f[2]
		}
	}
	b.Fatalf("the SSH server process did not say where it listens")
	return "", ""
}

// TestSSHDProcess is the child process of goSSHDProcess: the server of
// goSSHD, until its stdin closes. Run by itself, without the environment
// variable, it has nothing to do.
func TestSSHDProcess(t *testing.T) {
	dir := os.Getenv(sshdProcessEnv)
	if dir == "" {
		t.Skip("runs as the child process of the SSH benchmarks")
	}
	addr, pub := goSSHD(t, dir)
	fmt.Printf("sshd %s %s\n", addr, pub)
	io.Copy(io.Discard, os.Stdin) //nolint:errcheck // EOF or an error: either way, end
}
