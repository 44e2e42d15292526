package credentials

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"lore/secret"
	"lore/storage"
)

// Result is what Slack said of a set of credentials.
type Result struct {
	Valid     bool
	Team      string
	TeamID    string
	TeamURL   string
	BotUserID string
	// Error is why they are not valid: Slack's code for the bot token
	// ("token_revoked"), "app_token: " and Slack's code for the app-level
	// token, or "wrong_workspace" for a bot token of another workspace.
	Error string
}

// Check asks Slack whether c works, storing nothing: auth.test with the bot
// token, then apps.connections.open with the app-level token when there is
// one. A rejection is a Result with Valid false; Slack not answering is an
// error wrapping ErrSlackUnavailable.
func (s *Service) Check(ctx context.Context, c secret.Slack) (Result, error) {
	auth, rejected, err := s.slack.authTest(ctx, c.BotToken)
	if err != nil {
		return Result{}, err
	}
	if rejected != "" {
		return Result{Error: rejected}, nil
	}
	r := Result{Valid: true, Team: auth.Team, TeamID: auth.TeamID, TeamURL: auth.URL, BotUserID: auth.UserID}
	if c.AppToken == "" {
		return r, nil
	}
	rejected, err = s.slack.openConnection(ctx, c.AppToken)
	if err != nil {
		return Result{}, err
	}
	if rejected != "" {
		r.Valid, r.Error = false, "app_token: "+rejected
	}
	return r, nil
}

// Verify checks a workspace's stored credentials against Slack and records
// the answer: valid stores is_valid, last_verified_at, the bot user id and
// the team's name and URL; a rejection (invalid_auth, account_inactive,
// token_revoked, …, or a token of another workspace) stores is_valid=false.
// When Slack does not answer nothing is recorded but the audit row, and the
// error wraps ErrSlackUnavailable.
func (s *Service) Verify(ctx context.Context, actor string, orgID int64, workspaceID string) (Result, error) {
	entry := storage.AuditEntry{OrgID: orgID, WorkspaceID: workspaceID, Actor: actor, Action: ActionVerify}
	rec, c, err := s.open(ctx, orgID, workspaceID)
	if err != nil {
		s.auditFailure(ctx, entry, outcomeOf(err), nil)
		return Result{}, err
	}
	r, err := s.Check(ctx, c)
	if err != nil {
		var ue *UnavailableError
		detail := map[string]any{}
		if errors.As(err, &ue) {
			detail["reason"] = ue.Error() // scrubbed of secrets by classify
		}
		s.auditFailure(ctx, entry, outcomeOf(err), detail)
		s.logger.Warn("could not verify slack credentials", "org_id", orgID, "workspace_id", workspaceID, slog.Any("error", err))
		return Result{}, fmt.Errorf("credentials: verify workspace %s: %w", workspaceID, err)
	}
	if r.Valid && r.TeamID != workspaceID {
		// The token works, but for another workspace than this row's.
		r = Result{Team: r.Team, TeamID: r.TeamID, Error: "wrong_workspace"}
	}
	v := storage.Verification{Valid: r.Valid, At: s.now(), BotUserID: r.BotUserID, TeamName: r.Team, TeamURL: r.TeamURL,
		Of: rec.Legacy.BotToken}
	if rec.Encrypted {
		v.Of = rec.Sealed.BotToken
	}
	entry.Outcome = "valid"
	entry.Detail = map[string]any{"team_id": r.TeamID}
	if !r.Valid {
		entry.Outcome = "invalid"
		entry.Detail["reason"] = r.Error
	}
	err = s.store.Tx(ctx, func(tx *storage.Tx) error {
		if err := tx.SetVerification(ctx, orgID, workspaceID, v); err != nil {
			return err
		}
		return tx.AddAudit(ctx, entry)
	})
	if errors.Is(err, storage.ErrConflict) {
		err = ErrReplaced
	}
	if err != nil {
		s.auditFailure(ctx, entry, outcomeOf(err), nil)
		return Result{}, fmt.Errorf("credentials: record verification of workspace %s: %w", workspaceID, err)
	}
	if r.Valid {
		s.logger.Info("slack credentials verified", "org_id", orgID, "workspace_id", workspaceID, "team", r.Team, "bot_user_id", r.BotUserID)
	} else {
		s.logger.Warn("slack rejected the credentials", "org_id", orgID, "workspace_id", workspaceID, "reason", r.Error)
	}
	return r, nil
}
