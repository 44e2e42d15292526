// Package accounts is who may use Lore: users and their passwords, sessions
// and personal API tokens, organizations, their members and roles, and the
// Slack workspaces each organization connects.
package accounts

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"lore/app/validation"
	"lore/storage"
)

var (
	// ErrInvalidCredentials is a login with an unknown email or a wrong password;
	// the two are not told apart.
	ErrInvalidCredentials = errors.New("accounts: wrong email or password")
	// ErrUnauthenticated is a session or API token that is unknown, expired or revoked.
	ErrUnauthenticated = errors.New("accounts: not signed in")
	// ErrSetupTokenRequired is a signup from another machine without the
	// setup token.
	ErrSetupTokenRequired = errors.New("accounts: signup from another machine needs the setup token that lore serve printed")
	// ErrSetupTokenWrong is a signup from another machine with a token that
	// is not the setup token.
	ErrSetupTokenWrong = errors.New("accounts: the setup token is wrong; use the one lore serve printed at its last start")
	// ErrSignupClosed is a signup once the instance has its first user.
	ErrSignupClosed = errors.New("accounts: signup is closed: this instance already has users; ask an admin to add you")
	// ErrForbidden is an action the caller's role does not allow.
	ErrForbidden = errors.New("accounts: your role does not allow this")
	// ErrLastOwner is removing an organization's only owner.
	ErrLastOwner = errors.New("accounts: an organization needs at least one owner")
	// ErrExistingAccount is returned when an organization admin adds an email
	// that already has an account: only the instance owner may add an
	// existing account to another organization, since whoever created it
	// chose its password.
	ErrExistingAccount = errors.New("accounts: this email already has an account; the instance owner can add it to this organization")
)

// ValidationError names every failing field of an input; it is the one
// validation.Error of all services.
type ValidationError = validation.Error

// invalid is the ValidationError for fields.
func invalid(fields map[string]string) *ValidationError {
	return &ValidationError{Code: "invalid_request", Message: "some fields are invalid", Fields: fields}
}

// RateLimitError is a login refused because of too many failed attempts.
type RateLimitError struct {
	RetryAfter time.Duration
}

func (e *RateLimitError) Error() string {
	return fmt.Sprintf("too many failed logins; try again in %d s", e.Seconds())
}

// Seconds is RetryAfter rounded up to whole seconds, at least 1.
func (e *RateLimitError) Seconds() int {
	s := int((e.RetryAfter + time.Second - 1) / time.Second)
	return max(s, 1)
}

// Limits on failed logins. Per account and client address, a growing delay:
// it slows someone guessing a password from one address to a few guesses an
// hour, while the account's owner, from their own address, is not kept out
// (a per-account lockout let anyone who knew an admin's email lock them
// out). Per client address, a fixed limit over all accounts.
const (
	pairAttempts    = 5 // free failures per account and address
	pairFirstWait   = time.Second
	pairMaxWait     = 15 * time.Minute
	pairWindow      = time.Hour
	addressAttempts = 20
	addressWindow   = 15 * time.Minute
)

// DefaultSessionTTL is how long a browser stays signed in.
const DefaultSessionTTL = 14 * 24 * time.Hour

// tokenTouchInterval limits how often using a token writes its last_used_at.
const tokenTouchInterval = 5 * time.Minute

// APITokenPrefix starts every personal API token, so a leaked one is recognisable.
const APITokenPrefix = "lore_"

// Service signs people in and manages organizations and their members.
type Service struct {
	store      *storage.Store
	logger     *slog.Logger
	now        func() time.Time
	hashParams HashParams
	sessionTTL time.Duration
	byPair     *Limiter // per account and client address
	byAddress  *Limiter

	dummyOnce sync.Once
	dummyHash string // verified against for unknown emails, so they take as long as known ones
	// hashSlots bounds how many argon2id computations run at once: each
	// takes the hash's memory (19 MiB by default), so a burst of sign-in
	// requests must queue rather than exhaust the machine.
	hashSlots chan struct{}
	// setupToken lets the first signup come from another machine (see
	// Signup). It is random per process and kept in memory only.
	setupToken string
	// beforeMemberTx, set by tests only, runs between AddMember's checks
	// outside its transaction and the transaction.
	beforeMemberTx func()
	// orgObservers are told of each organization created (OnOrganizationCreated).
	orgObservers []func(ctx context.Context, orgID int64)
}

// OnOrganizationCreated adds fn to what is told, after it commits, of each
// organization created (the scheduler gives it its jobs). Observers are
// wiring: add them before the service is used.
func (s *Service) OnOrganizationCreated(fn func(ctx context.Context, orgID int64)) {
	s.orgObservers = append(s.orgObservers, fn)
}

func (s *Service) organizationCreated(ctx context.Context, orgID int64) {
	for _, fn := range s.orgObservers {
		fn(ctx, orgID)
	}
}

// Option changes a Service built by New.
type Option func(*Service)

// WithClock makes the service read time from now (sessions, rate limits).
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// WithHashParams sets argon2id's cost for new hashes; tests use it to go faster.
func WithHashParams(p HashParams) Option { return func(s *Service) { s.hashParams = p } }

// New returns the accounts service over store.
func New(store *storage.Store, logger *slog.Logger, opts ...Option) *Service {
	s := &Service{store: store, logger: logger, now: time.Now, hashParams: DefaultHashParams, sessionTTL: DefaultSessionTTL}
	for _, o := range opts {
		o(s)
	}
	s.hashSlots = make(chan struct{}, max(2, runtime.GOMAXPROCS(0)))
	s.setupToken = rand.Text()
	s.byPair = NewBackoff(pairAttempts, pairFirstWait, pairMaxWait, pairWindow, s.now)
	s.byAddress = NewLimiter(addressAttempts, addressWindow, s.now)
	return s
}

// hash is HashPassword with the service's parameters, within hashSlots.
func (s *Service) hash(password string) (string, error) {
	s.hashSlots <- struct{}{}
	defer func() { <-s.hashSlots }()
	return HashPassword(password, s.hashParams)
}

// verify is VerifyPassword within hashSlots.
func (s *Service) verify(password, hash string) (bool, error) {
	s.hashSlots <- struct{}{}
	defer func() { <-s.hashSlots }()
	return VerifyPassword(password, hash)
}

// SignedIn is the result of a signup, login or password change: the user
// and a new session whose Token goes into the browser's cookie.
type SignedIn struct {
	User    storage.User
	Session storage.Session
	Token   string
}

// SignupInput is the first user of an instance and their organization.
type SignupInput struct {
	Email            string
	Password         string
	OrganizationName string
	// FromLoopback says the request came from this machine (the HTTP layer
	// judges it); otherwise SetupToken must be the service's setup token.
	FromLoopback bool
	SetupToken   string
}

// SetupToken returns the token that lets the first signup come from another
// machine, for lore serve to print, or "" once a user exists and signup is
// closed.
func (s *Service) SetupToken(ctx context.Context) (string, error) {
	closed, err := s.store.HasUsers(ctx)
	if err != nil || closed {
		return "", err
	}
	return s.setupToken, nil
}

// Signup creates the first user of the instance as its instance owner and
// owner of a new organization, and signs them in. Once any user exists it
// is ErrSignupClosed. From this machine that is all; from another, it needs
// the setup token (ErrSetupTokenRequired, ErrSetupTokenWrong), so that
// whoever reaches an exposed port first does not own the instance.
func (s *Service) Signup(ctx context.Context, in SignupInput) (SignedIn, storage.Organization, error) {
	fields := map[string]string{}
	email := checkEmail(fields, "email", in.Email)
	checkPassword(fields, "password", in.Password)
	orgName := checkOrgName(fields, "organization_name", in.OrganizationName)
	if len(fields) > 0 {
		return SignedIn{}, storage.Organization{}, invalid(fields)
	}
	// Refuse a closed signup before the costly hash, so that requests to it
	// cannot tie up CPU and memory; the transaction below checks again.
	if closed, err := s.store.HasUsers(ctx); err != nil || closed {
		if err == nil {
			err = ErrSignupClosed
		}
		return SignedIn{}, storage.Organization{}, err
	}
	switch {
	case in.FromLoopback:
	case in.SetupToken == "":
		return SignedIn{}, storage.Organization{}, ErrSetupTokenRequired
	case subtle.ConstantTimeCompare([]byte(in.SetupToken), []byte(s.setupToken)) != 1:
		return SignedIn{}, storage.Organization{}, ErrSetupTokenWrong
	}
	hash, err := s.hash(in.Password)
	if err != nil {
		return SignedIn{}, storage.Organization{}, err
	}
	var out SignedIn
	var org storage.Organization
	err = s.store.Tx(ctx, func(tx *storage.Tx) error {
		n, err := tx.CountUsers(ctx)
		if err != nil {
			return err
		}
		if n > 0 {
			return ErrSignupClosed
		}
		if out.User, err = tx.CreateUser(ctx, email, hash, true); err != nil {
			return err
		}
		if org, err = tx.CreateOrganization(ctx, orgName); err != nil {
			return err
		}
		if _, err = tx.AddMembership(ctx, org.ID, out.User.ID, storage.RoleOwner); err != nil {
			return err
		}
		if out.Session, out.Token, err = s.newSession(ctx, tx, out.User.ID); err != nil {
			return err
		}
		return tx.AddAudit(ctx, storage.AuditEntry{OrgID: org.ID, Actor: Actor(out.User.ID), Action: "user.signup",
			Detail: map[string]any{"email": email, "organization": orgName}})
	})
	if err == nil {
		s.organizationCreated(ctx, org.ID)
	}
	return out, org, err
}

// Login checks an email and password and opens a session. Failures are
// counted per account and client address (addr) and per address (see
// pairAttempts); past the limits the answer is a *RateLimitError saying when
// to try again.
func (s *Service) Login(ctx context.Context, email, password, addr string) (SignedIn, error) {
	// An address holds no space, so the pair's key is unambiguous.
	pairKey := addr + " " + strings.ToLower(strings.TrimSpace(email))
	if wait := max(s.byPair.Wait(pairKey), s.byAddress.Wait(addr)); wait > 0 {
		return SignedIn{}, &RateLimitError{RetryAfter: wait}
	}
	// Count the attempt before the slow hash, so concurrent guesses cannot
	// slip past the limit; a success takes it back.
	if wait := s.byPair.Take(pairKey); wait > 0 {
		return SignedIn{}, &RateLimitError{RetryAfter: wait}
	}
	if wait := s.byAddress.Take(addr); wait > 0 {
		s.byPair.Undo(pairKey)
		return SignedIn{}, &RateLimitError{RetryAfter: wait}
	}
	u, err := s.store.UserByEmail(ctx, strings.TrimSpace(email))
	if errors.Is(err, storage.ErrNotFound) {
		s.verify(password, s.dummy())
		s.logger.Info("login failed", "reason", "unknown email", "addr", addr)
		return SignedIn{}, ErrInvalidCredentials
	}
	if err != nil {
		return SignedIn{}, err
	}
	ok, err := s.verify(password, u.PasswordHash)
	if err != nil {
		return SignedIn{}, fmt.Errorf("accounts: user %d: %w", u.ID, err)
	}
	if !ok {
		s.logger.Info("login failed", "reason", "wrong password", "user_id", u.ID, "addr", addr)
		return SignedIn{}, ErrInvalidCredentials
	}
	s.byPair.Reset(pairKey)
	s.byAddress.Undo(addr)
	out := SignedIn{User: u}
	err = s.store.Tx(ctx, func(tx *storage.Tx) error {
		if err := tx.DeleteExpiredSessions(ctx, s.now()); err != nil {
			return err
		}
		out.Session, out.Token, err = s.newSession(ctx, tx, u.ID)
		return err
	})
	return out, err
}

func (s *Service) dummy() string {
	s.dummyOnce.Do(func() {
		s.dummyHash, _ = s.hash("not a password anyone has")
	})
	return s.dummyHash
}

// newSession creates a session and returns it with the token for the cookie.
func (s *Service) newSession(ctx context.Context, tx *storage.Tx, userID int64) (storage.Session, string, error) {
	token, err := randomToken()
	if err != nil {
		return storage.Session{}, "", err
	}
	sess, err := tx.CreateSession(ctx, userID, hashToken(token), s.now().Add(s.sessionTTL))
	return sess, token, err
}

// User returns one user, or storage.ErrNotFound.
func (s *Service) User(ctx context.Context, id int64) (storage.User, error) {
	return s.store.User(ctx, id)
}

// Logout revokes one session of the user.
func (s *Service) Logout(ctx context.Context, userID, sessionID int64) error {
	return s.store.Tx(ctx, func(tx *storage.Tx) error { return tx.DeleteSession(ctx, userID, sessionID) })
}

// SessionUser returns the live session a cookie's token names and its user,
// or ErrUnauthenticated.
func (s *Service) SessionUser(ctx context.Context, token string) (storage.Session, storage.User, error) {
	if token == "" {
		return storage.Session{}, storage.User{}, ErrUnauthenticated
	}
	sess, u, err := s.store.SessionByHash(ctx, hashToken(token), s.now())
	if errors.Is(err, storage.ErrNotFound) {
		return storage.Session{}, storage.User{}, ErrUnauthenticated
	}
	return sess, u, err
}

// ChangePassword replaces the user's password after checking the current
// one and revokes every session of the user (signing out other browsers);
// with newSession, it opens a new one for a caller who signed in with a
// session (a caller using an API token needs none).
func (s *Service) ChangePassword(ctx context.Context, userID int64, current, next string, newSession bool) (SignedIn, error) {
	u, err := s.store.User(ctx, userID)
	if err != nil {
		return SignedIn{}, err
	}
	ok, err := s.verify(current, u.PasswordHash)
	if err != nil {
		return SignedIn{}, fmt.Errorf("accounts: user %d: %w", u.ID, err)
	}
	fields := map[string]string{}
	if !ok {
		fields["current_password"] = "is wrong"
	}
	checkPassword(fields, "new_password", next)
	if len(fields) > 0 {
		return SignedIn{}, invalid(fields)
	}
	hash, err := s.hash(next)
	if err != nil {
		return SignedIn{}, err
	}
	out := SignedIn{User: u}
	err = s.store.Tx(ctx, func(tx *storage.Tx) error {
		if err := tx.SetPasswordHash(ctx, userID, hash); err != nil {
			return err
		}
		n, err := tx.DeleteUserSessions(ctx, userID)
		if err != nil {
			return err
		}
		if newSession {
			if out.Session, out.Token, err = s.newSession(ctx, tx, userID); err != nil {
				return err
			}
		}
		return tx.AddAudit(ctx, storage.AuditEntry{Actor: Actor(userID), Action: "user.password_change",
			Detail: map[string]any{"sessions_revoked": n}})
	})
	out.User.PasswordHash = hash
	return out, err
}

// CreateToken makes a personal API token for the user and returns it with
// its secret, which is not stored and cannot be shown again.
func (s *Service) CreateToken(ctx context.Context, userID int64, name string) (storage.APIToken, string, error) {
	fields := map[string]string{}
	name = validation.Name(fields, "name", name, 1, 100)
	if len(fields) > 0 {
		return storage.APIToken{}, "", invalid(fields)
	}
	random, err := randomToken()
	if err != nil {
		return storage.APIToken{}, "", err
	}
	secret := APITokenPrefix + random
	var t storage.APIToken
	err = s.store.Tx(ctx, func(tx *storage.Tx) error {
		if t, err = tx.CreateAPIToken(ctx, userID, name, secret[:len(APITokenPrefix)+6], hashToken(secret)); err != nil {
			return err
		}
		return tx.AddAudit(ctx, storage.AuditEntry{Actor: Actor(userID), Action: "token.create",
			Detail: map[string]any{"token_id": t.ID, "name": name}})
	})
	return t, secret, err
}

// ListTokens returns the user's API tokens (never their secrets).
func (s *Service) ListTokens(ctx context.Context, userID int64) ([]storage.APIToken, error) {
	return s.store.ListAPITokens(ctx, userID)
}

// RevokeToken deletes one of the user's tokens; another user's is ErrNotFound.
func (s *Service) RevokeToken(ctx context.Context, userID, tokenID int64) error {
	return s.store.Tx(ctx, func(tx *storage.Tx) error {
		t, err := tx.DeleteAPIToken(ctx, userID, tokenID)
		if err != nil {
			return err
		}
		return tx.AddAudit(ctx, storage.AuditEntry{Actor: Actor(userID), Action: "token.revoke",
			Detail: map[string]any{"token_id": t.ID, "name": t.Name}})
	})
}

// TokenUser returns the API token a Bearer secret names and its user, or
// ErrUnauthenticated.
func (s *Service) TokenUser(ctx context.Context, secret string) (storage.APIToken, storage.User, error) {
	if !strings.HasPrefix(secret, APITokenPrefix) {
		return storage.APIToken{}, storage.User{}, ErrUnauthenticated
	}
	t, u, err := s.store.APITokenByHash(ctx, hashToken(secret))
	if errors.Is(err, storage.ErrNotFound) {
		return storage.APIToken{}, storage.User{}, ErrUnauthenticated
	}
	if err != nil {
		return storage.APIToken{}, storage.User{}, err
	}
	if now := s.now(); now.Sub(t.LastUsedAt) > tokenTouchInterval {
		if err := s.store.TouchAPIToken(ctx, t.ID, now); err != nil {
			s.logger.Warn("could not record api token use", "token_id", t.ID, slog.Any("error", err))
		}
	}
	return t, u, nil
}

// Actor is how audit rows name a user.
func Actor(userID int64) string { return fmt.Sprintf("user:%d", userID) }

// randomToken returns 32 random bytes, base64url without padding.
func randomToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("accounts: random token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// hashToken is what the database keeps of a session or API token: tokens
// are 256 random bits, so a fast hash is enough (unlike passwords).
func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

func checkEmail(fields map[string]string, name, email string) string {
	email = validation.Name(fields, name, email, 1, 254)
	if fields[name] != "" {
		return email
	}
	if a, err := mail.ParseAddress(email); err != nil || a.Address != email || len(email) > 254 {
		fields[name] = "must be an email address like name@example.com"
	}
	return email
}

// Password length limits: NIST SP 800-63B's minimum, and a maximum that
// keeps hashing cheap to refuse.
const (
	minPasswordLen = 8
	maxPasswordLen = 1024
)

func checkPassword(fields map[string]string, name, password string) {
	switch {
	case password == "":
		fields[name] = "is required"
	case utf8.RuneCountInString(password) < minPasswordLen:
		fields[name] = fmt.Sprintf("must be at least %d characters", minPasswordLen)
	case len(password) > maxPasswordLen:
		fields[name] = fmt.Sprintf("must be at most %d bytes", maxPasswordLen)
	}
}

func checkOrgName(fields map[string]string, name, v string) string {
	return validation.Name(fields, name, v, 1, 200)
}

func checkRole(fields map[string]string, name, role string) {
	switch role {
	case storage.RoleOwner, storage.RoleAdmin, storage.RoleMember:
	case "":
		fields[name] = "is required"
	default:
		fields[name] = "must be owner, admin or member"
	}
}

// workspaceIDPattern is a Slack team id (T…) or Enterprise Grid id (E…).
var workspaceIDPattern = regexp.MustCompile(`^[TE][A-Z0-9]{2,31}$`)
