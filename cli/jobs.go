package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/google/uuid"

	"den/sdk"
)

// errJobFailed marks a job that ended badly after its log was shown.
type errJobFailed struct {
	what string
	job  sdk.ProvisionerJob
}

func (e *errJobFailed) Error() string {
	if e.job.Status == sdk.JobCanceled {
		return e.what + " was canceled"
	}
	return e.what + " failed: " + e.job.Error
}

// followJob prints a job's log as it happens, one header per stage, until
// the job is done, and returns an error when it did not succeed. A job that
// waits in the queue for more than a moment says so.
func followJob(ctx context.Context, c *sdk.Client, w io.Writer, id uuid.UUID, what string) (sdk.ProvisionerJob, error) {
	job, _, err := followBuild(ctx, c, w, id, what)
	return job, err
}

// followBuild is followJob for a build: a start's log goes on through its
// agent's start (the startup script), and the agent's last state comes back.
func followBuild(ctx context.Context, c *sdk.Client, w io.Writer, id uuid.UUID, what string) (sdk.ProvisionerJob, *sdk.WorkspaceAgent, error) {
	var (
		mu      sync.Mutex
		stage   string
		job     sdk.ProvisionerJob
		agent   *sdk.WorkspaceAgent
		waiting *time.Timer
	)
	defer func() {
		if waiting != nil {
			waiting.Stop()
		}
	}()
	// after is the last log line shown, where a reconnection resumes.
	var after int64
	// show prints one event; it runs under mu.
	show := func(ev sdk.JobEvent) error {
		if waiting != nil {
			waiting.Stop()
		}
		if ev.Log != nil {
			if ev.Log.Stage != stage {
				stage = ev.Log.Stage
				fmt.Fprintf(w, "==> %s\n", stage)
			}
			prefix := "    "
			if ev.Log.Level == "warn" || ev.Log.Level == "error" {
				prefix = "    " + ev.Log.Level + ": "
			}
			fmt.Fprintf(w, "%s%s\n", prefix, ev.Log.Output)
		}
		if a := ev.Agent; a != nil {
			if a.Connection == sdk.AgentConnected && (agent == nil || agent.Connection != sdk.AgentConnected) {
				fmt.Fprintf(w, "==> Agent %s connected\n", a.Version)
			}
			agent = a
		}
		if ev.Job != nil {
			job = *ev.Job
			if job.Status == sdk.JobPending {
				pos := job.QueuePosition
				waiting = time.AfterFunc(time.Second, func() {
					mu.Lock()
					defer mu.Unlock()
					fmt.Fprintf(w, "==> Waiting for a provisioner daemon (%s in the queue)\n", ordinal(pos))
				})
			}
		}
		if ev.Log != nil {
			after = ev.Log.ID
		}
		return nil
	}
	err := followReconnecting(ctx, w, func() error {
		return c.JobLogs(ctx, id, after, true, func(ev sdk.JobEvent) error {
			mu.Lock()
			defer mu.Unlock()
			return show(ev)
		})
	})
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return job, agent, fmt.Errorf("stopped watching; %s goes on on the server", what)
		}
		return job, agent, err
	}
	if job.Status != sdk.JobSucceeded {
		return job, agent, &errJobFailed{what: what, job: job}
	}
	return job, agent, nil
}

func ordinal(n int) string {
	if n <= 0 {
		return "next"
	}
	suffix := "th"
	switch {
	case n%100 >= 11 && n%100 <= 13:
	case n%10 == 1:
		suffix = "st"
	case n%10 == 2:
		suffix = "nd"
	case n%10 == 3:
		suffix = "rd"
	}
	return fmt.Sprintf("%d%s", n, suffix)
}

// took renders a job's duration.
func took(j sdk.ProvisionerJob) string {
	if j.CompletedAt == nil {
		return ""
	}
	from := j.CreatedAt
	d := j.CompletedAt.Sub(from)
	if d < 10*time.Second {
		return fmt.Sprintf(" in %.1fs", d.Seconds())
	}
	return " in " + d.Round(time.Second).String()
}

// followReconnecting runs follow, a stream from the server, again when the
// connection breaks (a server restarting, a network blip), after a short
// wait that grows, for up to followPatience in all; follow resumes where it
// left off. An answer from the server (an error with a status) ends it.
func followReconnecting(ctx context.Context, w io.Writer, follow func() error) error {
	wait := 250 * time.Millisecond
	var lost time.Time
	for {
		err := follow()
		if err == nil || ctx.Err() != nil || sdk.StatusCode(err) != 0 {
			return err
		}
		if lost.IsZero() {
			lost = time.Now()
			fmt.Fprintf(w, "==> Lost the connection to the server (%v); reconnecting…\n", err)
		} else if time.Since(lost) > followPatience {
			return fmt.Errorf("the server has not answered for %v: %w", followPatience.Round(time.Second), err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		wait = min(2*wait, 5*time.Second)
	}
}

// followPatience is how long den keeps reconnecting to a server it lost.
const followPatience = 2 * time.Minute
