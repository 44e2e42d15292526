// Package credentials keeps each workspace's Slack secrets: it validates and
// stores them encrypted, reads them for use, verifies them against Slack,
// migrates the original system's plaintext columns and deletes them, writing
// an audit row for each of these and never a secret to a log or an error.
package credentials

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"sort"
	"strings"
	"time"

	"lore/app/slack"
	"lore/app/validation"
	"lore/app/vault"
	"lore/storage"
	"lore/storage/secret"
)

// Audit actions of this package. Key rotation writes "credentials.rotate"
// for each workspace it re-encrypts (storage's list of secret tables).
const (
	ActionStore   = "credentials.store"
	ActionView    = "credentials.view"
	ActionRead    = "credentials.read"
	ActionVerify  = "credentials.verify"
	ActionMigrate = "credentials.migrate"
	ActionDelete  = "credentials.delete"
)

var (
	// ErrReplaced reports credentials replaced while being verified: the
	// verification's answer was for the old ones and is not recorded.
	ErrReplaced = errors.New("credentials: replaced while being verified")
	// ErrNoCredentials reports a workspace that has no Slack credentials stored.
	ErrNoCredentials = errors.New("credentials: the workspace has no Slack credentials")
	// ErrNoKey reports a Service built without an encryption key.
	ErrNoKey = errors.New("credentials: no encryption key is loaded")
)

// Keyring is what the Service needs of *vault.Keyring: the active key to
// encrypt with, and every version's key to decrypt.
type Keyring interface {
	Active() (int, *vault.Key, error)
	Key(version int) (*vault.Key, error)
}

// Options tune a Service; the zero value talks to Slack itself.
type Options struct {
	// Slack is the process's one Slack client, shared with the rest of Lore
	// so that its pacing counts every call; nil is a client of Slack's own
	// Web API for this Service alone.
	Slack *slack.Client
	// Now is the clock; nil is time.Now.
	Now func() time.Time
}

// Service is the credential service over the installations table.
type Service struct {
	store  *storage.Store
	keys   Keyring
	slack  *slack.Client
	logger *slog.Logger
	now    func() time.Time
}

// New returns a Service. keys may be nil until a key is loaded; every
// operation that needs it then fails with ErrNoKey.
func New(store *storage.Store, keys Keyring, logger *slog.Logger, opts Options) (*Service, error) {
	client := opts.Slack
	if client == nil {
		var err error
		if client, err = slack.New(slack.Options{Logger: logger}); err != nil {
			return nil, fmt.Errorf("credentials: %w", err)
		}
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	return &Service{store: store, keys: keys, slack: client, logger: logger, now: now}, nil
}

// ValidationError names every failing field of a credentials request; it is the one
// validation.Error of all services.
type ValidationError = validation.Error

// invalid is the ValidationError for fields.
func invalid(fields map[string]string) *ValidationError {
	return &ValidationError{Code: "invalid_credentials", Message: "some credentials are invalid; nothing was stored", Fields: fields}
}

// Normalize trims the whitespace a paste brings along from each secret.
func Normalize(c secret.Slack) secret.Slack {
	return secret.Slack{
		BotToken:      strings.TrimSpace(c.BotToken),
		AppToken:      strings.TrimSpace(c.AppToken),
		SigningSecret: strings.TrimSpace(c.SigningSecret),
	}
}

// Validate checks the formats of the three secrets, after Normalize, and
// returns a *ValidationError naming every bad one.
func Validate(c secret.Slack) error {
	fields := map[string]string{}
	check := func(name, v, prefix, what string) {
		switch {
		case v == "":
			fields[name] = "is required"
		case strings.HasPrefix(v, "xoxb-") && prefix != "xoxb-":
			fields[name] = "must start with " + prefix + " (this looks like the bot token)"
		case strings.HasPrefix(v, "xapp-") && prefix != "xapp-":
			fields[name] = "must start with " + prefix + " (this looks like the app-level token)"
		case strings.HasPrefix(v, "xoxp-"):
			fields[name] = "must start with " + prefix + " (this looks like a user token; Lore needs the " + what + ")"
		case !strings.HasPrefix(v, prefix):
			fields[name] = "must start with " + prefix
		case len(v) > 512:
			fields[name] = "is too long for a Slack token"
		case strings.ContainsFunc(v, func(r rune) bool { return r <= ' ' || r > '~' }):
			fields[name] = "must not contain spaces or other characters Slack tokens do not have"
		case len(v) < len(prefix)+8:
			fields[name] = "is too short for a Slack token"
		}
	}
	check("bot_token", c.BotToken, "xoxb-", "bot token")
	check("app_token", c.AppToken, "xapp-", "app-level token")
	switch s := c.SigningSecret; {
	case s == "":
		fields["signing_secret"] = "is required"
	case len(s) != 32 || strings.Trim(s, "0123456789abcdefABCDEF") != "":
		fields["signing_secret"] = "must be 32 hexadecimal characters"
	}
	if len(fields) > 0 {
		return invalid(fields)
	}
	return nil
}

// Status is where a workspace's credentials stand with Slack.
type Status string

// The statuses of a View. Storing credentials makes them StatusNotVerified
// until Verify asks Slack; only StatusValid has IsValid true.
const (
	StatusNotConfigured Status = "not_configured" // no secret stored
	StatusNotVerified   Status = "not_verified"   // stored, and not checked with Slack since
	StatusValid         Status = "valid"          // Slack accepted them at LastVerifiedAt
	StatusInvalid       Status = "invalid"        // Slack rejected them at LastVerifiedAt
)

// View is what may be shown of a workspace's credentials: masked values
// (xoxb-…9f3a) and their state.
type View struct {
	WorkspaceID       string
	Configured        bool // some secret is stored
	BotToken          string
	AppToken          string
	SigningSecret     string
	Encrypted         bool
	EncryptionVersion int
	Status            Status
	IsValid           bool      // Status is StatusValid
	LastVerifiedAt    time.Time // when Slack last answered a verification; zero when not verified yet
	BotUserID         string
	// KeyProblem is set when the configured key cannot open the stored
	// secrets: the masks are then empty and the rest is still shown.
	KeyProblem string
}

func viewOf(rec storage.CredentialRecord, c secret.Slack) View {
	v := View{
		WorkspaceID:    rec.WorkspaceID,
		Configured:     !c.IsZero(),
		BotToken:       secret.Mask(c.BotToken),
		AppToken:       secret.Mask(c.AppToken),
		SigningSecret:  secret.Mask(c.SigningSecret),
		Encrypted:      rec.Encrypted,
		IsValid:        rec.IsValid,
		LastVerifiedAt: rec.LastVerifiedAt,
		BotUserID:      rec.BotUserID,
	}
	if rec.Encrypted {
		v.EncryptionVersion = rec.Sealed.Version
	}
	v.setStatus()
	return v
}

// setStatus derives Status from Configured and the verification state.
func (v *View) setStatus() {
	switch {
	case !v.Configured:
		v.Status, v.IsValid = StatusNotConfigured, false
	case v.LastVerifiedAt.IsZero():
		v.Status, v.IsValid = StatusNotVerified, false
	case v.IsValid:
		v.Status = StatusValid
	default:
		v.Status = StatusInvalid
	}
}

// Store validates c, encrypts its three secrets with the active key and
// makes them the workspace's credentials, clearing any legacy plaintext in
// the same transaction. It returns the masked view.
func (s *Service) Store(ctx context.Context, actor string, orgID int64, workspaceID string, c secret.Slack, opts ...StoreOption) (View, error) {
	var o storeOptions
	for _, opt := range opts {
		opt(&o)
	}
	c = Normalize(c)
	entry := storage.AuditEntry{OrgID: orgID, WorkspaceID: workspaceID, Actor: actor, Action: ActionStore}
	if err := Validate(c); err != nil {
		var ve *ValidationError
		errors.As(err, &ve)
		s.auditFailure(ctx, entry, "invalid", map[string]any{"fields": sortedKeys(ve.Fields)})
		return View{}, err
	}
	sealed, err := s.seal(c)
	if err != nil {
		s.auditFailure(ctx, entry, "encrypt_failed", nil)
		return View{}, err
	}
	var rec storage.CredentialRecord
	var replacedPlaintext bool
	err = s.store.Tx(ctx, func(tx *storage.Tx) error {
		before, err := tx.Credentials(ctx, orgID, workspaceID)
		if err != nil {
			return err
		}
		replacedPlaintext = !before.Legacy.IsZero()
		if err := tx.SaveEncryptedCredentials(ctx, orgID, workspaceID, sealed, o.botUserID); err != nil {
			return err
		}
		if rec, err = tx.Credentials(ctx, orgID, workspaceID); err != nil {
			return err
		}
		entry.Detail = map[string]any{"encryption_version": sealed.Version, "replaced_plaintext": replacedPlaintext}
		return tx.AddAudit(ctx, entry)
	})
	if err != nil {
		s.auditFailure(ctx, entry, outcomeOf(err), nil)
		return View{}, fmt.Errorf("credentials: store for workspace %s: %w", workspaceID, err)
	}
	if replacedPlaintext {
		s.checkpoint(ctx) // the cleared plaintext must leave the WAL too
	}
	s.logger.Info("slack credentials stored", "org_id", orgID, "workspace_id", workspaceID, "actor", actor,
		"encryption_version", sealed.Version)
	return viewOf(rec, c), nil
}

// StoreOption adds what the caller knows to Store.
type StoreOption func(*storeOptions)

type storeOptions struct {
	botUserID string
}

// WithBotUserID stores the bot's user id along with the credentials, when
// the caller already knows it (from a check with Slack).
func WithBotUserID(id string) StoreOption { return func(o *storeOptions) { o.botUserID = id } }

// View returns the masked credentials of a workspace of the organization;
// ErrNotFound wraps a workspace the organization does not have.
func (s *Service) View(ctx context.Context, actor string, orgID int64, workspaceID string) (View, error) {
	entry := storage.AuditEntry{OrgID: orgID, WorkspaceID: workspaceID, Actor: actor, Action: ActionView}
	rec, c, err := s.open(ctx, orgID, workspaceID)
	if IsKeyError(err) {
		// The state of the row needs no key: show it, and say why the
		// secrets' masks are missing.
		s.auditFailure(ctx, entry, outcomeOf(err), nil)
		v := viewOf(rec, c)
		v.Configured = true
		v.setStatus()
		v.KeyProblem = fmt.Sprintf("the configured encryption key cannot open these credentials (key version %d); see the server log", rec.Sealed.Version)
		return v, nil
	}
	if err != nil && !errors.Is(err, ErrNoCredentials) {
		s.auditFailure(ctx, entry, outcomeOf(err), nil)
		return View{}, err
	}
	s.audit(ctx, entry)
	return viewOf(rec, c), nil
}

// State is a workspace's credentials as far as they can be told without
// opening them: whether some are stored and what Slack last said of them,
// with no masks. No secret is read, so nothing is audited: any member may
// see it (the dashboard shows it).
func (s *Service) State(ctx context.Context, orgID int64, workspaceID string) (View, error) {
	rec, err := s.store.Credentials(ctx, orgID, workspaceID)
	if err != nil {
		return View{}, fmt.Errorf("credentials: %w", err)
	}
	v := View{WorkspaceID: rec.WorkspaceID, Encrypted: rec.Encrypted, IsValid: rec.IsValid,
		LastVerifiedAt: rec.LastVerifiedAt, BotUserID: rec.BotUserID}
	if rec.Encrypted {
		v.Configured, v.EncryptionVersion = !rec.Sealed.IsZero(), rec.Sealed.Version
	} else {
		v.Configured = !rec.Legacy.IsZero()
	}
	v.setStatus()
	return v, nil
}

// Get returns a workspace's credentials for one use (to talk to Slack once):
// the decrypted set when they are encrypted, else the legacy plaintext set,
// never a mix. Each call writes an audit row; work that talks to Slack for
// a while uses Connect instead. The result masks itself when printed or
// logged; do not copy its fields into anything that is.
func (s *Service) Get(ctx context.Context, actor string, orgID int64, workspaceID string) (secret.Slack, error) {
	entry := storage.AuditEntry{OrgID: orgID, WorkspaceID: workspaceID, Actor: actor, Action: ActionRead}
	_, c, err := s.open(ctx, orgID, workspaceID)
	if err != nil {
		s.auditFailure(ctx, entry, outcomeOf(err), nil)
		return secret.Slack{}, err
	}
	s.audit(ctx, entry)
	return c, nil
}

// Connection is a workspace's Slack credentials read once for one piece of
// background work, with a paced Slack client that uses them. Keep it for the
// work's lifetime; it prints and logs masked.
type Connection struct {
	OrgID       int64
	WorkspaceID string
	// Purpose names the work, as audited: "job:42", "socket:T0123ABCD".
	Purpose     string
	Credentials secret.Slack
	// Slack calls the Web API with the bot token (and apps.connections.open
	// with the app-level token), paced by the workspace's limits.
	Slack *slack.API
}

// purposeFormat is "kind:id", e.g. job:42 or socket:T0123ABCD.
var purposeFormat = regexp.MustCompile(`^[a-z]+:[A-Za-z0-9._-]{1,64}$`)

// Connect reads a workspace's credentials for the background work named by
// purpose and writes one audit row (credentials.read, with purpose as the
// actor), however many Slack calls the work then makes. It is the one way
// for long-running work to get credentials, so that the audit log records
// each job and connection rather than each call:
//
//   - a backfill or import job connects once, as "job:<id>", and keeps the
//     Connection until it ends;
//   - the Socket Mode runtime connects once per connection, as
//     "socket:<workspace id>", and again only to reconnect after Slack
//     rejected the tokens or they were stored anew;
//   - slash commands and events arriving on that connection use its
//     Connection and never read credentials per command.
//
// The errors are those of Get.
func (s *Service) Connect(ctx context.Context, purpose string, orgID int64, workspaceID string) (*Connection, error) {
	if !purposeFormat.MatchString(purpose) {
		return nil, fmt.Errorf("credentials: connect: purpose %q: want kind:id, such as job:42", purpose)
	}
	entry := storage.AuditEntry{OrgID: orgID, WorkspaceID: workspaceID, Actor: purpose, Action: ActionRead,
		Detail: map[string]any{"purpose": purpose}}
	_, c, err := s.open(ctx, orgID, workspaceID)
	if err != nil {
		s.auditFailure(ctx, entry, outcomeOf(err), entry.Detail)
		return nil, err
	}
	s.audit(ctx, entry)
	return &Connection{OrgID: orgID, WorkspaceID: workspaceID, Purpose: purpose, Credentials: c,
		Slack: s.slack.For(workspaceID, c)}, nil
}

// Delete wipes every secret of the workspace, encrypted and plaintext
// (secure_delete overwrites them in the file, a checkpoint in the WAL).
func (s *Service) Delete(ctx context.Context, actor string, orgID int64, workspaceID string) error {
	entry := storage.AuditEntry{OrgID: orgID, WorkspaceID: workspaceID, Actor: actor, Action: ActionDelete}
	err := s.store.Tx(ctx, func(tx *storage.Tx) error {
		if err := tx.DeleteCredentials(ctx, orgID, workspaceID); err != nil {
			return err
		}
		return tx.AddAudit(ctx, entry)
	})
	if err != nil {
		s.auditFailure(ctx, entry, outcomeOf(err), nil)
		return fmt.Errorf("credentials: delete for workspace %s: %w", workspaceID, err)
	}
	s.checkpoint(ctx)
	s.logger.Info("slack credentials deleted", "org_id", orgID, "workspace_id", workspaceID, "actor", actor)
	return nil
}

// open reads and decrypts a workspace's credentials. With ErrNoCredentials
// it still returns the record.
func (s *Service) open(ctx context.Context, orgID int64, workspaceID string) (storage.CredentialRecord, secret.Slack, error) {
	rec, err := s.store.Credentials(ctx, orgID, workspaceID)
	if err != nil {
		return storage.CredentialRecord{}, secret.Slack{}, fmt.Errorf("credentials: %w", err)
	}
	if !rec.Encrypted {
		c := rec.Legacy
		if c.IsZero() {
			return rec, c, fmt.Errorf("%w (workspace %s)", ErrNoCredentials, workspaceID)
		}
		return rec, c, nil
	}
	c, err := s.unseal(rec.Sealed)
	if err != nil {
		return rec, secret.Slack{}, fmt.Errorf("credentials: workspace %s: %w", workspaceID, err)
	}
	if c.IsZero() {
		return rec, c, fmt.Errorf("%w (workspace %s)", ErrNoCredentials, workspaceID)
	}
	return rec, c, nil
}

// seal encrypts the three secrets with the active key, so that the row's
// single encryption_version holds for all of them.
func (s *Service) seal(c secret.Slack) (storage.EncryptedCredentials, error) {
	if s.keys == nil {
		return storage.EncryptedCredentials{}, ErrNoKey
	}
	version, key, err := s.keys.Active()
	if err != nil {
		return storage.EncryptedCredentials{}, fmt.Errorf("credentials: %w", err)
	}
	sealed, err := c.Map(key.Encrypt)
	if err != nil {
		return storage.EncryptedCredentials{}, fmt.Errorf("credentials: %w", err)
	}
	return storage.EncryptedCredentials{Slack: sealed, Version: version}, nil
}

// unseal decrypts the three secrets with the key of their version.
func (s *Service) unseal(e storage.EncryptedCredentials) (secret.Slack, error) {
	if s.keys == nil {
		return secret.Slack{}, ErrNoKey
	}
	if e.IsZero() {
		return secret.Slack{}, nil // nothing stored: no key needed
	}
	key, err := s.keys.Key(e.Version)
	if err != nil {
		return secret.Slack{}, err
	}
	return e.Map(key.Decrypt)
}

// audit writes an entry on its own; a failure to do so is logged, not
// returned, since the action it records has already happened.
func (s *Service) audit(ctx context.Context, e storage.AuditEntry) {
	if err := s.store.AddAudit(context.WithoutCancel(ctx), e); err != nil {
		s.logger.Error("could not write an audit row", "action", e.Action, "workspace_id", e.WorkspaceID, slog.Any("error", err))
	}
}

func (s *Service) auditFailure(ctx context.Context, e storage.AuditEntry, outcome string, detail map[string]any) {
	e.Outcome, e.Detail = outcome, detail
	s.audit(ctx, e)
}

// checkpoint pushes cleared secrets out of the WAL; a failure is logged,
// since the change itself is committed and the next checkpoint will do it.
func (s *Service) checkpoint(ctx context.Context) error {
	err := s.store.Checkpoint(ctx)
	if err != nil {
		s.logger.Warn("could not checkpoint the WAL after clearing secrets; the next checkpoint will", slog.Any("error", err))
	}
	return err
}

// IsKeyError tells whether err comes from the key rather than the request:
// no key, no active version, a version the configured key does not open, or
// a token it cannot decrypt.
func IsKeyError(err error) bool {
	return errors.Is(err, ErrNoKey) || errors.Is(err, vault.ErrNoActiveKey) || errors.Is(err, vault.ErrUnknownVersion) ||
		errors.Is(err, vault.ErrWrongKey) || errors.Is(err, vault.ErrBadSignature) || errors.Is(err, vault.ErrMalformed) ||
		errors.Is(err, vault.ErrDestroyed)
}

// outcomeOf is the audit outcome of a failed action.
func outcomeOf(err error) string {
	var ve *ValidationError
	switch {
	case errors.As(err, &ve):
		return "invalid"
	case errors.Is(err, storage.ErrNotFound):
		return "not_found"
	case errors.Is(err, ErrNoCredentials):
		return "no_credentials"
	case IsKeyError(err):
		return "key_error"
	case errors.Is(err, ErrSlackUnavailable):
		return "slack_unavailable"
	}
	return "error"
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
