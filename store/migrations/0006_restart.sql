-- A stop that is the first half of a restart: when it succeeds, the server
-- queues a start with the same template version and parameters, in the
-- transaction that completes the stop, so the restart finishes even if the
-- browser or CLI that asked for it has gone.
ALTER TABLE workspace_builds ADD COLUMN restart boolean NOT NULL DEFAULT false;
