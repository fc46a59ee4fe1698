-- name: InsertFile :exec
INSERT INTO files (hash, data, created_by) VALUES ($1, $2, $3)
ON CONFLICT (hash) DO NOTHING;

-- name: GetFile :one
SELECT * FROM files WHERE hash = $1;
