// Package settings is an organization's settings: how Lore answers (tone,
// length, confidence threshold, system prompt), how it syncs (backfill
// schedule and depth) and which features are on. Every change is validated
// field by field and written to the audit log with its old and new values.
package settings

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"lore/app/validation"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/robfig/cron/v3"

	"lore/storage"
)

// Settings is an organization's settings as the API shows them: the
// original system's 14 fields, with the organization and timestamps.
type Settings struct {
	OrgID                     int64     `json:"org_id"`
	AITone                    string    `json:"ai_tone"`
	AIResponseLength          string    `json:"ai_response_length"`
	ConfidenceThreshold       int64     `json:"confidence_threshold"`
	CustomSystemPrompt        *string   `json:"custom_system_prompt"`
	BackfillSchedule          string    `json:"backfill_schedule"`
	BackfillDaysBack          int64     `json:"backfill_days_back"`
	AutoBackfillEnabled       bool      `json:"auto_backfill_enabled"`
	SlackCommandsEnabled      bool      `json:"slack_commands_enabled"`
	WebQAEnabled              bool      `json:"web_qa_enabled"`
	DocumentUploadEnabled     bool      `json:"document_upload_enabled"`
	EmailNotificationsEnabled bool      `json:"email_notifications_enabled"`
	NotifyOnFailedBackfill    bool      `json:"notify_on_failed_backfill"`
	WeeklyDigestEnabled       bool      `json:"weekly_digest_enabled"`
	MessageRetentionDays      int64     `json:"message_retention_days"`
	CreatedAt                 time.Time `json:"created_at"`
	UpdatedAt                 time.Time `json:"updated_at"`
}

// Limits of the fields, shared by validation and its messages.
const (
	MaxPromptLength     = 4000
	MinRetentionDays    = 30
	MinBackfillDaysBack = 1
	MaxBackfillDaysBack = 365
	MaxConfidence       = 100
	maxScheduleLength   = 200
)

// ValidationError names every failing field of a settings patch; it is the one
// validation.Error of all services.
type ValidationError = validation.Error

// invalid is the ValidationError for fields.
func invalid(fields map[string]string) *ValidationError {
	return &ValidationError{Code: "invalid_settings", Message: "some settings are invalid; nothing was saved", Fields: fields}
}

// Service reads and changes organizations' settings.
type Service struct {
	store     *storage.Store
	observers []func(ctx context.Context, orgID int64)
}

// OnChange adds fn to what is told, after it commits, of each change of an
// organization's settings (the scheduler moves its jobs). Observers are
// wiring: add them before the service is used.
func (s *Service) OnChange(fn func(ctx context.Context, orgID int64)) {
	s.observers = append(s.observers, fn)
}

// New returns the settings service over store.
func New(store *storage.Store) *Service { return &Service{store: store} }

// Get returns the organization's settings, or storage.ErrNotFound.
func (s *Service) Get(ctx context.Context, orgID int64) (Settings, error) {
	row, err := s.store.OrgSettings(ctx, orgID)
	if err != nil {
		return Settings{}, err
	}
	return fromRow(row), nil
}

// Patch changes the fields present in patch (a JSON object of field → new
// value) and returns the whole updated settings. Every field is checked
// before anything is written: unknown and read-only fields, wrong JSON
// types and out-of-range values all come back together in one
// *ValidationError, and then nothing is saved. The change and an audit row
// with each changed field's old and new value commit together; actor names
// who made it ("user:12").
func (s *Service) Patch(ctx context.Context, orgID int64, actor string, patch map[string]json.RawMessage) (Settings, error) {
	set, err := Validate(patch)
	if err != nil {
		return Settings{}, err
	}
	var out Settings
	err = s.store.Tx(ctx, func(tx *storage.Tx) error {
		old, err := tx.OrgSettings(ctx, orgID)
		if err != nil {
			return err
		}
		before := columnValues(old)
		changes := map[string]any{}
		for col, v := range set {
			if !sameValue(before[col], v) {
				changes[col] = map[string]any{"old": before[col], "new": v}
			}
		}
		if len(changes) == 0 {
			out = fromRow(old)
			return nil
		}
		// A CHECK failing here means validation let a bad value through: the
		// error goes up as it is, to be logged and answered with a 500.
		if err := tx.UpdateOrgSettings(ctx, orgID, set); err != nil {
			return err
		}
		row, err := tx.OrgSettings(ctx, orgID)
		if err != nil {
			return err
		}
		out = fromRow(row)
		return tx.AddAudit(ctx, storage.AuditEntry{OrgID: orgID, Actor: actor, Action: "settings.update",
			Detail: map[string]any{"changes": changes}})
	})
	if err != nil {
		return Settings{}, err
	}
	for _, fn := range s.observers {
		fn(ctx, orgID)
	}
	return out, nil
}

// sameValue compares a stored value with a new one of the same column.
func sameValue(a, b any) bool {
	pa, aIsPtr := a.(*string)
	pb, bIsPtr := b.(*string)
	if aIsPtr || bIsPtr {
		if pa == nil || pb == nil {
			return pa == nil && pb == nil
		}
		return *pa == *pb
	}
	return a == b
}

// field is one writable setting: how to read its JSON value.
type field func(raw json.RawMessage) (any, string)

var fields = map[string]field{
	"ai_tone":                     enum("professional", "casual", "technical"),
	"ai_response_length":          enum("concise", "balanced", "detailed"),
	"confidence_threshold":        integer(0, MaxConfidence, fmt.Sprintf("must be 0-%d", MaxConfidence)),
	"custom_system_prompt":        prompt,
	"backfill_schedule":           schedule,
	"backfill_days_back":          integer(MinBackfillDaysBack, MaxBackfillDaysBack, fmt.Sprintf("must be %d-%d", MinBackfillDaysBack, MaxBackfillDaysBack)),
	"auto_backfill_enabled":       boolean,
	"slack_commands_enabled":      boolean,
	"web_qa_enabled":              boolean,
	"document_upload_enabled":     boolean,
	"email_notifications_enabled": boolean,
	"notify_on_failed_backfill":   boolean,
	"weekly_digest_enabled":       boolean,
	"message_retention_days":      integer(MinRetentionDays, 1<<53, fmt.Sprintf("must be at least %d", MinRetentionDays)),
}

// readOnly are the fields the API shows but no one can set.
var readOnly = map[string]bool{"org_id": true, "created_at": true, "updated_at": true}

// Fields returns the names of the writable settings, sorted.
func Fields() []string { return slices.Sorted(maps.Keys(fields)) }

// Validate checks every field of a patch and returns the column values to
// write, or a *ValidationError naming every field that is wrong.
func Validate(patch map[string]json.RawMessage) (map[string]any, error) {
	set := make(map[string]any, len(patch))
	bad := map[string]string{}
	for name, raw := range patch {
		f, ok := fields[name]
		switch {
		case readOnly[name]:
			bad[name] = "is read-only"
		case !ok:
			bad[name] = "is not a setting"
		default:
			v, msg := f(raw)
			if msg != "" {
				bad[name] = msg
			} else {
				set[name] = v
			}
		}
	}
	if len(bad) > 0 {
		return nil, invalid(bad)
	}
	return set, nil
}

func isNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

func enum(values ...string) field {
	msg := "must be one of " + strings.Join(values, ", ")
	return func(raw json.RawMessage) (any, string) {
		var s string
		if isNull(raw) || json.Unmarshal(raw, &s) != nil {
			return nil, msg
		}
		if !slices.Contains(values, s) {
			return nil, msg
		}
		return s, ""
	}
}

func integer(lo, hi int64, msg string) field {
	return func(raw json.RawMessage) (any, string) {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			return nil, "must be an integer; " + msg
		}
		n, ok := v.(json.Number)
		if !ok {
			return nil, "must be an integer; " + msg
		}
		i, err := n.Int64()
		if err != nil {
			return nil, "must be an integer; " + msg
		}
		if i < lo || i > hi {
			return nil, msg
		}
		return i, ""
	}
}

func boolean(raw json.RawMessage) (any, string) {
	var b bool
	if isNull(raw) || json.Unmarshal(raw, &b) != nil {
		return nil, "must be true or false"
	}
	return b, ""
}

// prompt is text of at most MaxPromptLength characters, or null to clear it
// (an empty or blank string clears it too).
func prompt(raw json.RawMessage) (any, string) {
	if isNull(raw) {
		return (*string)(nil), ""
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return nil, "must be a string or null"
	}
	if utf8.RuneCountInString(s) > MaxPromptLength {
		return nil, fmt.Sprintf("must be at most %d characters", MaxPromptLength)
	}
	if strings.TrimSpace(s) == "" {
		return (*string)(nil), ""
	}
	return &s, ""
}

// schedule is a 5-field cron expression in UTC, checked with the parser the
// scheduler (gocron) uses for 5-field crontabs; descriptors such as @daily
// and time zone prefixes are refused, since the schedule is always UTC.
func schedule(raw json.RawMessage) (any, string) {
	const msg = "must be a 5-field cron expression (minute hour day-of-month month day-of-week), e.g. 0 2 * * *"
	var s string
	if isNull(raw) || json.Unmarshal(raw, &s) != nil {
		return nil, msg
	}
	f := strings.Fields(s)
	if len(f) != 5 || len(s) > maxScheduleLength {
		return nil, msg
	}
	normal := strings.Join(f, " ")
	if _, err := cron.ParseStandard(normal); err != nil {
		return nil, msg + ": " + err.Error()
	}
	return normal, ""
}

func fromRow(r storage.OrgSettings) Settings {
	return Settings{
		OrgID: r.OrgID, AITone: r.AITone, AIResponseLength: r.AIResponseLength,
		ConfidenceThreshold: r.ConfidenceThreshold, CustomSystemPrompt: r.CustomSystemPrompt,
		BackfillSchedule: r.BackfillSchedule, BackfillDaysBack: r.BackfillDaysBack,
		AutoBackfillEnabled: r.AutoBackfillEnabled, SlackCommandsEnabled: r.SlackCommandsEnabled,
		WebQAEnabled: r.WebQAEnabled, DocumentUploadEnabled: r.DocumentUploadEnabled,
		EmailNotificationsEnabled: r.EmailNotificationsEnabled, NotifyOnFailedBackfill: r.NotifyOnFailedBackfill,
		WeeklyDigestEnabled: r.WeeklyDigestEnabled, MessageRetentionDays: r.MessageRetentionDays,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
	}
}

// columnValues is a row as column → value, with the types Validate returns.
func columnValues(r storage.OrgSettings) map[string]any {
	return map[string]any{
		"ai_tone": r.AITone, "ai_response_length": r.AIResponseLength,
		"confidence_threshold": r.ConfidenceThreshold, "custom_system_prompt": r.CustomSystemPrompt,
		"backfill_schedule": r.BackfillSchedule, "backfill_days_back": r.BackfillDaysBack,
		"auto_backfill_enabled": r.AutoBackfillEnabled, "slack_commands_enabled": r.SlackCommandsEnabled,
		"web_qa_enabled": r.WebQAEnabled, "document_upload_enabled": r.DocumentUploadEnabled,
		"email_notifications_enabled": r.EmailNotificationsEnabled, "notify_on_failed_backfill": r.NotifyOnFailedBackfill,
		"weekly_digest_enabled": r.WeeklyDigestEnabled, "message_retention_days": r.MessageRetentionDays,
	}
}
