package store_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"den/store"
)

// TestMigrateBackfillsLatestBuild migrates a database that has workspaces
// from before migration 0005: each workspace then points at its latest
// build, and the list reads its status.
func TestMigrateBackfillsLatestBuild(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cfg := emptyDatabase(t, "den_backfill")
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)

	// The schema as it was before 0005, recorded as Migrate records it.
	migs, err := store.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		t.Fatal(err)
	}
	for _, m := range migs {
		if m.Version >= 5 {
			break
		}
		if _, err := conn.Exec(ctx, m.SQL); err != nil {
			t.Fatalf("%s: %v", m.Name, err)
		}
		if _, err := conn.Exec(ctx, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", m.Version, m.Name); err != nil {
			t.Fatal(err)
		}
	}
	// A workspace with two builds (start, then stop), both done.
	const seed = `
INSERT INTO users (id, username, email, hashed_password) VALUES ('00000000-0000-0000-0000-000000000001', 'ada', 'ada@example.com', 'x');
INSERT INTO files (hash, data, created_by) VALUES ('h', '', '00000000-0000-0000-0000-000000000001');
INSERT INTO templates (id, name, created_by) VALUES ('00000000-0000-0000-0000-000000000002', 't', '00000000-0000-0000-0000-000000000001');
INSERT INTO provisioner_jobs (id, type, provisioner, file_hash, initiator_id, started_at, completed_at) VALUES
  ('00000000-0000-0000-0000-000000000010', 'template_import', 'docker', 'h', '00000000-0000-0000-0000-000000000001', now(), now()),
  ('00000000-0000-0000-0000-000000000011', 'workspace_build', 'docker', 'h', '00000000-0000-0000-0000-000000000001', now(), now()),
  ('00000000-0000-0000-0000-000000000012', 'workspace_build', 'docker', 'h', '00000000-0000-0000-0000-000000000001', now(), now());
INSERT INTO template_versions (id, template_id, number, file_hash, job_id, created_by) VALUES
  ('00000000-0000-0000-0000-000000000003', '00000000-0000-0000-0000-000000000002', 1, 'h', '00000000-0000-0000-0000-000000000010', '00000000-0000-0000-0000-000000000001');
INSERT INTO workspaces (id, owner_id, template_id, name) VALUES
  ('00000000-0000-0000-0000-000000000004', '00000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-000000000002', 'dev');
INSERT INTO workspace_builds (id, workspace_id, number, transition, template_version_id, initiator_id, job_id) VALUES
  ('00000000-0000-0000-0000-000000000021', '00000000-0000-0000-0000-000000000004', 1, 'start', '00000000-0000-0000-0000-000000000003', '00000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-000000000011'),
  ('00000000-0000-0000-0000-000000000022', '00000000-0000-0000-0000-000000000004', 2, 'stop', '00000000-0000-0000-0000-000000000003', '00000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-000000000012');
`
	if _, err := conn.Exec(ctx, seed); err != nil {
		t.Fatal(err)
	}

	pcfg, err := pgxpool.ParseConfig("")
	if err != nil {
		t.Fatal(err)
	}
	pcfg.ConnConfig = cfg.Copy()
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if err := store.Migrate(ctx, pool); err != nil {
		t.Fatal(err)
	}
	var latest, status string
	err = conn.QueryRow(ctx, `SELECT w.latest_build_id::text,
		den_workspace_status(b.transition, den_job_status(j.started_at, j.canceled_at, j.completed_at, j.error), NULL)
		FROM workspaces w JOIN workspace_builds b ON b.id = w.latest_build_id JOIN provisioner_jobs j ON j.id = b.job_id`).Scan(&latest, &status)
	if err != nil {
		t.Fatal(err)
	}
	if latest != "00000000-0000-0000-0000-000000000022" || status != "stopped" {
		t.Errorf("after the migration: latest build %s, status %s; want build #2, stopped", latest, status)
	}
}
