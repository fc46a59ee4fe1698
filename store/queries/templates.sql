-- name: InsertTemplate :one
INSERT INTO templates (id, name, provisioner, created_by)
VALUES ($1, $2, $3, $4)
RETURNING *;

-- name: GetTemplateByID :one
SELECT * FROM templates WHERE id = $1;

-- name: GetTemplateByName :one
SELECT * FROM templates WHERE lower(name) = lower(@name) AND NOT deleted;

-- name: LockTemplate :exec
SELECT 1 FROM templates WHERE id = $1 FOR UPDATE;

-- name: ListTemplates :many
SELECT sqlc.embed(t),
    coalesce(v.number, 0)::integer AS active_version_number,
    (SELECT count(*) FROM workspaces w WHERE w.template_id = t.id AND NOT w.deleted) AS workspace_count
FROM templates t
LEFT JOIN template_versions v ON v.id = t.active_version_id
WHERE NOT t.deleted
ORDER BY lower(t.name);

-- name: ActivateTemplateVersion :exec
UPDATE templates SET active_version_id = @version_id, description = @description, updated_at = now()
WHERE id = @id;

-- name: SoftDeleteTemplate :exec
UPDATE templates SET deleted = true, updated_at = now() WHERE id = $1;

-- name: CountWorkspacesByTemplate :one
SELECT count(*) FROM workspaces WHERE template_id = $1 AND NOT deleted;

-- name: NextTemplateVersionNumber :one
SELECT (coalesce(max(number), 0) + 1)::integer FROM template_versions WHERE template_id = $1;

-- name: InsertTemplateVersion :one
INSERT INTO template_versions (id, template_id, number, message, file_hash, job_id, activate_on_import, created_by)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
RETURNING *;

-- name: GetTemplateVersionByID :one
SELECT * FROM template_versions WHERE id = $1;

-- name: GetTemplateVersionByNumber :one
SELECT * FROM template_versions WHERE template_id = $1 AND number = $2;

-- name: GetTemplateVersionByJobID :one
SELECT * FROM template_versions WHERE job_id = $1;

-- name: ListTemplateVersions :many
SELECT sqlc.embed(v), sqlc.embed(j), u.username AS created_by_name
FROM template_versions v
JOIN provisioner_jobs j ON j.id = v.job_id
JOIN users u ON u.id = v.created_by
WHERE v.template_id = $1
ORDER BY v.number DESC;

-- name: UpdateTemplateVersionImport :exec
UPDATE template_versions SET parameters = $2, description = $3 WHERE id = $1;
