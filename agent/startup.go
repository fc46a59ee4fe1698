package agent

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"

	"den/sdk"
)

// defaultStartupTimeout applies when the manifest gives none.
const defaultStartupTimeout = 5 * time.Minute

// startup runs the startup script, sending its output to the server as it
// comes, and reports starting, then ready, start_error or start_timeout.
// Processes the script leaves in the background keep running.
func (a *Agent) startup(ctx context.Context, m sdk.AgentManifest, env []string) {
	a.report(ctx, sdk.AgentStarting)
	if m.StartupScript == "" {
		a.report(ctx, sdk.AgentReady)
		return
	}
	timeout := time.Duration(m.StartupTimeoutSeconds) * time.Second
	if timeout <= 0 {
		timeout = defaultStartupTimeout
	}
	logs := newLogSender(a.client, a.log)
	sctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(sctx, shell(), "-c", m.StartupScript)
	cmd.Dir = workDir(m.Dir)
	cmd.Env = env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	// On timeout the whole group goes; output still held by background
	// processes is not waited for past a second.
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = time.Second
	out := logs.writer("info")
	cmd.Stdout, cmd.Stderr = out, out
	start := time.Now()
	err := cmd.Run()
	out.Close()
	state := sdk.AgentReady
	switch {
	case errors.Is(sctx.Err(), context.DeadlineExceeded):
		state = sdk.AgentStartTimeout
		logs.add("error", fmt.Sprintf("the startup script did not finish within %s and was stopped", timeout))
	case ctx.Err() != nil:
		logs.flush(context.WithoutCancel(ctx))
		return
	case err != nil && !errors.Is(err, exec.ErrWaitDelay):
		state = sdk.AgentStartError
		logs.add("error", fmt.Sprintf("the startup script failed: %s", exitReason(err)))
	default:
		logs.add("info", fmt.Sprintf("the startup script finished in %.1fs", time.Since(start).Seconds()))
	}
	logs.flush(ctx)
	a.report(ctx, state)
}

func exitReason(err error) string {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return "killed by " + ws.Signal().String()
		}
		return fmt.Sprintf("exit status %d", ee.ExitCode())
	}
	return err.Error()
}

// shell is the shell that runs scripts.
func shell() string {
	if _, err := os.Stat("/bin/sh"); err == nil {
		return "/bin/sh"
	}
	return "sh"
}

// workDir is the manifest's directory, else the home directory.
func workDir(dir string) string {
	if dir != "" {
		return dir
	}
	if home, err := os.UserHomeDir(); err == nil {
		return home
	}
	return "/"
}

// logSender batches log lines to the server.
type logSender struct {
	client *sdk.AgentClient
	log    interface{ Warn(string, ...any) }

	mu      sync.Mutex
	pending []sdk.AgentLog
	stopped bool
}

func newLogSender(c *sdk.AgentClient, log interface{ Warn(string, ...any) }) *logSender {
	return &logSender{client: c, log: log}
}

func (l *logSender) add(level, line string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.pending = append(l.pending, sdk.AgentLog{CreatedAt: time.Now(), Level: level, Output: line})
}

// flush sends what is queued, in batches the server accepts.
func (l *logSender) flush(ctx context.Context) {
	l.mu.Lock()
	batch := l.pending
	l.pending = nil
	stopped := l.stopped
	l.mu.Unlock()
	for len(batch) > 0 && !stopped {
		n := min(len(batch), sdk.MaxAgentLogsPerRequest)
		if err := l.client.PostLogs(ctx, batch[:n]); err != nil {
			if sdk.StatusCode(err) == 413 {
				l.mu.Lock()
				l.stopped = true // the server took its share
				l.mu.Unlock()
			}
			l.log.Warn("send startup logs", "error", err)
			return
		}
		batch = batch[n:]
	}
}

// writer returns a writer whose lines become log lines, sent every 250 ms
// while it is open.
func (l *logSender) writer(level string) io.WriteCloser {
	pr, pw := io.Pipe()
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64<<10), sdk.MaxAgentLogLine)
		for sc.Scan() {
			l.add(level, sc.Text())
		}
		_, _ = io.Copy(io.Discard, pr) // a line past the limit: drop the rest
	}()
	// The periodic sender is stopped, not canceled, at Close: a batch it is
	// sending then still arrives, before whatever the caller reports next
	// (the lifecycle state that ends a start's log stream).
	stop, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				l.flush(ctx)
				cancel()
			}
		}
	}()
	return closer{Writer: pw, close: func() error {
		pw.Close()
		<-done
		close(stop)
		<-stopped
		return nil
	}}
}

type closer struct {
	io.Writer
	close func() error
}

func (c closer) Close() error { return c.close() }
