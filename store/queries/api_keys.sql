-- name: InsertAPIKey :one
INSERT INTO api_keys (id, hashed_secret, user_id, kind, name, expires_at, last_used_at)
VALUES ($1, $2, $3, $4, $5, $6, $7)
RETURNING *;

-- name: GetAPIKeyByID :one
SELECT * FROM api_keys WHERE id = $1;

-- name: ListTokensByUser :many
SELECT * FROM api_keys WHERE user_id = $1 AND kind = 'token' ORDER BY created_at;

-- name: GetTokenByName :one
SELECT * FROM api_keys WHERE user_id = $1 AND kind = 'token' AND name = $2;

-- name: UpdateAPIKeyLastUsed :exec
UPDATE api_keys SET last_used_at = $2 WHERE id = $1;

-- name: UpdateAPIKeyExpiry :exec
UPDATE api_keys SET expires_at = $2 WHERE id = $1;

-- name: DeleteAPIKey :exec
DELETE FROM api_keys WHERE id = $1;

-- name: DeleteAPIKeysByUser :exec
DELETE FROM api_keys WHERE user_id = $1;

-- name: DeleteExpiredAPIKeys :execrows
DELETE FROM api_keys WHERE expires_at < now();

-- name: GetAPIKeyAuth :one
-- A key with its user, for authenticating a request in one round trip.
-- The user may be deleted; the caller refuses those.
SELECT sqlc.embed(k), sqlc.embed(u)
FROM api_keys k
JOIN users u ON u.id = k.user_id
WHERE k.id = $1;

-- name: DeleteSessionsOfUser :exec
-- Ends a user's sessions but one (keep: the session changing the password,
-- or '' for none); the user's API tokens stay.
DELETE FROM api_keys WHERE user_id = $1 AND kind = 'session' AND id <> @keep::text;
