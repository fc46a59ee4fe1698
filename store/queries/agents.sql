-- name: GetAgentAuth :one
-- An agent by its token, with its workspace and the workspace's latest
-- build: what authenticating an agent's request needs, in one round trip.
SELECT sqlc.embed(a), sqlc.embed(w), sqlc.embed(b)
FROM workspace_agents a
JOIN workspaces w ON w.id = a.workspace_id
JOIN workspace_builds b ON b.id = w.latest_build_id
WHERE a.hashed_token = $1;

-- name: GetWorkspaceAgentByBuild :one
SELECT * FROM workspace_agents WHERE build_id = $1;

-- name: GetWorkspaceAgentByID :one
SELECT * FROM workspace_agents WHERE id = $1;

-- name: SetWorkspaceAgentManifest :exec
UPDATE workspace_agents SET manifest_ready = true, dir = $2, env = $3, startup_script = $4, startup_timeout_seconds = $5
WHERE build_id = $1;

-- name: DeleteWorkspaceAgentByBuild :exec
DELETE FROM workspace_agents WHERE build_id = $1;

-- name: UpdateWorkspaceAgentLifecycle :one
UPDATE workspace_agents SET lifecycle_state = @state,
    started_at = CASE WHEN @state = 'starting' THEN now() ELSE started_at END,
    ready_at = CASE WHEN @state IN ('ready', 'start_error', 'start_timeout') THEN now() ELSE ready_at END
WHERE id = @id
RETURNING *;

-- name: WorkspaceAgentConnected :exec
UPDATE workspace_agents SET version = $2,
    first_connected_at = coalesce(first_connected_at, now()), last_connected_at = now(), disconnected_at = NULL
WHERE id = $1;

-- name: WorkspaceAgentDisconnected :exec
UPDATE workspace_agents SET disconnected_at = now() WHERE id = $1;

-- name: MarkAllAgentsDisconnected :exec
-- At server start: whatever was connected to an earlier run is not now.
UPDATE workspace_agents SET disconnected_at = now()
WHERE last_connected_at IS NOT NULL AND disconnected_at IS NULL;

-- name: AddWorkspaceAgentLogBytes :one
UPDATE workspace_agents SET log_bytes = log_bytes + @bytes WHERE id = @id RETURNING log_bytes;

-- name: InsertDeploymentSecret :exec
INSERT INTO deployment_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING;

-- name: GetDeploymentSecret :one
SELECT value FROM deployment_secrets WHERE name = $1;
