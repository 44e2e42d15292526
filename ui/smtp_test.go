package ui

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

func TestInstanceSMTPSettings(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	wantError(t, f.do(t, "GET", "/api/instance/smtp", f.adminA.Token, ""), http.StatusForbidden, "forbidden")
	w := f.do(t, "GET", "/api/instance/smtp", f.ownerA.Token, "")
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"source":"none"`) {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	e := wantError(t, f.do(t, "PUT", "/api/instance/smtp", f.ownerA.Token, `{"host": "", "port": 70000, "tls": "ssl", "from": "nobody"}`),
		http.StatusUnprocessableEntity, "invalid_smtp")
	for _, field := range []string{"host", "port", "tls", "from"} {
		if e.Error.Fields[field] == "" {
			t.Errorf("field %s not named: %v", field, e.Error.Fields)
		}
	}
	const password = "Sm7p-Pa55word-Kept-Secret"
	w = f.do(t, "PUT", "/api/instance/smtp", f.ownerA.Token,
		`{"host": "mail.acme.test", "port": 587, "tls": "starttls", "username": "lore", "password": "`+password+`", "from": "lore@acme.test"}`)
	if w.Code != http.StatusOK || strings.Contains(w.Body.String(), password) {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	var v map[string]any
	json.Unmarshal(w.Body.Bytes(), &v)
	if v["source"] != "instance" || v["host"] != "mail.acme.test" || v["password"] != "Sm7p-…cret" {
		t.Fatalf("view = %v", v)
	}
	w = f.do(t, "GET", "/api/instance/smtp", f.ownerA.Token, "")
	if strings.Contains(w.Body.String(), password) || !strings.Contains(w.Body.String(), `"source":"instance"`) {
		t.Fatalf("%s", w.Body)
	}
	wantError(t, f.do(t, "PUT", "/api/instance/smtp", f.ownerA.Token, `{"host": "x", "sender": "y"}`), http.StatusUnprocessableEntity, "invalid_request")
}
