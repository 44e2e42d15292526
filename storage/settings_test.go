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
	if err != nil || def.OrgID != a.ID || def.AITone != "professional" || def.ConfidenceThreshold != 40 ||
		def.CustomSystemPrompt != nil || def.BackfillSchedule != "0 2 * * *" || def.WeeklyDigestEnabled || !def.WebQAEnabled {
		t.Fatalf("defaults = %+v, %v", def, err)
	}
	prompt := "Be brief."
	err = s.Tx(ctx, func(tx *Tx) error {
		return tx.UpdateOrgSettings(ctx, a.ID, map[string]any{
			"ai_tone": "casual", "custom_system_prompt": &prompt, "weekly_digest_enabled": true, "confidence_threshold": int64(70)})
	})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := s.OrgSettings(ctx, a.ID)
	if got.AITone != "casual" || got.CustomSystemPrompt == nil || *got.CustomSystemPrompt != prompt || !got.WeeklyDigestEnabled || got.ConfidenceThreshold != 70 {
		t.Fatalf("after update = %+v", got)
	}
	if other, _ := s.OrgSettings(ctx, b.ID); other.AITone != "professional" {
		t.Fatalf("B changed: %+v", other)
	}
	err = s.Tx(ctx, func(tx *Tx) error {
		return tx.UpdateOrgSettings(ctx, a.ID, map[string]any{"custom_system_prompt": (*string)(nil)})
	})
	if got, _ := s.OrgSettings(ctx, a.ID); err != nil || got.CustomSystemPrompt != nil {
		t.Fatalf("clearing the prompt: %v, %+v", err, got.CustomSystemPrompt)
	}
	// Only known columns, and the CHECKs still hold as the last line.
	err = s.Tx(ctx, func(tx *Tx) error { return tx.UpdateOrgSettings(ctx, a.ID, map[string]any{"org_id": 5}) })
	if err == nil {
		t.Fatal("updating org_id was allowed")
	}
	err = s.Tx(ctx, func(tx *Tx) error {
		return tx.UpdateOrgSettings(ctx, a.ID, map[string]any{"ai_tone": "formal", "confidence_threshold": int64(1)})
	})
	if !IsConstraintViolation(err) {
		t.Fatalf("bad tone = %v, want a CHECK failure", err)
	}
	if got, _ := s.OrgSettings(ctx, a.ID); got.ConfidenceThreshold != 70 {
		t.Fatalf("a failed update saved part of itself: %+v", got)
	}
	if _, err := s.OrgSettings(ctx, 999); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing org = %v", err)
	}
	if err := s.Tx(ctx, func(tx *Tx) error { return tx.UpdateOrgSettings(ctx, 999, map[string]any{"ai_tone": "casual"}) }); !errors.Is(err, ErrNotFound) {
		t.Fatalf("update of a missing org = %v", err)
	}
}
