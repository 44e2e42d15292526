package credentials

import (
	"context"
	"errors"
	"strings"
	"testing"

	"lore/app/vault"
	"lore/storage"
	"lore/storage/secret"
)

func TestMigrateAll(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, closedURL(t), nil)
	for _, id := range []string{"T0B", "T0C", "T0D", "T0E"} {
		e.addWorkspace(t, id)
	}
	e.seedPlaintext(t, "T0123ABCD", legacyA)
	e.seedPlaintext(t, "T0B", legacyB)
	if _, err := e.svc.Store(ctx, "user:1", e.org, "T0C", good); err != nil {
		t.Fatal(err)
	}
	// T0D has nothing; T0E is encrypted with plaintext left beside it.
	if _, err := e.svc.Store(ctx, "user:1", e.org, "T0E", good); err != nil {
		t.Fatal(err)
	}
	e.seedLeftover(t, "T0E", legacyA)

	res, err := e.svc.Migrate(ctx, "cli", "")
	if err != nil {
		t.Fatal(err)
	}
	if res.Migrated != 3 || res.Skipped != 2 || res.Failed != 0 || len(res.Errors) != 0 {
		t.Errorf("Migrate = %+v, want 3 migrated, 2 skipped", res)
	}
	for id, want := range map[string]secret.Slack{"T0123ABCD": legacyA, "T0B": legacyB, "T0C": good, "T0E": good} {
		rec := e.record(t, id)
		if !rec.Encrypted || !rec.Legacy.IsZero() {
			t.Errorf("%s after Migrate: encrypted=%v legacy=%v", id, rec.Encrypted, rec.Legacy)
		}
		if got, err := e.svc.Get(ctx, "system", e.org, id); err != nil || got != want {
			t.Errorf("%s: Get after Migrate = %v, %v", id, got, err)
		}
	}
	if rec := e.record(t, "T0B"); rec.Sealed.AppToken != "" {
		t.Errorf("a missing legacy app token became %q", rec.Sealed.AppToken)
	}
	if list := e.audit(t, ActionMigrate); len(list) != 3 {
		t.Errorf("migrate audit rows = %d, want 3", len(list))
	}

	res, err = e.svc.Migrate(ctx, "cli", "")
	if err != nil || !sameCounts(res, 0, 5, 0) {
		t.Errorf("second Migrate = %+v, %v; want all skipped", res, err)
	}
}

func TestMigrateOneWorkspace(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, closedURL(t), nil)
	e.addWorkspace(t, "T0B")
	e.seedPlaintext(t, "T0123ABCD", legacyA)
	e.seedPlaintext(t, "T0B", legacyB)

	res, err := e.svc.Migrate(ctx, "cli", "T0B")
	if err != nil || !sameCounts(res, 1, 0, 0) {
		t.Fatalf("Migrate T0B = %+v, %v", res, err)
	}
	if e.record(t, "T0123ABCD").Encrypted {
		t.Error("migrating T0B migrated T0123ABCD too")
	}
	if _, err := e.svc.Migrate(ctx, "cli", "T0NOPE"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("Migrate of an unknown workspace: %v, want ErrNotFound", err)
	}
}

// liar encrypts with the active key but hands out another key to decrypt,
// so the check after encrypting cannot get the plaintext back.
type liar struct {
	*vault.Keyring
	other *vault.Key
}

func (l liar) Key(int) (*vault.Key, error) { return l.other, nil }

func TestMigrateLeavesAWorkspaceWhoseCheckFails(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, closedURL(t), nil)
	e.seedPlaintext(t, "T0123ABCD", legacyA)
	other, _ := vault.GenerateKey()
	otherKey, _ := vault.ParseKey(other, vault.KDF{})
	svc, err := New(e.store, liar{e.keys, otherKey}, e.svc.logger, Options{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := svc.Migrate(ctx, "cli", "")
	if err != nil {
		t.Fatal(err)
	}
	if res.Failed != 1 || res.Migrated != 0 || len(res.Errors) != 1 || res.Errors[0].WorkspaceID != "T0123ABCD" ||
		!strings.Contains(res.Errors[0].Err, "check encryption") {
		t.Fatalf("Migrate = %+v", res)
	}
	if rec := e.record(t, "T0123ABCD"); rec.Encrypted || rec.Legacy != legacyA || rec.Sealed.BotToken != "" {
		t.Errorf("a failed migration changed the row: encrypted=%v", rec.Encrypted)
	}
	if list := e.audit(t, ActionMigrate); len(list) != 1 || list[0].Outcome != "key_error" {
		t.Errorf("audit = %+v", list)
	}
}

func sameCounts(r MigrateResult, migrated, skipped, failed int) bool {
	return r.Migrated == migrated && r.Skipped == skipped && r.Failed == failed && len(r.Errors) == failed
}
