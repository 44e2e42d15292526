package ui

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"lore/app"
	"lore/app/accounts"
	"lore/app/apptest"
	"lore/storage"
	"lore/ui/browsertest"
)

// ownerApp is an app with one organization, Acme, whose owner (the
// instance owner) signs in with testPassword as owner@acme.test.
func ownerApp(t *testing.T) (*app.App, storage.Organization) {
	t.Helper()
	a := apptest.Open(t)
	a.Accounts = accounts.New(a.Store, a.Logger, accounts.WithHashParams(accounts.HashParams{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}))
	_, org, err := a.Accounts.AddUser(context.Background(), accounts.NewUser{Email: "owner@acme.test", Password: testPassword, OrgName: "Acme", Role: "owner"}, "cli")
	if err != nil {
		t.Fatal(err)
	}
	return a, org
}

// TestBrowserSettingsChange: in Chromium, an admin changes the settings
// with one bad field, which is shown beside it while nothing is saved and
// everything typed stays; then corrects it and saves. The schedule is said
// in words as it is typed, and a lower retention warns of what it deletes,
// asks to confirm, and only then saves.
func TestBrowserSettingsChange(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a, org := ownerApp(t)
	if _, err := a.Accounts.CreateWorkspace(ctx, org.ID, "cli", "T0ACME", "Acme"); err != nil {
		t.Fatal(err)
	}
	const day = 24 * time.Hour
	seedMessages(t, a, "T0ACME", 400*day, 40*day, 40*day, 35*day, day)
	stored := func() map[string]any {
		t.Helper()
		s, err := a.Settings.Get(ctx, org.ID)
		if err != nil {
			t.Fatal(err)
		}
		return s.Values
	}
	b := browsertest.New(t, serveUI(t, a))
	value := func(id string) string {
		t.Helper()
		return browsertest.Get(b, "value of #"+id, chromedp.Evaluate[string](fmt.Sprintf(`document.getElementById(%q).value`, id)))
	}
	path := fmt.Sprintf("/organizations/%d/settings", org.ID)

	signInAt(b, path, "owner@acme.test")
	b.WaitText("h1", "Settings of Acme")
	b.WaitText("#backfill_schedule-next", "Runs every day at 02:00 UTC; next on ")
	b.CheckPage()
	b.Shot("settings")

	// One bad field among good changes: shown beside it, nothing saved.
	b.Do("choose ai_tone casual", chromedp.Evaluate[chromedp.Void](`document.getElementById("ai_tone").value = "casual"`))
	b.Fill("confidence_threshold", "150")
	b.Fill("backfill_schedule", "30 6 * * 1")
	b.WaitText("#backfill_schedule-next", "Runs every Monday at 06:30 UTC; next on ") // said as it is typed
	b.Shot("settings-typed")
	b.Click("form.settings-form button[type=submit]")
	b.WaitText("#confidence_threshold-error", "confidence_threshold must be 0-100")
	b.WaitText(".flash-error", "Nothing was saved")
	if v := value("confidence_threshold"); v != "150" {
		t.Errorf("confidence_threshold shows %q, want what was typed", v)
	}
	if v := value("ai_tone"); v != "casual" {
		t.Errorf("ai_tone shows %q, want what was chosen", v)
	}
	if v := value("backfill_schedule"); v != "30 6 * * 1" {
		t.Errorf("backfill_schedule shows %q, want what was typed", v)
	}
	if s := stored(); s["ai_tone"] != "professional" || s["confidence_threshold"] != int64(40) || s["backfill_schedule"] != "0 2 * * *" {
		t.Fatalf("a form with a bad field saved: %v", s)
	}
	b.CheckPage()
	b.Shot("settings-bad-field")

	// Corrected: saved, and said so.
	b.Fill("confidence_threshold", "55")
	b.Click("form.settings-form button[type=submit]")
	b.WaitText(".flash-ok", "The settings are saved.")
	if s := stored(); s["ai_tone"] != "casual" || s["confidence_threshold"] != int64(55) || s["backfill_schedule"] != "30 6 * * 1" {
		t.Fatalf("saved %v", s)
	}
	b.WaitText("#backfill_schedule-next", "Runs every Monday at 06:30 UTC")
	b.CheckPage()
	b.Shot("settings-saved")

	// A lower retention: warned of as typed, confirmed before it is saved.
	b.Fill("message_retention_days", "30")
	b.WaitText("#message_retention_days-note", "This will delete 4 messages older than 30 days at the next run")
	b.Shot("retention-typed")
	b.Click("form.settings-form button[type=submit]")
	b.WaitText(".confirm", "This will delete 4 messages older than 30 days at the next run")
	if s := stored(); s["message_retention_days"] != int64(365) {
		t.Fatalf("saved before the confirmation: %v", s)
	}
	b.CheckPage()
	b.Shot("retention-confirm")
	b.Click("form.settings-form button.danger")
	b.WaitText(".flash-ok", "The settings are saved.")
	if s := stored(); s["message_retention_days"] != int64(30) {
		t.Fatalf("after the confirmation: %v", s)
	}
	b.Shot("retention-saved")

	// A member sees the settings, read only.
	if _, _, err := a.Accounts.AddUser(ctx, accounts.NewUser{Email: "member@acme.test", Password: testPassword, OrgName: "Acme", Role: "member"}, "cli"); err != nil {
		t.Fatal(err)
	}
	b.Click("form.logout button")
	signInAt(b, path, "member@acme.test")
	b.WaitText("main", "Only the organization's admins can change these settings")
	if v := value("message_retention_days"); v != "30" {
		t.Errorf("the member sees message_retention_days %q", v)
	}
	b.CheckPage()
	b.Shot("settings-member-read-only")
}
