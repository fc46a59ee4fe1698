-- What workspace lists need to page and search in the database.

-- Each workspace points at its latest build, kept by a trigger, so that a
-- list joins it by key instead of looking for the highest number.
ALTER TABLE workspaces ADD COLUMN latest_build_id uuid REFERENCES workspace_builds (id);

UPDATE workspaces w SET latest_build_id = (
    SELECT b.id FROM workspace_builds b WHERE b.workspace_id = w.id ORDER BY b.number DESC LIMIT 1
);

CREATE FUNCTION den_set_latest_build() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE workspaces w SET latest_build_id = NEW.id
    WHERE w.id = NEW.workspace_id
      AND (w.latest_build_id IS NULL
        OR (SELECT b.number FROM workspace_builds b WHERE b.id = w.latest_build_id) < NEW.number);
    RETURN NULL;
END
$$;

CREATE TRIGGER workspace_builds_latest AFTER INSERT ON workspace_builds
FOR EACH ROW EXECUTE FUNCTION den_set_latest_build();

-- The status of a job and of a workspace, in SQL, so that workspace lists
-- filter and page by status in the database. The workspace list reads its
-- status from den_workspace_status alone; den_job_status must agree with
-- the server's jobStatus, which a server test checks.

CREATE FUNCTION den_job_status(started_at timestamptz, canceled_at timestamptz, completed_at timestamptz, error text)
RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN completed_at IS NOT NULL AND error IS NULL THEN 'succeeded'
        WHEN completed_at IS NOT NULL AND canceled_at IS NOT NULL THEN 'canceled'
        WHEN completed_at IS NOT NULL THEN 'failed'
        WHEN canceled_at IS NOT NULL THEN 'canceling'
        WHEN started_at IS NOT NULL THEN 'running'
        ELSE 'pending'
    END
$$;

-- A workspace's status follows from its latest build's transition and job;
-- a started workspace whose agent has not finished starting (not ready, and
-- not failed visibly) is still starting.
CREATE FUNCTION den_workspace_status(transition text, job_status text, agent_lifecycle text)
RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE job_status
        WHEN 'pending' THEN 'pending'
        WHEN 'running' THEN CASE transition WHEN 'stop' THEN 'stopping' WHEN 'delete' THEN 'deleting' ELSE 'starting' END
        WHEN 'succeeded' THEN CASE transition
            WHEN 'stop' THEN 'stopped'
            WHEN 'delete' THEN 'deleted'
            ELSE CASE WHEN agent_lifecycle IS NULL
                        OR agent_lifecycle IN ('ready', 'start_error', 'start_timeout', 'shutting_down', 'off')
                      THEN 'running' ELSE 'starting' END
            END
        WHEN 'canceling' THEN 'canceling'
        WHEN 'canceled' THEN 'canceled'
        ELSE 'failed'
    END
$$;
