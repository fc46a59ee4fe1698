-- Templates and their versions, workspaces and their builds, and the
-- provisioner job queue that turns builds into infrastructure.

-- Uploaded archives (template directories as tar), content-addressed.
CREATE TABLE files (
    hash text PRIMARY KEY, -- hex SHA-256 of data
    data bytea NOT NULL,
    created_by uuid NOT NULL REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE templates (
    id uuid PRIMARY KEY,
    name text NOT NULL,
    description text NOT NULL DEFAULT '',
    provisioner text NOT NULL DEFAULT 'docker',
    active_version_id uuid,
    created_by uuid NOT NULL REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    deleted boolean NOT NULL DEFAULT false
);

CREATE UNIQUE INDEX templates_name_key ON templates (lower(name)) WHERE NOT deleted;

-- The queue. A job is pending until a daemon takes it (started_at), and
-- done when completed_at is set; error is NULL on success. updated_at is the
-- daemon's heartbeat.
CREATE TABLE provisioner_jobs (
    id uuid PRIMARY KEY,
    type text NOT NULL CHECK (type IN ('template_import', 'workspace_build')),
    provisioner text NOT NULL,
    file_hash text NOT NULL REFERENCES files (hash),
    -- For build jobs: jobs of one workspace run one at a time, in order.
    workspace_id uuid,
    initiator_id uuid NOT NULL REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    started_at timestamptz,
    canceled_at timestamptz,
    completed_at timestamptz,
    error text,
    worker_name text NOT NULL DEFAULT ''
);

CREATE INDEX provisioner_jobs_pending_idx ON provisioner_jobs (created_at) WHERE started_at IS NULL;
CREATE INDEX provisioner_jobs_running_idx ON provisioner_jobs (updated_at) WHERE started_at IS NOT NULL AND completed_at IS NULL;
CREATE INDEX provisioner_jobs_workspace_idx ON provisioner_jobs (workspace_id, created_at) WHERE completed_at IS NULL;

CREATE TABLE provisioner_job_logs (
    id bigserial PRIMARY KEY,
    job_id uuid NOT NULL REFERENCES provisioner_jobs (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL,
    level text NOT NULL,
    stage text NOT NULL,
    output text NOT NULL
);

CREATE INDEX provisioner_job_logs_job_idx ON provisioner_job_logs (job_id, id);

CREATE TABLE template_versions (
    id uuid PRIMARY KEY,
    template_id uuid NOT NULL REFERENCES templates (id),
    number integer NOT NULL,
    message text NOT NULL DEFAULT '',
    file_hash text NOT NULL REFERENCES files (hash),
    job_id uuid NOT NULL REFERENCES provisioner_jobs (id),
    -- Filled by the import job: []sdk.TemplateParameter.
    parameters jsonb NOT NULL DEFAULT '[]',
    description text NOT NULL DEFAULT '',
    activate_on_import boolean NOT NULL DEFAULT true,
    created_by uuid NOT NULL REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (template_id, number)
);

ALTER TABLE templates ADD CONSTRAINT templates_active_version_fk
    FOREIGN KEY (active_version_id) REFERENCES template_versions (id);

CREATE TABLE workspaces (
    id uuid PRIMARY KEY,
    owner_id uuid NOT NULL REFERENCES users (id),
    template_id uuid NOT NULL REFERENCES templates (id),
    name text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    deleted boolean NOT NULL DEFAULT false
);

CREATE UNIQUE INDEX workspaces_owner_name_key ON workspaces (owner_id, lower(name)) WHERE NOT deleted;
CREATE INDEX workspaces_template_idx ON workspaces (template_id) WHERE NOT deleted;

CREATE TABLE workspace_builds (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces (id),
    number integer NOT NULL,
    transition text NOT NULL CHECK (transition IN ('start', 'stop', 'delete')),
    template_version_id uuid NOT NULL REFERENCES template_versions (id),
    -- []sdk.ParameterValue: a value for every parameter of the version.
    parameters jsonb NOT NULL DEFAULT '[]',
    initiator_id uuid NOT NULL REFERENCES users (id),
    job_id uuid NOT NULL REFERENCES provisioner_jobs (id),
    -- Delete without touching the infrastructure.
    orphan boolean NOT NULL DEFAULT false,
    provisioner_state bytea,
    -- []provisioner.Resource, set when the build succeeds.
    resources jsonb NOT NULL DEFAULT '[]',
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (workspace_id, number)
);

CREATE UNIQUE INDEX workspace_builds_job_key ON workspace_builds (job_id);

-- One agent per start build; its token is stored as a SHA-256 only.
CREATE TABLE workspace_agents (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces (id),
    build_id uuid NOT NULL REFERENCES workspace_builds (id),
    hashed_token bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX workspace_agents_build_idx ON workspace_agents (build_id);
