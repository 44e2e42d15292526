package storage

import (
	"context"
	"errors"
	"testing"
)

func TestOrgSettingsReadAndUpdate(t *testing.T) {
	t.Parallel()
	s := openTest(t)
	ctx := context.Background()
	a, _ := s.CreateOrganization(ctx, "A")
	b, _ := s.CreateOrganization(ctx, "B")
	def, err := s.OrgSettings(ctx, a.ID)
	v := func(o OrgSettings, col string) any { return o.Values[col] }
	if err != nil || def.OrgID != a.ID || v(def, "ai_tone") != "professional" || v(def, "confidence_threshold") != int64(40) ||
		v(def, "custom_system_prompt") != nil || v(def, "backfill_schedule") != "0 2 * * *" ||
		v(def, "weekly_digest_enabled") != int64(0) || v(def, "web_qa_enabled") != int64(1) || len(def.Values) != 14 {
		t.Fatalf("defaults = %+v, %v", def, err)
	}
	prompt := "Be brief."
	err = s.Tx(ctx, func(tx *Tx) error {
		return tx.UpdateOrgSettings(ctx, a.ID, map[string]any{
			"ai_tone": "casual", "custom_system_prompt": prompt, "weekly_digest_enabled": true, "confidence_threshold": int64(70)})
	})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := s.OrgSettings(ctx, a.ID)
	if v(got, "ai_tone") != "casual" || v(got, "custom_system_prompt") != prompt || v(got, "weekly_digest_enabled") != int64(1) ||
		v(got, "confidence_threshold") != int64(70) {
		t.Fatalf("after update = %+v", got)
	}
	if other, _ := s.OrgSettings(ctx, b.ID); v(other, "ai_tone") != "professional" {
		t.Fatalf("B changed: %+v", other)
	}
	err = s.Tx(ctx, func(tx *Tx) error {
		return tx.UpdateOrgSettings(ctx, a.ID, map[string]any{"custom_system_prompt": nil})
	})
	if got, _ := s.OrgSettings(ctx, a.ID); err != nil || v(got, "custom_system_prompt") != nil {
		t.Fatalf("clearing the prompt: %v, %+v", err, v(got, "custom_system_prompt"))
	}
	// Only setting columns, by plain names, and the CHECKs still hold as the last line.
	for _, col := range []string{"org_id", "updated_at", "created_at", "colour", "ai_tone = 'casual', org_id", "AI_TONE", ""} {
		err = s.Tx(ctx, func(tx *Tx) error { return tx.UpdateOrgSettings(ctx, a.ID, map[string]any{col: 5}) })
		if err == nil {
			t.Fatalf("updating %q was allowed", col)
		}
	}
	err = s.Tx(ctx, func(tx *Tx) error {
		return tx.UpdateOrgSettings(ctx, a.ID, map[string]any{"ai_tone": "formal", "confidence_threshold": int64(1)})
	})
	if !IsConstraintViolation(err) {
		t.Fatalf("bad tone = %v, want a CHECK failure", err)
	}
	if got, _ := s.OrgSettings(ctx, a.ID); v(got, "confidence_threshold") != int64(70) {
		t.Fatalf("a failed update saved part of itself: %+v", got)
	}
	if _, err := s.OrgSettings(ctx, 999); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing org = %v", err)
	}
	if err := s.Tx(ctx, func(tx *Tx) error { return tx.UpdateOrgSettings(ctx, 999, map[string]any{"ai_tone": "casual"}) }); !errors.Is(err, ErrNotFound) {
		t.Fatalf("update of a missing org = %v", err)
	}
}
