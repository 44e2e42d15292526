// Package notify is Lore's email: the instance's SMTP settings (from the
// environment, which wins, or stored by the instance owner with the
// password encrypted by the vault), sending with retries (go-mail), and the
// mails themselves: a failed or partial backfill to the organization's
// admins (at most one a day per workspace), credentials Slack stopped
// accepting, and the weekly digest. Every mail is recorded in mail_log; a
// mail that cannot be sent is logged and recorded, and never fails what
// caused it.
//
// The SMTP settings live in their own table (smtp_settings) for now; the
// instance-level settings service (app/instance) is to take them over.
package notify

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/wneessen/go-mail"

	"lore/app/validation"
	"lore/app/vault"
	"lore/storage"
	"lore/storage/secret"
)

// Kinds of mail, as mail_log records them.
const (
	KindBackfillFailed     = "backfill_failed"
	KindCredentialsInvalid = "credentials_invalid"
	KindDigest             = "digest"
	KindTest               = "test"
)

// ErrNotConfigured is returned when no SMTP server is set, in the
// environment or through the API.
var ErrNotConfigured = errors.New("notify: no SMTP server is configured (set LORE_SMTP_URL, or PUT /api/instance/smtp)")

// Keyring is what the service needs of the vault to keep the password.
type Keyring interface {
	Active() (int, *vault.Key, error)
	Key(version int) (*vault.Key, error)
}

// Options tune a Service; the zero value is the production setting.
type Options struct {
	// Env is the SMTP server from the environment (ConfigFromEnv), which
	// wins over the stored one; nil when not set.
	Env *Config
	// PublicURL is how admins reach Lore, for the links in mails; "" leaves
	// the links relative.
	PublicURL string
	// Clock is the time of the daily cap and the digest's week.
	Clock clockwork.Clock
	// Backoff is the wait before each retry of a failed send; default 5 s,
	// 30 s, 2 min (four attempts).
	Backoff []time.Duration
	// Timeout bounds one attempt (connect, send). Default 30 s.
	Timeout time.Duration
	// TLSConfig, when set, is used for STARTTLS and TLS: tests trust their
	// own server with it.
	TLSConfig *tls.Config
}

// Service sends Lore's mail.
type Service struct {
	store  *storage.Store
	keys   Keyring // nil: stored settings cannot be read or saved
	logger *slog.Logger
	opts   Options
}

// New returns the mail service over store; keys may be nil for a process
// that has no key (then only the environment's SMTP server is used).
func New(store *storage.Store, keys Keyring, logger *slog.Logger, opts Options) *Service {
	if opts.Clock == nil {
		opts.Clock = clockwork.NewRealClock()
	}
	if opts.Backoff == nil {
		opts.Backoff = []time.Duration{5 * time.Second, 30 * time.Second, 2 * time.Minute}
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 30 * time.Second
	}
	opts.PublicURL = strings.TrimSuffix(opts.PublicURL, "/")
	return &Service{store: store, keys: keys, logger: logger.With("component", "notify"), opts: opts}
}

// View is the SMTP settings as the API shows them: the password masked.
type View struct {
	// Source is the settings in force: environment, instance or none.
	Source   string `json:"source"`
	Host     string `json:"host"`
	Port     int    `json:"port"`
	TLS      string `json:"tls"`
	Username string `json:"username"`
	Password string `json:"password"` // masked, "" when none
	From     string `json:"from"`
	// StoredOverridden tells that settings are stored through the API but
	// the environment's are in force.
	StoredOverridden bool       `json:"stored_overridden"`
	UpdatedAt        *time.Time `json:"updated_at"`
}

// Settings returns the SMTP settings in force, masked.
func (s *Service) Settings(ctx context.Context) (View, error) {
	stored, err := s.store.SMTPSettings(ctx)
	hasStored := err == nil
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return View{}, err
	}
	if e := s.opts.Env; e != nil {
		return View{Source: SourceEnvironment, Host: e.Host, Port: e.Port, TLS: e.TLS, Username: e.Username,
			Password: mask(e.Password), From: e.From, StoredOverridden: hasStored}, nil
	}
	if !hasStored {
		return View{Source: SourceNone}, nil
	}
	v := View{Source: SourceInstance, Host: stored.Host, Port: stored.Port, TLS: stored.TLSMode, Username: stored.Username,
		From: stored.From, UpdatedAt: &stored.UpdatedAt}
	if stored.PasswordEncrypted != "" {
		c, err := s.decrypt(stored)
		if err != nil {
			return View{}, err
		}
		v.Password = mask(c.Password)
	}
	return v, nil
}

// mask shows a password as the Slack secrets are shown: never more than
// its last four characters, and only when it is long.
func mask(p string) string { return secret.Mask(p) }

// Input is a change of the stored SMTP settings. Password nil keeps the
// stored one; "" clears it.
type Input struct {
	Host     string  `json:"host"`
	Port     int     `json:"port"`
	TLS      string  `json:"tls"`
	Username string  `json:"username"`
	Password *string `json:"password"`
	From     string  `json:"from"`
}

// SaveSettings validates and stores the instance's SMTP settings, the
// password encrypted with the active key, and audits the change (never the
// password). A wrong field is a *validation.Error naming it. When the
// environment sets a server, it stays in force; the answer says so.
func (s *Service) SaveSettings(ctx context.Context, actor string, in Input) (View, error) {
	c := Config{Host: strings.TrimSpace(in.Host), Port: in.Port, TLS: in.TLS, Username: in.Username, From: strings.TrimSpace(in.From)}
	var old storage.SMTPSettings
	stored, err := s.store.SMTPSettings(ctx)
	switch {
	case err == nil:
		old = stored
	case !errors.Is(err, storage.ErrNotFound):
		return View{}, err
	}
	if in.Password != nil {
		c.Password = *in.Password
	} else if old.PasswordEncrypted != "" {
		prev, err := s.decrypt(old)
		if err != nil {
			return View{}, err
		}
		c.Password = prev.Password
	}
	if bad := c.Check(); len(bad) > 0 {
		return View{}, &validation.Error{Code: "invalid_smtp", Message: "some SMTP settings are invalid; nothing was saved", Fields: bad}
	}
	row := storage.SMTPSettings{Host: c.Host, Port: c.Port, TLSMode: c.TLS, Username: c.Username, From: c.From}
	if c.Password != "" {
		if s.keys == nil {
			return View{}, errors.New("notify: no encryption key is loaded to store the SMTP password")
		}
		version, key, err := s.keys.Active()
		if err != nil {
			return View{}, err
		}
		sealed, err := key.EncryptFields(map[string]string{"password": c.Password}, "password")
		if err != nil {
			return View{}, fmt.Errorf("notify: encrypt the SMTP password: %w", err)
		}
		row.PasswordEncrypted, row.Version = sealed["password"], version
	}
	entry := storage.AuditEntry{Actor: actor, Action: "smtp.update", Detail: map[string]any{
		"host": c.Host, "port": c.Port, "tls": c.TLS, "username": c.Username, "from": c.From,
		"password_changed": in.Password != nil}}
	if err := s.store.SaveSMTPSettings(ctx, row, entry); err != nil {
		return View{}, err
	}
	return s.Settings(ctx)
}

func (s *Service) decrypt(st storage.SMTPSettings) (Config, error) {
	c := Config{Host: st.Host, Port: st.Port, TLS: st.TLSMode, Username: st.Username, From: st.From}
	if st.PasswordEncrypted == "" {
		return c, nil
	}
	if s.keys == nil {
		return Config{}, errors.New("notify: no encryption key is loaded to open the stored SMTP password")
	}
	key, err := s.keys.Key(st.Version)
	if err != nil {
		return Config{}, fmt.Errorf("notify: the SMTP password's key (version %d): %w", st.Version, err)
	}
	open, err := key.DecryptFields(map[string]string{"password": st.PasswordEncrypted}, "password")
	if err != nil {
		return Config{}, fmt.Errorf("notify: open the stored SMTP password: %w", err)
	}
	c.Password = open["password"]
	return c, nil
}

// config is the SMTP server in force and where it comes from.
func (s *Service) config(ctx context.Context) (Config, string, error) {
	if s.opts.Env != nil {
		return *s.opts.Env, SourceEnvironment, nil
	}
	st, err := s.store.SMTPSettings(ctx)
	if errors.Is(err, storage.ErrNotFound) {
		return Config{}, SourceNone, ErrNotConfigured
	}
	if err != nil {
		return Config{}, "", err
	}
	c, err := s.decrypt(st)
	return c, SourceInstance, err
}

// Mail is one mail to send.
type Mail struct {
	OrgID       int64  // 0 for the instance's own (a test mail)
	WorkspaceID string // "" when about no one workspace
	Kind        string
	To          []string
	Subject     string
	Text        string
	HTML        string // "" for plain text only
}

// Sent is what sending a mail did.
type Sent struct {
	Attempts int
	// Reply is what the SMTP server answered to the mail's data, e.g.
	// "2.0.0 Ok: queued as 4F2"; it holds no secret.
	Reply  string
	Server string // host:port
	Source string // environment or instance
}

// Send sends m, retrying a failed attempt after each of Options.Backoff,
// and records it in mail_log however it ends. ctx ending stops the retries.
func (s *Service) Send(ctx context.Context, m Mail) (Sent, error) {
	c, source, err := s.config(ctx)
	if err != nil {
		return Sent{}, err
	}
	out := Sent{Server: c.Address(), Source: source}
	var sendErr error
	for attempt := 0; ; attempt++ {
		out.Attempts = attempt + 1
		out.Reply, sendErr = s.sendOnce(ctx, c, m)
		if sendErr == nil || attempt >= len(s.opts.Backoff) {
			break
		}
		s.logger.Warn("mail not sent; trying again", "kind", m.Kind, "attempt", out.Attempts,
			"retry_in", s.opts.Backoff[attempt], slog.Any("error", sendErr))
		select {
		case <-ctx.Done():
		case <-time.After(s.opts.Backoff[attempt]):
			continue
		}
		break
	}
	rec := storage.MailRecord{OrgID: m.OrgID, WorkspaceID: m.WorkspaceID, Kind: m.Kind, Recipients: m.To, Subject: m.Subject,
		Status: "sent", Attempts: out.Attempts, CreatedAt: s.opts.Clock.Now()}
	if sendErr != nil {
		rec.Status, rec.Error = "failed", sendErr.Error()
	}
	if err := s.store.AddMail(context.WithoutCancel(ctx), rec); err != nil {
		s.logger.Warn("mail not recorded", slog.Any("error", err))
	}
	if sendErr != nil {
		s.logger.Error("mail not sent", "kind", m.Kind, "attempts", out.Attempts, "server", out.Server, slog.Any("error", sendErr))
		return out, fmt.Errorf("notify: send %s mail through %s after %d attempts: %w", m.Kind, out.Server, out.Attempts, sendErr)
	}
	s.logger.Info("mail sent", "kind", m.Kind, "recipients", len(m.To), "attempts", out.Attempts, "server", out.Server)
	return out, nil
}

// sendOnce makes one attempt at sending m through c.
func (s *Service) sendOnce(ctx context.Context, c Config, m Mail) (string, error) {
	msg := mail.NewMsg()
	if err := msg.From(c.From); err != nil {
		return "", fmt.Errorf("from address: %w", err)
	}
	if err := msg.To(m.To...); err != nil {
		return "", fmt.Errorf("recipients: %w", err)
	}
	msg.Subject(m.Subject)
	msg.SetBodyString(mail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(mail.TypeTextHTML, m.HTML)
	}
	opts := []mail.Option{mail.WithPort(c.Port), mail.WithTimeout(s.opts.Timeout)}
	switch c.TLS {
	case TLSNone:
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
	case TLSStartTLS:
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
	case TLSImplicit:
		opts = append(opts, mail.WithSSL())
	}
	if s.opts.TLSConfig != nil {
		opts = append(opts, mail.WithTLSConfig(s.opts.TLSConfig))
	}
	if c.Username != "" {
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthAutoDiscover), mail.WithUsername(c.Username), mail.WithPassword(c.Password))
	}
	client, err := mail.NewClient(c.Host, opts...)
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(ctx, s.opts.Timeout)
	defer cancel()
	if err := client.DialAndSendWithContext(ctx, msg); err != nil {
		return "", err
	}
	return msg.ServerResponse(), nil
}
