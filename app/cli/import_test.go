package cli

import (
	"archive/zip"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lore/app"
	"lore/app/jobs/importjob"
	"lore/app/jobs/importjob/importtest"
	"lore/app/lockfile"
	"lore/app/sync"
	"lore/app/testlog"
	"lore/storage"
)

// importSetup makes a data directory whose database has organization 1
// with workspace T0ACME, and an export of 2 channels × 3 days × 40
// messages beside it.
func importSetup(t *testing.T) (dir, export string) {
	t.Helper()
	ctx := context.Background()
	dir = t.TempDir()
	a, err := app.Open(ctx, app.Config{DataDir: dir}, os.DirFS("../../migrations"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	org, err := a.Store.CreateOrganization(ctx, "Acme")
	if err != nil || org.ID != 1 {
		t.Fatalf("organization %+v, %v", org, err)
	}
	if _, err := a.Store.CreateWorkspace(ctx, org.ID, "T0ACME", "Acme"); err != nil {
		t.Fatal(err)
	}
	export = filepath.Join(t.TempDir(), "export.zip")
	f, err := os.Create(export)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := importtest.WriteExport(f, []string{"deploys", "general"}, 3, 40, 0); err != nil {
		t.Fatal(err)
	}
	return dir, export
}

// writeZip writes a ZIP of the files in a new temporary folder.
func writeZip(t *testing.T, name string, files map[string]string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zw := zip.NewWriter(f)
	for name, body := range files {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(body))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func importEnv(dir string, stdout *testlog.Buffer, imp importjob.Importer, args ...string) Env {
	return Env{
		Args:       append(args, "--data", dir, "--log-level", "error"),
		Getenv:     func(string) string { return "" },
		Stdin:      strings.NewReader(""),
		Stdout:     stdout,
		Stderr:     &testlog.Buffer{},
		Migrations: os.DirFS("../../migrations"),
		NewHandler: func(*app.App) http.Handler { return http.NotFoundHandler() },
		Importer:   imp,
	}
}

func jobsOf(t *testing.T, dir string) []storage.Job {
	t.Helper()
	s, err := storage.Open(context.Background(), filepath.Join(dir, "lore.db"), os.DirFS("../../migrations"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	list, err := s.ListJobs(context.Background(), storage.JobFilter{OrgID: 1})
	if err != nil {
		t.Fatal(err)
	}
	return list
}

func TestImportRunsHereWithoutAServer(t *testing.T) {
	t.Parallel()
	dir, export := importSetup(t)
	fake := &importtest.Fake{}
	var out testlog.Buffer
	// Flags after the file, as the issue writes it.
	err := Run(context.Background(), importEnv(dir, &out, fake, "import", "slack-export", export, "--workspace", "T0ACME"))
	if err != nil {
		t.Fatalf("import: %v\n%s", err, out.String())
	}
	stdout := out.String()
	for _, want := range []string{"running here", "imported into workspace T0ACME: 2 channels, 240 messages new, 0 updated, 0 unchanged, 0 skipped in "} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	// The rate needs a measurable time: a job the clock saw start and end in
	// the same millisecond has none.
	if !strings.Contains(stdout, " in 0s\n") && !strings.Contains(stdout, "messages/s)") {
		t.Errorf("output lacks the rate:\n%s", stdout)
	}
	if calls := fake.Calls(); len(calls) != 1 || calls[0].Path != export || calls[0].Target != (sync.ImportTarget{WorkspaceID: "T0ACME", OrgID: 1}) {
		t.Fatalf("importer calls: %+v", calls)
	}
	if list := jobsOf(t, dir); len(list) != 1 || list[0].Status != storage.JobSucceeded || list[0].Kind != importjob.Kind {
		t.Fatalf("jobs: %+v", list)
	}
	if _, err := os.Stat(export); err != nil {
		t.Errorf("the admin's export went: %v", err)
	}
	// The lock was given back.
	lock, err := lockfile.Acquire(filepath.Join(dir, "lore.lock"))
	if err != nil {
		t.Fatalf("lock after the import: %v", err)
	}
	lock.Release()

	// Flags before the file, into a new workspace of the organization.
	out = testlog.Buffer{}
	if err := Run(context.Background(), importEnv(dir, &out, fake, "import", "--org", "1", "slack-export", export)); err != nil {
		t.Fatalf("import --org: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "imported into new workspace TNEW") {
		t.Errorf("output: %s", out.String())
	}
	if calls := fake.Calls(); len(calls) != 2 || calls[1].Target != (sync.ImportTarget{OrgID: 1}) {
		t.Fatalf("importer calls: %+v", calls)
	}
}

// serveFor starts lore serve on dir with imp as its importer and returns
// a function that stops it.
func serveFor(t *testing.T, dir string, imp importjob.Importer) func() {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var out testlog.Buffer
	done := make(chan error, 1)
	go func() { done <- Run(ctx, importEnv(dir, &out, imp, "serve", "--addr", "127.0.0.1:0")) }()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(out.String(), "Lore is running at") {
		select {
		case err := <-done:
			cancel()
			t.Fatalf("serve ended: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatal("serve did not start")
		}
		time.Sleep(10 * time.Millisecond)
	}
	stop := func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	}
	t.Cleanup(func() {
		select {
		case <-ctx.Done():
		default:
			stop()
		}
	})
	return stop
}

func TestImportWhileAServerRunsIsDoneByItsRunner(t *testing.T) {
	t.Parallel()
	dir, export := importSetup(t)
	server := &importtest.Fake{}
	serveFor(t, dir, server)

	here := &importtest.Fake{}
	var out testlog.Buffer
	err := Run(context.Background(), importEnv(dir, &out, here, "import", "slack-export", "--workspace", "T0ACME", export))
	if err != nil {
		t.Fatalf("import: %v\n%s", err, out.String())
	}
	if len(here.Calls()) != 0 {
		t.Fatalf("the command imported itself while a server ran: %+v", here.Calls())
	}
	if calls := server.Calls(); len(calls) != 1 || calls[0].Path != export {
		t.Fatalf("the server's runner did not do the work: %+v", calls)
	}
	stdout := out.String()
	for _, want := range []string{"queued for the server (pid", "imported into workspace T0ACME: 2 channels, 240 messages new"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
}

func TestImportCtrlCCancelsTheJob(t *testing.T) {
	t.Parallel()
	for _, withServer := range []bool{true, false} {
		name := "here"
		if withServer {
			name = "server"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir, export := importSetup(t)
			gate := make(chan struct{}) // never opened: the import holds after starting
			fake := &importtest.Fake{Gate: gate}
			if withServer {
				serveFor(t, dir, fake)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var out testlog.Buffer
			done := make(chan error, 1)
			go func() {
				done <- Run(ctx, importEnv(dir, &out, fake, "import", "slack-export", export, "--workspace", "T0ACME"))
			}()
			deadline := time.Now().Add(20 * time.Second)
			for {
				list := jobsOf(t, dir)
				if len(list) == 1 && list[0].Status == storage.JobRunning {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("the import did not start: %+v\n%s", list, out.String())
				}
				time.Sleep(20 * time.Millisecond)
			}
			cancel() // Ctrl-C
			var err error
			select {
			case err = <-done:
			case <-time.After(20 * time.Second):
				t.Fatal("the command did not end after Ctrl-C")
			}
			if err == nil || !strings.Contains(err.Error(), "cancelled") {
				t.Fatalf("after Ctrl-C: %v\n%s", err, out.String())
			}
			if list := jobsOf(t, dir); list[0].Status != storage.JobCancelled {
				t.Fatalf("job after Ctrl-C: %+v", list[0])
			}
		})
	}
}

func TestImportPartialSaysWhatFailed(t *testing.T) {
	t.Parallel()
	dir, _ := importSetup(t)
	export := writeZip(t, "broken.zip", map[string]string{"channels.json": `[{"id":"C1","name":"deploys"}]`,
		"deploys/2026-03-01.json": `[{"ts":"1.1"}]`, "deploys/2026-03-02.json": `[{"ts": `})
	var out testlog.Buffer
	err := Run(context.Background(), importEnv(dir, &out, &importtest.Fake{}, "import", "slack-export", export, "--workspace", "T0ACME"))
	if err == nil || !strings.Contains(err.Error(), "partly failed: 1 channel-days could not be imported") {
		t.Fatalf("partial import: %v", err)
	}
	if !strings.Contains(out.String(), "#deploys 2026-03-02: deploys/2026-03-02.json: unexpected EOF") ||
		!strings.Contains(out.String(), "1 channels, 1 messages new") {
		t.Errorf("output:\n%s", out.String())
	}
}

func TestImportCommandErrors(t *testing.T) {
	t.Parallel()
	dir, export := importSetup(t)
	notZip := filepath.Join(t.TempDir(), "export.json")
	os.WriteFile(notZip, []byte(`{"channels": []}`), 0o600)
	for _, c := range []struct {
		args  []string
		usage bool
		want  string
	}{
		{[]string{"import"}, true, "needs a command: slack-export"},
		{[]string{"import", "slack-zip", export}, true, `unknown import command "slack-zip"`},
		{[]string{"import", "slack-export", "--workspace", "T0ACME"}, true, "needs the export's file"},
		{[]string{"import", "slack-export", export, export, "--workspace", "T0ACME"}, true, "takes one file"},
		{[]string{"import", "slack-export", export}, true, "needs --workspace ID"},
		{[]string{"import", "slack-export", filepath.Join(dir, "nope.zip"), "--workspace", "T0ACME"}, false, "nope.zip: no such file or directory"},
		{[]string{"import", "slack-export", dir, "--workspace", "T0ACME"}, false, "is not a file"},
		{[]string{"import", "slack-export", notZip, "--workspace", "T0ACME"}, true, "export " + notZip + ": not a ZIP archive (it is JSON"},
		{[]string{"import", "slack-export", export, "--workspace", "TNOPE"}, false, "workspace TNOPE is not connected"},
		{[]string{"import", "slack-export", export, "--workspace", "T0ACME", "--org", "2"}, false, "belongs to organization 1, not 2"},
		{[]string{"import", "slack-export", export, "--org", "7"}, false, "no organization 7"},
	} {
		var out testlog.Buffer
		err := Run(context.Background(), importEnv(dir, &out, &importtest.Fake{}, c.args...))
		var ue *UsageError
		if err == nil || !strings.Contains(err.Error(), c.want) || errors.As(err, &ue) != c.usage {
			t.Errorf("%v: got %v (usage error %v), want %q (usage error %v)", c.args, err, errors.As(err, &ue), c.want, c.usage)
		}
	}
	if list := jobsOf(t, dir); len(list) != 0 {
		t.Errorf("refused imports queued jobs: %+v", list)
	}
}
