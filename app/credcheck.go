package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"lore/app/credentials"
)

// CheckCredentials re-verifies every workspace's stored Slack credentials
// (the original system's "monitor is_valid"): Verify records the answer, so
// a workspace Slack stopped accepting shows as invalid everywhere, and its
// organization's admins are told by mail when it turns so. Workspaces with
// no credentials are passed over; Slack not answering leaves the state as
// it was.
func (a *App) CheckCredentials(ctx context.Context) (string, error) {
	if a.Credentials == nil {
		return "", errors.New("app: no encryption key is loaded to read the credentials")
	}
	states, err := a.Store.ListCredentialStates(ctx, 0)
	if err != nil {
		return "", err
	}
	var valid, invalid, turned, unreachable, none int
	for _, st := range states {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		before, err := a.Store.Credentials(ctx, st.OrgID, st.WorkspaceID)
		if err != nil {
			return "", err
		}
		r, err := a.Credentials.Verify(ctx, "scheduler", st.OrgID, st.WorkspaceID)
		switch {
		case errors.Is(err, credentials.ErrNoCredentials):
			none++
			continue
		case errors.Is(err, credentials.ErrSlackUnavailable):
			unreachable++
			continue
		case err != nil:
			a.Logger.Warn("credential check", "org_id", st.OrgID, "workspace_id", st.WorkspaceID, slog.Any("error", err))
			unreachable++
			continue
		}
		if r.Valid {
			valid++
			continue
		}
		invalid++
		wasInvalid := !before.IsValid && !before.LastVerifiedAt.IsZero()
		if !wasInvalid {
			turned++
			if a.Notify != nil {
				a.Notify.CredentialsInvalid(ctx, st.OrgID, st.WorkspaceID, r.Error)
			}
		}
	}
	return fmt.Sprintf("%d valid, %d invalid (%d newly), %d not reachable, %d without credentials", valid, invalid, turned, unreachable, none), nil
}
