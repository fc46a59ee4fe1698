// Package provisionerd runs provisioner jobs: a Daemon takes jobs from a
// Coordinator (the server's queue), runs the matching Provisioner, streams
// the job's logs back, heartbeats while it works, and reports the result.
// The server runs several daemons in-process; the same Daemon can run as a
// separate process near the infrastructure it provisions.
package provisionerd

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/google/uuid"

	"den/provisioner"
	"den/tarfs"
)

// JobType says what a job does.
type JobType string

// The job types.
const (
	JobTemplateImport JobType = "template_import"
	JobWorkspaceBuild JobType = "workspace_build"
)

// Job is a job a daemon took.
type Job struct {
	ID          uuid.UUID
	Type        JobType
	Provisioner string
	// Archive is the template version's files, as a tar.
	Archive []byte
	// Build is set for workspace builds; its Files field is filled by the
	// daemon from Archive.
	Build *provisioner.ApplyRequest
}

// Result is how a job ended.
type Result struct {
	// Error is empty when the job succeeded.
	Error  string
	Import *provisioner.ParseResult
	Build  *provisioner.ApplyResult
}

// Log is one line of a job's output.
type Log struct {
	CreatedAt time.Time
	Level     provisioner.Level
	Stage     string
	Output    string
}

// Coordinator hands out jobs and takes their output. The server implements
// it over its database.
type Coordinator interface {
	// AcquireJob takes the oldest job this daemon can run, or returns nil.
	AcquireJob(ctx context.Context, worker string, provisioners []string) (*Job, error)
	// Heartbeat keeps the job alive and reports whether it was canceled.
	Heartbeat(ctx context.Context, job uuid.UUID) (canceled bool, err error)
	AppendLogs(ctx context.Context, job uuid.UUID, logs []Log) error
	CompleteJob(ctx context.Context, job uuid.UUID, r Result) error
	// JobPosted signals when new jobs may be waiting, until stop is called.
	JobPosted(ctx context.Context) (ch <-chan string, stop func(), err error)
}

// Options configure a Daemon.
type Options struct {
	// Name identifies the daemon in jobs and logs.
	Name         string
	Coordinator  Coordinator
	Provisioners map[string]provisioner.Provisioner
	Logger       *slog.Logger
	// HeartbeatInterval defaults to 5 s; the server fails a job whose
	// heartbeat stops for longer than its timeout.
	HeartbeatInterval time.Duration
	// PollInterval is the slow safety poll behind the notifications;
	// default 30 s.
	PollInterval time.Duration
}

// Daemon runs jobs one at a time.
type Daemon struct {
	opts  Options
	names []string
}

// New returns a Daemon.
func New(opts Options) *Daemon {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Name == "" {
		opts.Name = "provisionerd-" + uuid.NewString()[:8]
	}
	if opts.HeartbeatInterval <= 0 {
		opts.HeartbeatInterval = 5 * time.Second
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = 30 * time.Second
	}
	opts.Logger = opts.Logger.With("daemon", opts.Name)
	names := make([]string, 0, len(opts.Provisioners))
	for n := range opts.Provisioners {
		names = append(names, n)
	}
	sort.Strings(names)
	return &Daemon{opts: opts, names: names}
}

// Run takes and runs jobs until ctx ends. A job running then is canceled and
// reported as such.
func (d *Daemon) Run(ctx context.Context) error {
	posted, stop, err := d.opts.Coordinator.JobPosted(ctx)
	if err != nil {
		return fmt.Errorf("wait for jobs: %w", err)
	}
	defer stop()
	poll := time.NewTicker(d.opts.PollInterval)
	defer poll.Stop()
	backoff := time.Second
	for ctx.Err() == nil {
		job, err := d.opts.Coordinator.AcquireJob(ctx, d.opts.Name, d.names)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			d.opts.Logger.Warn("acquire job", "error", err, "retry_in", backoff)
			select {
			case <-ctx.Done():
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, 30*time.Second)
			continue
		}
		backoff = time.Second
		if job != nil {
			d.run(ctx, job)
			continue // there may be more
		}
		select {
		case <-ctx.Done():
		case <-posted:
		case <-poll.C:
		}
	}
	return nil
}

// run runs one job and reports its end, even when ctx ended meanwhile.
func (d *Daemon) run(ctx context.Context, job *Job) {
	log := d.opts.Logger.With("job", job.ID, "type", job.Type)
	log.Info("running job")
	start := time.Now()
	jobCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	logs := newLogBuffer(d.opts.Coordinator, job.ID, log)
	var wg sync.WaitGroup
	wg.Go(func() { logs.run(jobCtx) })
	wg.Go(func() { d.heartbeat(jobCtx, job.ID, cancel, log) })

	result := d.execute(jobCtx, job, logs)
	if cause := context.Cause(jobCtx); cause != nil && result.Error != "" {
		switch {
		case errors.Is(cause, errCanceled):
			result = Result{Error: "canceled"}
		case ctx.Err() != nil:
			result = Result{Error: "the provisioner daemon shut down during the job; run it again"}
		}
	}
	cancel(nil)
	wg.Wait()
	done, stop := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer stop()
	logs.flush(done)
	if err := d.opts.Coordinator.CompleteJob(done, job.ID, result); err != nil {
		log.Error("report job result", "error", err)
		return
	}
	log.Info("job done", "error", result.Error, "elapsed_ms", time.Since(start).Milliseconds())
}

var errCanceled = errors.New("job canceled")

func (d *Daemon) heartbeat(ctx context.Context, id uuid.UUID, cancel context.CancelCauseFunc, log *slog.Logger) {
	t := time.NewTicker(d.opts.HeartbeatInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		canceled, err := d.opts.Coordinator.Heartbeat(ctx, id)
		if err != nil {
			if ctx.Err() == nil {
				log.Warn("heartbeat", "error", err)
			}
			continue
		}
		if canceled {
			log.Info("job canceled")
			cancel(errCanceled)
			return
		}
	}
}

func (d *Daemon) execute(ctx context.Context, job *Job, logs provisioner.Logger) Result {
	p, ok := d.opts.Provisioners[job.Provisioner]
	if !ok {
		return Result{Error: fmt.Sprintf("this provisioner daemon has no %q provisioner (it has %v)", job.Provisioner, d.names)}
	}
	files, err := tarfs.Open(job.Archive, tarfs.Limits{})
	if err != nil {
		return Result{Error: err.Error()}
	}
	switch job.Type {
	case JobTemplateImport:
		pr, err := p.Parse(ctx, files, logs)
		if err != nil {
			return Result{Error: err.Error()}
		}
		return Result{Import: &pr}
	case JobWorkspaceBuild:
		if job.Build == nil {
			return Result{Error: "the build job has no build"}
		}
		req := *job.Build
		req.Files = files
		ar, err := p.Apply(ctx, req, logs)
		if err != nil {
			return Result{Error: err.Error(), Build: &ar}
		}
		return Result{Build: &ar}
	default:
		return Result{Error: fmt.Sprintf("unknown job type %q", job.Type)}
	}
}
