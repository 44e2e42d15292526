package vault

import (
	"errors"
	"maps"
	"strings"
	"testing"
)

func TestEncryptFields(t *testing.T) {
	t.Parallel()
	k := mustKey(t, specSecret)
	in := map[string]string{"bot_token": "xoxb-1-2-secret", "app_token": "", "team": "T0123"}
	orig := maps.Clone(in)

	enc, err := k.EncryptFields(in, "bot_token", "app_token", "missing", "bot_token")
	if err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(in, orig) {
		t.Errorf("input changed to %v", in)
	}
	if len(enc) != 3 || enc["team"] != "T0123" || enc["app_token"] != "" {
		t.Errorf("EncryptFields = %v: want team untouched, empty app_token, no missing", enc)
	}
	if !strings.HasPrefix(enc["bot_token"], "gAAAAA") {
		t.Errorf("bot_token = %q, want a token", enc["bot_token"])
	}
	// The repeated name must not encrypt twice.
	if p, err := k.Decrypt(enc["bot_token"]); err != nil || p != in["bot_token"] {
		t.Errorf("Decrypt(bot_token) = %q, %v", p, err)
	}

	dec, err := k.DecryptFields(enc, "bot_token", "app_token", "missing")
	if err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(dec, orig) {
		t.Errorf("DecryptFields = %v, want %v", dec, orig)
	}
}

func TestFieldsEdgeCases(t *testing.T) {
	t.Parallel()
	k := mustKey(t, specSecret)
	out, err := k.EncryptFields(nil, "a")
	if err != nil || out == nil || len(out) != 0 {
		t.Errorf("EncryptFields(nil) = %#v, %v; want an empty map", out, err)
	}
	_, err = k.DecryptFields(map[string]string{"a": "not a token"}, "a")
	if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), `"a"`) {
		t.Errorf("DecryptFields error = %v, want ErrMalformed naming field \"a\"", err)
	}
}

type namedString string

type record struct {
	Name   string
	Token  string
	Alias  namedString
	Count  int
	secret string
}

func TestEncryptStruct(t *testing.T) {
	t.Parallel()
	k := mustKey(t, specSecret)
	r := record{Name: "acme", Token: "xoxb-secret", Alias: "alias-secret", secret: "s"}
	if err := k.EncryptStruct(&r, "Token", "Alias"); err != nil {
		t.Fatal(err)
	}
	if r.Name != "acme" || r.secret != "s" || !strings.HasPrefix(r.Token, "gAAAAA") || !strings.HasPrefix(string(r.Alias), "gAAAAA") {
		t.Fatalf("after EncryptStruct: %+v", r)
	}
	if err := k.DecryptStruct(&r, "Token", "Alias"); err != nil {
		t.Fatal(err)
	}
	if want := (record{Name: "acme", Token: "xoxb-secret", Alias: "alias-secret", secret: "s"}); r != want {
		t.Errorf("round trip = %+v, want %+v", r, want)
	}
}

func TestEncryptStructErrors(t *testing.T) {
	t.Parallel()
	k := mustKey(t, specSecret)
	var nilRecord *record
	s := "string"
	tests := []struct {
		name   string
		ptr    any
		fields []string
		want   string
	}{
		{"not a pointer", record{}, []string{"Token"}, "pointer to a struct"},
		{"nil pointer", nilRecord, []string{"Token"}, "pointer to a struct"},
		{"nil", nil, []string{"Token"}, "pointer to a struct"},
		{"pointer to string", &s, nil, "pointer to a struct"},
		{"unknown field", &record{}, []string{"Tokn"}, `no field "Tokn"`},
		{"int field", &record{}, []string{"Count"}, "not a string"},
		{"unexported field", &record{}, []string{"secret"}, "not exported"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := k.EncryptStruct(tt.ptr, tt.fields...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}

	// A failure leaves the struct unchanged.
	r := record{Token: "xoxb-secret", Count: 1}
	if err := k.EncryptStruct(&r, "Token", "Count"); err == nil {
		t.Fatal("want error for Count")
	}
	if r.Token != "xoxb-secret" {
		t.Errorf("Token = %q after a failed EncryptStruct, want unchanged", r.Token)
	}
}

func TestSlackCredentialsRoundTrip(t *testing.T) {
	t.Parallel()
	k := mustKey(t, specSecret)
	c := SlackCredentials{BotToken: "xoxb-1-2-bot", AppToken: "xapp-1-2-app", SigningSecret: ""}
	enc, err := k.EncryptSlack(c)
	if err != nil {
		t.Fatal(err)
	}
	if enc.SigningSecret != "" || enc.BotToken == c.BotToken || enc.AppToken == c.AppToken {
		t.Fatalf("EncryptSlack = %#v", enc)
	}
	if p, err := k.Decrypt(enc.AppToken); err != nil || p != c.AppToken {
		t.Errorf("AppToken decrypts to %q, %v", p, err)
	}
	dec, err := k.DecryptSlack(enc)
	if err != nil || dec != c {
		t.Errorf("DecryptSlack = %#v, %v; want %#v", dec, err, c)
	}
	_, err = k.DecryptSlack(SlackCredentials{AppToken: "bogus"})
	if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), "app token") {
		t.Errorf("DecryptSlack error = %v, want ErrMalformed naming the app token", err)
	}
}
