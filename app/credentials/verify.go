package credentials

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"lore/app/slack"
	"lore/storage"
	"lore/storage/secret"
)

// ErrSlackUnavailable is wrapped by every error that means Slack could not
// be asked or could not answer; nothing was recorded when it is returned.
var ErrSlackUnavailable = slack.ErrUnavailable

// UnavailableError is how such an error reaches the callers of the service
// (the HTTP layer answers 502 with its RetryAfter): app/slack's one error
// type, whose message never holds upstream text nor a secret.
type UnavailableError = slack.Error

// Result is what Slack said of a set of credentials.
type Result struct {
	Valid     bool
	Team      string
	TeamID    string
	TeamURL   string
	BotUserID string
	// AppTokenChecked tells whether apps.connections.open was asked about
	// the app-level token (see Verify).
	AppTokenChecked bool
	// Error is why they are not valid: Slack's code for the bot token
	// ("token_revoked"), "app_token: " and Slack's code for the app-level
	// token, or "wrong_workspace" for a bot token of another workspace.
	Error string
}

// Check asks Slack whether c works, storing nothing: auth.test with the bot
// token, then apps.connections.open with the app-level token when there is
// one. Slack answering with an error code is a Result with Valid false and
// that code; Slack not answering is an error wrapping ErrSlackUnavailable.
func (s *Service) Check(ctx context.Context, c secret.Slack) (Result, error) {
	return s.check(ctx, "", c, c.AppToken != "")
}

// Identify asks Slack which workspace a bot token belongs to, with auth.test
// alone: the step before storing new credentials for a workspace not known
// yet. Verify checks the app-level token once they are stored, so that
// apps.connections.open (about one call a minute) is spent once.
func (s *Service) Identify(ctx context.Context, botToken string) (Result, error) {
	return s.check(ctx, "", secret.Slack{BotToken: botToken}, false)
}

// check runs auth.test, then apps.connections.open when withApp, paced as
// workspaceID's ("" when not known yet), each call within slack.Timeout.
func (s *Service) check(ctx context.Context, workspaceID string, c secret.Slack, withApp bool) (Result, error) {
	api := s.slack.For(workspaceID, c)
	callCtx, cancel := context.WithTimeout(ctx, slack.Timeout)
	auth, err := api.AuthTestContext(callCtx)
	cancel()
	rejected, err := rejection(err, c.BotToken)
	if err != nil {
		return Result{}, err
	}
	if rejected != "" {
		return Result{Error: rejected}, nil
	}
	r := Result{Valid: true, Team: auth.Team, TeamID: auth.TeamID, TeamURL: auth.URL, BotUserID: auth.UserID}
	if !withApp || c.AppToken == "" {
		return r, nil
	}
	// The URL it returns (a one-time ticket) is dropped unused.
	callCtx, cancel = context.WithTimeout(ctx, slack.Timeout)
	_, _, err = api.StartSocketModeContext(callCtx)
	cancel()
	r.AppTokenChecked = true
	if rejected, err = rejection(err, c.AppToken); err != nil {
		return Result{}, err
	}
	if rejected != "" {
		r.Valid, r.Error = false, "app_token: "+rejected
	}
	return r, nil
}

// rejection sorts the error of a check: Slack's code when it answered no
// (a refused token, or any other plain code but a transient one), or the
// *slack.Error when it could not answer.
func rejection(err error, token string) (string, error) {
	err = slack.Classify(err, token)
	var e *slack.Error
	if errors.As(err, &e) && !e.Unavailable() {
		return e.Code, nil
	}
	return "", err
}

// VerifyOption changes what Verify asks Slack.
type VerifyOption func(*verifyOptions)

type verifyOptions struct{ appToken bool }

// WithAppTokenCheck makes Verify check the app-level token even when Slack
// accepted these very credentials before.
func WithAppTokenCheck() VerifyOption { return func(o *verifyOptions) { o.appToken = true } }

// Verify checks a workspace's stored credentials against Slack and records
// the answer: valid stores is_valid, last_verified_at, the bot user id and
// the team's name and URL; a rejection (invalid_auth, account_inactive,
// token_revoked, …, or a token of another workspace) stores is_valid=false
// as of now. When Slack does not answer nothing is recorded but the audit
// row, and the error wraps ErrSlackUnavailable.
//
// The bot token is checked every time (auth.test costs little). The
// app-level token is checked with apps.connections.open, which Slack allows
// about once a minute per workspace and every Socket Mode reconnect needs
// too, only when it may have changed or failed: when the credentials are
// not verified as valid yet (stored since the last verification, which
// clears it, or rejected by it), or when WithAppTokenCheck asks. Once
// accepted, an app-level token is not asked about again until it is
// replaced; a token revoked since shows when Socket Mode connects.
func (s *Service) Verify(ctx context.Context, actor string, orgID int64, workspaceID string, opts ...VerifyOption) (Result, error) {
	var o verifyOptions
	for _, opt := range opts {
		opt(&o)
	}
	entry := storage.AuditEntry{OrgID: orgID, WorkspaceID: workspaceID, Actor: actor, Action: ActionVerify}
	rec, c, err := s.open(ctx, orgID, workspaceID)
	if err != nil {
		s.auditFailure(ctx, entry, outcomeOf(err), nil)
		return Result{}, err
	}
	verifiedValid := rec.IsValid && !rec.LastVerifiedAt.IsZero()
	r, err := s.check(ctx, workspaceID, c, o.appToken || !verifiedValid)
	if err != nil {
		detail := map[string]any{"reason": err.Error()} // app/slack's words: no secret, no upstream text
		s.auditFailure(ctx, entry, outcomeOf(err), detail)
		s.logger.Warn("could not verify slack credentials", "org_id", orgID, "workspace_id", workspaceID, slog.Any("error", err))
		return Result{}, fmt.Errorf("credentials: verify workspace %s: %w", workspaceID, err)
	}
	if r.Valid && r.TeamID != workspaceID {
		// The token works, but for another workspace than this row's.
		r = Result{Team: r.Team, TeamID: r.TeamID, AppTokenChecked: r.AppTokenChecked, Error: "wrong_workspace"}
	}
	v := storage.Verification{Valid: r.Valid, At: s.now(), BotUserID: r.BotUserID, TeamName: r.Team, TeamURL: r.TeamURL,
		Of: rec.Legacy.BotToken}
	if rec.Encrypted {
		v.Of = rec.Sealed.BotToken
	}
	entry.Outcome = "valid"
	entry.Detail = map[string]any{"team_id": r.TeamID, "app_token_checked": r.AppTokenChecked}
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
		s.logger.Info("slack credentials verified", "org_id", orgID, "workspace_id", workspaceID, "team", r.Team,
			"bot_user_id", r.BotUserID, "app_token_checked", r.AppTokenChecked)
	} else {
		s.logger.Warn("slack rejected the credentials", "org_id", orgID, "workspace_id", workspaceID, "reason", r.Error)
	}
	return r, nil
}
