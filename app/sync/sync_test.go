package sync

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
)

func TestReadable(t *testing.T) {
	t.Parallel()
	d := NewDirectory()
	d.AddUser("U123", "Maya Chen", "maya", "maya.chen")
	d.AddUser("U456", "", "", "ben")
	d.AddChannel("C123", "deploys")
	cases := []struct{ in, want string }{
		{"ask <@U123>", "ask @Maya Chen"},
		{"<@U456> and <@U999>", "@ben and @U999"},
		{"<@U999|someone>", "@someone"},
		{"in <#C123|deploys> and <#C123>", "in #deploys and #deploys"},
		{"<#C777>", "#C777"},
		{"see <https://x.io/a?b=1&amp;c=2|the runbook>", "see the runbook (https://x.io/a?b=1&c=2)"},
		{"<https://x.io>", "https://x.io"},
		{"<https://x.io|https://x.io>", "https://x.io"},
		{"<mailto:a@b.io|a@b.io>", "a@b.io"},
		{"<!here> <!channel> <!everyone>", "@here @channel @everyone"},
		{"<!subteam^S123|@oncall> ping", "@oncall ping"},
		{"<!date^1392734382^{date}|Feb 18, 2014>", "Feb 18, 2014"},
		{"Crumb &amp; Co &lt;3 &gt; all &copy;", "Crumb & Co <3 > all &copy;"},
		{":white_check_mark: done :tada:", ":white_check_mark: done :tada:"},
		{"a < b and no close", "a < b and no close"},
		{"unterminated <https://x", "unterminated <https://x"},
		{"", ""},
	}
	for _, c := range cases {
		if got := d.Readable(c.in); got != c.want {
			t.Errorf("Readable(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestBodyTakesAttachmentsBlocksAndFiles(t *testing.T) {
	t.Parallel()
	d := NewDirectory()
	d.AddUser("U1", "Maya Chen", "", "")
	var m Message
	err := json.Unmarshal([]byte(`{
		"ts": "1.0", "text": "",
		"attachments": [{"fallback": "fb only", "title": "Build failed", "text": "step <@U1> broke", "fields": [{"title": "Branch", "value": "main"}]},
		                {"fallback": "just the fallback"}],
		"blocks": [
			{"type": "rich_text", "elements": [{"type": "rich_text_section", "elements": [
				{"type": "text", "text": "rollback by "}, {"type": "user", "user_id": "U1"},
				{"type": "link", "url": "https://x.io", "text": "doc"}, {"type": "emoji", "name": "fire"}]}]},
			{"type": "section", "text": {"type": "mrkdwn", "text": "*Incident* &amp; fix"}, "fields": [{"type": "mrkdwn", "text": "sev 2"}]}
		],
		"files": [{"name": "trace.txt", "title": "Stack trace"}, {"name": "same.png", "title": "same.png"}]
	}`), &m)
	if err != nil {
		t.Fatal(err)
	}
	want := "Build failed\nstep @Maya Chen broke\nBranch\nmain\njust the fallback\nrollback by @Maya Chendoc (https://x.io):fire:\n*Incident* & fix\nsev 2\nStack trace\ntrace.txt\nsame.png"
	if got := d.body(&m); got != want {
		t.Errorf("body:\n%s\nwant:\n%s", got, want)
	}
}

func TestParseTS(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{"", "abc", "1.2.3", "-1.0", "2026-03-02", "1e9", ".5"} {
		if _, err := ParseTS(bad); err == nil {
			t.Errorf("ParseTS(%q) accepted", bad)
		}
	}
	got, err := ParseTS("1700000000.000100")
	if err != nil || got.Unix() != 1700000000 || got.Nanosecond() != 100_000 {
		t.Errorf("ParseTS: %v, %v", got, err)
	}
}

// TestLivePath: the path backfill and live events use stores once, edits,
// deletes and refreshes thread context, as the import does.
func TestLivePath(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "T1", Limits{})
	ctx := context.Background()
	if err := e.svc.StoreChannelsAndUsers(ctx, "T1", []Channel{{ID: "C1", Name: "deploys"}}, []User{{ID: "U1", RealName: "Maya Chen"}}); err != nil {
		t.Fatal(err)
	}
	dir, err := e.svc.Directory(ctx, "T1")
	if err != nil {
		t.Fatal(err)
	}
	page := []Message{
		{TS: "100.000001", ThreadTS: "100.000001", User: "U1", Text: "how do I rotate the <#C1> key?"},
		{TS: "101.000001", ThreadTS: "100.000001", User: "U2", Text: "run the vault script, <@U1>"},
		{TS: "not-a-ts", Text: "refused"},
	}
	c, err := e.svc.StoreMessages(ctx, dir, "T1", "C1", page)
	if err != nil {
		t.Fatal(err)
	}
	if c != (Counts{New: 2, Skipped: 1}) {
		t.Fatalf("first page: %+v", c)
	}
	if c, _ := e.svc.StoreMessages(ctx, dir, "T1", "C1", page); c != (Counts{Unchanged: 2, Skipped: 1}) {
		t.Errorf("same page again: %+v", c)
	}
	msgs := e.messages(t, "T1")
	if got := msgs["deploys/101.000001"].Body; got != "run the vault script, @Maya Chen" {
		t.Errorf("body %q", got)
	}
	if got := e.search(t, "T1", "context: rotate"); !slices.Equal(got, []string{"deploys/101.000001"}) {
		t.Errorf("the reply carries the question's words: %v", got)
	}
	// message_changed: the parent is edited; its reply's context follows.
	edit := []Message{{TS: "100.000001", ThreadTS: "100.000001", User: "U1", Text: "how do I renew the TLS certificate?",
		Edited: &struct {
			User string `json:"user"`
			TS   string `json:"ts"`
		}{"U1", "102.0"}}}
	if c, _ := e.svc.StoreMessages(ctx, dir, "T1", "C1", edit); c != (Counts{Updated: 1}) {
		t.Errorf("edit: %+v", c)
	}
	if got := e.search(t, "T1", "context: rotate"); len(got) != 0 {
		t.Errorf("old words still in the reply's context: %v", got)
	}
	if got := e.search(t, "T1", "context: certificate"); !slices.Equal(got, []string{"deploys/101.000001"}) {
		t.Errorf("new words not in the reply's context: %v", got)
	}
	// message_deleted
	if ok, err := e.svc.DeleteMessage(ctx, "T1", "C1", "101.000001"); !ok || err != nil {
		t.Fatalf("delete: %v, %v", ok, err)
	}
	if got := e.search(t, "T1", "vault"); len(got) != 0 {
		t.Errorf("a deleted message is still found: %v", got)
	}
	if ok, _ := e.svc.DeleteMessage(ctx, "T1", "C1", "101.000001"); ok {
		t.Error("a second delete found the message")
	}
	// An event from a channel not listed yet creates it by id.
	if _, err := e.svc.StoreMessages(ctx, nil, "T1", "C2", []Message{{TS: "1.0", Text: "hello"}}); err != nil {
		t.Fatal(err)
	}
	if c, err := e.store.Channel(ctx, "T1", "C2"); err != nil || c.Name != "" {
		t.Errorf("channel from an event: %+v, %v", c, err)
	}
}
