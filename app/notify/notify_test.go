package notify_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"lore/app/notify"
	"lore/app/notify/smtptest"
	"lore/app/validation"
	"lore/app/vault"
	"lore/storage"
)

const (
	migrationsDir = "../../migrations"
	smtpPassword  = "smtp-Pa55word-Never-Shown"
	leakedToken   = "xoxb-1234567890-0987654321-SecretBotTokenQ7vZ9f3a"
)

type fixture struct {
	t      *testing.T
	dir    string
	store  *storage.Store
	smtp   *smtptest.Server
	clock  *clockwork.FakeClock
	keys   *vault.Keyring
	svc    *notify.Service
	orgA   int64
	orgB   int64
	wsA    string
	admins []string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	store, err := storage.Open(ctx, filepath.Join(dir, "lore.db"), os.DirFS(migrationsDir), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	f := &fixture{t: t, dir: dir, store: store, smtp: smtptest.Start(t), wsA: "T0ACME",
		clock: clockwork.NewFakeClockAt(time.Date(2026, 12, 1, 2, 5, 0, 0, time.UTC))}
	key, err := vault.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	k, err := vault.ParseKey(key, vault.KDF{})
	if err != nil {
		t.Fatal(err)
	}
	f.keys = vault.NewKeyring()
	f.keys.Add(1, k)
	if err := f.keys.SetActive(1); err != nil {
		t.Fatal(err)
	}
	a, err := store.CreateOrganization(ctx, "Acme")
	if err != nil {
		t.Fatal(err)
	}
	b, err := store.CreateOrganization(ctx, "Globex")
	if err != nil {
		t.Fatal(err)
	}
	f.orgA, f.orgB = a.ID, b.ID
	if _, err := store.CreateWorkspace(ctx, a.ID, f.wsA, "Acme Slack"); err != nil {
		t.Fatal(err)
	}
	f.addUser("owner@acme.test", a.ID, storage.RoleOwner)
	f.addUser("admin@acme.test", a.ID, storage.RoleAdmin)
	f.addUser("member@acme.test", a.ID, storage.RoleMember)
	f.addUser("admin@globex.test", b.ID, storage.RoleAdmin)
	f.admins = []string{"admin@acme.test", "owner@acme.test"}
	f.svc = f.service(&notify.Config{Host: f.smtp.Host, Port: f.smtp.Port, TLS: notify.TLSNone, From: "lore@acme.test"})
	return f
}

func (f *fixture) service(env *notify.Config) *notify.Service {
	return notify.New(f.store, f.keys, slog.New(slog.DiscardHandler), notify.Options{Env: env, PublicURL: "https://lore.acme.test/",
		Clock: f.clock, Backoff: []time.Duration{time.Millisecond, time.Millisecond}})
}

func (f *fixture) addUser(email string, orgID int64, role string) {
	f.t.Helper()
	ctx := context.Background()
	err := f.store.Tx(ctx, func(tx *storage.Tx) error {
		u, err := tx.CreateUser(ctx, email, "x", false)
		if err != nil {
			return err
		}
		_, err = tx.AddMembership(ctx, orgID, u.ID, role)
		return err
	})
	if err != nil {
		f.t.Fatal(err)
	}
}

// endedBackfill stores a backfill of the workspace that ended as status says.
func (f *fixture) endedBackfill(status, errText, summary string) storage.Job {
	f.t.Helper()
	ctx := context.Background()
	j, err := f.store.CreateJob(ctx, storage.NewJob{OrgID: f.orgA, WorkspaceID: f.wsA, Kind: "backfill"})
	if err != nil {
		f.t.Fatal(err)
	}
	if _, err := f.store.ClaimJobByID(ctx, "test", f.orgA, j.ID); err != nil {
		f.t.Fatal(err)
	}
	var result []byte
	if status == storage.JobPartial {
		result = []byte(`{"failed_channels": {"C0DEPLOYS": "not_in_channel"}}`)
	}
	if err := f.store.FinishJob(ctx, j.ID, "test", storage.JobEnd{Status: status, Error: errText, Summary: summary, Result: result}); err != nil {
		f.t.Fatal(err)
	}
	j, err = f.store.Job(ctx, f.orgA, j.ID)
	if err != nil {
		f.t.Fatal(err)
	}
	return j
}

func (f *fixture) noSecret(m smtptest.Mail) {
	f.t.Helper()
	for _, s := range []string{smtpPassword, leakedToken, "SecretBotToken"} {
		if strings.Contains(string(m.Raw), s) || strings.Contains(m.Text, s) || strings.Contains(m.HTML, s) {
			f.t.Errorf("a mail holds the secret %q:\n%s", s, m.Raw)
		}
	}
}

func TestFailedBackfillMailsTheAdminsOncePerDay(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	f.svc.BackfillEnded(ctx, f.endedBackfill(storage.JobSucceeded, "", "2 channels"))
	if n := len(f.smtp.Mails()); n != 0 {
		t.Fatalf("%d mails for a backfill that succeeded", n)
	}
	j := f.endedBackfill(storage.JobFailed, "auth.test: token_revoked (the token "+leakedToken+" was refused)", "")
	f.svc.BackfillEnded(ctx, j)
	mails := f.smtp.Mails()
	if len(mails) != 1 {
		t.Fatalf("%d mails, want 1", len(mails))
	}
	m := mails[0]
	if m.From != "lore@acme.test" || strings.Join(m.To, ",") != strings.Join(f.admins, ",") {
		t.Fatalf("from %q to %v, want lore@acme.test to the admins %v only", m.From, m.To, f.admins)
	}
	if m.Subject != "Lore: the backfill of Acme Slack failed" {
		t.Errorf("subject %q", m.Subject)
	}
	for _, want := range []string{`"Acme Slack" (T0ACME)`, `organization "Acme"`, "What failed: auth.test: token_revoked",
		"paste a new one at https://lore.acme.test/api/workspaces/T0ACME/credentials",
		"https://lore.acme.test/api/jobs/" + itoa(j.ID), "at most one such mail a day per workspace"} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("body lacks %q:\n%s", want, m.Text)
		}
	}
	f.noSecret(m)

	// The same day: capped, also for a partial one.
	f.svc.BackfillEnded(ctx, f.endedBackfill(storage.JobFailed, "ratelimited", ""))
	f.svc.BackfillEnded(ctx, f.endedBackfill(storage.JobPartial, "", "1 of 2 channels failed"))
	if n := len(f.smtp.Mails()); n != 1 {
		t.Fatalf("%d mails on the same day, want still 1", n)
	}
	// The next day, a partial one is told, with what failed.
	f.clock.Advance(24 * time.Hour)
	f.svc.BackfillEnded(ctx, f.endedBackfill(storage.JobPartial, "", "1 of 2 channels failed"))
	mails = f.smtp.Mails()
	if len(mails) != 2 || mails[1].Subject != "Lore: the backfill of Acme Slack partly failed" ||
		!strings.Contains(mails[1].Text, "1 of 2 channels failed") || !strings.Contains(mails[1].Text, "not_in_channel") ||
		!strings.Contains(mails[1].Text, "/invite @Lore") {
		t.Fatalf("next day's mails: %d %+v", len(mails), mails[len(mails)-1].Text)
	}
	log, _ := f.store.ListMail(ctx, 10)
	if len(log) != 2 || log[0].Kind != notify.KindBackfillFailed || log[0].Status != "sent" || log[0].WorkspaceID != f.wsA {
		t.Fatalf("mail log = %+v", log)
	}
}

func TestFailedBackfillMailFollowsTheSettings(t *testing.T) {
	t.Parallel()
	for _, setting := range []string{"email_notifications_enabled", "notify_on_failed_backfill"} {
		f := newFixture(t)
		ctx := context.Background()
		err := f.store.Tx(ctx, func(tx *storage.Tx) error {
			return tx.UpdateOrgSettings(ctx, f.orgA, map[string]any{setting: false})
		})
		if err != nil {
			t.Fatal(err)
		}
		f.svc.BackfillEnded(ctx, f.endedBackfill(storage.JobFailed, "boom", ""))
		if n := len(f.smtp.Mails()); n != 0 {
			t.Errorf("%s off: %d mails", setting, n)
		}
	}
}

func TestSendRetriesWithBackoffAndRecords(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	f.smtp.Refuse(2)
	sent, err := f.svc.Test(ctx, "ops@acme.test")
	if err != nil || sent.Attempts != 3 || len(f.smtp.Mails()) != 1 || !strings.Contains(sent.Reply, "OK") && sent.Reply == "" {
		t.Fatalf("sent %+v, %v; %d mails", sent, err, len(f.smtp.Mails()))
	}
	f.smtp.Refuse(10)
	if _, err := f.svc.Test(ctx, "ops@acme.test"); err == nil || !strings.Contains(err.Error(), "after 3 attempts") {
		t.Fatalf("a send refused every time: %v", err)
	}
	log, _ := f.store.ListMail(ctx, 10)
	if len(log) != 2 || log[0].Status != "failed" || log[0].Attempts != 3 || log[0].Error == "" || log[1].Status != "sent" || log[1].Attempts != 3 {
		t.Fatalf("mail log = %+v", log)
	}
	// A failure mail that cannot be sent leaves the job as it ended.
	j := f.endedBackfill(storage.JobFailed, "boom", "")
	f.svc.BackfillEnded(ctx, j)
	after, _ := f.store.Job(ctx, f.orgA, j.ID)
	if after.Status != storage.JobFailed || after.Error != "boom" {
		t.Fatalf("job after a mail that failed: %+v", after)
	}
}

func TestWeeklyDigest(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	err := f.store.WriteMessages(ctx, func(w *storage.MessageWriter) error {
		for _, c := range []storage.Channel{{WorkspaceID: f.wsA, ID: "C1", Name: "general"}, {WorkspaceID: f.wsA, ID: "C2", Name: "deploys"},
			{WorkspaceID: f.wsA, ID: "G1", Name: "leadership", Private: true}} {
			if err := w.UpsertChannel(ctx, c); err != nil {
				return err
			}
		}
		for i, ch := range []string{"C1", "C1", "C1", "C2", "G1", "G1"} {
			m := storage.Message{WorkspaceID: f.wsA, ChannelID: ch, TS: "17800000" + itoa(int64(10+i)) + ".000100", Text: "message"}
			if _, err := w.Put(ctx, m); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", filepath.Join(f.dir, "lore.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []struct {
		channel, text string
		answered      bool
	}{
		{"C1", "Where is the deploy runbook?", true},
		{"C1", "How do we rotate the VPN certificates?", false},
		{"", "Who owns the billing service?", false},
		{"G1", "What are the SALARY bands for 2027?", false},
	} {
		var ch any
		if q.channel != "" {
			ch = q.channel
		}
		if _, err := db.Exec(`INSERT INTO questions (org_id, workspace_id, channel_id, source, question, answered) VALUES (?, ?, ?, 'web', ?, ?)`,
			f.orgA, f.wsA, ch, q.text, q.answered); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now().UTC().Add(time.Minute)

	// Off by default: nothing is sent.
	if line, err := f.svc.Digest(ctx, f.orgA, now); err != nil || !strings.HasPrefix(line, "not sent") || len(f.smtp.Mails()) != 0 {
		t.Fatalf("digest off: %q %v", line, err)
	}
	if err := f.store.Tx(ctx, func(tx *storage.Tx) error {
		return tx.UpdateOrgSettings(ctx, f.orgA, map[string]any{"weekly_digest_enabled": true})
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Digest(ctx, f.orgA, now); err != nil {
		t.Fatal(err)
	}
	mails := f.smtp.Mails()
	if len(mails) != 1 {
		t.Fatalf("%d mails", len(mails))
	}
	m := mails[0]
	if strings.Join(m.To, ",") != strings.Join(f.admins, ",") || !strings.HasPrefix(m.Subject, "Lore weekly digest for Acme: ") {
		t.Fatalf("to %v subject %q", m.To, m.Subject)
	}
	for name, body := range map[string]string{"text": m.Text, "html": m.HTML} {
		for _, want := range []string{"#general", "3", "#deploys", "4 asked, 1 answered (25%)",
			"How do we rotate the VPN certificates?", "Who owns the billing service?",
			"1 more were asked in private channels or direct messages"} {
			if !strings.Contains(body, want) {
				t.Errorf("%s body lacks %q:\n%s", name, want, body)
			}
		}
		for _, never := range []string{"leadership", "SALARY", "Where is the deploy runbook?"} {
			if strings.Contains(body, never) {
				t.Errorf("%s body holds %q:\n%s", name, never, body)
			}
		}
	}
	if !strings.Contains(m.Text, "#general: 3\n") || !strings.Contains(m.Text, "4 in all") {
		t.Errorf("text counts:\n%s", m.Text)
	}
	f.noSecret(m)
}

func TestSMTPSettingsStoredEncryptedMaskedAndTheEnvironmentWins(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	svc := f.service(nil)
	if v, err := svc.Settings(ctx); err != nil || v.Source != notify.SourceNone {
		t.Fatalf("nothing set: %+v %v", v, err)
	}
	if _, err := svc.Test(ctx, "ops@acme.test"); err != notify.ErrNotConfigured {
		t.Fatalf("send with nothing set: %v", err)
	}
	pw := smtpPassword
	_, err := svc.SaveSettings(ctx, "user:1", notify.Input{Host: "", Port: 0, TLS: "ssl", From: "Lore <x>", Password: &pw})
	var ve *validation.Error
	if !errors.As(err, &ve) || len(ve.Fields) != 5 || ve.Fields["password"] != "needs a username" {
		t.Fatalf("bad settings: %v, want host, port, tls, password and from named", err)
	}
	v, err := svc.SaveSettings(ctx, "user:1", notify.Input{Host: f.smtp.Host, Port: f.smtp.Port, TLS: notify.TLSNone,
		Username: "lore", Password: &pw, From: "lore@acme.test"})
	if err != nil {
		t.Fatal(err)
	}
	if v.Source != notify.SourceInstance || v.Password != "smtp-…hown" || v.Username != "lore" {
		t.Fatalf("view = %+v", v)
	}
	raw, _ := os.ReadFile(filepath.Join(f.dir, "lore.db"))
	wal, _ := os.ReadFile(filepath.Join(f.dir, "lore.db-wal"))
	if strings.Contains(string(raw)+string(wal), smtpPassword) {
		t.Fatal("the SMTP password is in the database file in plaintext")
	}
	// Saved without a password field: the stored one stays.
	if v, err = svc.SaveSettings(ctx, "user:1", notify.Input{Host: f.smtp.Host, Port: f.smtp.Port, TLS: notify.TLSNone,
		Username: "lore", From: "lore@acme.test"}); err != nil || v.Password != "smtp-…hown" {
		t.Fatalf("password kept: %+v %v", v, err)
	}
	// The environment wins, and says so.
	env := f.service(&notify.Config{Host: "mail.example.com", Port: 587, TLS: notify.TLSStartTLS, From: "env@example.com"})
	if v, err := env.Settings(ctx); err != nil || v.Source != notify.SourceEnvironment || v.Host != "mail.example.com" || !v.StoredOverridden {
		t.Fatalf("environment view = %+v %v", v, err)
	}
	b, _ := json.Marshal(v)
	if strings.Contains(string(b), smtpPassword) {
		t.Fatalf("the view shows the password: %s", b)
	}
}

func TestConfigFromEnv(t *testing.T) {
	t.Parallel()
	pwFile := filepath.Join(t.TempDir(), "pw")
	os.WriteFile(pwFile, []byte(smtpPassword+"\n"), 0o600)
	cases := []struct {
		vars    map[string]string
		want    notify.Config
		ok      bool
		wantErr string
	}{
		{vars: map[string]string{}, ok: false},
		{vars: map[string]string{"LORE_SMTP_URL": "smtp://lore@mail.example.com:587?tls=starttls", "LORE_SMTP_PASSWORD_FILE": pwFile, "LORE_SMTP_FROM": "lore@example.com"},
			want: notify.Config{Host: "mail.example.com", Port: 587, TLS: "starttls", Username: "lore", Password: smtpPassword, From: "lore@example.com"}, ok: true},
		{vars: map[string]string{"LORE_SMTP_URL": "smtps://mail.example.com", "LORE_SMTP_FROM": "lore@example.com"},
			want: notify.Config{Host: "mail.example.com", Port: 465, TLS: "tls", From: "lore@example.com"}, ok: true},
		{vars: map[string]string{"LORE_SMTP_URL": "smtp://localhost:2525?tls=none", "LORE_SMTP_FROM": "lore@example.com"},
			want: notify.Config{Host: "localhost", Port: 2525, TLS: "none", From: "lore@example.com"}, ok: true},
		{vars: map[string]string{"LORE_SMTP_URL": "smtp://lore:hunter2@mail.example.com", "LORE_SMTP_FROM": "lore@example.com"}, wantErr: "must not hold the password"},
		{vars: map[string]string{"LORE_SMTP_URL": "http://mail.example.com"}, wantErr: "LORE_SMTP_URL must look like"},
		{vars: map[string]string{"LORE_SMTP_URL": "smtp://mail.example.com"}, wantErr: "LORE_SMTP_FROM: from must be an email address"},
		{vars: map[string]string{"LORE_SMTP_URL": "smtp://mail.example.com?tls=ssl", "LORE_SMTP_FROM": "lore@example.com"}, wantErr: "tls must be one of"},
		{vars: map[string]string{"LORE_SMTP_FROM": "lore@example.com"}, wantErr: "need LORE_SMTP_URL"},
	}
	for _, c := range cases {
		got, ok, err := notify.ConfigFromEnv(func(k string) string { return c.vars[k] })
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) || strings.Contains(err.Error(), "hunter2") {
				t.Errorf("%v: %v, want an error with %q", c.vars, err, c.wantErr)
			}
			continue
		}
		if err != nil || ok != c.ok || got != c.want {
			t.Errorf("%v: %v %v %v, want %v %v", c.vars, got, ok, err, c.want, c.ok)
		}
	}
	if s := (notify.Config{Password: smtpPassword}).String(); strings.Contains(s, smtpPassword) {
		t.Errorf("Config prints its password: %s", s)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
