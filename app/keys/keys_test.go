package keys

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lore/app/vault"
	"lore/storage"
)

type fixture struct {
	store *storage.Store
	dir   string
	logs  *bytes.Buffer
	log   *slog.Logger
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	dir := t.TempDir()
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	store, err := storage.Open(context.Background(), filepath.Join(dir, "lore.db"), os.DirFS("../../migrations"), log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return &fixture{store: store, dir: dir, logs: &logs, log: log}
}

func (f *fixture) load(t *testing.T, src Source) *Loaded {
	t.Helper()
	if src.DataDir == "" {
		src.DataDir = f.dir
	}
	l, err := Load(context.Background(), f.store, src, f.log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(l.Keyring.Destroy)
	return l
}

// seed stores encrypted credentials for n workspaces with the keyring's
// active key and returns the plaintexts by workspace.
func (f *fixture) seed(t *testing.T, ring *vault.Keyring, n int) map[string][3]string {
	t.Helper()
	ctx := context.Background()
	org, err := f.store.CreateOrganization(ctx, "Acme")
	if err != nil {
		t.Fatal(err)
	}
	plain := map[string][3]string{}
	for i := range n {
		id := fmt.Sprintf("T%04d", i)
		if _, err := f.store.CreateWorkspace(ctx, org.ID, id, "ws"); err != nil {
			t.Fatal(err)
		}
		p := [3]string{
			fmt.Sprintf("xoxb-%d-secret-bot", i),
			fmt.Sprintf("xapp-%d-secret-app", i),
			fmt.Sprintf("%032x", i+1),
		}
		var c storage.EncryptedCredentials
		for j, dst := range []*string{&c.BotToken, &c.AppToken, &c.SigningSecret} {
			if *dst, c.Version, err = ring.Encrypt(p[j]); err != nil {
				t.Fatal(err)
			}
		}
		err := f.store.Tx(ctx, func(tx *storage.Tx) error {
			return tx.SaveEncryptedCredentials(ctx, org.ID, id, c, "")
		})
		if err != nil {
			t.Fatal(err)
		}
		plain[id] = p
	}
	return plain
}

// snapshot is every stored credential column and key version, to compare
// before and after an operation that must change nothing.
func (f *fixture) snapshot(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	var b strings.Builder
	versions, err := f.store.KeyVersions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range versions {
		fmt.Fprintf(&b, "%+v\n", v)
	}
	ws, _ := f.store.ListWorkspaces(ctx, 1)
	for _, w := range ws {
		c, err := f.store.Credentials(ctx, 1, w.ID)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s %d %s %s %s\n", w.ID, c.Sealed.Version, c.Sealed.BotToken, c.Sealed.AppToken, c.Sealed.SigningSecret)
	}
	return b.String()
}

func TestFirstRunRecordsVersionOne(t *testing.T) {
	t.Parallel()
	fernetKey, _ := vault.GenerateKey()
	cases := []struct {
		name       string
		src        Source
		kdf        string
		iterations int
		salt       string
	}{
		{"fernet key", Source{Key: fernetKey}, storage.KDFFernet, 0, ""},
		{"passphrase gets a random salt", Source{Key: "correct horse battery staple", Iterations: 1000}, storage.KDFPBKDF2, 1000, ""},
		{"original system's fixed salt", Source{Key: "pass-6b1290a132c7", Salt: "salt-ac455616", Iterations: vault.LegacyIterations}, storage.KDFPBKDF2, vault.LegacyIterations, "salt-ac455616"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			l := f.load(t, c.src)
			if len(l.Problems) != 0 {
				t.Fatalf("problems: %v", l.Problems)
			}
			versions, _ := f.store.KeyVersions(context.Background())
			if len(versions) != 1 || !versions[0].Active || versions[0].KDF != c.kdf || versions[0].Iterations != c.iterations {
				t.Fatalf("versions: %+v", versions)
			}
			if c.salt != "" && string(versions[0].Salt) != c.salt {
				t.Errorf("salt %q, want the configured %q", versions[0].Salt, c.salt)
			}
			if c.kdf == storage.KDFPBKDF2 && c.salt == "" && len(versions[0].Salt) != 16 {
				t.Errorf("random salt has %d bytes, want 16", len(versions[0].Salt))
			}
			_, key, err := l.Keyring.Active()
			if err != nil {
				t.Fatal(err)
			}
			if key.Fingerprint() != versions[0].Fingerprint {
				t.Error("stored fingerprint is not the key's")
			}
			if strings.Contains(f.logs.String(), c.src.Key) {
				t.Error("the key reached the log")
			}
		})
	}
	// The original system's passphrase and salt open its tokens.
	t.Run("opens the original system's tokens", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		l := f.load(t, Source{Key: "pass-6b1290a132c7", Salt: "salt-ac455616", Iterations: vault.LegacyIterations})
		got, err := l.Keyring.Decrypt("gAAAAABqs-76sWAmeZeSJDOoRa5411ZOre3SDdoJtmxoDy_nmbUE1NifbIlufuthYmSPghLdBKQE71PzLy1lgmWFfLz5zX_1YnERF13t3JCAxXXK6iJ2bn8e32OHMQ7M-AwggxRQOJ1xRWlU3HfeUpvhk6hbLjEPpw==", 1)
		if err != nil || got != "xapp-538010185524-598064842168-PVNPkNa1Hedcm4pMbXDuCL1m" {
			t.Fatalf("got %q, %v", got, err)
		}
	})
}

func TestDevelopmentKeyFile(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	first := f.load(t, Source{})
	path := filepath.Join(f.dir, DevKeyFile)
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, want 0600", info.Mode().Perm())
	}
	if !strings.Contains(f.logs.String(), "development setup") {
		t.Error("no development-setup warning")
	}
	token, v, _ := first.Keyring.Encrypt("xoxb-dev")
	f.logs.Reset()
	second := f.load(t, Source{}) // the next start reads the same file
	if got, err := second.Keyring.Decrypt(token, v); err != nil || got != "xoxb-dev" {
		t.Fatalf("second start: %q %v", got, err)
	}
	if !strings.Contains(f.logs.String(), "development setup") {
		t.Error("the warning must come at every start")
	}
	secret, _ := os.ReadFile(path)
	if strings.Contains(f.logs.String(), strings.TrimSpace(string(secret))) {
		t.Error("the generated key reached the log")
	}
}

func TestWrongKeyIsReportedAndChangesNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	right, _ := vault.GenerateKey()
	l := f.load(t, Source{Key: right})
	f.seed(t, l.Keyring, 3)
	before := f.snapshot(t)

	wrong, _ := vault.GenerateKey()
	f.logs.Reset()
	bad := f.load(t, Source{Key: wrong})
	want := "ENCRYPTION_KEY does not match key version 1 used by 3 workspaces"
	if len(bad.Problems) != 1 || bad.Problems[0] != want {
		t.Fatalf("problems %q, want %q", bad.Problems, want)
	}
	if !strings.Contains(f.logs.String(), want) {
		t.Errorf("log does not report %q:\n%s", want, f.logs.String())
	}
	c, _ := f.store.Credentials(ctx, 1, "T0000")
	if _, err := bad.Keyring.Decrypt(c.Sealed.BotToken, 1); !errors.Is(err, vault.ErrWrongKey) {
		t.Fatalf("decrypt with the wrong key: %v, want ErrWrongKey (never garbage)", err)
	}
	if _, _, err := bad.Keyring.Encrypt("xoxb-new"); err == nil {
		t.Fatal("encrypting with an unmatched active key succeeded")
	}
	if after := f.snapshot(t); after != before {
		t.Fatalf("a start with the wrong key changed the database:\nbefore %s\nafter %s", before, after)
	}
	// A passphrase where a Fernet key was recorded is a mismatch too.
	if p := f.load(t, Source{Key: "a passphrase", Salt: "s", Iterations: 1}).Problems; len(p) != 1 {
		t.Fatalf("passphrase against a Fernet version: %v", p)
	}
}

// TestMissingKeyIsReportedNotReplaced: with key versions recorded, a lost
// development key file is reported, not silently replaced by a new key.
func TestMissingKeyIsReportedNotReplaced(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	l := f.load(t, Source{})
	f.seed(t, l.Keyring, 2)
	before := f.snapshot(t)
	keyFile := filepath.Join(f.dir, DevKeyFile)
	if err := os.Remove(keyFile); err != nil {
		t.Fatal(err)
	}
	missing := f.load(t, Source{})
	want := "no encryption key is configured (set ENCRYPTION_KEY or ENCRYPTION_KEY_FILE): key version 1 used by 2 workspaces cannot be opened"
	if len(missing.Problems) != 1 || missing.Problems[0] != want {
		t.Fatalf("problems %q, want %q", missing.Problems, want)
	}
	if _, err := os.Stat(keyFile); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a new development key file was generated: %v", err)
	}
	if _, _, err := missing.Keyring.Encrypt("xoxb-new"); err == nil {
		t.Error("encrypting without a key succeeded")
	}
	if after := f.snapshot(t); after != before {
		t.Fatal("a start without the key changed the database")
	}
}

func TestFirstRunWithForeignTokensAndWrongKey(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	// Credentials encrypted by the original system, before key versions existed.
	original, _ := vault.ParseKey("pass-6b1290a132c7", vault.KDF{Salt: []byte("salt-ac455616"), Iterations: 1000})
	ring := vault.NewKeyring()
	ring.Add(1, original)
	ring.SetActive(1)
	f.seed(t, ring, 2)
	before := f.snapshot(t)

	bad := f.load(t, Source{Key: "not-the-passphrase", Salt: "salt-ac455616", Iterations: 1000})
	if len(bad.Problems) != 1 || !strings.Contains(bad.Problems[0], "does not decrypt the stored secrets used by 2 workspaces") {
		t.Fatalf("problems: %v", bad.Problems)
	}
	if after := f.snapshot(t); after != before {
		t.Fatal("a wrong first key was recorded")
	}
	good := f.load(t, Source{Key: "pass-6b1290a132c7", Salt: "salt-ac455616", Iterations: 1000})
	c, _ := f.store.Credentials(ctx, 1, "T0001")
	if got, err := good.Keyring.Decrypt(c.Sealed.BotToken, c.Sealed.Version); err != nil || got != "xoxb-1-secret-bot" {
		t.Fatalf("right key: %q %v", got, err)
	}
}

func TestRotate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	oldKey, _ := vault.GenerateKey()
	l := f.load(t, Source{Key: oldKey})
	plain := f.seed(t, l.Keyring, 4)

	res, err := Rotate(ctx, f.store, Source{Key: oldKey, DataDir: f.dir}, "a long new passphrase", f.log)
	if err != nil {
		t.Fatal(err)
	}
	if res.From != 1 || res.To != 2 || res.Counts["installations"] != 12 {
		t.Fatalf("result %+v, want 1→2 with 12 values", res)
	}
	// Only the new key opens the secrets now, and they are the same secrets.
	after := f.load(t, Source{Key: "a long new passphrase"})
	if len(after.Problems) != 0 {
		t.Fatalf("problems after rotation: %v", after.Problems)
	}
	for id, p := range plain {
		c, err := f.store.Credentials(ctx, 1, id)
		if err != nil {
			t.Fatal(err)
		}
		if c.Sealed.Version != 2 {
			t.Errorf("%s still at version %d", id, c.Sealed.Version)
		}
		for j, tok := range []string{c.Sealed.BotToken, c.Sealed.AppToken, c.Sealed.SigningSecret} {
			if got, err := after.Keyring.Decrypt(tok, 2); err != nil || got != p[j] {
				t.Errorf("%s value %d: %q %v", id, j, got, err)
			}
		}
	}
	if old := f.load(t, Source{Key: oldKey}); len(old.Problems) != 1 || !strings.Contains(old.Problems[0], "key version 2 used by 4 workspaces") {
		t.Errorf("old key after rotation: %v", old.Problems)
	}
	status, _ := Status(ctx, f.store, time.Now())
	if len(status) != 2 || status[0].Active || !status[1].Active || status[1].Rows["installations"] != 4 || status[0].Rows["installations"] != 0 {
		t.Errorf("status after rotation: %+v", status)
	}
	audit, _ := f.store.ListAudit(ctx, storage.AuditFilter{Action: "keys.rotate"})
	if len(audit) != 1 || audit[0].Outcome != "ok" {
		t.Errorf("audit: %+v", audit)
	}
	perWorkspace, _ := f.store.ListAudit(ctx, storage.AuditFilter{Action: "credentials.rotate"})
	if len(perWorkspace) != 4 || perWorkspace[0].OrgID != 1 || perWorkspace[0].WorkspaceID == "" || perWorkspace[0].Detail["to_version"] != float64(2) {
		t.Errorf("per-workspace rotation audit: %+v", perWorkspace)
	}
	for _, secret := range []string{oldKey, "a long new passphrase", "secret-bot"} {
		if strings.Contains(f.logs.String(), secret) {
			t.Errorf("log holds %q", secret)
		}
	}
	if _, err := Rotate(ctx, f.store, Source{Key: "a long new passphrase", DataDir: f.dir}, "a long new passphrase", f.log); err == nil {
		t.Error("rotating to the key in use succeeded")
	}
}

// TestRotateInterruptedChangesNothing breaks the third workspace's token so
// rotation fails half-way through; the transaction must leave every row and
// key version as it was.
func TestRotateInterruptedChangesNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	oldKey, _ := vault.GenerateKey()
	l := f.load(t, Source{Key: oldKey})
	f.seed(t, l.Keyring, 5)
	c, _ := f.store.Credentials(ctx, 1, "T0002")
	c.Sealed.AppToken = c.Sealed.AppToken[:len(c.Sealed.AppToken)-8] + "AAAAAA==" // tampered
	f.store.Tx(ctx, func(tx *storage.Tx) error { return tx.SaveEncryptedCredentials(ctx, 1, "T0002", c.Sealed, "") })
	before := f.snapshot(t)

	newKey, _ := vault.GenerateKey()
	_, err := Rotate(ctx, f.store, Source{Key: oldKey, DataDir: f.dir}, newKey, f.log)
	if err == nil || !strings.Contains(err.Error(), "nothing changed") || !strings.Contains(err.Error(), "T0002") {
		t.Fatalf("got %v, want a failure naming T0002 and saying nothing changed", err)
	}
	if after := f.snapshot(t); after != before {
		t.Fatalf("interrupted rotation changed the database:\nbefore %s\nafter %s", before, after)
	}
	audit, _ := f.store.ListAudit(ctx, storage.AuditFilter{Action: "keys.rotate"})
	if len(audit) != 1 || audit[0].Outcome != "failed" {
		t.Errorf("audit of the failed rotation: %+v", audit)
	}
}

func TestRotateReplacesDevelopmentKeyFile(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	l := f.load(t, Source{})
	plain := f.seed(t, l.Keyring, 1)
	newKey, _ := vault.GenerateKey()
	res, err := Rotate(ctx, f.store, Source{DataDir: f.dir}, newKey, f.log)
	if err != nil {
		t.Fatal(err)
	}
	if res.KeyFile != filepath.Join(f.dir, DevKeyFile) {
		t.Fatalf("key file %q", res.KeyFile)
	}
	if files, _ := filepath.Glob(filepath.Join(f.dir, DevKeyFile+"*")); len(files) != 1 {
		t.Fatalf("key files after the rotation: %v, want one", files)
	}
	next := f.load(t, Source{})
	c, _ := f.store.Credentials(ctx, 1, "T0000")
	if got, err := next.Keyring.Decrypt(c.Sealed.BotToken, c.Sealed.Version); err != nil || got != plain["T0000"][0] {
		t.Fatalf("after rotating the development key: %q %v", got, err)
	}
}

func TestStatusWarnsPastNinetyDays(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	key, _ := vault.GenerateKey()
	f.load(t, Source{Key: key})
	now := time.Now()
	for _, c := range []struct {
		at    time.Time
		stale bool
	}{{now, false}, {now.Add(89 * 24 * time.Hour), false}, {now.Add(91 * 24 * time.Hour), true}} {
		list, err := Status(context.Background(), f.store, c.at)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 1 || list[0].Stale != c.stale {
			t.Errorf("at +%v: %+v, want stale=%v", c.at.Sub(now).Round(time.Hour), list, c.stale)
		}
	}
}

func TestSourceFromEnv(t *testing.T) {
	t.Parallel()
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	if _, err := SourceFromEnv(env(map[string]string{"ENCRYPTION_ITERATIONS": "many"}), ""); err == nil {
		t.Error("non-numeric iterations accepted")
	}
	if _, err := SourceFromEnv(env(map[string]string{"ENCRYPTION_KEY": "a", "ENCRYPTION_KEY_FILE": "b"}), ""); err == nil {
		t.Error("both key and key file accepted")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "key")
	os.WriteFile(path, []byte("from a file\n"), 0o600)
	src, err := SourceFromEnv(env(map[string]string{"ENCRYPTION_KEY_FILE": path, "ENCRYPTION_ITERATIONS": "100000"}), dir)
	if err != nil {
		t.Fatal(err)
	}
	m, err := src.Material(false)
	if err != nil || m.Secret != "from a file" || src.Iterations != 100000 || m.Generated {
		t.Fatalf("material %q %v, iterations %d", m.Secret, err, src.Iterations)
	}
	key, _ := vault.GenerateKey()
	if m, _ := (Source{Key: " " + key + " \t"}).Material(false); m.Secret != key {
		t.Errorf("a Fernet key with spaces around it came back as %d bytes, want the bare key", len(m.Secret))
	}
	if m, _ := (Source{Key: " a passphrase "}).Material(false); m.Secret != " a passphrase " {
		t.Errorf("a passphrase was changed")
	}
	if _, err := (Source{DataDir: t.TempDir()}).Material(false); err == nil || !strings.Contains(err.Error(), "set ENCRYPTION_KEY") {
		t.Fatalf("no key at all: %v", err)
	}
}

// BenchmarkEncryptWithLoadedPassphraseKey shows the passphrase is stretched
// once, in Load: each encryption after it costs microseconds, not the
// ~100 ms of a 600,000-iteration PBKDF2.
func BenchmarkEncryptWithLoadedPassphraseKey(b *testing.B) {
	dir := b.TempDir()
	store, err := storage.Open(context.Background(), filepath.Join(dir, "lore.db"), os.DirFS("../../migrations"), slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	start := time.Now()
	l, err := Load(context.Background(), store, Source{Key: "a passphrase, stretched once", DataDir: dir}, slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	loadTime := time.Since(start)
	token := strings.Repeat("x", 60)
	for b.Loop() {
		if _, _, err := l.Keyring.Encrypt(token); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(loadTime.Milliseconds()), "load-ms")
}

// TestRotateTrimsAFernetKey: a new Fernet key with whitespace around it (as
// from a file or a shell variable) is the Fernet key, not a passphrase.
func TestRotateTrimsAFernetKey(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	oldKey, _ := vault.GenerateKey()
	l := f.load(t, Source{Key: oldKey})
	f.seed(t, l.Keyring, 1)
	newKey, _ := vault.GenerateKey()
	if _, err := Rotate(ctx, f.store, Source{Key: oldKey, DataDir: f.dir}, newKey+" \t\n", f.log); err != nil {
		t.Fatal(err)
	}
	versions, _ := f.store.KeyVersions(ctx)
	if len(versions) != 2 || versions[1].KDF != storage.KDFFernet {
		t.Fatalf("key versions after rotating to a Fernet key with trailing whitespace: %+v", versions)
	}
	if after := f.load(t, Source{Key: newKey}); len(after.Problems) != 0 {
		t.Fatalf("the trimmed key does not open the rotated secrets: %v", after.Problems)
	}
}

// TestDevelopmentKeyCreatedOnce: processes (here goroutines) that generate
// the development key at once all end up with the one key in the file.
func TestDevelopmentKeyCreatedOnce(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	secrets := make(chan string, 8)
	for range 8 {
		go func() {
			m, err := Source{DataDir: dir}.Material(true)
			if err != nil {
				t.Error(err)
			}
			secrets <- m.Secret
		}()
	}
	got := map[string]bool{}
	for range 8 {
		got[<-secrets] = true
	}
	file, _ := os.ReadFile(filepath.Join(dir, DevKeyFile))
	if len(got) != 1 || !got[strings.TrimSpace(string(file))] {
		t.Fatalf("%d different keys, want the one in the key file", len(got))
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".key-*")); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

// TestRotateCrashAfterCommitKeepsTheDevelopmentKey stops a rotation of the
// development key right after its commit, as a kill would: the next start
// must find the new key (written beside the old one before the commit),
// open every secret with it, and leave one key file, the new one, under the
// usual name.
func TestRotateCrashAfterCommitKeepsTheDevelopmentKey(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	l := f.load(t, Source{})
	plain := f.seed(t, l.Keyring, 2)
	newKey, _ := vault.GenerateKey()
	crash := errors.New("killed")
	if _, err := rotate(ctx, f.store, Source{DataDir: f.dir}, newKey, f.log, func() error { return crash }); !errors.Is(err, crash) {
		t.Fatalf("rotate: %v", err)
	}

	next := f.load(t, Source{})
	if len(next.Problems) != 0 {
		t.Fatalf("problems after a crash right after the commit: %v", next.Problems)
	}
	for id, p := range plain {
		c, _ := f.store.Credentials(ctx, 1, id)
		if got, err := next.Keyring.Decrypt(c.Sealed.BotToken, c.Sealed.Version); err != nil || got != p[0] {
			t.Fatalf("%s after the crash: %v", id, err)
		}
	}
	files, _ := filepath.Glob(filepath.Join(f.dir, DevKeyFile+"*"))
	if b, _ := os.ReadFile(filepath.Join(f.dir, DevKeyFile)); len(files) != 1 || strings.TrimSpace(string(b)) != newKey {
		t.Fatalf("key files %v; want only %s, holding the new key", files, DevKeyFile)
	}
}
