-- name: InsertProvisionerJob :one
INSERT INTO provisioner_jobs (id, type, provisioner, file_hash, workspace_id, initiator_id)
VALUES ($1, $2, $3, $4, $5, $6)
RETURNING *;

-- name: GetProvisionerJob :one
SELECT * FROM provisioner_jobs WHERE id = $1;

-- name: AcquireProvisionerJob :one
-- Takes the oldest pending job for one of the provisioners, skipping jobs
-- other daemons hold and build jobs whose workspace has an earlier job that
-- has not completed.
UPDATE provisioner_jobs SET started_at = now(), updated_at = now(), worker_name = @worker_name
WHERE id = (
    SELECT j.id FROM provisioner_jobs j
    WHERE j.started_at IS NULL
      AND j.provisioner = ANY(@provisioners::text[])
      AND NOT EXISTS (
          SELECT 1 FROM provisioner_jobs e
          WHERE j.workspace_id IS NOT NULL AND e.workspace_id = j.workspace_id
            AND e.created_at < j.created_at AND e.completed_at IS NULL
      )
    ORDER BY j.created_at
    FOR UPDATE SKIP LOCKED
    LIMIT 1
)
RETURNING *;

-- name: HeartbeatProvisionerJob :one
-- Keeps a running job alive; returns whether it was asked to cancel.
UPDATE provisioner_jobs SET updated_at = now()
WHERE id = $1 AND completed_at IS NULL
RETURNING (canceled_at IS NOT NULL)::boolean AS canceled;

-- name: CompleteProvisionerJob :one
UPDATE provisioner_jobs SET completed_at = now(), updated_at = now(), error = sqlc.narg('error')
WHERE id = @id AND completed_at IS NULL
RETURNING *;

-- name: CancelProvisionerJob :one
-- A pending job is done at once; a running one is told at its next heartbeat.
UPDATE provisioner_jobs SET
    canceled_at = coalesce(canceled_at, now()),
    completed_at = CASE WHEN started_at IS NULL THEN now() ELSE completed_at END,
    error = CASE WHEN started_at IS NULL THEN 'canceled' ELSE error END,
    updated_at = now()
WHERE id = $1 AND completed_at IS NULL
RETURNING *;

-- name: FailStaleProvisionerJobs :many
-- Fails running jobs whose daemon stopped heartbeating.
UPDATE provisioner_jobs SET completed_at = now(), updated_at = now(),
    error = 'the provisioner daemon ' || quote_literal(worker_name) || ' stopped responding; run the build again'
WHERE started_at IS NOT NULL AND completed_at IS NULL AND updated_at < @stale_before
RETURNING *;

-- name: CountJobsAhead :one
-- How many pending jobs were queued before this one.
SELECT count(*) FROM provisioner_jobs
WHERE started_at IS NULL AND created_at < (SELECT j.created_at FROM provisioner_jobs j WHERE j.id = $1);

-- name: InsertProvisionerJobLogs :many
INSERT INTO provisioner_job_logs (job_id, created_at, level, stage, output)
SELECT @job_id::uuid, unnest(@created_at::timestamptz[]), unnest(@level::text[]), unnest(@stage::text[]), unnest(@output::text[])
RETURNING id;

-- name: GetProvisionerJobLogsAfter :many
SELECT * FROM provisioner_job_logs WHERE job_id = $1 AND id > $2 ORDER BY id LIMIT 1000;
