package ui

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"lore/app"
	"lore/app/settings"
	"lore/storage"
)

// settingsForm is the settings form as a browser posts it with every field
// at its default, changed by set (a Boolean as "true" or "false").
func settingsForm(set map[string]string) url.Values {
	form := url.Values{}
	for _, f := range settings.Table() {
		v, ok := set[f.Name]
		if !ok {
			v = shownValue(f.Default)
			if f.Kind == settings.Boolean {
				v = strconv.FormatBool(f.Default == true)
			}
		}
		if f.Kind == settings.Boolean {
			form.Add(f.Name, "false") // the hidden twin
			if v == "true" {
				form.Add(f.Name, "true")
			}
			continue
		}
		form.Set(f.Name, v)
	}
	return form
}

// wantContains fails the test for each of wants the page lacks.
func wantContains(t testing.TB, page, what string, wants ...string) {
	t.Helper()
	for _, want := range wants {
		if !strings.Contains(page, want) {
			t.Errorf("%s lacks %q", what, want)
		}
	}
}

// seedMessages stores a message posted each age ago in the workspace's
// channel C1.
func seedMessages(t *testing.T, a *app.App, workspaceID string, ages ...time.Duration) {
	t.Helper()
	ctx := context.Background()
	now := time.Now()
	err := a.Store.WriteMessages(ctx, func(w *storage.MessageWriter) error {
		if err := w.UpsertChannel(ctx, storage.Channel{WorkspaceID: workspaceID, ID: "C1", Name: "general"}); err != nil {
			return err
		}
		for i, age := range ages {
			ts := fmt.Sprintf("%d.%06d", now.Add(-age).Unix(), i)
			if _, err := w.Put(ctx, storage.Message{WorkspaceID: workspaceID, ChannelID: "C1", TS: ts, UserID: "U1", Text: "hello"}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) settingsPath() string { return fmt.Sprintf("/organizations/%d/settings", f.orgA.ID) }

func (f *fixture) storedSettings(t *testing.T) settings.Settings {
	t.Helper()
	s, err := f.app.Settings.Get(context.Background(), f.orgA.ID)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestSettingsPageForEachRole: admins and owners get every setting of the
// field table, grouped, each labelled by its name with its help, allowed
// values and default, and the schedule in words; a member sees it read
// only and may not post; another organization's owner gets the 404 page;
// signed out, the login.
func TestSettingsPageForEachRole(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	path := f.settingsPath()
	for _, who := range []testUser{f.ownerA, f.adminA} {
		b := newBrowser(t, f.h)
		b.signIn(who.Email)
		page := wantPage(t, b.get(path), http.StatusOK)
		wantLabels(t, page)
		for _, fd := range settings.Table() {
			if !strings.Contains(page, `<label for="`+fd.Name+`">`+fd.Name+`</label>`) || !strings.Contains(page, fd.Help) {
				t.Errorf("%s: no labelled field %s with its help", who.Email, fd.Name)
			}
		}
		for _, g := range []string{"AI", "Backfill", "Features", "Notifications", "Retention"} {
			if !strings.Contains(page, `<h2 id="group-`+g+`">`+g+`</h2>`) {
				t.Errorf("no group %s", g)
			}
		}
		wantContains(t, page, who.Email+"'s page",
			`<option value="casual">casual</option>`, "One of professional, casual, technical. Default: professional.",
			"From 0 to 100. Default: 40.", "From 30 to 36500. Default: 365.",
			`value="0 2 * * *"`, "Runs every day at 02:00 UTC; next on ",
			"Save the settings", `href="`+path+`"`,
		)
		if strings.Contains(page, " disabled") {
			t.Errorf("%s: fields are disabled for an admin", who.Email)
		}
	}

	member := newBrowser(t, f.h)
	member.signIn(f.memberA.Email)
	page := wantPage(t, member.get(path), http.StatusOK)
	wantLabels(t, page)
	if !strings.Contains(page, "Only the organization's admins can change") || strings.Contains(page, "Save the settings") ||
		!strings.Contains(page, `id="confidence_threshold" name="confidence_threshold" type="text" inputmode="numeric" value="40"`) ||
		strings.Count(page, " disabled") != len(settings.Table()) {
		t.Fatalf("the member's page is not read only: %s", page)
	}
	if page := wantPage(t, member.post(path, settingsForm(map[string]string{"ai_tone": "casual"})), http.StatusForbidden); !strings.Contains(page, "admin role") {
		t.Fatalf("member's post: %s", page)
	}

	other := newBrowser(t, f.h)
	other.signIn(f.ownerB.Email)
	wantPage(t, other.get(path), http.StatusNotFound)
	wantPage(t, other.post(path, settingsForm(map[string]string{"ai_tone": "casual"})), http.StatusNotFound)
	wantDenied(t, path, f.do(t, "GET", path, "", ""), http.StatusUnauthorized, "unauthenticated")
	if s := f.storedSettings(t); s.String("ai_tone") != "professional" {
		t.Fatalf("a refused post saved: %v", s.Values)
	}

	// Every page links to the settings, even one about no organization.
	admin := newBrowser(t, f.h)
	admin.signIn(f.adminA.Email)
	for _, p := range []string{fmt.Sprintf("/organizations/%d/workspaces", f.orgA.ID), "/workspaces/" + f.wsA, "/no/such/page"} {
		w := admin.get(p)
		if !strings.Contains(w.Body.String(), `<a href="`+path+`">Settings</a>`) {
			t.Errorf("%s has no link to the settings: %s", p, w.Body)
		}
	}
}

// TestSettingsFormAllOrNothing: a form with bad fields is the form again
// (422) with each problem beside its field and everything typed kept, and
// nothing is saved; a good one is saved (post/redirect/get) and the page
// then shows the new schedule in words; a cross-site post is refused.
func TestSettingsFormAllOrNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	b := newBrowser(t, f.h)
	b.signIn(f.adminA.Email)
	path := f.settingsPath()

	bad := settingsForm(map[string]string{"ai_tone": "casual", "confidence_threshold": "150", "backfill_schedule": "0 25 * * *",
		"backfill_days_back": "ninety", "custom_system_prompt": "Answer in French.", "weekly_digest_enabled": "true"})
	page := wantPage(t, b.post(path, bad), http.StatusUnprocessableEntity)
	wantContains(t, page, "the form again",
		settingsInvalid,
		`<p class="field-error" id="confidence_threshold-error">confidence_threshold must be 0-100</p>`,
		`<p class="field-error" id="backfill_days_back-error">backfill_days_back must be an integer; must be 1-365</p>`,
		`id="backfill_schedule-error">backfill_schedule must be a 5-field cron expression`,
		`value="150" aria-describedby="confidence_threshold-help confidence_threshold-error" aria-invalid="true"`,
		`value="ninety"`, `value="0 25 * * *"`, `<option value="casual" selected>casual</option>`,
		">Answer in French.</textarea>", `id="weekly_digest_enabled" name="weekly_digest_enabled" type="checkbox" value="true" checked`,
	)
	if strings.Contains(page, "ai_tone-error") || strings.Contains(page, "Runs on the schedule") {
		t.Errorf("a good field is marked, or a bad schedule said in words: %s", page)
	}
	s := f.storedSettings(t)
	if s.String("ai_tone") != "professional" || s.Int("confidence_threshold") != 40 || s.Bool("weekly_digest_enabled") ||
		s.String("custom_system_prompt") != "" {
		t.Fatalf("a form with bad fields saved some: %v", s.Values)
	}

	// A cross-site post is refused, and saves nothing.
	good := settingsForm(map[string]string{"ai_tone": "casual", "confidence_threshold": "55", "backfill_schedule": "30 6 * * 1",
		"custom_system_prompt": "Answer in French.", "weekly_digest_enabled": "true", "web_qa_enabled": "false"})
	if w := b.post(path, good, "Sec-Fetch-Site", "cross-site"); w.Code != http.StatusForbidden {
		t.Fatalf("cross-site post: %d", w.Code)
	}
	if s := f.storedSettings(t); s.String("ai_tone") != "professional" {
		t.Fatalf("a cross-site post saved: %v", s.Values)
	}

	loc, w := b.follow(b.post(path, good))
	page = wantPage(t, w, http.StatusOK)
	if loc != path || !strings.Contains(page, "The settings are saved.") || !strings.Contains(page, "Runs every Monday at 06:30 UTC; next on ") {
		t.Fatalf("after saving: %s %s", loc, page)
	}
	s = f.storedSettings(t)
	if s.String("ai_tone") != "casual" || s.Int("confidence_threshold") != 55 || s.String("backfill_schedule") != "30 6 * * 1" ||
		!s.Bool("weekly_digest_enabled") || s.Bool("web_qa_enabled") || s.String("custom_system_prompt") != "Answer in French." {
		t.Fatalf("saved %v", s.Values)
	}
	// The reload shows what is stored, not the flash again.
	if page := wantPage(t, b.get(path), http.StatusOK); strings.Contains(page, "The settings are saved.") ||
		!strings.Contains(page, `value="55"`) {
		t.Fatalf("reload: %s", page)
	}

	// Unticking a box turns the setting off; the schedule then says so.
	loc, w = b.follow(b.post(path, settingsForm(map[string]string{"auto_backfill_enabled": "false", "backfill_schedule": "30 6 * * 1"})))
	if page := wantPage(t, w, http.StatusOK); !strings.Contains(page, "once auto_backfill_enabled is on; it is off") {
		t.Fatalf("auto backfill off: %s %s", loc, page)
	}
	if f.storedSettings(t).Bool("auto_backfill_enabled") {
		t.Fatal("auto_backfill_enabled is still on")
	}
}

// TestSettingsRetentionWarning: lowering message_retention_days so that the
// next run deletes messages asks first, counting them, and saves nothing
// until confirmed; raising it, or lowering it past no message, saves at once.
func TestSettingsRetentionWarning(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	ages := []time.Duration{400 * 24 * time.Hour, 40 * 24 * time.Hour, 35 * 24 * time.Hour, 40 * 24 * time.Hour, time.Hour}
	seedMessages(t, f.app, f.wsA, ages...)
	b := newBrowser(t, f.h)
	b.signIn(f.ownerA.Email)
	path := f.settingsPath()

	// 365 days deletes one message at the next run; 30 days would delete four.
	page := wantPage(t, b.post(path, settingsForm(map[string]string{"message_retention_days": "30", "ai_tone": "technical"})), http.StatusOK)
	wantContains(t, page, "the confirm step",
		"This will delete 4 messages older than 30 days at the next run (",
		`<input type="hidden" name="confirm_retention" value="30">`, "Save, and delete them at the next run",
		`id="message_retention_days" name="message_retention_days" type="text" inputmode="numeric" value="30"`,
		`<option value="technical" selected>technical</option>`,
	)
	if s := f.storedSettings(t); s.Int("message_retention_days") != 365 || s.String("ai_tone") != "professional" {
		t.Fatalf("saved before the confirmation: %v", s.Values)
	}
	// A confirmation of another value asks again.
	stale := settingsForm(map[string]string{"message_retention_days": "36"})
	stale.Set("confirm_retention", "30")
	if page := wantPage(t, b.post(path, stale), http.StatusOK); !strings.Contains(page, "This will delete 3 messages older than 36 days") {
		t.Fatalf("a confirmation of 30 days taken for 36: %s", page)
	}

	confirmed := settingsForm(map[string]string{"message_retention_days": "30", "ai_tone": "technical"})
	confirmed.Set("confirm_retention", "30")
	loc, w := b.follow(b.post(path, confirmed))
	if page := wantPage(t, w, http.StatusOK); loc != path || !strings.Contains(page, "The settings are saved.") {
		t.Fatalf("confirmed: %s %s", loc, page)
	}
	if s := f.storedSettings(t); s.Int("message_retention_days") != 30 || s.String("ai_tone") != "technical" {
		t.Fatalf("after the confirmation: %v", s.Values)
	}
	if n, _ := f.app.Accounts.CountMessages(ctx, f.orgA.ID, f.wsA); n != int64(len(ages)) {
		t.Fatalf("saving deleted messages at once: %d left", n)
	}

	// Raising it deletes less: saved at once.
	if loc, _ := b.follow(b.post(path, settingsForm(map[string]string{"message_retention_days": "100"}))); loc != path {
		t.Fatalf("raising: %s", loc)
	}
	// Lowering it from 100 to 60 deletes no more than before: saved at once.
	if loc, _ := b.follow(b.post(path, settingsForm(map[string]string{"message_retention_days": "60"}))); loc != path {
		t.Fatalf("lowering past no message: %s", loc)
	}
	if s := f.storedSettings(t); s.Int("message_retention_days") != 60 {
		t.Fatalf("retention %d, want 60", s.Int("message_retention_days"))
	}
	// Below the minimum is an error beside the field, not a warning.
	page = wantPage(t, b.post(path, settingsForm(map[string]string{"message_retention_days": "7"})), http.StatusUnprocessableEntity)
	if !strings.Contains(page, `id="message_retention_days-error">message_retention_days must be 30-36500</p>`) || strings.Contains(page, "This will delete") {
		t.Fatalf("7 days: %s", page)
	}
}

// TestSettingsPreview: the page's script gets, for a schedule or a
// retention being typed, the words the page shows beside it, or the
// field's problem; nothing is saved.
func TestSettingsPreview(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ages := make([]time.Duration, 1200)
	for i := range ages {
		ages[i] = 50 * 24 * time.Hour
	}
	seedMessages(t, f.app, f.wsA, ages...)
	base := fmt.Sprintf("/api/organizations/%d/settings/preview?", f.orgA.ID)
	for _, c := range []struct {
		query, field, text, problem string
	}{
		{"backfill_schedule=" + url.QueryEscape("30 6 * * 1"), "backfill_schedule", "Runs every Monday at 06:30 UTC; next on ", ""},
		{"backfill_schedule=" + url.QueryEscape("0 25 * * *"), "backfill_schedule", "", "backfill_schedule must be a 5-field cron expression"},
		{"message_retention_days=30", "message_retention_days", "This will delete 1,200 messages older than 30 days at the next run (", ""},
		{"message_retention_days=60", "message_retention_days", "", ""},
		{"message_retention_days=ten", "message_retention_days", "", "message_retention_days must be an integer; must be 30-36500"},
	} {
		got := decodeBody[map[string]fieldPreview](t, f.do(t, "GET", base+c.query, f.adminA.Token, ""), http.StatusOK)
		p, ok := got[c.field]
		if !ok || len(got) != 1 || !strings.HasPrefix(p.Text, c.text) || (c.text == "") != (p.Text == "") || !strings.HasPrefix(p.Error, c.problem) ||
			(c.problem == "") != (p.Error == "") {
			t.Errorf("%s: %+v, want text %q, problem %q", c.query, got, c.text, c.problem)
		}
	}
	if s := f.storedSettings(t); s.Int("message_retention_days") != 365 || s.String("backfill_schedule") != "0 2 * * *" {
		t.Fatalf("the preview saved: %v", s.Values)
	}
	wantError(t, f.do(t, "GET", base+"message_retention_days=30", f.memberA.Token, ""), http.StatusForbidden, "forbidden")
}
