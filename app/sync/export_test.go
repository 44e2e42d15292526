package sync

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

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

func TestImportRealExports(t *testing.T) {
	t.Parallel()
	cases := []struct {
		file       string
		perChannel map[string]int
		users      int
		dmFolders  int
		check      func(t *testing.T, e *env, ws string, msgs map[string]storage.Message)
	}{
		{
			file:       "real/hfaran-testarchive-export.zip",
			perChannel: map[string]int{"enrique": 102, "traveling-sailor": 56},
			users:      4,
			check: func(t *testing.T, e *env, ws string, msgs map[string]storage.Message) {
				// In enrique/2016-01-14.json (local time), posted 2016-01-15 UTC.
				m := msgs["enrique/1452837318.000002"]
				if want := time.Date(2016, 1, 15, 5, 55, 18, 2000, time.UTC).Truncate(time.Millisecond); !m.PostedAt.Equal(want) {
					t.Errorf("time from the ts: %v, want %v", m.PostedAt, want)
				}
				// A bot's post whose words are only in its attachments is found by them.
				if got := e.search(t, ws, "annealing"); !slices.Contains(got, "enrique/1454892394.000004") {
					t.Errorf("attachment words not searchable: %v", got)
				}
				var bots int
				for _, m := range msgs {
					if m.Subtype == "bot_message" {
						bots++
						if !m.Bot || m.Body == "" {
							t.Errorf("bot message %s: bot %v body %q", m.TS, m.Bot, m.Body)
						}
					}
				}
				if bots != 94 {
					t.Errorf("%d bot messages, want 94", bots)
				}
			},
		},
		{
			file:       "real/slackdump-obfuscated-export.zip",
			perChannel: map[string]int{"B75B4C7": 16},
			users:      10,
			check: func(t *testing.T, e *env, ws string, msgs map[string]storage.Message) {
				root := msgs["B75B4C7/1736554828.343759"]
				if root.Subtype != "tombstone" || !root.Noise || root.Body != "" {
					t.Errorf("tombstone root: %+v", root)
				}
				if r := msgs["B75B4C7/1736554838.911679"]; r.ThreadTS != root.TS {
					t.Errorf("the tombstone's reply lost its thread: %+v", r)
				}
				if m := msgs["B75B4C7/1736582524.607359"]; !strings.Contains(m.Body, "zYgi8k4UZoOBsdzOLnUbwSR") {
					t.Errorf("a message that is only a file: body %q", m.Body)
				}
				if m := msgs["B75B4C7/1737160363.583369"]; !m.Bot || !m.Edited {
					t.Errorf("edited bot message: %+v", m)
				}
			},
		},
		{
			file:       "real/zulip-fixture-export.zip",
			perChannel: map[string]int{"general": 8, "general1": 4, "random": 19, "sharedchannel": 6},
			users:      17, // 16 in users.json, one named only by a message's user_profile
			dmFolders:  4,
			check: func(t *testing.T, e *env, ws string, msgs map[string]storage.Message) {
				if m := msgs["general/1239868294.000006"]; m.UserID != "" || m.Body != "without a user" {
					t.Errorf(`"user": null: %+v`, m)
				}
				// A reply older than its parent still carries the parent's words.
				if got := e.search(t, ws, `context: "another thread message"`); !slices.Contains(got, "general1/1449868294.000007") {
					t.Errorf("reply older than its parent: %v", got)
				}
				if m := msgs["general/1434139104.000002"]; m.Subtype != "thread_broadcast" || m.ThreadTS != "1434139102.000002" {
					t.Errorf("thread broadcast: %+v", m)
				}
				if m := msgs["sharedchannel/1772112421.729059"]; m.Body != "#C079A3FA12P #rich-text-blocks #general" {
					t.Errorf("channel links: %q", m.Body)
				}
				if m := msgs["sharedchannel/1772112449.216879"]; m.Body != "@channel _*@here*_ test mention" {
					t.Errorf("specials: %q", m.Body)
				}
				if m := msgs["random/2018-01-20"]; m.TS != "" {
					t.Error("impossible key")
				}
				users, _ := e.store.ListSlackUsers(context.Background(), ws)
				var peter bool
				for _, u := range users {
					peter = peter || u.ID == "U06NU4E26M9" && u.RealName == "Peter"
				}
				if !peter {
					t.Error("the author missing from users.json is not named from user_profile")
				}
				var archived bool
				chans, _ := e.store.ListChannels(context.Background(), ws)
				for _, c := range chans {
					archived = archived || c.Name == "random" && c.Archived
					if strings.HasPrefix(c.Name, "mpdm-") || strings.HasPrefix(c.ID, "D") {
						t.Errorf("a direct-message conversation became a channel: %+v", c)
					}
				}
				if !archived {
					t.Error("#random is archived in channels.json")
				}
			},
		},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, "T1", Limits{BatchSize: 7})
			sum := e.importFile(t, shared(t, c.file), ImportTarget{WorkspaceID: "T1"})
			want := 0
			for _, n := range c.perChannel {
				want += n
			}
			if sum.New != int64(want) || sum.Skipped != 0 || sum.Partial() || sum.DMFoldersSkipped != c.dmFolders || sum.Channels != len(c.perChannel) {
				t.Fatalf("summary %+v; want %d new, %d DM folders, %d channels", sum, want, c.dmFolders, len(c.perChannel))
			}
			msgs := e.messages(t, "T1")
			got := map[string]int{}
			for k, m := range msgs {
				got[strings.Split(k, "/")[0]]++
				if ts, _ := ParseTS(m.TS); !m.PostedAt.Equal(ts.Truncate(time.Millisecond)) {
					t.Errorf("%s posted at %v, its ts says %v", k, m.PostedAt, ts)
				}
			}
			for ch, n := range c.perChannel {
				if got[ch] != n {
					t.Errorf("#%s: %d messages, want %d", ch, got[ch], n)
				}
			}
			if len(msgs) != want {
				t.Errorf("%d messages stored, want %d", len(msgs), want)
			}
			users, _ := e.store.ListSlackUsers(context.Background(), "T1")
			if len(users) != c.users {
				t.Errorf("%d users, want %d", len(users), c.users)
			}
			c.check(t, e, "T1", msgs)
			again := e.importFile(t, shared(t, c.file), ImportTarget{WorkspaceID: "T1"})
			if again.New != 0 || again.Updated != 0 || again.Unchanged != int64(want) {
				t.Errorf("re-import: %+v", again)
			}
		})
	}
}
