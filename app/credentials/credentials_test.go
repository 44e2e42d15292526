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

func TestValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   secret.Slack
		want map[string]string // field → start of the message
	}{
		{"good", good, nil},
		{"all missing", secret.Slack{}, map[string]string{
			"bot_token": "is required", "app_token": "is required", "signing_secret": "is required"}},
		{"swapped tokens", secret.Slack{BotToken: good.AppToken, AppToken: good.BotToken, SigningSecret: good.SigningSecret},
			map[string]string{"bot_token": "must start with xoxb- (this looks like the app-level token)",
				"app_token": "must start with xapp- (this looks like the bot token)"}},
		{"user token", secret.Slack{BotToken: "xoxp-123456789012-abc", AppToken: good.AppToken, SigningSecret: good.SigningSecret},
			map[string]string{"bot_token": "must start with xoxb- (this looks like a user token"}},
		{"wrong prefix", secret.Slack{BotToken: "abc-123456789012", AppToken: "nope-12345678901", SigningSecret: good.SigningSecret},
			map[string]string{"bot_token": "must start with xoxb-", "app_token": "must start with xapp-"}},
		{"inner space", secret.Slack{BotToken: "xoxb-12345 67890", AppToken: good.AppToken, SigningSecret: good.SigningSecret},
			map[string]string{"bot_token": "must not contain spaces"}},
		{"short token", secret.Slack{BotToken: "xoxb-1", AppToken: good.AppToken, SigningSecret: good.SigningSecret},
			map[string]string{"bot_token": "is too short"}},
		{"secret not hex", secret.Slack{BotToken: good.BotToken, AppToken: good.AppToken, SigningSecret: "zz2b0c6d1e4a7f9b3c5d2e8a1f0b6c4d"},
			map[string]string{"signing_secret": "must be 32 hexadecimal characters"}},
		{"secret short", secret.Slack{BotToken: good.BotToken, AppToken: good.AppToken, SigningSecret: "8f2b0c6d"},
			map[string]string{"signing_secret": "must be 32 hexadecimal characters"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Validate(tt.in)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Validate = %v, want nil", err)
				}
				return
			}
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("Validate = %v, want a *ValidationError", err)
			}
			if len(ve.Fields) != len(tt.want) {
				t.Errorf("fields = %v, want %v", ve.Fields, tt.want)
			}
			for f, msg := range tt.want {
				if !strings.HasPrefix(ve.Fields[f], msg) {
					t.Errorf("field %s: %q, want it to start with %q", f, ve.Fields[f], msg)
				}
			}
			for _, s := range []string{tt.in.BotToken, tt.in.AppToken, tt.in.SigningSecret} {
				if len(s) > 4 && strings.Contains(err.Error(), s) {
					t.Errorf("error %q contains a value", err)
				}
			}
		})
	}
}

func TestStoreEncryptsAndGetDecrypts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, closedURL(t), nil)
	e.seedPlaintext(t, "T0123ABCD", legacyA) // a legacy row is replaced, its plaintext cleared

	padded := secret.Slack{BotToken: " " + good.BotToken + "\n", AppToken: good.AppToken, SigningSecret: good.SigningSecret + " "}
	view, err := e.svc.Store(ctx, "user:1", e.org, "T0123ABCD", padded)
	if err != nil {
		t.Fatal(err)
	}
	want := View{WorkspaceID: "T0123ABCD", Configured: true, BotToken: "xoxb-…9f3a", AppToken: secret.Mask(good.AppToken),
		SigningSecret: secret.Mask(good.SigningSecret), Encrypted: true, EncryptionVersion: 1, Status: StatusNotVerified}
	if view != want {
		t.Errorf("Store view = %+v\nwant %+v", view, want)
	}

	rec := e.record(t, "T0123ABCD")
	if !rec.Encrypted || !rec.Legacy.IsZero() || rec.Sealed.Version != 1 {
		t.Fatalf("record after Store: encrypted=%v legacy=%v version=%d", rec.Encrypted, rec.Legacy, rec.Sealed.Version)
	}
	for _, c := range []string{rec.Sealed.BotToken, rec.Sealed.AppToken, rec.Sealed.SigningSecret} {
		if !strings.HasPrefix(c, "gAAAAA") {
			t.Errorf("stored column %q is not a Fernet token", c)
		}
	}

	got, err := e.svc.Get(ctx, "system", e.org, "T0123ABCD")
	if err != nil {
		t.Fatal(err)
	}
	if got != good {
		t.Errorf("Get did not give back the stored secrets (got %v)", got)
	}
	if v, err := e.svc.View(ctx, "user:1", e.org, "T0123ABCD"); err != nil || v != want {
		t.Errorf("View = %+v, %v; want %+v", v, err, want)
	}

	for action, outcome := range map[string]string{ActionStore: "ok", ActionRead: "ok", ActionView: "ok"} {
		list := e.audit(t, action)
		if len(list) != 1 || list[0].Outcome != outcome || list[0].OrgID != e.org || list[0].WorkspaceID != "T0123ABCD" {
			t.Errorf("audit %s = %+v", action, list)
		}
	}
	if d := e.audit(t, ActionStore)[0]; d.Actor != "user:1" || d.Detail["replaced_plaintext"] != true {
		t.Errorf("store audit = %+v", d)
	}
}

func TestStoreRejectsBadInputAndChangesNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, closedURL(t), nil)
	_, err := e.svc.Store(ctx, "user:1", e.org, "T0123ABCD", secret.Slack{BotToken: "xoxp-1234567890-abcdef", AppToken: good.AppToken})
	var ve *ValidationError
	if !errors.As(err, &ve) || ve.Fields["bot_token"] == "" || ve.Fields["signing_secret"] == "" || ve.Fields["app_token"] != "" {
		t.Fatalf("Store = %v, want errors on bot_token and signing_secret only", err)
	}
	if rec := e.record(t, "T0123ABCD"); rec.Encrypted || rec.Sealed.BotToken != "" {
		t.Errorf("a refused Store wrote: %+v", rec)
	}
	if list := e.audit(t, ActionStore); len(list) != 1 || list[0].Outcome != "invalid" {
		t.Errorf("audit = %+v, want one invalid store", list)
	}
}

func TestOtherOrganizationsWorkspaceIsNotFound(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, closedURL(t), nil)
	if _, err := e.svc.Store(ctx, "user:1", e.org, "T0123ABCD", good); err != nil {
		t.Fatal(err)
	}
	other, err := e.store.CreateOrganization(ctx, "Other")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Get(ctx, "user:2", other.ID, "T0123ABCD"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("Get from another organization: %v, want ErrNotFound", err)
	}
	if _, err := e.svc.Store(ctx, "user:2", other.ID, "T0123ABCD", good); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("Store from another organization: %v, want ErrNotFound", err)
	}
	if err := e.svc.Delete(ctx, "user:2", other.ID, "T0123ABCD"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("Delete from another organization: %v, want ErrNotFound", err)
	}
	if got, err := e.svc.Get(ctx, "system", e.org, "T0123ABCD"); err != nil || got != good {
		t.Errorf("the owner's credentials changed: %v", err)
	}
}

func TestGetReadsLegacyPlaintextOnlyWhenNotEncrypted(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, closedURL(t), nil)

	if _, err := e.svc.Get(ctx, "system", e.org, "T0123ABCD"); !errors.Is(err, ErrNoCredentials) {
		t.Errorf("Get with nothing stored: %v, want ErrNoCredentials", err)
	}
	e.seedPlaintext(t, "T0123ABCD", legacyB)
	got, err := e.svc.Get(ctx, "system", e.org, "T0123ABCD")
	if err != nil || got != legacyB {
		t.Fatalf("Get of a legacy row = %v, %v", got, err)
	}
	v, err := e.svc.View(ctx, "user:1", e.org, "T0123ABCD")
	if err != nil || v.Encrypted || v.EncryptionVersion != 0 || v.BotToken != secret.Mask(legacyB.BotToken) || v.AppToken != "" {
		t.Errorf("View of a legacy row = %+v, %v", v, err)
	}

	// Encrypted credentials with leftover plaintext beside them: only the
	// encrypted set is read.
	if _, err := e.svc.Store(ctx, "user:1", e.org, "T0123ABCD", good); err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.Credentials(ctx, e.org, "T0123ABCD"); err != nil {
		t.Fatal(err)
	}
	err = e.store.Tx(ctx, func(tx *storage.Tx) error {
		rec, err := tx.Credentials(ctx, e.org, "T0123ABCD")
		if err != nil {
			return err
		}
		if err := tx.SetLegacyCredentials(ctx, e.org, "T0123ABCD", secret.Slack(legacyA)); err != nil {
			return err
		}
		return tx.SaveEncryptedCredentials(ctx, e.org, "T0123ABCD", rec.Sealed, "")
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := e.svc.Get(ctx, "system", e.org, "T0123ABCD"); err != nil || got != good {
		t.Errorf("Get with encrypted set: %v (err %v), want the encrypted set", got, err)
	}
}

func TestGetWithWrongKeyFailsWithoutLeaking(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, closedURL(t), nil)
	if _, err := e.svc.Store(ctx, "user:1", e.org, "T0123ABCD", good); err != nil {
		t.Fatal(err)
	}
	other, err := New(e.store, testKeyring(t), e.svc.logger, Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = other.Get(ctx, "system", e.org, "T0123ABCD")
	if !errors.Is(err, vault.ErrBadSignature) {
		t.Fatalf("Get with another key: %v, want ErrBadSignature", err)
	}
	if list := e.audit(t, ActionRead); len(list) != 1 || list[0].Outcome != "key_error" {
		t.Errorf("audit = %+v", list)
	}
	noKey, _ := New(e.store, nil, e.svc.logger, Options{})
	if _, err := noKey.Store(ctx, "user:1", e.org, "T0123ABCD", good); !errors.Is(err, ErrNoKey) {
		t.Errorf("Store without a key: %v, want ErrNoKey", err)
	}
}

func TestDeleteWipesEverything(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, closedURL(t), nil)
	if _, err := e.svc.Store(ctx, "user:1", e.org, "T0123ABCD", good); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Delete(ctx, "user:1", e.org, "T0123ABCD"); err != nil {
		t.Fatal(err)
	}
	rec := e.record(t, "T0123ABCD")
	if rec.Encrypted || rec.Sealed.BotToken != "" || rec.Sealed.AppToken != "" || rec.Sealed.SigningSecret != "" || !rec.Legacy.IsZero() {
		t.Errorf("after Delete: %+v", rec)
	}
	if _, err := e.svc.Get(ctx, "system", e.org, "T0123ABCD"); !errors.Is(err, ErrNoCredentials) {
		t.Errorf("Get after Delete: %v, want ErrNoCredentials", err)
	}
	if v, err := e.svc.View(ctx, "user:1", e.org, "T0123ABCD"); err != nil || v.Configured || v.BotToken != "" {
		t.Errorf("View after Delete = %+v, %v", v, err)
	}
	if list := e.audit(t, ActionDelete); len(list) != 1 || list[0].Outcome != "ok" {
		t.Errorf("audit = %+v", list)
	}
}

func TestStoreKeepsAKnownBotUserID(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, closedURL(t), nil)
	v, err := e.svc.Store(ctx, "cli", e.org, "T0123ABCD", good, WithBotUserID("U0BOT"))
	if err != nil {
		t.Fatal(err)
	}
	if v.BotUserID != "U0BOT" || e.record(t, "T0123ABCD").BotUserID != "U0BOT" {
		t.Fatalf("bot user id: view %q, stored %q", v.BotUserID, e.record(t, "T0123ABCD").BotUserID)
	}
	// Storing again without it starts the verification state over.
	if _, err := e.svc.Store(ctx, "cli", e.org, "T0123ABCD", good); err != nil {
		t.Fatal(err)
	}
	if got := e.record(t, "T0123ABCD").BotUserID; got != "" {
		t.Fatalf("bot user id after a store without it: %q", got)
	}
}

// TestStateTellsWithoutOpening: State says whether credentials are stored
// (encrypted or legacy) and what Slack last said, with no masks and no
// audit row; another organization's workspace is not found.
func TestStateTellsWithoutOpening(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, closedURL(t), nil)
	if v, err := e.svc.State(ctx, e.org, "T0123ABCD"); err != nil || v.Configured || v.Status != StatusNotConfigured {
		t.Fatalf("nothing stored: %+v %v", v, err)
	}
	e.seedPlaintext(t, "T0123ABCD", legacyA)
	if v, err := e.svc.State(ctx, e.org, "T0123ABCD"); err != nil || !v.Configured || v.Encrypted || v.Status != StatusNotVerified {
		t.Fatalf("legacy plaintext: %+v %v", v, err)
	}
	if _, err := e.svc.Store(ctx, "user:1", e.org, "T0123ABCD", good); err != nil {
		t.Fatal(err)
	}
	v, err := e.svc.State(ctx, e.org, "T0123ABCD")
	want := View{WorkspaceID: "T0123ABCD", Configured: true, Encrypted: true, EncryptionVersion: 1, Status: StatusNotVerified}
	if err != nil || v != want {
		t.Fatalf("State = %+v, %v; want %+v", v, err, want)
	}
	if list := e.audit(t, ActionView); len(list) != 0 {
		t.Errorf("State audited %+v", list)
	}
	if list := e.audit(t, ActionRead); len(list) != 0 {
		t.Errorf("State audited %+v", list)
	}
	other, err := e.store.CreateOrganization(ctx, "Other")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.State(ctx, other.ID, "T0123ABCD"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("State from another organization: %v, want ErrNotFound", err)
	}
}
