package notify

import (
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"net/url"
	"os"
	"strconv"
	"strings"

	"lore/storage/secret"
)

// TLS modes of an SMTP server.
const (
	TLSNone     = "none"     // plain text: only for a server on the same machine or network
	TLSStartTLS = "starttls" // upgrade after connecting (port 587)
	TLSImplicit = "tls"      // TLS from the first byte (port 465)
)

// Sources of the SMTP settings in force.
const (
	SourceEnvironment = "environment" // LORE_SMTP_URL and friends
	SourceInstance    = "instance"    // stored by the instance owner through the API
	SourceNone        = "none"        // no mail is sent
)

// Config is an SMTP server to send through. It prints, logs and encodes
// with the password redacted.
type Config struct {
	Host     string
	Port     int
	TLS      string // TLSNone, TLSStartTLS or TLSImplicit
	Username string
	Password string
	From     string
}

// String shows c with its password redacted.
func (c Config) String() string {
	return fmt.Sprintf("{Host:%s Port:%d TLS:%s Username:%s Password:%s From:%s}",
		c.Host, c.Port, c.TLS, c.Username, secret.Redacted(c.Password), c.From)
}

// GoString shows c as a Go literal with its password redacted.
func (c Config) GoString() string { return "notify.Config" + c.String() }

// Format redacts c for every fmt verb.
func (c Config) Format(f fmt.State, verb rune) { secret.Format(f, verb, c) }

// LogValue shows c with its password redacted.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(slog.String("host", c.Host), slog.Int("port", c.Port), slog.String("tls", c.TLS),
		slog.String("username", c.Username), slog.String("password", secret.Redacted(c.Password)), slog.String("from", c.From))
}

// MarshalJSON encodes c with its password redacted.
func (c Config) MarshalJSON() ([]byte, error) { return fmt.Appendf(nil, "%q", c.String()), nil }

// Address is host:port.
func (c Config) Address() string { return fmt.Sprintf("%s:%d", c.Host, c.Port) }

// Check validates c and returns what is wrong, by field (host, port, tls,
// username, password, from); empty when nothing is.
func (c Config) Check() map[string]string {
	bad := map[string]string{}
	if c.Host == "" || strings.ContainsAny(c.Host, " /\t\r\n") || len(c.Host) > 253 {
		bad["host"] = "must be a host name or address, such as smtp.example.com"
	}
	if c.Port < 1 || c.Port > 65535 {
		bad["port"] = "must be 1-65535"
	}
	if c.TLS != TLSNone && c.TLS != TLSStartTLS && c.TLS != TLSImplicit {
		bad["tls"] = "must be one of none, starttls, tls"
	}
	if strings.ContainsAny(c.Username, "\r\n") || len(c.Username) > 320 {
		bad["username"] = "must be one line of at most 320 characters"
	}
	if c.Password != "" && c.Username == "" {
		bad["password"] = "needs a username"
	}
	if a, err := mail.ParseAddress(c.From); err != nil || a.Name != "" || len(c.From) > 320 {
		bad["from"] = "must be an email address, such as lore@example.com"
	}
	return bad
}

// ConfigFromEnv reads the SMTP server from the environment:
// LORE_SMTP_URL (smtp://user@host:587?tls=starttls; smtps:// means tls;
// the password never in it), LORE_SMTP_PASSWORD_FILE (a file holding the
// password) and LORE_SMTP_FROM. ok is false when LORE_SMTP_URL is not set.
func ConfigFromEnv(getenv func(string) string) (c Config, ok bool, err error) {
	raw := getenv("LORE_SMTP_URL")
	if raw == "" {
		if getenv("LORE_SMTP_PASSWORD_FILE") != "" || getenv("LORE_SMTP_FROM") != "" {
			return Config{}, false, errors.New("LORE_SMTP_PASSWORD_FILE and LORE_SMTP_FROM need LORE_SMTP_URL, such as smtp://user@smtp.example.com:587?tls=starttls")
		}
		return Config{}, false, nil
	}
	u, perr := url.Parse(raw)
	if perr != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Hostname() == "" {
		return Config{}, false, errors.New("LORE_SMTP_URL must look like smtp://user@smtp.example.com:587?tls=starttls (or smtps://… for TLS from the start)")
	}
	if _, has := u.User.Password(); has {
		return Config{}, false, errors.New("LORE_SMTP_URL must not hold the password (it shows in ps and logs): put it in a file named by LORE_SMTP_PASSWORD_FILE")
	}
	c = Config{Host: u.Hostname(), Username: u.User.Username(), From: getenv("LORE_SMTP_FROM"), TLS: TLSStartTLS}
	if u.Scheme == "smtps" {
		c.TLS = TLSImplicit
	}
	if mode := u.Query().Get("tls"); mode != "" {
		c.TLS = mode
	}
	c.Port = defaultPort(c.TLS)
	if p := u.Port(); p != "" {
		if c.Port, perr = strconv.Atoi(p); perr != nil {
			c.Port = 0
		}
	}
	if path := getenv("LORE_SMTP_PASSWORD_FILE"); path != "" {
		b, rerr := os.ReadFile(path)
		if rerr != nil {
			return Config{}, false, fmt.Errorf("LORE_SMTP_PASSWORD_FILE: %w", rerr)
		}
		c.Password = strings.TrimRight(string(b), "\r\n")
	}
	if bad := c.Check(); len(bad) > 0 {
		var parts []string
		for _, f := range []string{"host", "port", "tls", "username", "password", "from"} {
			if p, ok := bad[f]; ok {
				parts = append(parts, envName(f)+": "+f+" "+p)
			}
		}
		return Config{}, false, errors.New(strings.Join(parts, "; "))
	}
	return c, true, nil
}

func envName(field string) string {
	switch field {
	case "from":
		return "LORE_SMTP_FROM"
	case "password":
		return "LORE_SMTP_PASSWORD_FILE"
	}
	return "LORE_SMTP_URL"
}

func defaultPort(mode string) int {
	switch mode {
	case TLSImplicit:
		return 465
	case TLSNone:
		return 25
	}
	return 587
}
