-- name: InsertWorkspaceApp :exec
INSERT INTO workspace_apps (agent_id, slug, position, name, target_url, share, health,
    healthcheck_url, healthcheck_interval_ms, healthcheck_threshold)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10);

-- name: ListWorkspaceAppsByAgents :many
SELECT * FROM workspace_apps WHERE agent_id = ANY(@agent_ids::uuid[]) ORDER BY agent_id, position;

-- name: UpdateWorkspaceAppHealth :one
-- Returns the app only when its health changed.
UPDATE workspace_apps SET health = @health, health_updated_at = now()
WHERE agent_id = @agent_id AND slug = @slug AND health <> @health AND health <> 'disabled'
RETURNING *;

-- name: GetLiveWorkspaceByName :one
-- What reaching into a workspace needs, in one round trip: the live
-- workspace of an owner (by username) and name, its owner's name, its
-- status, its current agent, and that agent's app slug (the agent and the
-- app are null when there is none; an empty slug finds no app).
SELECT sqlc.embed(w), u.username AS owner_name,
    den_workspace_status(b.transition, den_job_status(j.started_at, j.canceled_at, j.completed_at, j.error), a.lifecycle_state)::text AS status,
    a.id AS agent_id, app.share AS app_share, app.target_url AS app_target_url
FROM users u
JOIN workspaces w ON w.owner_id = u.id AND NOT w.deleted AND lower(w.name) = lower(@workspace_name)
JOIN workspace_builds b ON b.id = w.latest_build_id
JOIN provisioner_jobs j ON j.id = b.job_id
LEFT JOIN workspace_agents a ON a.build_id = b.id AND a.manifest_ready
LEFT JOIN workspace_apps app ON app.agent_id = a.id AND app.slug = @slug
WHERE lower(u.username) = lower(@owner_name) AND NOT u.deleted;

-- name: GetLiveWorkspaceByID :one
-- GetLiveWorkspaceByName, by the workspace's ID.
SELECT sqlc.embed(w), u.username AS owner_name,
    den_workspace_status(b.transition, den_job_status(j.started_at, j.canceled_at, j.completed_at, j.error), a.lifecycle_state)::text AS status,
    a.id AS agent_id, app.share AS app_share, app.target_url AS app_target_url
FROM workspaces w
JOIN users u ON u.id = w.owner_id
JOIN workspace_builds b ON b.id = w.latest_build_id
JOIN provisioner_jobs j ON j.id = b.job_id
LEFT JOIN workspace_agents a ON a.build_id = b.id AND a.manifest_ready
LEFT JOIN workspace_apps app ON app.agent_id = a.id AND app.slug = @slug
WHERE w.id = @id AND NOT w.deleted;
