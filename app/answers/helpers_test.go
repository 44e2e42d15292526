package answers

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"lore/app/jobs"
	"lore/app/sync"
	"lore/app/testshared"
	"lore/storage"
)

// shared is a file of the shared test data, read in place.
func shared(t testing.TB, rel string) string {
	t.Helper()
	return testshared.Path(t, rel)
}

// env is a fresh database with one organization and the answers service.
type env struct {
	store *storage.Store
	sync  *sync.Service
	svc   *Service
	orgID int64
}

func newEnv(t testing.TB, opts Options) *env {
	t.Helper()
	return newLoggedEnv(t, opts, slog.New(slog.DiscardHandler))
}

// newLoggedEnv is newEnv with the service logging to logger.
func newLoggedEnv(t testing.TB, opts Options, logger *slog.Logger) *env {
	t.Helper()
	ctx := context.Background()
	st, err := storage.Open(ctx, filepath.Join(t.TempDir(), "lore.db"), os.DirFS(filepath.Join("..", "..", "migrations")), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	org, err := st.CreateOrganization(ctx, "Brightloom")
	if err != nil {
		t.Fatal(err)
	}
	svc, err := New(ctx, st, logger, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close() })
	now := func() time.Time { return time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC) }
	return &env{store: st, svc: svc, orgID: org.ID, sync: sync.New(st, slog.New(slog.DiscardHandler), sync.Options{Now: now})}
}

// importExport imports an export ZIP into a workspace of the organization.
func (e *env) importExport(t testing.TB, path, ws string) {
	t.Helper()
	ctx := context.Background()
	if _, err := e.store.CreateWorkspace(ctx, e.orgID, ws, "Brightloom"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.sync.ImportExport(ctx, path, sync.ImportTarget{WorkspaceID: ws}, jobs.Detached()); err != nil {
		t.Fatal(err)
	}
}

// msg is a message of the test history.
type msg struct {
	channel, ts, thread, user, text, subtype string
}

// history stores messages through the one message path and refreshes the
// index's statistics, as an import does.
func (e *env) history(t testing.TB, ws string, channels []sync.Channel, msgs []msg) {
	t.Helper()
	ctx := context.Background()
	users := []sync.User{{ID: "U1", RealName: "Ann Asker"}, {ID: "U2", RealName: "Bo Answer"}, {ID: "U3", RealName: "Cy Later"}}
	if err := e.sync.StoreChannelsAndUsers(ctx, ws, channels, users); err != nil {
		t.Fatal(err)
	}
	dir, err := e.sync.Directory(ctx, ws)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		if _, err := e.sync.StoreMessages(ctx, dir, ws, m.channel, []sync.Message{{Type: "message", TS: m.ts,
			ThreadTS: m.thread, User: m.user, Text: m.text, Subtype: m.subtype}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.store.RefreshTermStats(ctx); err != nil {
		t.Fatal(err)
	}
}

// setSettings changes some of the organization's settings.
func (e *env) setSettings(t testing.TB, set map[string]any) {
	t.Helper()
	if err := e.store.Tx(context.Background(), func(tx *storage.Tx) error {
		return tx.UpdateOrgSettings(context.Background(), e.orgID, set)
	}); err != nil {
		t.Fatal(err)
	}
}

// ask asks and fails the test on an error.
func (e *env) ask(t testing.TB, r Request) Answer {
	t.Helper()
	if r.OrgID == 0 {
		r.OrgID = e.orgID
	}
	a, err := e.svc.Ask(context.Background(), r)
	if err != nil {
		t.Fatalf("ask %q: %v", r.Question, err)
	}
	return a
}

// keys are the sources as "channel/ts".
func keys(a Answer) []string {
	var out []string
	for _, s := range a.Sources {
		out = append(out, s.ChannelName+"/"+s.TS)
	}
	return out
}
