package app

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"lore/app/documents"
	"lore/app/instance"
	"lore/app/keys"
	"lore/app/notify"
)

// Config is what every command needs to find and describe its data.
type Config struct {
	// DataDir holds lore.db, the lock file and, on a development setup, the key file.
	DataDir string
	// Addr is the host:port the HTTP server listens on.
	Addr string
	// PublicURL is how browsers reach Lore when that is not Addr, e.g.
	// https://lore.example.com behind a reverse proxy; https:// makes the
	// session cookie Secure.
	PublicURL string
	// LogLevel is debug, info, warn or error.
	LogLevel string
	// LogFormat is text or json.
	LogFormat string
	// Keys says where the encryption key comes from. Its DataDir defaults
	// to DataDir.
	Keys keys.Source
	// SlackAPIURL is Slack's Web API base URL (LORE_SLACK_API_URL); "" is
	// Slack's own. Tests and proxies stand in for Slack with it.
	SlackAPIURL string
	// TrustedProxies are the reverse proxies (LORE_TRUSTED_PROXIES) whose
	// X-Forwarded-For or Forwarded header names the client: login limits
	// and signup judge that address instead of the proxy's.
	TrustedProxies []netip.Prefix
	// MaxImportBytes is the largest Slack export an upload may send
	// (LORE_MAX_IMPORT_SIZE); 0 is DefaultMaxImportBytes.
	MaxImportBytes int64
	// LLM is the model endpoint the environment configures (LORE_LLM_*);
	// when set it wins over the one the instance owner stored.
	LLM instance.Env
	// SMTP is the mail server the environment sets (LORE_SMTP_URL,
	// LORE_SMTP_PASSWORD_FILE, LORE_SMTP_FROM), which wins over the one
	// stored through the API; nil when not set.
	SMTP *notify.Config
	// MaxDocumentBytes is the largest document an upload may send
	// (LORE_MAX_DOCUMENT_SIZE); 0 is DefaultMaxDocumentBytes.
	MaxDocumentBytes int64
	// DocumentUploadTimeout is how long a document upload may take in all;
	// 0 is DefaultDocumentUploadTimeout.
	DocumentUploadTimeout time.Duration
	// PDFLimits bound each PDF extraction's child process; zero values are
	// the defaults.
	PDFLimits documents.PDFLimits
	// PDFChild, when set, is the PDF reader's child process instead of this
	// binary's hidden extract-pdf command: tests, whose binary is not lore,
	// set it.
	PDFChild documents.Child
	// SlackHistoryRate is the calls a minute Lore allows itself of
	// conversations.history and of conversations.replies each
	// (LORE_SLACK_HISTORY_RATE); 0 is Slack's Tier 3, 50. Set above what
	// Slack allows, the 429s slow Lore down to Slack's ceiling.
	SlackHistoryRate int
	// SlackRates set the calls a minute of other Web API methods (by name,
	// e.g. "apps.connections.open") in place of Slack's tiers: for tests,
	// whose fake Slack allows more than Slack does.
	SlackRates map[string]int
}

// DefaultMaxDocumentBytes is the default limit of an uploaded document.
const DefaultMaxDocumentBytes = 20 << 20

// DefaultDocumentUploadTimeout is the default deadline of a document
// upload: the server's one-minute read timeout is for small bodies, and
// 20 MiB over a slow line takes longer.
const DefaultDocumentUploadTimeout = 5 * time.Minute

// DocumentUploadDeadline is how long a document upload may take in all.
func (c Config) DocumentUploadDeadline() time.Duration {
	if c.DocumentUploadTimeout > 0 {
		return c.DocumentUploadTimeout
	}
	return DefaultDocumentUploadTimeout
}

// DocumentLimit is the largest document an upload may send.
func (c Config) DocumentLimit() int64 {
	if c.MaxDocumentBytes > 0 {
		return c.MaxDocumentBytes
	}
	return DefaultMaxDocumentBytes
}

// slackRates are the Slack client's rates that differ from the tiers'.
func (c Config) slackRates() map[string]int {
	rates := maps.Clone(c.SlackRates)
	if c.SlackHistoryRate > 0 {
		if rates == nil {
			rates = map[string]int{}
		}
		rates["conversations.history"], rates["conversations.replies"] = c.SlackHistoryRate, c.SlackHistoryRate
	}
	return rates
}

// DefaultMaxImportBytes is the default limit of an uploaded Slack export.
const DefaultMaxImportBytes = 2 << 30

// ImportLimit is the largest Slack export an upload may send.
func (c Config) ImportLimit() int64 {
	if c.MaxImportBytes > 0 {
		return c.MaxImportBytes
	}
	return DefaultMaxImportBytes
}

// ParseTrustedProxies reads a list of trusted proxies: IP addresses or CIDR
// prefixes separated by commas, such as "127.0.0.1, 10.0.0.0/8, ::1".
func ParseTrustedProxies(list string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for part := range strings.SplitSeq(list, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if p, err := netip.ParsePrefix(part); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(part)
		if err != nil || a.Zone() != "" {
			return nil, fmt.Errorf("trusted proxy %q: want an IP address or a CIDR prefix such as 10.0.0.0/8", part)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

// DatabasePath is the SQLite file inside the data directory.
func (c Config) DatabasePath() string { return filepath.Join(c.DataDir, "lore.db") }

// DefaultDataDir is the per-user data directory, so that a double-clicked
// binary keeps its data in the same place whatever the working directory:
// %LocalAppData%\Lore on Windows, ~/Library/Application Support/Lore on macOS,
// $XDG_DATA_HOME/lore or ~/.local/share/lore elsewhere.
func DefaultDataDir(getenv func(string) string) string {
	home := getenv("HOME")
	switch runtime.GOOS {
	case "windows":
		if d := getenv("LocalAppData"); d != "" {
			return filepath.Join(d, "Lore")
		}
		return filepath.Join(getenv("USERPROFILE"), "AppData", "Local", "Lore")
	case "darwin":
		return filepath.Join(home, "Library", "Application Support", "Lore")
	}
	if d := getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "lore")
	}
	if home == "" {
		return "lore-data"
	}
	return filepath.Join(home, ".local", "share", "lore")
}

// EnsureDataDir creates the data directory (private to the user) if needed
// and checks that Lore can write in it, so that an unusable directory is
// reported by its path before anything else happens.
func EnsureDataDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("data directory %s: %w", dir, unwrapPathError(err))
	}
	f, err := os.CreateTemp(dir, ".write-check-*")
	if err != nil {
		return fmt.Errorf("data directory %s is not writable: %w", dir, unwrapPathError(err))
	}
	name := f.Name()
	f.Close()
	os.Remove(name)
	return nil
}

// unwrapPathError drops the path from an *fs.PathError whose path the
// caller's message already names.
func unwrapPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// NewLogger builds the one logger of the process.
func NewLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("log level %q: want debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: l}
	switch strings.ToLower(format) {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("log format %q: want text or json", format)
}
