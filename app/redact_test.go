package app

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"lore/app/keys"
	"lore/app/vault"
)

// TestConfigNeverShowsTheKey formats the whole Config, with the key as a
// Fernet key and as a passphrase, and what is derived from it (the
// material, the key, the keyring), with every verb, both slog handlers and
// encoding/json, and looks for any piece of the key.
func TestConfigNeverShowsTheKey(t *testing.T) {
	t.Parallel()
	fernetKey, err := vault.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	for _, material := range []string{fernetKey, "correct-horse-battery-staple-passphrase"} {
		cfg := Config{DataDir: "/var/lib/lore", Addr: "127.0.0.1:8080", LogLevel: "info", LogFormat: "json",
			Keys:        keys.Source{Key: material, Salt: "original-fixed-salt-ac455616", Iterations: 100000, DataDir: "/var/lib/lore"},
			SlackAPIURL: "https://slack.com/api/"}
		key, err := vault.ParseKey(material, vault.KDF{Salt: []byte(cfg.Keys.Salt), Iterations: 1})
		if err != nil {
			t.Fatal(err)
		}
		ring := vault.NewKeyring()
		ring.Add(1, key)
		m, err := cfg.Keys.Material(false)
		if err != nil {
			t.Fatal(err)
		}
		all := struct {
			Config   Config
			Material keys.Material
			Key      *vault.Key
			Keyring  *vault.Keyring
		}{cfg, m, key, ring}

		var out bytes.Buffer
		for _, h := range []slog.Handler{slog.NewTextHandler(&out, nil), slog.NewJSONHandler(&out, nil)} {
			slog.New(h).Info("config", "config", cfg, "ptr", &cfg, "source", cfg.Keys, "material", m, "all", all)
		}
		b, err := json.Marshal(all)
		if err != nil {
			t.Fatal(err)
		}
		out.Write(b)
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d"} {
			fmt.Fprintf(&out, verb+"\n", cfg)
			fmt.Fprintf(&out, verb+"\n", &cfg)
			fmt.Fprintf(&out, verb+"\n", all)
			fmt.Fprintf(&out, verb+"\n", m)
		}
		fmt.Fprint(&out, cfg, all, cfg.Keys, m)

		printed := out.String()
		needles := []string{hex.EncodeToString([]byte(material)), strings.ToUpper(hex.EncodeToString([]byte(material[:8]))), "original-fixed-salt"}
		for i := 0; i+8 <= len(material); i++ {
			needles = append(needles, material[i:i+8])
		}
		if raw, err := base64.URLEncoding.DecodeString(material); err == nil {
			needles = append(needles, hex.EncodeToString(raw[:8]), fmt.Sprint(raw[:8]))
		}
		for _, n := range needles {
			if strings.Contains(printed, n) {
				t.Fatalf("the output holds key material %q:\n%s", n, printed)
			}
		}
		if !strings.Contains(printed, "/var/lib/lore") || !strings.Contains(printed, "[redacted]") {
			t.Fatalf("the output lacks the config or the redaction:\n%s", printed)
		}
	}
}
