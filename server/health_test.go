package server_test

import (
	"context"
	"net/http"
	"testing"

	"den/server/servertest"
)

func TestHealth(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := servertest.New(t)
	for _, path := range []string{"/healthz", "/readyz"} {
		resp, err := srv.Client().Request(ctx, http.MethodGet, path, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s = %d, want 200", path, resp.StatusCode)
		}
	}
	// Once a migration is missing, the server is alive but not ready.
	if _, err := srv.DB.Exec(ctx, "DELETE FROM schema_migrations"); err != nil {
		t.Fatal(err)
	}
	resp, err := srv.Client().Request(ctx, http.MethodGet, "/readyz", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("readyz with migrations missing = %d, want 503", resp.StatusCode)
	}
}
