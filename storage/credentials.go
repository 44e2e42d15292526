package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"lore/storage/secret"
)

// EncryptedCredentials are a workspace's three Slack secrets as vault tokens,
// all made with the key of Version. An empty field is a secret not set.
// They print as secret.Slack does: masked, without the version.
type EncryptedCredentials struct {
	secret.Slack // each field a vault token
	Version      int
}

// CredentialRecord is the credential columns of one installation. Encrypted
// (credentials_encrypted) chooses which of the two sets is the one in use.
type CredentialRecord struct {
	WorkspaceID    string
	OrgID          int64
	TeamName       string
	TeamURL        string
	Encrypted      bool
	Sealed         EncryptedCredentials
	Legacy         secret.Slack // the original system's plaintext columns
	BotUserID      string
	LastVerifiedAt time.Time // when Slack last answered a verification; zero: not verified yet
	IsValid        bool      // what that verification said; false while not verified yet
}

const credentialColumns = `workspace_id, org_id, team_name, team_url, credentials_encrypted,
	coalesce(bot_token_encrypted, ''), coalesce(app_token_encrypted, ''), coalesce(signing_secret_encrypted, ''),
	encryption_version, coalesce(bot_token, ''), coalesce(app_token, ''), coalesce(signing_secret, ''),
	coalesce(bot_user_id, ''), coalesce(last_verified_at, ''), is_valid`

func scanCredentials(row interface{ Scan(...any) error }) (CredentialRecord, error) {
	var c CredentialRecord
	var verified string
	err := row.Scan(&c.WorkspaceID, &c.OrgID, &c.TeamName, &c.TeamURL, &c.Encrypted,
		&c.Sealed.BotToken, &c.Sealed.AppToken, &c.Sealed.SigningSecret, &c.Sealed.Version,
		&c.Legacy.BotToken, &c.Legacy.AppToken, &c.Legacy.SigningSecret,
		&c.BotUserID, &verified, &c.IsValid)
	if err != nil {
		return CredentialRecord{}, err
	}
	if verified == "" {
		c.IsValid = false // is_valid of a row never verified is only a column default
		return c, nil
	}
	if c.LastVerifiedAt, err = parseTime(verified); err != nil {
		return CredentialRecord{}, err
	}
	return c, nil
}

func credentials(ctx context.Context, q queryRower, orgID int64, id string) (CredentialRecord, error) {
	c, err := scanCredentials(q.QueryRowContext(ctx,
		`SELECT `+credentialColumns+` FROM installations WHERE workspace_id = ? AND org_id = ?`, id, orgID))
	if errors.Is(err, sql.ErrNoRows) {
		return CredentialRecord{}, fmt.Errorf("storage: workspace %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return CredentialRecord{}, fmt.Errorf("storage: credentials of workspace %s: %w", id, err)
	}
	return c, nil
}

// Credentials returns the credential columns of a workspace of the
// organization, or ErrNotFound, also when it exists in another organization.
func (s *Store) Credentials(ctx context.Context, orgID int64, id string) (CredentialRecord, error) {
	return credentials(ctx, s.read, orgID, id)
}

// Credentials reads the credential columns inside the transaction, so that a
// change based on them cannot race another writer.
func (tx *Tx) Credentials(ctx context.Context, orgID int64, id string) (CredentialRecord, error) {
	return credentials(ctx, tx.tx, orgID, id)
}

// CredentialState says, without any secret, what a workspace holds.
type CredentialState struct {
	WorkspaceID  string
	OrgID        int64
	Encrypted    bool
	HasPlaintext bool
}

// ListCredentialStates returns every workspace of every organization (or of
// orgID when it is not 0) by team id, with whether it still holds plaintext
// secrets: the work list of the plaintext migration.
func (s *Store) ListCredentialStates(ctx context.Context, orgID int64) ([]CredentialState, error) {
	rows, err := s.read.QueryContext(ctx, `
		SELECT workspace_id, org_id, credentials_encrypted,
		       (bot_token IS NOT NULL OR app_token IS NOT NULL OR signing_secret IS NOT NULL)
		FROM installations WHERE ?1 = 0 OR org_id = ?1 ORDER BY workspace_id`, orgID)
	if err != nil {
		return nil, fmt.Errorf("storage: list credential states: %w", err)
	}
	defer rows.Close()
	var out []CredentialState
	for rows.Next() {
		var c CredentialState
		if err := rows.Scan(&c.WorkspaceID, &c.OrgID, &c.Encrypted, &c.HasPlaintext); err != nil {
			return nil, fmt.Errorf("storage: list credential states: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// SaveEncryptedCredentials makes c the workspace's credentials: it sets the
// encrypted columns and their version, marks them as the set in use and
// clears the legacy plaintext columns (to NULL; secure_delete overwrites the
// old values). The verification state starts over, as "not verified yet":
// last_verified_at is cleared and is_valid is 0 until a verification says
// otherwise; botUserID is stored when known (else NULL).
func (tx *Tx) SaveEncryptedCredentials(ctx context.Context, orgID int64, id string, c EncryptedCredentials, botUserID string) error {
	if c.Version < 1 {
		return fmt.Errorf("storage: save credentials of workspace %s: encryption version %d, want ≥ 1", id, c.Version)
	}
	res, err := tx.tx.ExecContext(ctx, `
		UPDATE installations SET
			bot_token_encrypted = ?, app_token_encrypted = ?, signing_secret_encrypted = ?,
			encryption_version = ?, credentials_encrypted = 1,
			bot_token = NULL, app_token = NULL, signing_secret = NULL,
			bot_user_id = ?, last_verified_at = NULL, is_valid = 0
		WHERE workspace_id = ? AND org_id = ?`,
		nullString(c.BotToken), nullString(c.AppToken), nullString(c.SigningSecret),
		c.Version, nullString(botUserID), id, orgID)
	return checkUpdated(res, err, "save credentials of", id)
}

// EncryptCredentialsInPlace replaces the plaintext set by c, which must be
// the same secrets encrypted, keeping the verification state: the step of the
// plaintext migration.
func (tx *Tx) EncryptCredentialsInPlace(ctx context.Context, orgID int64, id string, c EncryptedCredentials) error {
	if c.Version < 1 {
		return fmt.Errorf("storage: encrypt credentials of workspace %s: encryption version %d, want ≥ 1", id, c.Version)
	}
	res, err := tx.tx.ExecContext(ctx, `
		UPDATE installations SET
			bot_token_encrypted = ?, app_token_encrypted = ?, signing_secret_encrypted = ?,
			encryption_version = ?, credentials_encrypted = 1,
			bot_token = NULL, app_token = NULL, signing_secret = NULL
		WHERE workspace_id = ? AND org_id = ?`,
		nullString(c.BotToken), nullString(c.AppToken), nullString(c.SigningSecret), c.Version, id, orgID)
	return checkUpdated(res, err, "encrypt credentials of", id)
}

// ClearLegacyCredentials sets the plaintext columns to NULL and leaves the
// rest alone.
func (tx *Tx) ClearLegacyCredentials(ctx context.Context, orgID int64, id string) error {
	res, err := tx.tx.ExecContext(ctx, `
		UPDATE installations SET bot_token = NULL, app_token = NULL, signing_secret = NULL
		WHERE workspace_id = ? AND org_id = ?`, id, orgID)
	return checkUpdated(res, err, "clear plaintext credentials of", id)
}

// SetLegacyCredentials writes the original system's plaintext columns, for
// importing its rows (and for tests of the migration). It marks the
// plaintext set as the one in use.
func (tx *Tx) SetLegacyCredentials(ctx context.Context, orgID int64, id string, c secret.Slack) error {
	res, err := tx.tx.ExecContext(ctx, `
		UPDATE installations SET bot_token = ?, app_token = ?, signing_secret = ?,
			bot_token_encrypted = NULL, app_token_encrypted = NULL, signing_secret_encrypted = NULL,
			credentials_encrypted = 0
		WHERE workspace_id = ? AND org_id = ?`,
		nullString(c.BotToken), nullString(c.AppToken), nullString(c.SigningSecret), id, orgID)
	return checkUpdated(res, err, "set plaintext credentials of", id)
}

// DeleteCredentials clears every secret of the workspace, encrypted and
// plaintext, and its verification state; the workspace itself stays.
func (tx *Tx) DeleteCredentials(ctx context.Context, orgID int64, id string) error {
	res, err := tx.tx.ExecContext(ctx, `
		UPDATE installations SET
			bot_token_encrypted = NULL, app_token_encrypted = NULL, signing_secret_encrypted = NULL,
			credentials_encrypted = 0, bot_token = NULL, app_token = NULL, signing_secret = NULL,
			bot_user_id = NULL, last_verified_at = NULL, is_valid = 0
		WHERE workspace_id = ? AND org_id = ?`, id, orgID)
	return checkUpdated(res, err, "delete credentials of", id)
}

// Verification is what Slack said about a workspace's credentials.
type Verification struct {
	Valid     bool
	At        time.Time
	BotUserID string
	TeamName  string
	TeamURL   string
	// Of is the stored bot token column (sealed, or legacy plaintext) that
	// was checked. When set, the result is recorded only if that is still
	// what is stored; credentials replaced during a check give ErrConflict.
	Of string
}

// SetVerification records a verification: last_verified_at is when Slack
// last answered one, and is_valid what it said, so that a NULL
// last_verified_at means "not verified yet" whatever is_valid holds (the
// original system's rows default to 1). A valid one also stores the bot user
// and the team's name and URL (each only when not empty).
func (tx *Tx) SetVerification(ctx context.Context, orgID int64, id string, v Verification) error {
	const unchanged = `(?3 = '' OR ?3 = CASE WHEN credentials_encrypted = 1 THEN bot_token_encrypted ELSE bot_token END)`
	var res sql.Result
	var err error
	if v.Valid {
		res, err = tx.tx.ExecContext(ctx, `
			UPDATE installations SET is_valid = 1, last_verified_at = ?4,
				bot_user_id = coalesce(?5, bot_user_id), team_name = coalesce(?6, team_name),
				team_url = coalesce(?7, team_url)
			WHERE workspace_id = ?1 AND org_id = ?2 AND `+unchanged,
			id, orgID, v.Of, formatTime(v.At), nullString(v.BotUserID), nullString(v.TeamName), nullString(v.TeamURL))
	} else {
		res, err = tx.tx.ExecContext(ctx, `
			UPDATE installations SET is_valid = 0, last_verified_at = ?4
			WHERE workspace_id = ?1 AND org_id = ?2 AND `+unchanged, id, orgID, v.Of, formatTime(v.At))
	}
	err = checkUpdated(res, err, "record verification of", id)
	if errors.Is(err, ErrNotFound) && v.Of != "" {
		if _, cerr := tx.Credentials(ctx, orgID, id); cerr == nil {
			return fmt.Errorf("storage: workspace %s: credentials replaced while being verified: %w", id, ErrConflict)
		}
	}
	return err
}

// checkUpdated turns an UPDATE of one installation into nil, ErrNotFound or
// a wrapped error.
func checkUpdated(res sql.Result, err error, what, id string) error {
	if err != nil {
		return fmt.Errorf("storage: %s workspace %s: %w", what, id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("storage: %s workspace %s: %w", what, id, err)
	}
	if n == 0 {
		return fmt.Errorf("storage: workspace %s: %w", id, ErrNotFound)
	}
	return nil
}
