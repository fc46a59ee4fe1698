package sdk

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/google/uuid"
)

// JobStatus is where a provisioner job stands.
type JobStatus string

// The job statuses.
const (
	JobPending   JobStatus = "pending"
	JobRunning   JobStatus = "running"
	JobSucceeded JobStatus = "succeeded"
	JobFailed    JobStatus = "failed"
	JobCanceling JobStatus = "canceling"
	JobCanceled  JobStatus = "canceled"
)

func (s JobStatus) String() string { return string(s) }

// Done reports whether the job will change no more.
func (s JobStatus) Done() bool {
	return s == JobSucceeded || s == JobFailed || s == JobCanceled
}

// ProvisionerJob is one unit of work for a provisioner: a template import or
// a workspace build.
type ProvisionerJob struct {
	ID          uuid.UUID  `json:"id"`
	Type        string     `json:"type"`
	Status      JobStatus  `json:"status"`
	Error       string     `json:"error,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
	StartedAt   *time.Time `json:"started_at,omitempty"`
	CompletedAt *time.Time `json:"completed_at,omitempty"`
	// WorkerName is the provisioner daemon that took the job.
	WorkerName string `json:"worker_name,omitempty"`
	// QueuePosition counts the pending jobs ahead of a pending job.
	QueuePosition int `json:"queue_position,omitempty"`
}

// ProvisionerJobLog is one line of a job's output.
type ProvisionerJobLog struct {
	ID        int64     `json:"id"`
	CreatedAt time.Time `json:"created_at"`
	Level     string    `json:"level"`
	Stage     string    `json:"stage"`
	Output    string    `json:"output"`
}

// JobEvent is one line of a job's log stream: a log line, the job's new
// state, or (for a start build) its agent's new state. The stream ends when
// the job is done and, for a start whose provisioner started an agent, the
// agent's start is over (or it did not start in time).
type JobEvent struct {
	Log   *ProvisionerJobLog `json:"log,omitempty"`
	Job   *ProvisionerJob    `json:"job,omitempty"`
	Agent *WorkspaceAgent    `json:"agent,omitempty"`
}

// Job returns a provisioner job.
func (c *Client) Job(ctx context.Context, id uuid.UUID) (ProvisionerJob, error) {
	var j ProvisionerJob
	err := c.do(ctx, http.MethodGet, APIPrefix+"/jobs/"+id.String(), nil, &j)
	return j, err
}

// JobLogs calls fn for each event of a job's log, from the first log line
// after afterID. With follow it waits for new lines until the job is done;
// without, it stops after the lines there are now and one job event.
func (c *Client) JobLogs(ctx context.Context, id uuid.UUID, afterID int64, follow bool, fn func(JobEvent) error) error {
	path := fmt.Sprintf("%s/jobs/%s/logs?after=%d&follow=%t", APIPrefix, id, afterID, follow)
	return readNDJSON(ctx, c, path, "job event", "job log stream", fn)
}

// readNDJSON GETs path, a stream of newline-delimited JSON, and calls fn
// with each line decoded as T until the stream ends, fn fails or the
// stream breaks. item and stream name them in errors.
func readNDJSON[T any](ctx context.Context, c *Client, path, item, stream string, fn func(T) error) error {
	resp, err := c.Request(ctx, http.MethodGet, path, nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 400 {
		return ReadError(resp)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		var v T
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			return fmt.Errorf("decode %s: %w", item, err)
		}
		if err := fn(v); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read %s: %w", stream, err)
	}
	return nil
}
