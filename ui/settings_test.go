package ui

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"lore/app/settings"
	"lore/storage"
)

func TestSettingsGetDefaults(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	w := f.do(t, "GET", fmt.Sprintf("/api/organizations/%d/settings", f.orgA.ID), f.memberA.Token, "")
	var raw map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &raw); err != nil || w.Code != http.StatusOK {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	want := map[string]any{
		"org_id": float64(f.orgA.ID), "ai_tone": "professional", "ai_response_length": "balanced",
		"confidence_threshold": float64(40), "custom_system_prompt": nil, "backfill_schedule": "0 2 * * *",
		"backfill_days_back": float64(90), "auto_backfill_enabled": true, "slack_commands_enabled": true,
		"web_qa_enabled": true, "document_upload_enabled": true, "email_notifications_enabled": true,
		"notify_on_failed_backfill": true, "weekly_digest_enabled": false, "message_retention_days": float64(365),
	}
	for k, v := range want {
		if raw[k] != v {
			t.Errorf("%s = %#v, want %#v", k, raw[k], v)
		}
	}
	for _, k := range []string{"created_at", "updated_at"} {
		if _, err := time.Parse(time.RFC3339, fmt.Sprint(raw[k])); err != nil {
			t.Errorf("%s = %v: %v", k, raw[k], err)
		}
	}
	if len(raw) != 17 {
		t.Errorf("%d fields, want the 14 settings, org_id, created_at and updated_at: %v", len(raw), slices.Sorted(maps.Keys(raw)))
	}
}

// settingNames are the names of every setting, sorted.
func settingNames() []string {
	var names []string
	for _, f := range settings.Table() {
		names = append(names, f.Name)
	}
	return slices.Sorted(slices.Values(names))
}

// TestSettingsPatchRejects is the table of bad settings: each answers 422
// naming exactly the failing fields, and nothing is saved.
func TestSettingsPatchRejects(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", settings.MaxPromptLength+1)
	cases := []struct {
		name   string
		body   string
		fields []string
	}{
		{"confidence above 100", `{"confidence_threshold": 101}`, []string{"confidence_threshold"}},
		{"confidence below 0", `{"confidence_threshold": -1}`, []string{"confidence_threshold"}},
		{"confidence fraction", `{"confidence_threshold": 40.5}`, []string{"confidence_threshold"}},
		{"confidence as string", `{"confidence_threshold": "40"}`, []string{"confidence_threshold"}},
		{"confidence null", `{"confidence_threshold": null}`, []string{"confidence_threshold"}},
		{"tone not in enum", `{"ai_tone": "sarcastic"}`, []string{"ai_tone"}},
		{"tone wrong case", `{"ai_tone": "Casual"}`, []string{"ai_tone"}},
		{"tone as number", `{"ai_tone": 1}`, []string{"ai_tone"}},
		{"length not in enum", `{"ai_response_length": "epic"}`, []string{"ai_response_length"}},
		{"days back 0", `{"backfill_days_back": 0}`, []string{"backfill_days_back"}},
		{"days back 366", `{"backfill_days_back": 366}`, []string{"backfill_days_back"}},
		{"retention 29", `{"message_retention_days": 29}`, []string{"message_retention_days"}},
		{"retention huge", `{"message_retention_days": 99999999999999999999}`, []string{"message_retention_days"}},
		{"prompt too long", `{"custom_system_prompt": "` + long + `"}`, []string{"custom_system_prompt"}},
		{"prompt as number", `{"custom_system_prompt": 42}`, []string{"custom_system_prompt"}},
		{"bool as string", `{"auto_backfill_enabled": "true"}`, []string{"auto_backfill_enabled"}},
		{"bool as number", `{"weekly_digest_enabled": 1}`, []string{"weekly_digest_enabled"}},
		{"bool null", `{"web_qa_enabled": null}`, []string{"web_qa_enabled"}},
		{"cron not cron", `{"backfill_schedule": "every night"}`, []string{"backfill_schedule"}},
		{"cron 4 fields", `{"backfill_schedule": "0 2 * *"}`, []string{"backfill_schedule"}},
		{"cron 6 fields", `{"backfill_schedule": "0 0 2 * * *"}`, []string{"backfill_schedule"}},
		{"cron minute 60", `{"backfill_schedule": "60 2 * * *"}`, []string{"backfill_schedule"}},
		{"cron descriptor", `{"backfill_schedule": "@daily"}`, []string{"backfill_schedule"}},
		{"cron time zone", `{"backfill_schedule": "CRON_TZ=Europe/Paris 0 2 * * *"}`, []string{"backfill_schedule"}},
		{"cron null", `{"backfill_schedule": null}`, []string{"backfill_schedule"}},
		{"unknown field", `{"colour": "blue"}`, []string{"colour"}},
		{"read-only updated_at", `{"updated_at": "2030-01-01T00:00:00Z"}`, []string{"updated_at"}},
		{"read-only org_id", `{"org_id": 2}`, []string{"org_id"}},
		{"read-only created_at", `{"created_at": "2030-01-01T00:00:00Z"}`, []string{"created_at"}},
		{"mixed valid and invalid",
			`{"ai_tone": "casual", "confidence_threshold": 500, "weekly_digest_enabled": "no", "backfill_schedule": "0 3 * * 1", "bogus": 1}`,
			[]string{"bogus", "confidence_threshold", "weekly_digest_enabled"}},
		{"every field wrong", `{"ai_tone": "x", "ai_response_length": "x", "confidence_threshold": 101, "custom_system_prompt": false,
			"backfill_schedule": "x", "backfill_days_back": 0, "auto_backfill_enabled": 0, "slack_commands_enabled": 0,
			"web_qa_enabled": 0, "document_upload_enabled": 0, "email_notifications_enabled": 0,
			"notify_on_failed_backfill": 0, "weekly_digest_enabled": 0, "message_retention_days": 1}`, settingNames()},
	}
	f := newFixture(t)
	path := fmt.Sprintf("/api/organizations/%d/settings", f.orgA.ID)
	before := f.do(t, "GET", path, f.adminA.Token, "").Body.String()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := wantError(t, f.do(t, "PATCH", path, f.adminA.Token, tc.body), http.StatusUnprocessableEntity, "invalid_settings")
			if got := slices.Sorted(maps.Keys(e.Error.Fields)); !slices.Equal(got, tc.fields) {
				t.Fatalf("fields named %v, want %v (%+v)", got, tc.fields, e.Error.Fields)
			}
			for k, msg := range e.Error.Fields {
				if msg == "" {
					t.Errorf("field %s has no message", k)
				}
			}
			if after := f.do(t, "GET", path, f.adminA.Token, "").Body.String(); after != before {
				t.Fatalf("settings changed by a rejected patch:\nbefore %s\nafter  %s", before, after)
			}
		})
	}
	audit, err := f.app.Store.ListAudit(context.Background(), storage.AuditFilter{OrgID: f.orgA.ID, Action: "settings.update"})
	if err != nil || len(audit) != 0 {
		t.Fatalf("audit rows after rejected patches: %+v, %v", audit, err)
	}
	// Messages say what is wanted.
	e := wantError(t, f.do(t, "PATCH", path, f.adminA.Token, `{"confidence_threshold": 101}`), http.StatusUnprocessableEntity, "invalid_settings")
	if e.Error.Fields["confidence_threshold"] != "must be 0-100" {
		t.Fatalf("message %q", e.Error.Fields["confidence_threshold"])
	}
}

func TestSettingsPatchSaves(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	path := fmt.Sprintf("/api/organizations/%d/settings", f.orgA.ID)
	before := decodeBody[settings.Settings](t, f.do(t, "GET", path, f.adminA.Token, ""), http.StatusOK)
	time.Sleep(5 * time.Millisecond) // updated_at has millisecond precision

	got := decodeBody[settings.Settings](t, f.do(t, "PATCH", path, f.adminA.Token,
		`{"ai_tone": "technical", "confidence_threshold": 0, "custom_system_prompt": "Answer in French.",
		  "backfill_schedule": " 30  4 * * 1-5 ", "weekly_digest_enabled": true, "message_retention_days": 30}`), http.StatusOK)
	want := before
	want.Values = maps.Clone(before.Values)
	maps.Copy(want.Values, map[string]any{"ai_tone": "technical", "confidence_threshold": int64(0), "backfill_schedule": "30 4 * * 1-5",
		"custom_system_prompt": "Answer in French.", "weekly_digest_enabled": true, "message_retention_days": int64(30)})
	want.UpdatedAt = got.UpdatedAt
	if !got.UpdatedAt.After(before.UpdatedAt) {
		t.Fatalf("updated_at %v did not move past %v", got.UpdatedAt, before.UpdatedAt)
	}
	gotJSON, _ := json.Marshal(got)
	wantJSON, _ := json.Marshal(want)
	if string(gotJSON) != string(wantJSON) {
		t.Fatalf("patched settings\n got %s\nwant %s", gotJSON, wantJSON)
	}
	// B's settings are untouched.
	b := decodeBody[settings.Settings](t, f.do(t, "GET", fmt.Sprintf("/api/organizations/%d/settings", f.orgB.ID), f.ownerB.Token, ""), http.StatusOK)
	if b.String("ai_tone") != "professional" || b.Int("confidence_threshold") != 40 {
		t.Fatalf("org B's settings changed: %+v", b)
	}

	audit, err := f.app.Store.ListAudit(context.Background(), storage.AuditFilter{OrgID: f.orgA.ID, Action: "settings.update"})
	if err != nil || len(audit) != 1 {
		t.Fatalf("audit %+v, %v", audit, err)
	}
	if audit[0].Actor != fmt.Sprintf("user:%d", f.adminA.ID) {
		t.Fatalf("actor %q", audit[0].Actor)
	}
	changes, _ := json.Marshal(audit[0].Detail["changes"])
	for _, s := range []string{`"ai_tone":{"new":"technical","old":"professional"}`, `"confidence_threshold":{"new":0,"old":40}`,
		`"custom_system_prompt":{"new":"Answer in French.","old":null}`, `"message_retention_days":{"new":30,"old":365}`} {
		if !strings.Contains(string(changes), s) {
			t.Errorf("audit changes %s lack %s", changes, s)
		}
	}

	// Clearing the prompt with null.
	got = decodeBody[settings.Settings](t, f.do(t, "PATCH", path, f.adminA.Token, `{"custom_system_prompt": null}`), http.StatusOK)
	if got.Values["custom_system_prompt"] != nil {
		t.Fatalf("prompt %q, want null", got.Values["custom_system_prompt"])
	}
	// Not JSON, or not an object: 400.
	wantError(t, f.do(t, "PATCH", path, f.adminA.Token, `{"ai_tone": `), http.StatusBadRequest, "invalid_json")
	wantError(t, f.do(t, "PATCH", path, f.adminA.Token, `["ai_tone"]`), http.StatusBadRequest, "invalid_json")
	wantError(t, f.do(t, "PATCH", path, f.adminA.Token, `null`), http.StatusBadRequest, "invalid_json")
}

// BenchmarkSettingsGet measures settings reads over real HTTP: a server on
// loopback, 50 concurrent clients with a Bearer token, keep-alive on.
func BenchmarkSettingsGet(b *testing.B) {
	f := newFixture(b)
	srv := httptest.NewServer(f.h)
	defer srv.Close()
	const clients = 50
	tr := &http.Transport{MaxIdleConns: clients, MaxIdleConnsPerHost: clients}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	url := fmt.Sprintf("%s/api/organizations/%d/settings", srv.URL, f.orgA.ID)

	var next, failed atomic.Int64
	n := int64(b.N)
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			req, _ := http.NewRequest("GET", url, nil)
			req.Header.Set("Authorization", "Bearer "+f.memberA.Token)
			for next.Add(1) <= n {
				resp, err := client.Do(req)
				if err != nil {
					failed.Add(1)
					continue
				}
				var s settings.Settings
				if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&s) != nil || s.OrgID != f.orgA.ID {
					failed.Add(1)
				}
				resp.Body.Close()
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if failed.Load() > 0 {
		b.Fatalf("%d of %d requests failed", failed.Load(), b.N)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "req/s")
}
