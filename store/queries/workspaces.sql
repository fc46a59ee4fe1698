-- name: InsertWorkspace :one
INSERT INTO workspaces (id, owner_id, template_id, name)
VALUES ($1, $2, $3, $4)
RETURNING *;

-- name: GetWorkspaceByID :one
SELECT * FROM workspaces WHERE id = $1;

-- name: GetWorkspaceByOwnerAndName :one
SELECT * FROM workspaces WHERE owner_id = $1 AND lower(name) = lower(@name) AND NOT deleted;

-- name: SoftDeleteWorkspace :exec
UPDATE workspaces SET deleted = true, updated_at = now() WHERE id = $1;

-- name: ListWorkspaces :many
-- A page of the live workspaces that match a search (all of them when
-- page_limit is null), each with its latest build, ordered by owner and
-- name, and with how many match in all. Every word must be in the name,
-- owner, template or status (words come lower-cased). The page is chosen
-- from the workspaces and their owners alone, looking at each one's latest
-- build only for a search by status or words; the rest is joined for the
-- page's rows.
WITH page AS (
    SELECT w.id, lower(u.username) AS owner_key, lower(w.name) AS name_key, count(*) OVER () AS total
    FROM workspaces w
    JOIN users u ON u.id = w.owner_id
    WHERE NOT w.deleted
      AND (sqlc.narg('id')::uuid IS NULL OR w.id = sqlc.narg('id'))
      AND (sqlc.narg('owner_id')::uuid IS NULL OR w.owner_id = sqlc.narg('owner_id'))
      AND (sqlc.narg('template_name')::text IS NULL
        OR w.template_id IN (SELECT t.id FROM templates t WHERE lower(t.name) = lower(sqlc.narg('template_name'))))
      AND (sqlc.narg('name')::text IS NULL OR strpos(lower(w.name), lower(sqlc.narg('name'))) > 0)
      AND (sqlc.narg('status')::text IS NULL AND coalesce(cardinality(sqlc.narg('words')::text[]), 0) = 0 OR EXISTS (
        SELECT 1
        FROM workspace_builds b
        JOIN provisioner_jobs j ON j.id = b.job_id
        JOIN templates t ON t.id = w.template_id
        LEFT JOIN workspace_agents a ON a.build_id = b.id AND a.manifest_ready
        CROSS JOIN LATERAL (
            SELECT den_workspace_status(b.transition, den_job_status(j.started_at, j.canceled_at, j.completed_at, j.error), a.lifecycle_state)::text AS status
        ) s
        WHERE b.id = w.latest_build_id
          AND (sqlc.narg('status')::text IS NULL OR s.status = sqlc.narg('status'))
          AND NOT EXISTS (
            SELECT 1 FROM unnest(sqlc.narg('words')::text[]) AS word
            WHERE strpos(lower(w.name), word) = 0 AND strpos(lower(u.username), word) = 0
              AND strpos(lower(t.name), word) = 0 AND strpos(s.status, word) = 0
          )
      ))
    ORDER BY owner_key, name_key
    LIMIT sqlc.narg('page_limit')::integer OFFSET @page_offset::integer
)
SELECT sqlc.embed(w), u.username AS owner_name, t.name AS template_name,
    t.active_version_id AS template_active_version_id,
    sqlc.embed(b), sqlc.embed(j), v.number AS template_version_number,
    bu.username AS initiator_name,
    den_workspace_status(b.transition, den_job_status(j.started_at, j.canceled_at, j.completed_at, j.error), a.lifecycle_state)::text AS status,
    a.id AS agent_id, a.lifecycle_state AS agent_lifecycle, a.version AS agent_version,
    a.started_at AS agent_started_at, a.ready_at AS agent_ready_at,
    a.first_connected_at AS agent_first_connected_at, a.last_connected_at AS agent_last_connected_at,
    a.disconnected_at AS agent_disconnected_at,
    page.total
FROM page
JOIN workspaces w ON w.id = page.id
JOIN users u ON u.id = w.owner_id
JOIN templates t ON t.id = w.template_id
JOIN workspace_builds b ON b.id = w.latest_build_id
JOIN provisioner_jobs j ON j.id = b.job_id
JOIN template_versions v ON v.id = b.template_version_id
JOIN users bu ON bu.id = b.initiator_id
LEFT JOIN workspace_agents a ON a.build_id = b.id AND a.manifest_ready
ORDER BY page.owner_key, page.name_key;

-- name: InsertWorkspaceBuild :one
INSERT INTO workspace_builds (id, workspace_id, number, transition, template_version_id, parameters, initiator_id, job_id, orphan, restart)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
RETURNING *;

-- name: GetLatestWorkspaceBuild :one
SELECT * FROM workspace_builds WHERE workspace_id = $1 ORDER BY number DESC LIMIT 1;

-- name: GetWorkspaceBuildByNumber :one
SELECT * FROM workspace_builds WHERE workspace_id = $1 AND number = $2;

-- name: GetWorkspaceBuildByJobID :one
SELECT * FROM workspace_builds WHERE job_id = $1;

-- name: ListWorkspaceBuilds :many
SELECT sqlc.embed(b), sqlc.embed(j), u.username AS initiator_name, v.number AS template_version_number
FROM workspace_builds b
JOIN provisioner_jobs j ON j.id = b.job_id
JOIN users u ON u.id = b.initiator_id
JOIN template_versions v ON v.id = b.template_version_id
WHERE b.workspace_id = @workspace_id
  AND (sqlc.narg('number')::integer IS NULL OR b.number = sqlc.narg('number'))
ORDER BY b.number DESC
LIMIT sqlc.narg('page_limit')::integer OFFSET @page_offset::integer;

-- name: LockWorkspace :exec
SELECT 1 FROM workspaces WHERE id = $1 FOR UPDATE;

-- name: UpdateWorkspaceBuildResult :exec
UPDATE workspace_builds SET provisioner_state = $2, resources = $3 WHERE id = $1;

-- name: InsertWorkspaceAgent :exec
INSERT INTO workspace_agents (id, workspace_id, build_id, hashed_token) VALUES ($1, $2, $3, $4);

-- name: GetBuildForJob :one
-- What a provisioner needs for a build job, in one round trip: the build,
-- its workspace, owner (deleted owners too) and template, and the state the
-- last build before it left.
SELECT sqlc.embed(b), sqlc.embed(w), u.username AS owner_name, u.email AS owner_email,
    t.name AS template_name,
    (SELECT pb.provisioner_state FROM workspace_builds pb
     WHERE pb.workspace_id = b.workspace_id AND pb.number < b.number AND pb.provisioner_state IS NOT NULL
     ORDER BY pb.number DESC LIMIT 1)::bytea AS previous_state
FROM workspace_builds b
JOIN workspaces w ON w.id = b.workspace_id
JOIN users u ON u.id = w.owner_id
JOIN templates t ON t.id = w.template_id
WHERE b.job_id = $1;
