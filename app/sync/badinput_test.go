package sync

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// entry is one file of a ZIP a test builds.
type entry struct {
	name string
	data []byte
}

// writeZip writes entries as a ZIP (deflated) and returns its path.
func writeZip(t *testing.T, name string, entries ...entry) string {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: e.name, Method: zip.Deflate})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(e.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// smallExport is a valid export of one channel, two days, three messages.
func smallExport() []entry {
	return []entry{
		{"users.json", []byte(`[{"id":"U1","team_id":"TSMALL","name":"maya","real_name":"Maya Chen","profile":{"real_name":"Maya Chen","display_name":"maya"}}]`)},
		{"channels.json", []byte(`[{"id":"C1","name":"deploys"}]`)},
		{"deploys/2026-03-01.json", []byte(`[{"type":"message","user":"U1","text":"freeze starts friday","ts":"1772366400.000100"}]`)},
		{"deploys/2026-03-02.json", []byte(`[{"type":"message","user":"U1","text":"freeze is over","ts":"1772452800.000100"},
			{"type":"message","user":"U1","text":"ship it","ts":"1772452900.000100"}]`)},
	}
}

func TestBadExportsAreRefusedAndLoseNothing(t *testing.T) {
	t.Parallel()
	bomb := bytes.Repeat([]byte{' '}, 50<<20) // 50 MiB of spaces deflates ~1000:1
	many := smallExport()
	for i := range 20 {
		many = append(many, entry{name: "deploys/extra" + string(rune('a'+i)) + ".txt"})
	}
	brightloom, err := os.ReadFile(shared(t, "brightloom-export.zip"))
	if err != nil {
		t.Fatal(err)
	}
	truncated := filepath.Join(t.TempDir(), "truncated.zip")
	os.WriteFile(truncated, brightloom[:len(brightloom)/2], 0o600)
	var gz bytes.Buffer
	gw := gzip.NewWriter(&gz)
	gw.Write([]byte(`[{"id":"C1"}]`))
	gw.Close()
	gzPath := filepath.Join(t.TempDir(), "export.tar.gz")
	os.WriteFile(gzPath, gz.Bytes(), 0o600)
	pdf := filepath.Join(t.TempDir(), "export.pdf")
	os.WriteFile(pdf, []byte("%PDF-1.7\n..."), 0o600)

	cases := []struct {
		name string
		path string
		want string // in the error
	}{
		{"traversal", writeZip(t, "t.zip", append(smallExport(), entry{"../../etc/cron.d/evil.json", []byte("[]")})...), `../../etc/cron.d/evil.json: refused: a '..' path element`},
		{"absolute path", writeZip(t, "a.zip", append(smallExport(), entry{"/etc/passwd", []byte("x")})...), `/etc/passwd: refused: an absolute path`},
		{"backslash", writeZip(t, "b.zip", append(smallExport(), entry{`deploys\..\x.json`, []byte("[]")})...), `refused: a backslash`},
		{"control character", writeZip(t, "c.zip", append(smallExport(), entry{"deploys/\x1b[2J.json", []byte("[]")})...), `refused: a control character`},
		{"zip bomb", writeZip(t, "bomb.zip", append(smallExport(), entry{"deploys/2026-03-03.json", bomb})...), `deploys/2026-03-03.json: compressed`},
		{"too many entries", writeZip(t, "many.zip", many...), `24 entries, more than the limit of 10`},
		{"truncated", truncated, `truncated or damaged`},
		{"gzip", gzPath, `not a ZIP archive (it is gzip data)`},
		{"pdf", pdf, `not a ZIP archive (it is a PDF)`},
		{"empty file", writeFile(t, "empty.zip", nil), `not a ZIP archive (the file is empty)`},
		{"no channels.json", writeZip(t, "n.zip", entry{"users.json", []byte("[]")}), `no channels.json`},
		{"broken users.json", writeZip(t, "u.zip", entry{"users.json", []byte(`[{"id":"U1",}]`)}, entry{"channels.json", []byte("[]")}), `users.json: invalid JSON at byte 12`},
	}
	e := newEnv(t, "T058E2SZ5", Limits{MaxEntries: 10})
	e.svc.limits.MaxEntries = 1000 // the real export first
	before := e.importFile(t, shared(t, "brightloom-export.zip"), ImportTarget{WorkspaceID: "T058E2SZ5"})
	e.svc.limits.MaxEntries = 10
	stored := e.messages(t, "T058E2SZ5")
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := e.svc.ImportExport(context.Background(), c.path, ImportTarget{WorkspaceID: "T058E2SZ5"}, &memRun{})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one containing %q", err, c.want)
			}
			if !errors.Is(err, ErrBadExport) {
				t.Errorf("%v is not ErrBadExport", err)
			}
			if !strings.Contains(err.Error(), filepath.Base(c.path)) {
				t.Errorf("%v does not name the file", err)
			}
		})
	}
	after := e.messages(t, "T058E2SZ5")
	if len(after) != len(stored) || before.New != 600 {
		t.Fatalf("%d messages after the bad imports, %d before", len(after), len(stored))
	}
	for k, m := range stored {
		if after[k] != m {
			t.Errorf("%s changed", k)
		}
	}
}

func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestBrokenDayFileIsSkippedWhole(t *testing.T) {
	t.Parallel()
	entries := smallExport()
	// The first message is fine, the second breaks: none of the day is stored.
	entries[3].data = []byte(`[{"type":"message","user":"U1","text":"freeze is over","ts":"1772452800.000100"},
		{"type":"message","user":"U1","text":"ship it" "ts":"1772452900.000100"}]`)
	entries = append(entries, entry{"deploys/2026-03-04.json", []byte(`{"not":"an array"}`)})
	e := newEnv(t, "", Limits{})
	sum, err := e.svc.ImportExport(context.Background(), writeZip(t, "Small Slack export Mar 1 2026 - Mar 4 2026.zip", entries...), ImportTarget{OrgID: e.orgID}, &memRun{})
	if err != nil {
		t.Fatal(err)
	}
	if !sum.Partial() || len(sum.FailedDays) != 2 || sum.New != 1 {
		t.Fatalf("summary: %+v", sum)
	}
	f := sum.FailedDays[0]
	if f.Channel != "deploys" || f.Date != "2026-03-02" || f.File != "deploys/2026-03-02.json" || !strings.Contains(f.Reason, "invalid JSON at byte 130") {
		t.Errorf("failed day: %+v", f)
	}
	if f := sum.FailedDays[1]; f.Date != "2026-03-04" || !strings.Contains(f.Reason, "not a JSON array") {
		t.Errorf("failed day: %+v", f)
	}
	// The workspace came from users.json's team_id, its name from the file name.
	if !sum.CreatedWorkspace || sum.WorkspaceID != "TSMALL" {
		t.Errorf("workspace: %+v", sum)
	}
	w, err := e.store.Workspace(context.Background(), e.orgID, "TSMALL")
	if err != nil || w.TeamName != "Small" {
		t.Errorf("created workspace %+v, %v", w, err)
	}
	msgs := e.messages(t, "TSMALL")
	if len(msgs) != 1 || msgs["deploys/1772366400.000100"].Body != "freeze starts friday" {
		t.Errorf("stored: %v", msgs)
	}
	// Importing again into the organization finds the workspace, not a second one.
	again, err := e.svc.ImportExport(context.Background(), writeZip(t, "Small Slack export.zip", entries...), ImportTarget{OrgID: e.orgID}, &memRun{})
	if err != nil || again.CreatedWorkspace || again.WorkspaceID != "TSMALL" || again.Unchanged != 1 {
		t.Errorf("second import: %+v, %v", again, err)
	}
}

func TestImportIntoAnotherOrganizationsWorkspaceIsNotFound(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "T1", Limits{})
	other, err := e.store.CreateOrganization(context.Background(), "Other")
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.ImportExport(context.Background(), writeZip(t, "x.zip", smallExport()...), ImportTarget{WorkspaceID: "T1", OrgID: other.ID}, &memRun{})
	if err == nil || !strings.Contains(err.Error(), "not found") {
		t.Fatalf("import into another organization's workspace: %v", err)
	}
}

// TestZipBombLyingAboutItsSize: an entry whose directory claims a small size
// over data that inflates to far more is cut at the claimed size (archive/zip
// refuses to read past it): that day fails, nothing is inflated beyond it.
func TestZipBombLyingAboutItsSize(t *testing.T) {
	t.Parallel()
	var deflated bytes.Buffer
	fw, _ := flate.NewWriter(&deflated, flate.BestCompression)
	fw.Write([]byte("["))
	fw.Write(bytes.Repeat([]byte(" "), 100<<20))
	fw.Write([]byte("]"))
	fw.Close()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range smallExport() {
		w, _ := zw.Create(e.name)
		w.Write(e.data)
	}
	w, err := zw.CreateRaw(&zip.FileHeader{Name: "deploys/2026-03-05.json", Method: zip.Deflate,
		CompressedSize64: uint64(deflated.Len()), UncompressedSize64: 1000, CRC32: 0})
	if err != nil {
		t.Fatal(err)
	}
	w.Write(deflated.Bytes())
	zw.Close()
	path := writeFile(t, "liar.zip", buf.Bytes())
	e := newEnv(t, "T1", Limits{})
	sum, err := e.svc.ImportExport(context.Background(), path, ImportTarget{WorkspaceID: "T1"}, &memRun{})
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.FailedDays) != 1 || sum.FailedDays[0].Date != "2026-03-05" || !strings.Contains(sum.FailedDays[0].Reason, "inflates past its declared size") || sum.New != 3 {
		t.Fatalf("summary: %+v", sum)
	}
}
