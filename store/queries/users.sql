-- name: CountUsers :one
SELECT count(*) FROM users WHERE NOT deleted;

-- name: InsertUser :one
INSERT INTO users (id, username, email, hashed_password, roles)
VALUES ($1, $2, $3, $4, $5)
RETURNING *;

-- name: GetUserByID :one
SELECT * FROM users WHERE id = $1 AND NOT deleted;

-- name: GetUserByUsername :one
SELECT * FROM users WHERE lower(username) = lower(@username) AND NOT deleted;

-- name: GetUserByLogin :one
-- The login is a username or an email address.
SELECT * FROM users
WHERE (lower(username) = lower(@login) OR lower(email) = lower(@login)) AND NOT deleted
LIMIT 1;

-- name: ListUsers :many
SELECT * FROM users WHERE NOT deleted ORDER BY lower(username);

-- name: UpdateUserStatus :one
UPDATE users SET status = $2, updated_at = now()
WHERE id = $1 AND NOT deleted
RETURNING *;

-- name: UpdateUserRoles :one
UPDATE users SET roles = $2, updated_at = now()
WHERE id = $1 AND NOT deleted
RETURNING *;

-- name: UpdateUserPassword :exec
UPDATE users SET hashed_password = $2, updated_at = now()
WHERE id = $1 AND NOT deleted;

-- name: UpdateUserLastSeen :exec
UPDATE users SET last_seen_at = $2 WHERE id = $1;

-- name: SoftDeleteUser :exec
UPDATE users SET deleted = true, status = 'suspended', updated_at = now() WHERE id = $1;

-- name: LockUsers :exec
-- Serializes first-user creation: held until the transaction ends.
SELECT pg_advisory_xact_lock(7);

-- name: GetUserByIDAny :one
-- Deleted users too: they still own old workspaces.
SELECT * FROM users WHERE id = $1;
