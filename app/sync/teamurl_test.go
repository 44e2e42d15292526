package sync

import (
	"context"
	"testing"
)

func TestWorkspaceURL(t *testing.T) {
	t.Parallel()
	for link, want := range map[string]string{
		"https://brightloom.slack.com/files/U042NS8SX/F0437ZS4QWG/activation_jan.png": "https://brightloom.slack.com",
		"https://Acme-Team.slack.com/docs/T06NRA6HM3P/F07A32DC2GG":                    "https://acme-team.slack.com",
		"https://acme.enterprise.slack.com/files/U1/F1/a.png":                         "https://acme.enterprise.slack.com",
		"https://files.slack.com/files-pri/T058E2SZ5-F06NJF57YM4/download/img.jpg":    "",
		"https://app.slack.com/client/T1/C1":                                          "",
		"https://slack-files.com/T5YFFM2QY-F8VSW87RR-c7d3bae349":                      "",
		"http://acme.slack.com/files/U1/F1/a.png":                                     "",
		"https://acme.slack.com.evil.example/files/x":                                 "",
		"https://a.b.slack.com/files/x":                                               "",
		"":                                                                            "",
		"not a url":                                                                   "",
	} {
		if got := workspaceURL(link); got != want {
			t.Errorf("workspaceURL(%q) = %q, want %q", link, got, want)
		}
	}
}

// An export names its workspace's address in its file links: stored, so
// that permalinks are right before a Slack app is connected; an address
// already known (auth.test's) stays.
func TestImportNotesTheWorkspaceURL(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, "T058E2SZ5", Limits{})
	e.importFile(t, shared(t, "brightloom-export.zip"), ImportTarget{WorkspaceID: "T058E2SZ5"})
	w, err := e.store.Workspace(ctx, e.orgID, "T058E2SZ5")
	if err != nil {
		t.Fatal(err)
	}
	if w.TeamURL != "https://brightloom.slack.com" {
		t.Errorf("team URL %q, want https://brightloom.slack.com", w.TeamURL)
	}

	e = newEnv(t, "T058E2SZ5", Limits{})
	if err := e.store.NoteWorkspaceURL(ctx, "T058E2SZ5", "https://brightloom-hq.slack.com"); err != nil {
		t.Fatal(err)
	}
	e.importFile(t, shared(t, "brightloom-export.zip"), ImportTarget{WorkspaceID: "T058E2SZ5"})
	if w, err = e.store.Workspace(ctx, e.orgID, "T058E2SZ5"); err != nil {
		t.Fatal(err)
	}
	if w.TeamURL != "https://brightloom-hq.slack.com" {
		t.Errorf("team URL %q, want the one known before, https://brightloom-hq.slack.com", w.TeamURL)
	}

	// an export whose links name no workspace leaves it unknown
	e = newEnv(t, "T0RHFARAN", Limits{})
	e.importFile(t, shared(t, "real/hfaran-testarchive-export.zip"), ImportTarget{WorkspaceID: "T0RHFARAN"})
	if w, err = e.store.Workspace(ctx, e.orgID, "T0RHFARAN"); err != nil {
		t.Fatal(err)
	}
	if w.TeamURL != "" {
		t.Errorf("team URL %q from an export without workspace links", w.TeamURL)
	}
}
