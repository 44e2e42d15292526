package storage

import (
	"context"
	"testing"
)

// TestWriteStatementsPreparedOnce: a write transaction's statements are
// prepared once and reused, and survive the schema changing under them.
func TestWriteStatementsPreparedOnce(t *testing.T) {
	t.Parallel()
	s := openTest(t)
	ctx := context.Background()
	const insert = `INSERT INTO organizations (name) VALUES (?)`
	write := func(name string) {
		t.Helper()
		err := s.Tx(ctx, func(tx *Tx) error {
			_, err := tx.tx.ExecContext(ctx, insert, name)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	write("A")
	st := s.stmts.get(insert)
	if st == nil {
		t.Fatal("the statement was not kept after its first run")
	}
	write("B")
	if s.stmts.get(insert) != st {
		t.Fatal("the statement was prepared again")
	}
	if err := s.MigrateTo(ctx, 0); err != nil {
		t.Fatal(err)
	}
	if err := s.MigrateUp(ctx); err != nil {
		t.Fatal(err)
	}
	write("C") // the table was dropped and created again under the kept statement
	var names string
	s.read.QueryRowContext(ctx, `SELECT group_concat(name) FROM organizations`).Scan(&names)
	if names != "C" {
		t.Fatalf("organizations after the schema changed: %q", names)
	}
}
