package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// OrgSettings is an organization's row of org_settings: how Lore answers and
// syncs for it. Ranges are checked by the settings service and, as the last
// line, by the table's CHECK constraints.
type OrgSettings struct {
	OrgID                     int64
	AITone                    string
	AIResponseLength          string
	ConfidenceThreshold       int64
	CustomSystemPrompt        *string // nil when unset
	BackfillSchedule          string
	BackfillDaysBack          int64
	AutoBackfillEnabled       bool
	SlackCommandsEnabled      bool
	WebQAEnabled              bool
	DocumentUploadEnabled     bool
	EmailNotificationsEnabled bool
	NotifyOnFailedBackfill    bool
	WeeklyDigestEnabled       bool
	MessageRetentionDays      int64
	CreatedAt                 time.Time
	UpdatedAt                 time.Time
}

// settingsColumns are the writable columns of org_settings; UpdateOrgSettings
// accepts no other name, so column names never come from outside.
var settingsColumns = map[string]bool{
	"ai_tone": true, "ai_response_length": true, "confidence_threshold": true,
	"custom_system_prompt": true, "backfill_schedule": true, "backfill_days_back": true,
	"auto_backfill_enabled": true, "slack_commands_enabled": true, "web_qa_enabled": true,
	"document_upload_enabled": true, "email_notifications_enabled": true,
	"notify_on_failed_backfill": true, "weekly_digest_enabled": true, "message_retention_days": true,
}

const orgSettingsSelect = `SELECT org_id, ai_tone, ai_response_length, confidence_threshold, custom_system_prompt,
	backfill_schedule, backfill_days_back, auto_backfill_enabled, slack_commands_enabled, web_qa_enabled,
	document_upload_enabled, email_notifications_enabled, notify_on_failed_backfill, weekly_digest_enabled,
	message_retention_days, created_at, updated_at
	FROM org_settings WHERE org_id = ?`

func orgSettings(ctx context.Context, q queryRower, orgID int64) (OrgSettings, error) {
	var o OrgSettings
	var prompt sql.NullString
	var created, updated string
	err := q.QueryRowContext(ctx, orgSettingsSelect, orgID).Scan(&o.OrgID, &o.AITone, &o.AIResponseLength,
		&o.ConfidenceThreshold, &prompt, &o.BackfillSchedule, &o.BackfillDaysBack, &o.AutoBackfillEnabled,
		&o.SlackCommandsEnabled, &o.WebQAEnabled, &o.DocumentUploadEnabled, &o.EmailNotificationsEnabled,
		&o.NotifyOnFailedBackfill, &o.WeeklyDigestEnabled, &o.MessageRetentionDays, &created, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return OrgSettings{}, fmt.Errorf("storage: settings of organization %d: %w", orgID, ErrNotFound)
	}
	if err != nil {
		return OrgSettings{}, fmt.Errorf("storage: settings of organization %d: %w", orgID, err)
	}
	if prompt.Valid {
		o.CustomSystemPrompt = &prompt.String
	}
	if o.CreatedAt, err = parseTime(created); err != nil {
		return OrgSettings{}, err
	}
	if o.UpdatedAt, err = parseTime(updated); err != nil {
		return OrgSettings{}, err
	}
	return o, nil
}

// OrgSettings returns the organization's settings, or ErrNotFound.
func (s *Store) OrgSettings(ctx context.Context, orgID int64) (OrgSettings, error) {
	return orgSettings(ctx, s.read, orgID)
}

// OrgSettings reads the organization's settings inside the transaction.
func (tx *Tx) OrgSettings(ctx context.Context, orgID int64) (OrgSettings, error) {
	return orgSettings(ctx, tx.tx, orgID)
}

// UpdateOrgSettings sets the given columns (org_settings column name → value;
// nil for NULL) of the organization's settings. The updated_at trigger moves
// updated_at. A value a CHECK refuses fails the whole update.
func (tx *Tx) UpdateOrgSettings(ctx context.Context, orgID int64, set map[string]any) error {
	if len(set) == 0 {
		return nil
	}
	cols := make([]string, 0, len(set))
	for c := range set {
		if !settingsColumns[c] {
			return fmt.Errorf("storage: update settings: no writable column %q", c)
		}
		cols = append(cols, c)
	}
	sort.Strings(cols)
	assign := make([]string, len(cols))
	args := make([]any, 0, len(cols)+1)
	for i, c := range cols {
		assign[i] = c + " = ?"
		args = append(args, set[c])
	}
	args = append(args, orgID)
	res, err := tx.tx.ExecContext(ctx,
		`UPDATE org_settings SET `+strings.Join(assign, ", ")+` WHERE org_id = ?`, args...)
	if err != nil {
		return fmt.Errorf("storage: update settings of organization %d: %w", orgID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("storage: settings of organization %d: %w", orgID, ErrNotFound)
	}
	return nil
}
