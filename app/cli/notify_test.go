package cli

import (
	"strings"
	"testing"

	"lore/app/notify/smtptest"
)

func TestNotifyTestSendsThroughTheEnvironmentsServer(t *testing.T) {
	t.Parallel()
	vars, _ := cliSetup(t)
	srv := smtptest.Start(t)
	vars = withVars(vars, map[string]string{
		"LORE_SMTP_URL":  "smtp://" + srv.Host + ":" + itoa(int64(srv.Port)) + "?tls=none",
		"LORE_SMTP_FROM": "lore@acme.test",
	})
	out, err := runLore(t, vars, "notify", "test", "--to", "ops@acme.test")
	if err != nil {
		t.Fatal(err)
	}
	mails := srv.Mails()
	if len(mails) != 1 || mails[0].From != "lore@acme.test" || strings.Join(mails[0].To, ",") != "ops@acme.test" || mails[0].Subject != "Lore: test mail" {
		t.Fatalf("mails = %+v", mails)
	}
	if !strings.Contains(out, "sent a test mail to ops@acme.test through "+srv.Host) || !strings.Contains(out, "environment settings") ||
		!strings.Contains(out, "the server said: ") || !strings.Contains(out, "queued") {
		t.Fatalf("output %q", out)
	}
	if _, err := runLore(t, vars, "notify", "test", "--to", "not an address"); err == nil || !strings.Contains(err.Error(), "--to") {
		t.Fatalf("bad --to: %v", err)
	}
	if _, err := runLore(t, withVars(vars, map[string]string{"LORE_SMTP_URL": "http://x"}), "notify", "test", "--to", "ops@acme.test"); err == nil ||
		!strings.Contains(err.Error(), "LORE_SMTP_URL must look like") {
		t.Fatalf("bad LORE_SMTP_URL: %v", err)
	}
	noSMTP, _ := cliSetup(t)
	if _, err := runLore(t, noSMTP, "notify", "test", "--to", "ops@acme.test"); err == nil || !strings.Contains(err.Error(), "no SMTP server is configured") {
		t.Fatalf("without SMTP: %v", err)
	}
}
