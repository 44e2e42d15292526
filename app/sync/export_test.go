package sync

import (
	"context"
	"slices"
	"strings"
	"testing"

	"lore/storage"
)

func TestImportBrightloom(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "T058E2SZ5", Limits{BatchSize: 100})
	zip := shared(t, "brightloom-export.zip")
	sum := e.importFile(t, zip, ImportTarget{WorkspaceID: "T058E2SZ5"})

	if sum.Channels != 6 || sum.New != 600 || sum.Updated != 0 || sum.Unchanged != 0 || sum.Skipped != 0 || sum.Partial() {
		t.Fatalf("summary: %+v", sum)
	}
	msgs := e.messages(t, "T058E2SZ5")
	if len(msgs) != 600 {
		t.Fatalf("%d messages stored, want 600", len(msgs))
	}
	perChannel := map[string]int{}
	var replies, parents, joins, bots, topics, edited int
	for k, m := range msgs {
		perChannel[strings.Split(k, "/")[0]]++
		switch {
		case m.ThreadTS == m.TS:
			parents++
		case m.ThreadTS != "":
			replies++
			if _, ok := msgs[strings.Split(k, "/")[0]+"/"+m.ThreadTS]; !ok {
				t.Errorf("reply %s links to a missing parent %s", k, m.ThreadTS)
			}
		}
		if m.Subtype == "channel_join" {
			joins++
			if !m.Noise {
				t.Errorf("join %s not marked as noise", k)
			}
		}
		if m.Subtype == "channel_topic" {
			topics++
			if !m.Noise {
				t.Errorf("topic change %s not marked as noise", k)
			}
		}
		if m.Bot {
			bots++
		}
		if m.Edited {
			edited++
		}
	}
	want := map[string]int{"engineering": 166, "support": 122, "random": 102, "general": 96, "deploys": 69, "hr-questions": 45}
	for c, n := range want {
		if perChannel[c] != n {
			t.Errorf("#%s has %d messages, want %d", c, perChannel[c], n)
		}
	}
	if replies != 245 || parents != 126 || joins != 7 || topics != 10 || bots != 66 || edited != 21 {
		t.Errorf("replies %d parents %d joins %d topics %d bots %d edited %d; want 245 126 7 10 66 21",
			replies, parents, joins, topics, bots, edited)
	}

	// Markup made readable, raw text kept.
	m := msgs["engineering/1791134158.307223"]
	if m.Body != "Pairing with @Kevin Brandt on count sheet this afternoon if anyone wants to join" ||
		!strings.Contains(m.Text, "<@U05QCUKYY>") {
		t.Errorf("mention: body %q, text %q", m.Body, m.Text)
	}
	if m := msgs["engineering/1790551328.433156"]; !strings.HasPrefix(m.Body, "Could someone review infra#1294 (https://github.com/brightloom/infra/pull/1294) Moves") {
		t.Errorf("link: %q", m.Body)
	}
	if m := msgs["general/1794425426.720790"]; !strings.HasPrefix(m.Body, "Lunch & learn") {
		t.Errorf("entities: %q", m.Body)
	}
	if m := msgs["engineering/1790787103.756578"]; !m.Edited || m.EditedTS != "1790788227.000000" {
		t.Errorf("edit: %+v", m)
	}
	if m := msgs["general/1790726546.383857"]; !strings.Contains(m.Body, "Activation by signup week, January") || !strings.Contains(m.Body, "activation_jan.png") {
		t.Errorf("a shared file's title and name are not searchable: %q", m.Body)
	}
	if m := msgs["engineering/1790809072.470389"]; m.Subtype != "thread_broadcast" || m.ThreadTS != "1790808035.674543" {
		t.Errorf("thread broadcast: %+v", m)
	}
	if got := e.search(t, "T058E2SZ5", "deploybot OR joined"); len(got) == 0 {
		t.Error("bots' posts are not indexed")
	} else {
		for _, k := range got {
			if msgs[k].Noise {
				t.Errorf("noise %s is indexed", k)
			}
		}
	}

	// Names, for "#deploys · Maya Chen · 3 Mar".
	users, err := e.store.ListSlackUsers(context.Background(), "T058E2SZ5")
	if err != nil {
		t.Fatal(err)
	}
	var priya bool
	for _, u := range users {
		if u.ID == "U061JA8PZ" && u.RealName == "Priya Raman" && u.DisplayName == "priya" && u.Name == "priya.raman" {
			priya = true
		}
	}
	if len(users) != 20+countBots(users) || !priya {
		t.Errorf("users: %d, Priya found %v", len(users), priya)
	}

	// A second import of the same export changes nothing.
	again := e.importFile(t, zip, ImportTarget{WorkspaceID: "T058E2SZ5"})
	if again.New != 0 || again.Updated != 0 || again.Unchanged != 600 {
		t.Errorf("second import: %+v", again)
	}
	after := e.messages(t, "T058E2SZ5")
	for k, m := range msgs {
		if after[k] != m {
			t.Errorf("%s changed on re-import: %+v → %+v", k, m, after[k])
		}
	}
}

func countBots(users []storage.SlackUser) int {
	n := 0
	for _, u := range users {
		if u.Bot {
			n++
		}
	}
	return n
}

func TestImportThreadContextFindsTheAnsweringReply(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "T058E2SZ5", Limits{})
	e.importFile(t, shared(t, "brightloom-export.zip"), ImportTarget{WorkspaceID: "T058E2SZ5"})
	msgs := e.messages(t, "T058E2SZ5")
	// Every reply's context column holds its parent's words: a word of the
	// parent's body, searched in context, finds the reply.
	var checked int
	for k, m := range msgs {
		if m.ThreadTS == "" || m.ThreadTS == m.TS || m.Noise {
			continue
		}
		parent := msgs[strings.Split(k, "/")[0]+"/"+m.ThreadTS]
		word := longestWord(parent.Body)
		if word == "" {
			continue
		}
		got := e.search(t, "T058E2SZ5", `context: "`+word+`"`)
		if !slices.Contains(got, k) && len(got) < 20 {
			t.Errorf("reply %s not found by its parent's word %q in context: %v", k, word, got)
		}
		if checked++; checked == 30 {
			break
		}
	}
}

func longestWord(s string) string {
	best := ""
	for _, w := range strings.FieldsFunc(s, func(r rune) bool { return !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z') }) {
		if len(w) > len(best) {
			best = w
		}
	}
	return best
}
