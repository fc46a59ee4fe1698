package store_test

import (
	"context"
	"testing"

	"github.com/google/uuid"

	"den/dbtest"
	"den/store"
)

// TestUUIDBinary checks uuid.UUID values, pointers and slices both ways
// through the binary plans store.Open installs, against PostgreSQL's own
// text form of the same UUIDs.
func TestUUIDBinary(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, err := store.Open(ctx, dbtest.New(t))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	a, b := uuid.New(), uuid.New()

	var got uuid.UUID
	var text string
	if err := pool.QueryRow(ctx, "SELECT $1::uuid, $1::uuid::text", a).Scan(&got, &text); err != nil {
		t.Fatal(err)
	}
	if got != a || text != a.String() {
		t.Errorf("round trip of %s: %s, text %s", a, got, text)
	}

	var some, none *uuid.UUID
	if err := pool.QueryRow(ctx, "SELECT $1::uuid, NULL::uuid", &b).Scan(&some, &none); err != nil {
		t.Fatal(err)
	}
	if some == nil || *some != b || none != nil {
		t.Errorf("pointers: %v, %v", some, none)
	}
	if err := pool.QueryRow(ctx, "SELECT NULL::uuid").Scan(&got); err == nil {
		t.Error("NULL scanned into a uuid.UUID without an error")
	}

	var n int
	var texts []string
	if err := pool.QueryRow(ctx, "SELECT cardinality($1::uuid[]), $1::uuid[]::text[]", []uuid.UUID{a, b}).Scan(&n, &texts); err != nil {
		t.Fatal(err)
	}
	if n != 2 || len(texts) != 2 || texts[0] != a.String() || texts[1] != b.String() {
		t.Errorf("array: %d, %v", n, texts)
	}
	var ids []uuid.UUID
	if err := pool.QueryRow(ctx, "SELECT ARRAY[$1::uuid, $2::uuid]", a, b).Scan(&ids); err != nil {
		t.Fatal(err)
	}
	if len(ids) != 2 || ids[0] != a || ids[1] != b {
		t.Errorf("scanned array: %v", ids)
	}
}
