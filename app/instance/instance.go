// Package instance holds the settings of the whole Lore instance, apart from
// any organization's: the optional model endpoint now (SMTP later). The
// instance owner sets them through the API; the environment wins.
package instance

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"lore/app/keys"
	"lore/app/validation"
	"lore/app/vault"
	"lore/storage"
	"lore/storage/secret"
)

// DefaultTimeout is how long Lore waits for the model before it answers
// extractively.
const DefaultTimeout = 20 * time.Second

// Timeout bounds, for the API and the environment alike.
const (
	MinTimeout = time.Second
	MaxTimeout = 5 * time.Minute
)

// LLM is the model endpoint answers use: an OpenAI-compatible chat API.
// Printing or logging it masks the key.
type LLM struct {
	BaseURL string // e.g. http://localhost:11434/v1 (Ollama) or https://api.openai.com/v1
	Model   string
	APIKey  string // "" for a local server that needs none
	Timeout time.Duration
}

// String shows the endpoint with its key masked.
func (l LLM) String() string {
	return fmt.Sprintf("{%s %s key=%s %s}", l.BaseURL, l.Model, secret.Mask(l.APIKey), l.Timeout)
}

// LogValue logs the endpoint with its key masked.
func (l LLM) LogValue() slog.Value {
	return slog.GroupValue(slog.String("base_url", l.BaseURL), slog.String("model", l.Model),
		slog.String("api_key", secret.Mask(l.APIKey)), slog.Duration("timeout", l.Timeout))
}

// Env is the model endpoint the environment configures: LORE_LLM_BASE_URL,
// LORE_LLM_MODEL, LORE_LLM_API_KEY_FILE (the key only from a file) and
// LORE_LLM_TIMEOUT (seconds). With a base URL set it wins over the stored one.
type Env struct {
	BaseURL    string
	Model      string
	APIKeyFile string
	Timeout    time.Duration
}

// EnvFrom reads the environment's model settings, naming a wrong one.
func EnvFrom(getenv func(string) string) (Env, error) {
	e := Env{BaseURL: strings.TrimSpace(getenv("LORE_LLM_BASE_URL")), Model: strings.TrimSpace(getenv("LORE_LLM_MODEL")),
		APIKeyFile: strings.TrimSpace(getenv("LORE_LLM_API_KEY_FILE")), Timeout: DefaultTimeout}
	if e.BaseURL == "" {
		if e.Model != "" || e.APIKeyFile != "" {
			return Env{}, errors.New("LORE_LLM_MODEL and LORE_LLM_API_KEY_FILE need LORE_LLM_BASE_URL")
		}
		return Env{}, nil
	}
	if problem := checkURL(e.BaseURL); problem != "" {
		return Env{}, fmt.Errorf("LORE_LLM_BASE_URL %s", problem)
	}
	if e.Model == "" {
		return Env{}, errors.New("LORE_LLM_BASE_URL needs LORE_LLM_MODEL, the model to ask (e.g. llama3.1)")
	}
	if v := strings.TrimSpace(getenv("LORE_LLM_TIMEOUT")); v != "" {
		secs, err := strconv.ParseFloat(v, 64)
		d := time.Duration(secs * float64(time.Second))
		if err != nil || d < MinTimeout || d > MaxTimeout {
			return Env{}, fmt.Errorf("LORE_LLM_TIMEOUT %q: want seconds, %d-%d", v, int(MinTimeout.Seconds()), int(MaxTimeout.Seconds()))
		}
		e.Timeout = d
	}
	return e, nil
}

// checkURL says what is wrong with a base URL, or "".
func checkURL(v string) string {
	u, err := url.Parse(v)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		return "must be an absolute http:// or https:// URL, e.g. http://localhost:11434/v1"
	case u.User != nil:
		return "must not carry a user or password: put the key in the API key"
	case u.RawQuery != "" || u.Fragment != "":
		return "must not have a query or fragment"
	}
	return ""
}

// Keyring is what the Service needs of *vault.Keyring.
type Keyring interface {
	Active() (int, *vault.Key, error)
	Key(version int) (*vault.Key, error)
}

// ErrNoKeys is a change that needs the encryption key, in a process opened
// without one.
var ErrNoKeys = errors.New("instance: no encryption key loaded")

// Service reads and changes the instance's settings.
type Service struct {
	store *storage.Store
	keys  Keyring // nil when opened without keys
	env   Env
}

// New returns the instance settings over store; keys may be nil (then a
// stored API key cannot be read or saved).
func New(store *storage.Store, keys Keyring, env Env) *Service {
	return &Service{store: store, keys: keys, env: env}
}

// LLMView is the model endpoint as the API shows it: the key masked.
type LLMView struct {
	Enabled        bool    `json:"enabled"`
	Source         string  `json:"source"` // "environment", "instance" or "none"
	BaseURL        string  `json:"base_url"`
	Model          string  `json:"model"`
	APIKey         string  `json:"api_key"` // masked, "" when none
	TimeoutSeconds float64 `json:"timeout_seconds"`
	// Stored is what the instance owner saved, shown while the environment
	// overrides it.
	Stored *LLMView `json:"stored,omitempty"`
}

// LLM returns the model endpoint in effect, and what is stored.
func (s *Service) LLM(ctx context.Context) (LLMView, error) {
	stored, err := s.stored(ctx)
	if err != nil {
		return LLMView{}, err
	}
	storedView := LLMView{Enabled: stored.BaseURL != "", Source: "instance", BaseURL: stored.BaseURL, Model: stored.Model,
		TimeoutSeconds: stored.Timeout.Seconds()}
	if stored.APIKeyEncrypted != "" {
		storedView.APIKey = "…" // masked without decrypting when the key is unavailable
		if key, err := s.decrypt(stored); err == nil {
			storedView.APIKey = secret.Mask(key)
		}
	}
	if !storedView.Enabled {
		storedView.Source = "none"
	}
	if s.env.BaseURL == "" {
		return storedView, nil
	}
	l, err := s.envLLM()
	if err != nil {
		return LLMView{}, err
	}
	v := LLMView{Enabled: true, Source: "environment", BaseURL: l.BaseURL, Model: l.Model, APIKey: secret.Mask(l.APIKey),
		TimeoutSeconds: l.Timeout.Seconds()}
	if storedView.Enabled {
		v.Stored = &storedView
	}
	return v, nil
}

// Model returns the model endpoint answers should use, and false when none
// is configured.
func (s *Service) Model(ctx context.Context) (LLM, bool, error) {
	if s.env.BaseURL != "" {
		l, err := s.envLLM()
		return l, err == nil, err
	}
	stored, err := s.stored(ctx)
	if err != nil || stored.BaseURL == "" {
		return LLM{}, false, err
	}
	l := LLM{BaseURL: stored.BaseURL, Model: stored.Model, Timeout: stored.Timeout}
	if stored.APIKeyEncrypted != "" {
		if l.APIKey, err = s.decrypt(stored); err != nil {
			return LLM{}, false, err
		}
	}
	return l, true, nil
}

// envLLM reads the environment's endpoint, its key from the key file.
func (s *Service) envLLM() (LLM, error) {
	l := LLM{BaseURL: s.env.BaseURL, Model: s.env.Model, Timeout: s.env.Timeout}
	if s.env.APIKeyFile != "" {
		b, err := os.ReadFile(s.env.APIKeyFile)
		if err != nil {
			return LLM{}, fmt.Errorf("instance: LORE_LLM_API_KEY_FILE: %w", err)
		}
		l.APIKey = strings.TrimSpace(string(b))
	}
	return l, nil
}

func (s *Service) stored(ctx context.Context) (storage.InstanceLLM, error) {
	l, err := s.store.InstanceLLM(ctx)
	if errors.Is(err, storage.ErrNotFound) {
		return storage.InstanceLLM{Timeout: DefaultTimeout}, nil
	}
	return l, err
}

func (s *Service) decrypt(l storage.InstanceLLM) (string, error) {
	if s.keys == nil {
		return "", ErrNoKeys
	}
	k, err := s.keys.Key(l.EncryptionVersion)
	if err != nil {
		return "", fmt.Errorf("instance: model API key: %w", err)
	}
	m, err := k.DecryptFields(map[string]string{"api_key": l.APIKeyEncrypted}, "api_key")
	if err != nil {
		return "", fmt.Errorf("instance: model API key: %w", err)
	}
	return m["api_key"], nil
}

// LLMChange is a new model endpoint from the instance owner. APIKey nil
// keeps the stored key (it is never shown again); "" removes it.
type LLMChange struct {
	BaseURL        string   `json:"base_url"`
	Model          string   `json:"model"`
	APIKey         *string  `json:"api_key"`
	TimeoutSeconds *float64 `json:"timeout_seconds"`
}

// SetLLM replaces the stored model endpoint (an empty base URL turns the
// model off), the key encrypted with the active key version, and audits the
// change without the key. Every wrong field is named in one error, and then
// nothing is saved.
func (s *Service) SetLLM(ctx context.Context, actor string, c LLMChange) (LLMView, error) {
	fields := map[string]string{}
	c.BaseURL = strings.TrimRight(strings.TrimSpace(c.BaseURL), "/")
	c.Model = validation.Name(fields, "model", c.Model, 0, 200)
	if c.BaseURL != "" {
		if problem := checkURL(c.BaseURL); problem != "" {
			fields["base_url"] = problem
		}
		if c.Model == "" && fields["model"] == "" {
			fields["model"] = "is required with a base_url"
		}
	}
	timeout := DefaultTimeout
	if c.TimeoutSeconds != nil {
		timeout = time.Duration(*c.TimeoutSeconds * float64(time.Second))
		if timeout < MinTimeout || timeout > MaxTimeout {
			fields["timeout_seconds"] = fmt.Sprintf("must be %d-%d", int(MinTimeout.Seconds()), int(MaxTimeout.Seconds()))
		}
	}
	if c.APIKey != nil && *c.APIKey != strings.TrimSpace(*c.APIKey) {
		fields["api_key"] = "must not start or end with spaces"
	}
	if len(fields) > 0 {
		return LLMView{}, &validation.Error{Code: "invalid_llm", Message: "the model settings are invalid; nothing was saved", Fields: fields}
	}
	old, err := s.stored(ctx)
	if err != nil {
		return LLMView{}, err
	}
	l := storage.InstanceLLM{BaseURL: c.BaseURL, Model: c.Model, Timeout: timeout,
		APIKeyEncrypted: old.APIKeyEncrypted, EncryptionVersion: old.EncryptionVersion}
	keyChange := "kept"
	switch {
	case c.APIKey == nil:
	case *c.APIKey == "":
		l.APIKeyEncrypted, l.EncryptionVersion, keyChange = "", 0, "removed"
	default:
		if s.keys == nil {
			return LLMView{}, ErrNoKeys
		}
		version, k, err := s.keys.Active()
		if err != nil {
			return LLMView{}, fmt.Errorf("instance: model API key: %w", err)
		}
		m, err := k.EncryptFields(map[string]string{"api_key": *c.APIKey}, "api_key")
		if err != nil {
			return LLMView{}, fmt.Errorf("instance: model API key: %w", err)
		}
		l.APIKeyEncrypted, l.EncryptionVersion, keyChange = m["api_key"], version, "replaced"
	}
	detail := map[string]any{"base_url": l.BaseURL, "model": l.Model, "timeout_seconds": timeout.Seconds(), "api_key": keyChange}
	if err := s.store.Tx(ctx, func(tx *storage.Tx) error { return tx.SaveInstanceLLM(ctx, l, actor, detail) }); err != nil {
		return LLMView{}, err
	}
	return s.LLM(ctx)
}

// KeyStatus lists the encryption key versions with the rows each encrypts,
// their age and whether the active one is past keys.RotationAdvice: what
// `lore keys status` prints. It derives no key and reads no secret.
func (s *Service) KeyStatus(ctx context.Context) ([]keys.VersionStatus, error) {
	return keys.Status(ctx, s.store, time.Now())
}
