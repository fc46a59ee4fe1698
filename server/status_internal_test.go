package server

import (
	"context"
	"testing"
	"time"

	"den/dbtest"
	"den/store"
	"den/store/db"
)

// The workspace list takes a job's status from the database's
// den_job_status; the job API from jobStatus. They must agree on every job.
func TestJobStatusAgreesWithTheDatabase(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, err := store.Open(ctx, dbtest.New(t))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	now := time.Now()
	failed := "it broke"
	for bits := range 16 {
		var j db.ProvisionerJob
		if bits&1 != 0 {
			j.StartedAt = &now
		}
		if bits&2 != 0 {
			j.CanceledAt = &now
		}
		if bits&4 != 0 {
			j.CompletedAt = &now
		}
		if bits&8 != 0 {
			j.Error = &failed
		}
		var got string
		if err := pool.QueryRow(ctx, "SELECT den_job_status($1, $2, $3, $4)", j.StartedAt, j.CanceledAt, j.CompletedAt, j.Error).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if want := string(jobStatus(j)); got != want {
			t.Errorf("started %v, canceled %v, completed %v, error %v: den_job_status says %s, jobStatus %s",
				j.StartedAt != nil, j.CanceledAt != nil, j.CompletedAt != nil, j.Error != nil, got, want)
		}
	}
}
