package settings_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"testing"
	"time"

	"lore/app/apptest"
	"lore/app/settings"
	"lore/storage"
)

func patch(t *testing.T, body string) map[string]json.RawMessage {
	t.Helper()
	var p map[string]json.RawMessage
	if err := json.Unmarshal([]byte(body), &p); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestValidate(t *testing.T) {
	t.Parallel()
	good := []struct {
		body  string
		field string
		want  any
	}{
		{`{"confidence_threshold": 0}`, "confidence_threshold", int64(0)},
		{`{"confidence_threshold": 100}`, "confidence_threshold", int64(100)},
		{`{"backfill_days_back": 365}`, "backfill_days_back", int64(365)},
		{`{"message_retention_days": 30}`, "message_retention_days", int64(30)},
		{`{"message_retention_days": 36500}`, "message_retention_days", int64(36500)},
		{`{"ai_response_length": "detailed"}`, "ai_response_length", "detailed"},
		{`{"backfill_schedule": "*/15 * * * *"}`, "backfill_schedule", "*/15 * * * *"},
		{`{"backfill_schedule": "0 2 * * MON-FRI"}`, "backfill_schedule", "0 2 * * MON-FRI"},
		{`{"slack_commands_enabled": false}`, "slack_commands_enabled", false},
	}
	for _, tc := range good {
		set, err := settings.Validate(patch(t, tc.body))
		if err != nil || set[tc.field] != tc.want {
			t.Errorf("Validate(%s) = %v, %v; want %s = %v", tc.body, set, err, tc.field, tc.want)
		}
	}
	// a retention past what a time.Duration reaches would wrap its cutoff
	// into the future: every message deleted
	if _, err := settings.Validate(patch(t, `{"message_retention_days": 999999}`)); err == nil {
		t.Errorf("message_retention_days 999999 accepted")
	}
	set, err := settings.Validate(patch(t, `{"custom_system_prompt": "   "}`))
	if err != nil || set["custom_system_prompt"] != nil {
		t.Errorf("blank prompt = %v, %v; want nil", set, err)
	}

	_, err = settings.Validate(patch(t, `{"confidence_threshold": 101, "ai_tone": "casual", "x": 1, "updated_at": "now"}`))
	var ve *settings.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("err = %v", err)
	}
	if got := slices.Sorted(maps.Keys(ve.Fields)); !slices.Equal(got, []string{"confidence_threshold", "updated_at", "x"}) {
		t.Fatalf("fields %v", ve.Fields)
	}
	if ve.Fields["updated_at"] != "is read-only" || ve.Fields["x"] != "is not a setting" {
		t.Fatalf("messages %v", ve.Fields)
	}
}

func TestPatchAuditsChangesOnly(t *testing.T) {
	t.Parallel()
	a := apptest.Open(t)
	ctx := context.Background()
	org, err := a.Store.CreateOrganization(ctx, "Acme")
	if err != nil {
		t.Fatal(err)
	}
	before, err := a.Settings.Get(ctx, org.ID)
	if err != nil {
		t.Fatal(err)
	}
	// Same values as stored: nothing to write, no audit row.
	same, err := a.Settings.Patch(ctx, org.ID, "user:1", patch(t, `{"ai_tone": "professional", "confidence_threshold": 40}`))
	if err != nil || !same.UpdatedAt.Equal(before.UpdatedAt) {
		t.Fatalf("no-op patch = %+v, %v", same, err)
	}
	time.Sleep(3 * time.Millisecond)
	after, err := a.Settings.Patch(ctx, org.ID, "user:1", patch(t, `{"ai_tone": "casual", "confidence_threshold": 40}`))
	if err != nil || after.String("ai_tone") != "casual" || !after.UpdatedAt.After(before.UpdatedAt) {
		t.Fatalf("patch = %+v, %v", after, err)
	}
	audit, _ := a.Store.ListAudit(ctx, storage.AuditFilter{OrgID: org.ID, Action: "settings.update"})
	if len(audit) != 1 || audit[0].Actor != "user:1" {
		t.Fatalf("audit = %+v", audit)
	}
	changes := audit[0].Detail["changes"].(map[string]any)
	if len(changes) != 1 || changes["ai_tone"].(map[string]any)["old"] != "professional" || changes["ai_tone"].(map[string]any)["new"] != "casual" {
		t.Fatalf("changes = %v", changes)
	}
	if _, err := a.Settings.Get(ctx, 999); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("Get(missing) = %v", err)
	}
}

// TestScheduleRefusesWhatTheParserLetsThrough: robfig/cron (gocron's
// parser) accepts these; none is a schedule anyone means.
func TestScheduleRefusesWhatTheParserLetsThrough(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{
		"0 0 31 2 *",            // February 31st: never
		"0 0 30 2 *",            // nor the 30th
		"0 0 31 4,6,9,11 *",     // months of 30 days
		"0/99999999999 * * * *", // read as minute 0
		"*/60 * * * *",
		"0 */24 * * *",
		"0 0 */32 * *",
		"0 0 1 */13 *",
		"0 0 * * */7",
		"0 0 * * 1/0",
		"0 0 * * 1/x",
		"0 0 ? * MON", // Quartz's "no specific value", read as *
		"0 0 * * ?",
		"? * * * *",
	} {
		_, err := settings.Validate(patch(t, `{"backfill_schedule": "`+bad+`"}`))
		var ve *settings.ValidationError
		if !errors.As(err, &ve) || ve.Fields["backfill_schedule"] == "" || len(ve.Fields) != 1 {
			t.Errorf("%q: %v, want a 422 naming backfill_schedule", bad, err)
		}
	}
	for _, good := range []string{"*/59 * * * *", "0 */23 * * *", "0 0 1/31 * *", "0 0 1 */12 *", "0 0 * * */6",
		"0 0 1 1 *", "0 0 31 * *", "15,45 9-17/2 * * 1-5", "0 0 29 * *"} {
		set, err := settings.Validate(patch(t, `{"backfill_schedule": "`+good+`"}`))
		if err != nil || set["backfill_schedule"] != good {
			t.Errorf("%q: %v, %v; want it accepted", good, set, err)
		}
	}
}

// TestTableMatchesSchema: the field table and org_settings agree: the same
// 14 settings, and a new organization's row holds the table's defaults.
func TestTableMatchesSchema(t *testing.T) {
	t.Parallel()
	a := apptest.Open(t)
	ctx := context.Background()
	org, err := a.Store.CreateOrganization(ctx, "Acme")
	if err != nil {
		t.Fatal(err)
	}
	row, err := a.Store.OrgSettings(ctx, org.ID)
	if err != nil {
		t.Fatal(err)
	}
	table := settings.Table()
	var names []string
	for _, f := range table {
		names = append(names, f.Name)
		if f.Help == "" {
			t.Errorf("%s has no help text", f.Name)
		}
	}
	if got := slices.Sorted(maps.Keys(row.Values)); !slices.Equal(got, slices.Sorted(slices.Values(names))) || len(names) != 14 {
		t.Fatalf("org_settings columns %v, table %v", got, names)
	}
	s, err := a.Settings.Get(ctx, org.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range table {
		if s.Values[f.Name] != f.Default {
			t.Errorf("%s: a new organization has %#v, the table's default is %#v", f.Name, s.Values[f.Name], f.Default)
		}
		// The default passes the field's own validation.
		raw, _ := json.Marshal(f.Default)
		set, err := settings.Validate(map[string]json.RawMessage{f.Name: raw})
		if err != nil || set[f.Name] != f.Default {
			t.Errorf("%s: its default %s does not validate: %v", f.Name, raw, err)
		}
	}
	// Table hands out copies.
	table[0].Values[0] = "changed"
	if settings.Table()[0].Values[0] == "changed" {
		t.Fatal("Table shares its slices with the caller")
	}
}

// TestSettingsJSON: the JSON is one flat object in the table's order, and
// reads back to the same settings.
func TestSettingsJSON(t *testing.T) {
	t.Parallel()
	a := apptest.Open(t)
	ctx := context.Background()
	org, _ := a.Store.CreateOrganization(ctx, "Acme")
	s, err := a.Settings.Patch(ctx, org.ID, "user:1", patch(t, `{"custom_system_prompt": "Be brief.", "weekly_digest_enabled": true}`))
	if err != nil {
		t.Fatal(err)
	}
	out, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	keys := []string{"org_id"}
	for _, f := range settings.Table() {
		keys = append(keys, f.Name)
	}
	keys = append(keys, "created_at", "updated_at")
	dec := json.NewDecoder(bytes.NewReader(out))
	dec.Token() // {
	for i := 0; dec.More(); i++ {
		k, _ := dec.Token()
		var v json.RawMessage
		dec.Decode(&v)
		if i >= len(keys) || k != keys[i] {
			t.Fatalf("key %d is %v, want the order %v: %s", i, k, keys, out)
		}
	}
	var back settings.Settings
	if err := json.Unmarshal(out, &back); err != nil {
		t.Fatal(err)
	}
	if again, _ := json.Marshal(back); string(again) != string(out) {
		t.Fatalf("read back:\n%s\nwant\n%s", again, out)
	}
	if back.String("custom_system_prompt") != "Be brief." || !back.Bool("weekly_digest_enabled") || back.Int("confidence_threshold") != 40 {
		t.Fatalf("getters on %+v", back)
	}
}

// BenchmarkPatch measures one settings change end to end on one goroutine:
// validation, the write transaction (read, update, read back, audit) and
// commit; every write of the server waits this long for the one before.
func BenchmarkPatch(b *testing.B) {
	a := apptest.Open(b)
	ctx := context.Background()
	org, err := a.Store.CreateOrganization(ctx, "Acme")
	if err != nil {
		b.Fatal(err)
	}
	bodies := []map[string]json.RawMessage{
		{"ai_tone": json.RawMessage(`"casual"`), "confidence_threshold": json.RawMessage(`41`)},
		{"ai_tone": json.RawMessage(`"technical"`), "confidence_threshold": json.RawMessage(`42`)},
	}
	i := 0
	for b.Loop() {
		if _, err := a.Settings.Patch(ctx, org.ID, "user:1", bodies[i%2]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// TestTableGroups: every setting is in one of the settings page's groups,
// and each group's settings are together in the table, in the page's order.
func TestTableGroups(t *testing.T) {
	t.Parallel()
	order := []settings.Group{settings.GroupAI, settings.GroupBackfill, settings.GroupFeatures,
		settings.GroupNotifications, settings.GroupRetention}
	var seen []settings.Group
	for _, f := range settings.Table() {
		if !slices.Contains(order, f.Group) {
			t.Fatalf("%s is in group %q, not one of %v", f.Name, f.Group, order)
		}
		if len(seen) == 0 || seen[len(seen)-1] != f.Group {
			if slices.Contains(seen, f.Group) {
				t.Fatalf("%s: group %s comes back after others; keep a group's settings together", f.Name, f.Group)
			}
			seen = append(seen, f.Group)
		}
	}
	if !slices.Equal(seen, order) {
		t.Fatalf("groups in the table's order: %v, want %v", seen, order)
	}
	if f, _ := settings.Lookup("message_retention_days"); f.Group != settings.GroupRetention {
		t.Fatalf("message_retention_days is in %q", f.Group)
	}
}
