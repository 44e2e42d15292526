package credentials

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"lore/app/keys"
	"lore/app/testlog"
	"lore/app/vault"
	"lore/storage"
	"lore/storage/secret"
)

// TestNoSecretInDatabaseFiles stores credentials, migrates seeded plaintext
// rows, and then looks for the secrets in the raw bytes of the database file
// and its WAL, while open and after closing.
func TestNoSecretInDatabaseFiles(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, newFakeSlack(t).URL(), nil)
	e.addWorkspace(t, "T0B")
	e.addWorkspace(t, "T0C")
	e.addWorkspace(t, "T0D")

	e.seedPlaintext(t, "T0D", legacyB) // replaced by Store below
	if _, err := e.svc.Store(ctx, "user:1", e.org, "T0D", good); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Store(ctx, "user:1", e.org, "T0123ABCD", good); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Verify(ctx, "user:1", e.org, "T0123ABCD"); err != nil {
		t.Fatal(err)
	}
	e.seedPlaintext(t, "T0B", legacyA)
	e.seedPlaintext(t, "T0C", legacyB)
	res, err := e.svc.Migrate(ctx, "cli", "")
	if err != nil || res.Migrated != 2 {
		t.Fatalf("Migrate = %+v, %v", res, err)
	}
	if got, err := e.svc.Get(ctx, "system", e.org, "T0B"); err != nil || got != legacyA {
		t.Fatalf("Get after Migrate: %v", err)
	}

	needles := secretNeedles(good, legacyA, legacyB)
	db := filepath.Join(e.dir, "lore.db")
	readFiles := func(when string) {
		t.Helper()
		for _, name := range []string{db, db + "-wal", db + "-shm"} {
			data, err := os.ReadFile(name)
			if errors.Is(err, os.ErrNotExist) {
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			assertNoSecret(t, fmt.Sprintf("%s %s", filepath.Base(name), when), data, needles)
		}
	}
	readFiles("while open")
	if err := e.store.Close(); err != nil {
		t.Fatal(err)
	}
	readFiles("after close")

	// The test must be able to fail: the plaintext is there before migrating.
	control := newEnv(t, closedURL(t), nil)
	control.seedPlaintext(t, "T0123ABCD", legacyA)
	control.store.Close()
	data, _ := os.ReadFile(filepath.Join(control.dir, "lore.db"))
	wal, _ := os.ReadFile(filepath.Join(control.dir, "lore.db-wal"))
	if !bytes.Contains(append(data, wal...), []byte(legacyA.BotToken)) {
		t.Fatal("control: seeded plaintext not found in the files; the search is broken")
	}
}

// TestNoSecretInLogs runs store → verify → migrate → rotate → read → delete,
// failures included, with every log at debug level in text and JSON going to
// one buffer (the default loggers too), then looks for the secrets in the
// logs, the errors and the audit log. Not parallel: it swaps the default
// loggers.
func TestNoSecretInLogs(t *testing.T) {
	var out testlog.Buffer
	opts := &slog.HandlerOptions{Level: slog.LevelDebug, AddSource: true}
	logger := slog.New(slog.NewMultiHandler(slog.NewTextHandler(&out, opts), slog.NewJSONHandler(&out, opts)))
	oldDefault, oldWriter := slog.Default(), log.Writer()
	slog.SetDefault(logger)
	log.SetOutput(&out)
	t.Cleanup(func() { slog.SetDefault(oldDefault); log.SetOutput(oldWriter) })

	ctx := context.Background()
	fake := newFakeSlack(t)
	e := newEnv(t, fake.URL(), logger)
	e.addWorkspace(t, "T0B")
	oldKey, _ := vault.GenerateKey()
	newKey, _ := vault.GenerateKey()
	loaded, err := keys.Load(ctx, e.store, keys.Source{Key: oldKey, DataDir: e.dir}, logger)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := New(e.store, loaded.Keyring, logger, Options{Slack: slackClient(t, fake.URL())})
	if err != nil {
		t.Fatal(err)
	}
	unreachable, _ := New(e.store, loaded.Keyring, logger, Options{Slack: slackClient(t, closedURL(t))})

	var errs []error
	keep := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	// Store: refused (swapped tokens), then accepted.
	_, err = svc.Store(ctx, "user:1", e.org, "T0123ABCD", secret.Slack{BotToken: good.AppToken, AppToken: good.BotToken, SigningSecret: legacyB.BotToken})
	keep(err)
	_, err = svc.Store(ctx, "user:1", e.org, "T0123ABCD", good)
	if err != nil {
		t.Fatal(err)
	}
	// Verify: valid, Slack unreachable, then rejected.
	if r, err := svc.Verify(ctx, "user:1", e.org, "T0123ABCD"); err != nil || !r.Valid {
		t.Fatalf("Verify = %+v, %v", r, err)
	}
	_, err = unreachable.Verify(ctx, "user:1", e.org, "T0123ABCD")
	keep(err)
	e.seedPlaintext(t, "T0B", secret.Slack{BotToken: revokedBot, AppToken: revokedApp, SigningSecret: legacyA.SigningSecret})
	if r, err := svc.Verify(ctx, "user:1", e.org, "T0B"); err != nil || r.Valid {
		t.Fatalf("Verify of revoked = %+v, %v", r, err)
	}
	// Migrate the plaintext row.
	if res, err := svc.Migrate(ctx, "cli", ""); err != nil || res.Migrated != 1 {
		t.Fatalf("Migrate = %+v, %v", res, err)
	}
	// Rotate to a new key, then read for use with it.
	if _, err := keys.Rotate(ctx, e.store, keys.Source{Key: oldKey, DataDir: e.dir}, newKey, logger); err != nil {
		t.Fatal(err)
	}
	loaded.Keyring.Destroy()
	_, err = svc.Get(ctx, "system", e.org, "T0123ABCD") // the old keyring is gone
	keep(err)
	reloaded, err := keys.Load(ctx, e.store, keys.Source{Key: newKey, DataDir: e.dir}, logger)
	if err != nil {
		t.Fatal(err)
	}
	svc, _ = New(e.store, reloaded.Keyring, logger, Options{Slack: slackClient(t, fake.URL())})
	got, err := svc.Get(ctx, "system", e.org, "T0123ABCD")
	if err != nil || got != good {
		t.Fatalf("Get after rotation: %v", err)
	}
	if rec := e.record(t, "T0123ABCD"); rec.Sealed.Version != 2 {
		t.Errorf("encryption_version after rotation = %d, want 2", rec.Sealed.Version)
	}
	// A read for use that is logged by mistake, as a careless caller would.
	logger.Debug("using credentials", "credentials", got)
	if _, err := svc.View(ctx, "user:1", e.org, "T0123ABCD"); err != nil {
		t.Fatal(err)
	}
	keep(svc.Delete(ctx, "user:1", e.org, "T0B"))
	keep(svc.Delete(ctx, "user:1", e.org, "T0123ABCD"))

	logs := out.Bytes()
	if !bytes.Contains(logs, []byte("slack credentials stored")) || !bytes.Contains(logs, []byte(`"msg":"slack credentials verified"`)) {
		t.Fatalf("the logs were not captured:\n%s", logs)
	}
	if len(errs) < 3 {
		t.Fatalf("expected the refused store, the unreachable verify and the destroyed-key read to fail, got %v", errs)
	}
	needles := secretNeedles(good, legacyA, legacyB,
		secret.Slack{BotToken: revokedBot, AppToken: revokedApp, SigningSecret: oldKey + newKey})
	needles = append(needles, oldKey, newKey)
	assertNoSecret(t, "the logs", logs, needles)
	for _, err := range errs {
		assertNoSecret(t, "error "+err.Error(), []byte(fmt.Sprintf("%v %+v %#v", err, err, err)), needles)
	}
	audit, err := e.store.ListAudit(ctx, storage.AuditFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(audit)
	assertNoSecret(t, "the audit log", b, needles)
	for _, action := range []string{ActionStore, ActionVerify, ActionMigrate, ActionRead, ActionView, ActionDelete, "keys.rotate"} {
		if !bytes.Contains(b, []byte(`"`+action+`"`)) {
			t.Errorf("no audit row for %s", action)
		}
	}
}
