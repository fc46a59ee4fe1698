-- name: InsertWorkspaceApp :exec
INSERT INTO workspace_apps (agent_id, slug, position, name, target_url, share, health,
    healthcheck_url, healthcheck_interval_ms, healthcheck_threshold)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10);

-- name: ListWorkspaceAppsByAgents :many
SELECT * FROM workspace_apps WHERE agent_id = ANY(@agent_ids::uuid[]) ORDER BY agent_id, position;

-- name: GetWorkspaceApp :one
SELECT * FROM workspace_apps WHERE agent_id = $1 AND slug = $2;

-- name: UpdateWorkspaceAppHealth :one
-- Returns the app only when its health changed.
UPDATE workspace_apps SET health = @health, health_updated_at = now()
WHERE agent_id = @agent_id AND slug = @slug AND health <> @health AND health <> 'disabled'
RETURNING *;
