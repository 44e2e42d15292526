package ui

import (
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"lore/app/notify/smtptest"
	"lore/ui/browsertest"
)

// TestBrowserInstanceSMTPAndTestMail: in Chromium, the instance owner saves
// an SMTP server with a bad port (named beside it, the password never put
// back), then a good one, and sends a test mail that the server receives.
func TestBrowserInstanceSMTPAndTestMail(t *testing.T) {
	t.Parallel()
	a, _ := ownerApp(t)
	srv := smtptest.Start(t)
	b := browsertest.New(t, serveUI(t, a))

	signInAt(b, "/instance", "owner@acme.test")
	b.WaitText("h1", "This Lore instance")
	b.WaitText("#smtp dd", "nowhere: not configured")
	b.CheckPage()
	b.Shot("instance")

	b.Fill("smtp-host", srv.Host)
	b.Fill("smtp-port", "twenty-five")
	b.Fill("smtp-password", "typed-smtp-password-77")
	b.Fill("smtp-from", "lore@acme.test")
	b.Click("#smtp form[action='/instance/smtp'] button[type=submit]")
	b.WaitText("#smtp-port-error", "port must be 1-65535")
	if v := b.Text("main"); strings.Contains(v, "typed-smtp-password-77") {
		t.Fatal("the page shows the typed password")
	}
	if v := browsertest.Get(b, "password field", chromedp.Evaluate[string](`document.getElementById("smtp-password").value`)); v != "" {
		t.Fatalf("the password field holds %q after the error", v)
	}
	b.CheckPage()
	b.Shot("instance-bad-port")

	b.Fill("smtp-port", strconv.Itoa(srv.Port))
	b.Do("choose tls none", chromedp.Evaluate[chromedp.Void](`document.getElementById("smtp-tls").value = "none"`))
	b.Click("#smtp form[action='/instance/smtp'] button[type=submit]")
	b.WaitText(".flash-ok", "The SMTP settings are saved.")
	b.WaitText("#smtp dd", "the database (saved here)")
	b.Shot("instance-smtp-saved")

	b.Fill("test-to", "ops@acme.test")
	b.Click("#smtp form[action='/instance/smtp/test'] button[type=submit]")
	b.WaitText(".flash-ok", "A test mail went to ops@acme.test")
	if mails := srv.Mails(); len(mails) != 1 || mails[0].To[0] != "ops@acme.test" {
		t.Fatalf("the SMTP server got %+v", mails)
	}
	b.CheckPage()
	b.Shot("instance-test-mail-sent")
}
