-- Workspace apps: the web apps a start build's agent serves, as the
-- template declared them, with the health the agent last reported.

CREATE TABLE workspace_apps (
    agent_id uuid NOT NULL REFERENCES workspace_agents (id) ON DELETE CASCADE,
    slug text NOT NULL,
    -- The template's order.
    position integer NOT NULL,
    name text NOT NULL,
    -- Where the app listens inside the workspace (http://host:port/path).
    target_url text NOT NULL,
    share text NOT NULL CHECK (share IN ('owner', 'authenticated', 'public')),
    health text NOT NULL CHECK (health IN ('disabled', 'initializing', 'healthy', 'unhealthy')),
    -- Empty when the app has no health check.
    healthcheck_url text NOT NULL DEFAULT '',
    healthcheck_interval_ms integer NOT NULL DEFAULT 0,
    healthcheck_threshold integer NOT NULL DEFAULT 0,
    health_updated_at timestamptz,
    PRIMARY KEY (agent_id, slug)
);
