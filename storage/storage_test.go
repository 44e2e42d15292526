package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"lore/storage/secret"
)

var discard = slog.New(slog.NewTextHandler(io.Discard, nil))

func migrationsFS() fs.FS { return os.DirFS("../migrations") }

// openTest opens a fresh, fully migrated database file in a temporary directory.
func openTest(t testing.TB) *Store {
	t.Helper()
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "lore.db"), migrationsFS(), discard)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// openAt opens a fresh database file migrated to version only: to show
// what a later migration does with rows an older schema held.
func openAt(t testing.TB, version int64) *Store {
	t.Helper()
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "lore.db"), migrationsFS(), discard, SkipMigrations())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.MigrateTo(context.Background(), version); err != nil {
		t.Fatal(err)
	}
	return s
}

func tables(t *testing.T, s *Store) []string {
	t.Helper()
	rows, err := s.read.Query(`SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger') AND name NOT LIKE 'sqlite_%' ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		names = append(names, n)
	}
	return names
}

func TestOpenSetsPragmas(t *testing.T) {
	t.Parallel()
	s := openTest(t)
	ctx := context.Background()
	for _, db := range []*sql.DB{s.write, s.read} {
		for pragma, want := range map[string]string{
			"journal_mode":  "wal",
			"foreign_keys":  "1",
			"synchronous":   "1", // NORMAL
			"secure_delete": "1",
			"busy_timeout":  "10000",
		} {
			var got string
			if err := db.QueryRowContext(ctx, "PRAGMA "+pragma).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("PRAGMA %s = %s, want %s", pragma, got, want)
			}
		}
	}
	if _, err := s.read.ExecContext(ctx, `INSERT INTO organizations (name) VALUES ('x')`); err == nil {
		t.Error("the read pool accepted a write")
	}
}

func TestMigrationsUpDownUp(t *testing.T) {
	t.Parallel()
	s := openTest(t)
	ctx := context.Background()
	latest, err := s.LatestVersion()
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := s.SchemaVersion(ctx); v != latest || latest < 6 {
		t.Fatalf("after Open: version %d, latest %d", v, latest)
	}
	full := tables(t, s)
	if err := s.MigrateTo(ctx, 0); err != nil {
		t.Fatal(err)
	}
	if v, _ := s.SchemaVersion(ctx); v != 0 {
		t.Fatalf("after down to 0: version %d", v)
	}
	if left := tables(t, s); len(left) != 1 || left[0] != "goose_db_version" {
		t.Fatalf("after down to 0, left: %v", left)
	}
	if err := s.MigrateUp(ctx); err != nil {
		t.Fatal(err)
	}
	if again := tables(t, s); strings.Join(again, ",") != strings.Join(full, ",") {
		t.Fatalf("up again gave %v, first time %v", again, full)
	}
}

func TestMigrateFiveToSixGivesDefaultSettings(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "lore.db")
	s, err := Open(ctx, path, migrationsFS(), discard, SkipMigrations())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.MigrateTo(ctx, 5); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"Acme", "Globex", "Initech"} {
		if _, err := s.write.ExecContext(ctx, `INSERT INTO organizations (name) VALUES (?)`, name); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.write.ExecContext(ctx,
		`INSERT INTO installations (workspace_id, org_id, bot_token) VALUES ('T1', 1, 'xoxb-legacy')`); err != nil {
		t.Fatal(err)
	}
	if err := s.MigrateTo(ctx, 6); err != nil {
		t.Fatal(err)
	}
	rows, err := s.read.QueryContext(ctx, `
		SELECT o.name, ai_tone, ai_response_length, confidence_threshold, custom_system_prompt IS NULL,
		       backfill_schedule, backfill_days_back, auto_backfill_enabled, slack_commands_enabled,
		       web_qa_enabled, document_upload_enabled, email_notifications_enabled,
		       notify_on_failed_backfill, weekly_digest_enabled, message_retention_days
		FROM organizations o JOIN org_settings USING (org_id) ORDER BY o.org_id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var name, tone, length, sched string
		var conf, days, retention int
		var nullPrompt, auto, cmds, web, docs, email, notify, digest bool
		if err := rows.Scan(&name, &tone, &length, &conf, &nullPrompt, &sched, &days, &auto, &cmds, &web, &docs, &email, &notify, &digest, &retention); err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintln(name, tone, length, conf, nullPrompt, sched, days, auto, cmds, web, docs, email, notify, digest, retention))
	}
	want := []string{
		"Acme professional balanced 40 true 0 2 * * * 90 true true true true true true false 365",
		"Globex professional balanced 40 true 0 2 * * * 90 true true true true true true false 365",
		"Initech professional balanced 40 true 0 2 * * * 90 true true true true true true false 365",
	}
	if strings.Join(got, "") != strings.Join(want, "\n")+"\n" {
		t.Fatalf("settings after 5→6:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	var encrypted, valid, version int
	var plain string
	err = s.read.QueryRowContext(ctx, `SELECT credentials_encrypted, is_valid, encryption_version, bot_token FROM installations`).
		Scan(&encrypted, &valid, &version, &plain)
	if err != nil {
		t.Fatal(err)
	}
	if encrypted != 0 || valid != 1 || version != 1 || plain != "xoxb-legacy" {
		t.Errorf("installation after 5→6: encrypted=%d valid=%d version=%d plaintext kept=%v", encrypted, valid, version, plain == "xoxb-legacy")
	}

	// An organization created after 6 gets its settings row too.
	org, err := s.CreateOrganization(ctx, "Hooli")
	if err != nil {
		t.Fatal(err)
	}
	var n int
	s.read.QueryRowContext(ctx, `SELECT count(*) FROM org_settings WHERE org_id = ?`, org.ID).Scan(&n)
	if n != 1 {
		t.Errorf("new organization has %d settings rows, want 1", n)
	}
}

func TestSettingsChecksRejectOutOfRange(t *testing.T) {
	t.Parallel()
	s := openTest(t)
	ctx := context.Background()
	org, err := s.CreateOrganization(ctx, "Acme")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		column string
		value  any
	}{
		{"ai_tone", "sarcastic"},
		{"ai_tone", ""},
		{"ai_response_length", "endless"},
		{"confidence_threshold", -1},
		{"confidence_threshold", 101},
		{"confidence_threshold", "forty"},
		{"confidence_threshold", 40.5},
		{"custom_system_prompt", strings.Repeat("x", 4001)},
		{"backfill_schedule", ""},
		{"backfill_days_back", 0},
		{"backfill_days_back", 366},
		{"auto_backfill_enabled", 2},
		{"slack_commands_enabled", -1},
		{"web_qa_enabled", 2},
		{"document_upload_enabled", 2},
		{"email_notifications_enabled", 2},
		{"notify_on_failed_backfill", 2},
		{"weekly_digest_enabled", 2},
		{"message_retention_days", 29},
		{"message_retention_days", nil},
	}
	for _, c := range cases {
		_, err := s.write.ExecContext(ctx, `UPDATE org_settings SET `+c.column+` = ? WHERE org_id = ?`, c.value, org.ID)
		if err == nil {
			t.Errorf("%s = %v was accepted", c.column, c.value)
		} else if !IsConstraintViolation(err) {
			t.Errorf("%s = %v: got %v, want a constraint violation", c.column, c.value, err)
		}
	}
	// The edges of every range are accepted.
	for _, set := range []string{
		"confidence_threshold = 0", "confidence_threshold = 100", "backfill_days_back = 1",
		"backfill_days_back = 365", "message_retention_days = 30", "custom_system_prompt = NULL",
		"ai_tone = 'technical'", "ai_response_length = 'concise'",
	} {
		if _, err := s.write.ExecContext(ctx, `UPDATE org_settings SET `+set+` WHERE org_id = ?`, org.ID); err != nil {
			t.Errorf("%s rejected: %v", set, err)
		}
	}
}

// TestEveryOtherCheckRejectsBadValues covers the CHECK constraints outside
// org_settings, one bad value each, each beside a good statement that
// proves the row itself is fine.
func TestEveryOtherCheckRejectsBadValues(t *testing.T) {
	t.Parallel()
	s := openTest(t)
	ctx := context.Background()
	for _, q := range []string{
		`INSERT INTO organizations (name) VALUES ('Acme')`,
		`INSERT INTO users (email, password_hash) VALUES ('a@example.com', 'x')`,
		`INSERT INTO installations (workspace_id, org_id) VALUES ('T1', 1)`,
		`INSERT INTO channels (workspace_id, channel_id) VALUES ('T1', 'C1')`,
		`INSERT INTO documents (org_id, title) VALUES (1, 'Handbook')`,
	} {
		if _, err := s.write.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	cases := []struct{ bad, good string }{
		{`INSERT INTO organizations (name) VALUES ('   ')`, `INSERT INTO organizations (name) VALUES ('Globex')`},
		{`UPDATE users SET is_instance_owner = 2`, `UPDATE users SET is_instance_owner = 1`},
		{`INSERT INTO memberships (org_id, user_id, role) VALUES (1, 1, 'king')`, `INSERT INTO memberships (org_id, user_id, role) VALUES (1, 1, 'owner')`},
		{`UPDATE installations SET encryption_version = 0`, `UPDATE installations SET encryption_version = 2`},
		{`UPDATE installations SET credentials_encrypted = 2`, `UPDATE installations SET credentials_encrypted = 1`},
		{`UPDATE installations SET is_valid = 2`, `UPDATE installations SET is_valid = 0`},
		{`UPDATE channels SET is_private = 2`, `UPDATE channels SET is_private = 1`},
		{`UPDATE channels SET is_archived = -1`, `UPDATE channels SET is_archived = 1`},
		{`INSERT INTO messages (workspace_id, channel_id, ts, edited) VALUES ('T1', 'C1', '1.1', 2)`, `INSERT INTO messages (workspace_id, channel_id, ts, edited) VALUES ('T1', 'C1', '1.1', 1)`},
		{`INSERT INTO messages (workspace_id, channel_id, ts, is_noise) VALUES ('T1', 'C1', '1.2', 2)`, `INSERT INTO messages (workspace_id, channel_id, ts, is_noise) VALUES ('T1', 'C1', '1.2', 1)`},
		{`INSERT INTO messages (workspace_id, channel_id, ts) VALUES ('T1', 'C1', '')`, `INSERT INTO messages (workspace_id, channel_id, ts) VALUES ('T1', 'C1', '1790530909.253340')`},
		{`INSERT INTO messages (workspace_id, channel_id, ts, reply_count) VALUES ('T1', 'C1', '1.3', -1)`, `INSERT INTO messages (workspace_id, channel_id, ts, reply_count) VALUES ('T1', 'C1', '1.3', 2)`},
		{`UPDATE documents SET size_bytes = -1`, `UPDATE documents SET size_bytes = 10`},
		{`INSERT INTO chunks (document_id, position, text) VALUES (1, -1, 'x')`, `INSERT INTO chunks (document_id, position, text) VALUES (1, 0, 'x')`},
		{`INSERT INTO jobs (org_id, kind, progress) VALUES (1, 'backfill', 101)`, `INSERT INTO jobs (org_id, kind, progress) VALUES (1, 'backfill', 100)`},
		{`INSERT INTO jobs (org_id, kind, status) VALUES (1, 'backfill', 'exploded')`, `INSERT INTO jobs (org_id, kind, status) VALUES (1, 'backfill', 'failed')`},
		{`INSERT INTO questions (org_id, source, question) VALUES (1, 'email', 'why?')`, `INSERT INTO questions (org_id, source, question) VALUES (1, 'web', 'why?')`},
		{`INSERT INTO questions (org_id, source, question, confidence) VALUES (1, 'ask', 'why?', 101)`, `INSERT INTO questions (org_id, source, question, confidence) VALUES (1, 'ask', 'why?', 100)`},
		{`INSERT INTO questions (org_id, source, question, answered) VALUES (1, 'askall', 'why?', 2)`, `INSERT INTO questions (org_id, source, question, answered) VALUES (1, 'askall', 'why?', 1)`},
		{`INSERT INTO encryption_keys (version, fingerprint, kdf) VALUES (1, '0123456789abcdef0123456789abcdef', 'md5')`, `INSERT INTO encryption_keys (version, fingerprint, kdf) VALUES (1, '0123456789abcdef0123456789abcdef', 'fernet')`},
		{`INSERT INTO encryption_keys (version, fingerprint, kdf, salt, iterations) VALUES (2, '0123456789abcdef0123456789abcdef', 'fernet', x'01', 5)`, `INSERT INTO encryption_keys (version, fingerprint, kdf, salt, iterations) VALUES (2, '0123456789abcdef0123456789abcdef', 'pbkdf2-sha256', x'01', 5)`},
		{`INSERT INTO encryption_keys (version, fingerprint, kdf) VALUES (3, '0123456789abcdef0123456789abcdef', 'pbkdf2-sha256')`, `INSERT INTO encryption_keys (version, fingerprint, kdf) VALUES (3, '0123456789abcdef0123456789abcdef', 'fernet')`},
		{`INSERT INTO encryption_keys (version, fingerprint, kdf) VALUES (4, 'short', 'fernet')`, `INSERT INTO encryption_keys (version, fingerprint, kdf) VALUES (4, 'fedcba9876543210fedcba9876543210', 'fernet')`},
		{`UPDATE encryption_keys SET active = 2 WHERE version = 1`, `UPDATE encryption_keys SET active = 1 WHERE version = 1`},
		{`UPDATE encryption_keys SET active = 1 WHERE version = 2`, `UPDATE encryption_keys SET active = 0 WHERE version = 2`}, // at most one active
	}
	for _, c := range cases {
		if _, err := s.write.ExecContext(ctx, c.bad); !IsConstraintViolation(err) {
			t.Errorf("%s: got %v, want a constraint violation", c.bad, err)
		}
		if _, err := s.write.ExecContext(ctx, c.good); err != nil {
			t.Errorf("%s: %v", c.good, err)
		}
	}
}

// TestUpdatedAtMoves: the triggers of org_settings and installations move
// updated_at on every change, whichever statement makes it.
func TestUpdatedAtMoves(t *testing.T) {
	t.Parallel()
	s := openTest(t)
	ctx := context.Background()
	orgID := seedWorkspace(t, s, "T1")
	for _, c := range []struct {
		table  string
		change func() error
	}{
		{"org_settings", func() error {
			_, err := s.write.ExecContext(ctx, `UPDATE org_settings SET ai_tone = 'casual' WHERE org_id = ?`, orgID)
			return err
		}},
		{"installations", func() error {
			return s.Tx(ctx, func(tx *Tx) error {
				return tx.SaveEncryptedCredentials(ctx, orgID, "T1", EncryptedCredentials{Slack: secret.Slack{BotToken: "token"}, Version: 1}, "")
			})
		}},
	} {
		read := func() string {
			var v string
			if err := s.read.QueryRowContext(ctx, `SELECT updated_at FROM `+c.table+` WHERE org_id = ?`, orgID).Scan(&v); err != nil {
				t.Fatal(err)
			}
			return v
		}
		before := read()
		time.Sleep(5 * time.Millisecond) // the column has millisecond precision
		if err := c.change(); err != nil {
			t.Fatal(err)
		}
		after := read()
		if after <= before {
			t.Errorf("%s: updated_at %s did not move past %s", c.table, after, before)
		}
		if _, err := parseTime(after); err != nil {
			t.Error(err)
		}
	}
}

func TestOpenRefusesNonSQLiteFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "lore.db")
	content := []byte("this is a text file, not a database\n")
	os.WriteFile(path, content, 0o600)
	_, err := Open(context.Background(), path, migrationsFS(), discard)
	if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "not a SQLite database") {
		t.Fatalf("got %v, want an error naming %s as not SQLite", err, path)
	}
	got, _ := os.ReadFile(path)
	entries, _ := os.ReadDir(dir)
	if string(got) != string(content) || len(entries) != 1 {
		t.Fatalf("the file or its directory changed: %d entries", len(entries))
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "lore.db")
	s, err := Open(ctx, path, migrationsFS(), discard)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.write.Exec(`INSERT INTO goose_db_version (version_id, is_applied) VALUES (999, 1)`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	os.Chmod(path, 0o644)
	before, _ := os.ReadFile(path)
	_, err = Open(ctx, path, migrationsFS(), discard)
	if err == nil || !strings.Contains(err.Error(), "schema version 999, newer than") || !strings.Contains(err.Error(), path) {
		t.Fatalf("got %v, want a newer-schema error naming the path", err)
	}
	after, _ := os.ReadFile(path)
	if string(before) != string(after) {
		t.Error("the refused database file changed")
	}
	if info, _ := os.Stat(path); info.Mode().Perm() != 0o644 {
		t.Errorf("the refused database file's mode changed to %v", info.Mode().Perm())
	}
}

func TestFailedMigrationRollsBackWhole(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	broken := fstest.MapFS{}
	entries, _ := fs.ReadDir(migrationsFS(), ".")
	for _, e := range entries {
		b, _ := fs.ReadFile(migrationsFS(), e.Name())
		broken[e.Name()] = &fstest.MapFile{Data: b}
	}
	broken["00099_broken.sql"] = &fstest.MapFile{Data: []byte(`-- +goose Up
CREATE TABLE half_done (id INTEGER);
INSERT INTO organizations (name) VALUES ('ghost');
INSERT INTO no_such_table VALUES (1);
-- +goose Down
DROP TABLE half_done;
`)}
	path := filepath.Join(t.TempDir(), "lore.db")
	_, err := Open(ctx, path, broken, discard)
	if err == nil || !strings.Contains(err.Error(), "no_such_table") {
		t.Fatalf("got %v, want the broken migration's error", err)
	}
	s, err := Open(ctx, path, migrationsFS(), discard)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var n int
	s.read.QueryRow(`SELECT count(*) FROM sqlite_master WHERE name = 'half_done'`).Scan(&n)
	var ghosts int
	s.read.QueryRow(`SELECT count(*) FROM organizations WHERE name = 'ghost'`).Scan(&ghosts)
	latest, _ := s.LatestVersion()
	if v, _ := s.SchemaVersion(ctx); n != 0 || ghosts != 0 || v != latest {
		t.Fatalf("after the failed migration: half_done tables=%d ghost rows=%d version=%d", n, ghosts, v)
	}
}

// TestConcurrentWritersAndReaders runs writers and readers at once and
// expects every statement to succeed: no "database is locked", ever.
func TestConcurrentWritersAndReaders(t *testing.T) {
	t.Parallel()
	s := openTest(t)
	ctx := context.Background()
	orgID := seedWorkspace(t, s, "T1")
	s.write.Exec(`INSERT INTO channels (workspace_id, channel_id) VALUES ('T1', 'C1')`)

	const writers, readers, perWriter = 2, 4, 200
	var wg sync.WaitGroup
	errs := make(chan error, writers*perWriter+readers*perWriter)
	for w := range writers {
		wg.Go(func() {
			for i := range perWriter {
				err := s.Tx(ctx, func(tx *Tx) error {
					_, err := tx.tx.ExecContext(ctx, `INSERT INTO messages (workspace_id, channel_id, ts, text) VALUES ('T1', 'C1', ?, ?)`,
						fmt.Sprintf("%d.%06d", w, i), "hello world")
					if err != nil {
						return err
					}
					if err := indexPending(ctx, tx.tx.tx); err != nil {
						return err
					}
					return tx.AddAudit(ctx, AuditEntry{OrgID: orgID, Actor: "test", Action: "write"})
				})
				if err != nil {
					errs <- err
				}
			}
		})
	}
	for range readers {
		wg.Go(func() {
			for range perWriter {
				var n int
				if err := s.read.QueryRowContext(ctx, `SELECT count(*) FROM messages_fts WHERE messages_fts MATCH 'hello'`).Scan(&n); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent statement failed: %v", err)
	}
	var n int
	s.read.QueryRow(`SELECT count(*) FROM messages`).Scan(&n)
	if n != writers*perWriter {
		t.Fatalf("%d messages stored, want %d", n, writers*perWriter)
	}
}

func TestBackupDuringWritesIsConsistent(t *testing.T) {
	t.Parallel()
	s := openTest(t)
	ctx := context.Background()
	seedWorkspace(t, s, "T1")
	s.write.Exec(`INSERT INTO channels (workspace_id, channel_id) VALUES ('T1', 'C1')`)

	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			s.Tx(ctx, func(tx *Tx) error {
				_, err := tx.tx.ExecContext(ctx, `INSERT INTO messages (workspace_id, channel_id, ts, text) VALUES ('T1', 'C1', ?, 'x')`, fmt.Sprint(i))
				if err != nil {
					return err
				}
				return indexPending(ctx, tx.tx.tx)
			})
		}
	})
	// Back up once some writes have committed, while more go on.
	for n := 0; n < 5; {
		time.Sleep(5 * time.Millisecond)
		s.read.QueryRow(`SELECT count(*) FROM messages`).Scan(&n)
	}
	dest := filepath.Join(t.TempDir(), "copy.db")
	err := s.Backup(ctx, dest)
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if err := IntegrityCheck(ctx, dest); err != nil {
		t.Fatal(err)
	}
	copyStore, err := Open(ctx, dest, migrationsFS(), discard, SkipMigrations())
	if err != nil {
		t.Fatal(err)
	}
	defer copyStore.Close()
	var msgs, fts int
	copyStore.read.QueryRow(`SELECT count(*) FROM messages`).Scan(&msgs)
	copyStore.read.QueryRow(`SELECT count(*) FROM messages_fts WHERE messages_fts MATCH 'x'`).Scan(&fts)
	if msgs == 0 || msgs != fts {
		t.Fatalf("copy has %d messages and %d indexed: not one consistent snapshot", msgs, fts)
	}
	if err := s.Backup(ctx, dest); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("second backup to the same path: %v", err)
	}
}

func TestCreateWorkspaceTeamIDUniqueAcrossOrgs(t *testing.T) {
	t.Parallel()
	s := openTest(t)
	ctx := context.Background()
	a, _ := s.CreateOrganization(ctx, "A")
	b, _ := s.CreateOrganization(ctx, "B")
	if _, err := s.CreateWorkspace(ctx, a.ID, "T1", "one"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateWorkspace(ctx, b.ID, "T1", "two"); !errors.Is(err, ErrConflict) {
		t.Fatalf("same team id in another organization: %v, want ErrConflict", err)
	}
	if _, err := s.Workspace(ctx, b.ID, "T1"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("another organization's workspace: %v, want ErrNotFound", err)
	}
}

func TestFilesArePrivate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "lore.db")
	os.WriteFile(path, nil, 0o644) // an empty file left world-readable
	s, err := Open(ctx, path, migrationsFS(), discard)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.CreateOrganization(ctx, "Acme"); err != nil { // makes sure the WAL exists
		t.Fatal(err)
	}
	dest := filepath.Join(dir, "copy.db")
	if err := s.Backup(ctx, dest); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, path + "-wal", path + "-shm", dest} {
		info, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if perm := info.Mode().Perm(); perm != 0o600 {
			t.Errorf("%s has mode %v, want 0600", filepath.Base(p), perm)
		}
	}
}
