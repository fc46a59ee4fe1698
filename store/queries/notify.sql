-- name: Notify :exec
-- Delivered to listeners only if the transaction commits (see package pubsub).
SELECT pg_notify(@channel::text, @payload::text);
