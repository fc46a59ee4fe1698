-- The workspace agent: what it runs (from the build), where its lifecycle
-- stands, and when it was connected.

ALTER TABLE workspace_agents
    -- Set when the start build succeeds; until then the manifest is not ready.
    ADD COLUMN manifest_ready boolean NOT NULL DEFAULT false,
    ADD COLUMN dir text NOT NULL DEFAULT '',
    ADD COLUMN env jsonb NOT NULL DEFAULT '{}',
    ADD COLUMN startup_script text NOT NULL DEFAULT '',
    ADD COLUMN startup_timeout_seconds integer NOT NULL DEFAULT 0,
    ADD COLUMN version text NOT NULL DEFAULT '',
    ADD COLUMN lifecycle_state text NOT NULL DEFAULT 'created' CHECK (lifecycle_state IN
        ('created', 'starting', 'ready', 'start_error', 'start_timeout', 'shutting_down', 'off')),
    ADD COLUMN started_at timestamptz,
    ADD COLUMN ready_at timestamptz,
    ADD COLUMN first_connected_at timestamptz,
    ADD COLUMN last_connected_at timestamptz,
    ADD COLUMN disconnected_at timestamptz,
    -- Bytes of startup log the agent has sent, to bound a chatty agent.
    ADD COLUMN log_bytes bigint NOT NULL DEFAULT 0;

CREATE UNIQUE INDEX workspace_agents_token_key ON workspace_agents (hashed_token);

-- Secrets of the deployment itself, made at first start (such as the key
-- workspace SSH host keys are derived from).
CREATE TABLE deployment_secrets (
    name text PRIMARY KEY,
    value bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
