package storage

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"lore/storage/secret"
)

func seedWorkspace(t *testing.T, s *Store, id string) int64 {
	t.Helper()
	ctx := context.Background()
	o, err := s.CreateOrganization(ctx, "Org of "+id)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateWorkspace(ctx, o.ID, id, "Team "+id); err != nil {
		t.Fatal(err)
	}
	return o.ID
}

func TestCredentialsLifecycle(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openTest(t)
	org := seedWorkspace(t, s, "T1")
	other := seedWorkspace(t, s, "T2")

	legacy := secret.Slack{BotToken: "xoxb-legacy", AppToken: "xapp-legacy", SigningSecret: "legacysecret"}
	if err := s.Tx(ctx, func(tx *Tx) error { return tx.SetLegacyCredentials(ctx, org, "T1", legacy) }); err != nil {
		t.Fatal(err)
	}
	c, err := s.Credentials(ctx, org, "T1")
	if err != nil {
		t.Fatal(err)
	}
	// is_valid defaults to 1, as in the original system, but nothing verified these.
	if c.Encrypted || c.Legacy != legacy || c.Sealed != (EncryptedCredentials{Version: 1}) || c.IsValid {
		t.Fatalf("after SetLegacyCredentials: encrypted=%v legacy=%#v sealed=%+v", c.Encrypted, c.Legacy, c.Sealed)
	}

	states, err := s.ListCredentialStates(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := []CredentialState{{WorkspaceID: "T1", OrgID: org, HasPlaintext: true}, {WorkspaceID: "T2", OrgID: other}}
	if fmt.Sprint(states) != fmt.Sprint(want) {
		t.Fatalf("states = %v, want %v", states, want)
	}
	if states, _ := s.ListCredentialStates(ctx, other); len(states) != 1 || states[0].WorkspaceID != "T2" {
		t.Fatalf("states of org %d = %v", other, states)
	}

	sealed := EncryptedCredentials{Slack: secret.Slack{BotToken: "gAAAA-bot", AppToken: "gAAAA-app", SigningSecret: "gAAAA-sig"}, Version: 2}
	if err := s.Tx(ctx, func(tx *Tx) error { return tx.SaveEncryptedCredentials(ctx, org, "T1", sealed, "U1") }); err != nil {
		t.Fatal(err)
	}
	c, _ = s.Credentials(ctx, org, "T1")
	if !c.Encrypted || c.Sealed != sealed || !c.Legacy.IsZero() || c.BotUserID != "U1" || !c.LastVerifiedAt.IsZero() || c.IsValid {
		t.Fatalf("after SaveEncryptedCredentials: %+v, want not verified (no time, not valid)", c)
	}

	at := time.Date(2025, 3, 4, 5, 6, 7, 8e6, time.UTC)
	v := Verification{Valid: true, At: at, BotUserID: "U2", TeamName: "Acme", TeamURL: "https://acme.slack.com/"}
	if err := s.Tx(ctx, func(tx *Tx) error { return tx.SetVerification(ctx, org, "T1", v) }); err != nil {
		t.Fatal(err)
	}
	c, _ = s.Credentials(ctx, org, "T1")
	if !c.IsValid || !c.LastVerifiedAt.Equal(at) {
		t.Fatalf("after a valid verification: %+v", c)
	}
	if err := s.Tx(ctx, func(tx *Tx) error { return tx.SetVerification(ctx, org, "T1", Verification{At: at.Add(time.Hour)}) }); err != nil {
		t.Fatal(err)
	}
	c, _ = s.Credentials(ctx, org, "T1")
	if c.IsValid || !c.LastVerifiedAt.Equal(at.Add(time.Hour)) || c.BotUserID != "U2" || c.TeamName != "Acme" || c.TeamURL != v.TeamURL {
		t.Fatalf("after valid then invalid verification: %+v, want invalid as of the second", c)
	}
	// Storing again starts over: not verified, whatever was verified before.
	if err := s.Tx(ctx, func(tx *Tx) error { return tx.SetVerification(ctx, org, "T1", v) }); err != nil {
		t.Fatal(err)
	}
	if err := s.Tx(ctx, func(tx *Tx) error { return tx.SaveEncryptedCredentials(ctx, org, "T1", sealed, "") }); err != nil {
		t.Fatal(err)
	}
	if c, _ = s.Credentials(ctx, org, "T1"); c.IsValid || !c.LastVerifiedAt.IsZero() {
		t.Fatalf("stored over verified credentials: %+v, want not verified", c)
	}

	if err := s.Tx(ctx, func(tx *Tx) error { return tx.DeleteCredentials(ctx, org, "T1") }); err != nil {
		t.Fatal(err)
	}
	c, _ = s.Credentials(ctx, org, "T1")
	if c.Encrypted || c.Sealed != (EncryptedCredentials{Version: 2}) || !c.Legacy.IsZero() || c.BotUserID != "" || c.IsValid {
		t.Fatalf("after DeleteCredentials: %+v", c)
	}
}

func TestCredentialsOfAnotherOrganizationAreNotFound(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openTest(t)
	seedWorkspace(t, s, "T1")
	other := seedWorkspace(t, s, "T2")

	if _, err := s.Credentials(ctx, other, "T1"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Credentials across organizations: %v, want ErrNotFound", err)
	}
	for name, fn := range map[string]func(tx *Tx) error{
		"save": func(tx *Tx) error {
			return tx.SaveEncryptedCredentials(ctx, other, "T1", EncryptedCredentials{Version: 1}, "")
		},
		"legacy": func(tx *Tx) error { return tx.SetLegacyCredentials(ctx, other, "T1", secret.Slack{}) },
		"clear":  func(tx *Tx) error { return tx.ClearLegacyCredentials(ctx, other, "T1") },
		"delete": func(tx *Tx) error { return tx.DeleteCredentials(ctx, other, "T1") },
		"verify": func(tx *Tx) error { return tx.SetVerification(ctx, other, "T1", Verification{}) },
		"migrate": func(tx *Tx) error {
			return tx.EncryptCredentialsInPlace(ctx, other, "T1", EncryptedCredentials{Version: 1})
		},
	} {
		if err := s.Tx(ctx, fn); !errors.Is(err, ErrNotFound) {
			t.Errorf("%s across organizations: %v, want ErrNotFound", name, err)
		}
	}
}

func TestSaveEncryptedCredentialsRefusesVersionZero(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openTest(t)
	org := seedWorkspace(t, s, "T1")
	err := s.Tx(ctx, func(tx *Tx) error { return tx.SaveEncryptedCredentials(ctx, org, "T1", EncryptedCredentials{}, "") })
	if err == nil || !strings.Contains(err.Error(), "version 0") {
		t.Fatalf("err = %v, want a version error", err)
	}
}
