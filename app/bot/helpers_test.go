package bot_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	gosync "sync"
	"testing"
	"time"

	slackgo "github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"lore/app"
	"lore/app/apptest"
	"lore/app/bot"
	"lore/app/slack"
	"lore/app/slackfake"
	"lore/storage"
	"lore/storage/secret"
)

const (
	botToken  = "xoxb-1234567890-0987654321-GoodBotTokenQ7vZ9f3a"
	workspace = "T0123ABCD"
	public    = "C0GENERAL" // #general, public, the bot is in it
	private   = "G0SECRET"  // #secret, private, the bot is in it
	elsewhere = "C0RANDOM"  // #random, public, the bot is not in it
	dm        = "D0DIRECT"
	asker     = "U0ASKER"
)

// fakeAnswerer answers with what answer returns for each request and
// records the requests; it stands for the answers service.
type fakeAnswerer struct {
	mu       gosync.Mutex
	answer   func(bot.Request) bot.Answer
	err      error
	delay    time.Duration
	asked    []bot.Request
	feedback []string
}

func (f *fakeAnswerer) Ask(ctx context.Context, r bot.Request) (bot.Answer, error) {
	if f.delay > 0 {
		select {
		case <-time.After(f.delay):
		case <-ctx.Done():
			return bot.Answer{}, ctx.Err()
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.asked = append(f.asked, r)
	if f.err != nil {
		return bot.Answer{}, f.err
	}
	a := f.answer(r)
	a.QuestionID = int64(len(f.asked))
	return a, nil
}

func (f *fakeAnswerer) Feedback(_ context.Context, orgID, questionID int64, helpful bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.feedback = append(f.feedback, fmt.Sprintf("%d:%d:%t", orgID, questionID, helpful))
	return nil
}

func (f *fakeAnswerer) requests() []bot.Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]bot.Request(nil), f.asked...)
}

func (f *fakeAnswerer) set(answer func(bot.Request) bot.Answer) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.answer = answer
}

// source is a message of channel as the answers service cites it.
func source(channel, name, text string) bot.Source {
	return bot.Source{Kind: bot.KindMessage, WorkspaceID: workspace, ChannelID: channel, ChannelName: name,
		TS: "1700000000.000100", UserName: "Dana", PostedAt: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC), Text: text,
		Permalink: "https://acme.slack.com/archives/" + channel + "/p1700000000000100"}
}

// deployAnswer is a confident answer from #general.
func deployAnswer(bot.Request) bot.Answer {
	return bot.Answer{Answered: true, Text: "Run make deploy from main.", Confidence: 72,
		Sources: []bot.Source{source(public, "general", "to deploy, run make deploy from main")}}
}

// live records the events handed on to the message path.
type live struct {
	mu     gosync.Mutex
	events []string
}

func (l *live) Event(_ context.Context, _ bot.Conn, ev slackevents.EventsAPIEvent) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, ev.InnerEvent.Type)
}

type env struct {
	app   *app.App
	fake  *slackfake.Server
	ans   *fakeAnswerer
	live  *live
	bot   *bot.Service
	ws    bot.Conn
	orgID int64
}

// newEnv is a database with an organization, its workspace and the
// channels #general (public), #secret (private) and #random (public); a
// fake Slack where the bot is in #general and #secret; and a bot over both.
func newEnv(t testing.TB) *env {
	t.Helper()
	ctx := context.Background()
	a := apptest.Open(t)
	org, err := a.Store.CreateOrganization(ctx, "Acme")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Store.CreateWorkspace(ctx, org.ID, workspace, "Acme"); err != nil {
		t.Fatal(err)
	}
	err = a.Store.WriteMessages(ctx, func(w *storage.MessageWriter) error {
		for _, c := range []storage.Channel{
			{WorkspaceID: workspace, ID: public, Name: "general"},
			{WorkspaceID: workspace, ID: private, Name: "secret", Private: true},
			{WorkspaceID: workspace, ID: elsewhere, Name: "random"},
		} {
			if err := w.UpsertChannel(ctx, c); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	fake := slackfake.New(t)
	fake.AddBot(botToken, slackfake.Acme)
	fake.SetMember(public, true)
	fake.SetMember(private, true)
	fake.SetMember(elsewhere, false)
	client, err := slack.New(slack.Options{APIURL: fake.URL()})
	if err != nil {
		t.Fatal(err)
	}
	creds := secret.Slack{BotToken: botToken}
	e := &env{app: a, fake: fake, ans: &fakeAnswerer{answer: deployAnswer}, live: &live{}, orgID: org.ID,
		ws: bot.Conn{OrgID: org.ID, WorkspaceID: workspace, BotUserID: "U0BOT", API: client.For(workspace, creds)}}
	e.bot = bot.New(bot.Options{Answerer: e.ans, Feedback: e.ans, Live: e.live, Settings: a.Settings, Store: a.Store,
		SlackAPIURL: fake.URL()})
	t.Cleanup(e.bot.Close)
	return e
}

// command is a slash command typed by the asker in channel, whose
// response URL on the fake is named after the trigger.
func (e *env) command(cmd, channel, name, text, trigger string) slackgo.SlashCommand {
	return slackgo.SlashCommand{TeamID: workspace, ChannelID: channel, ChannelName: name, UserID: asker, UserName: "asker",
		Command: cmd, Text: text, TriggerID: trigger, ResponseURL: e.fake.ResponseURL(trigger)}
}

// click is the asker (or user) pressing an answer's button.
func (e *env) click(user, actionID, value, trigger string) slackgo.InteractionCallback {
	return slackgo.InteractionCallback{Type: slackgo.InteractionTypeBlockActions, Team: slackgo.Team{ID: workspace},
		User: slackgo.User{ID: user}, TriggerID: trigger, ResponseURL: e.fake.ResponseURL(trigger),
		ActionCallback: slackgo.ActionCallbacks{BlockActions: []*slackgo.BlockAction{{ActionID: actionID, Value: value, ActionTs: trigger}}}}
}

// event parses an Events API body as Slack sends it.
func event(t testing.TB, eventID, inner string) slackevents.EventsAPIEvent {
	t.Helper()
	body := fmt.Sprintf(`{"token":"x","team_id":%q,"api_app_id":"A1","type":"event_callback","event_id":%q,"event_time":1700000000,"event":%s}`,
		workspace, eventID, inner)
	ev, err := slackevents.ParseEvent(json.RawMessage(body), slackevents.OptionNoVerifyToken())
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

// blocks is a post's blocks as generic JSON.
type block = map[string]any

func blocksOf(t testing.TB, p slackfake.Post) []block {
	t.Helper()
	if p.Blocks == "" {
		return nil
	}
	var out []block
	if err := json.Unmarshal([]byte(p.Blocks), &out); err != nil {
		t.Fatalf("blocks %s: %v", p.Blocks, err)
	}
	return out
}

// texts is every text of a post's blocks, joined.
func texts(t testing.TB, p slackfake.Post) string {
	t.Helper()
	var sb strings.Builder
	sb.WriteString(p.Text + "\n")
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if s, ok := x["text"].(string); ok {
				sb.WriteString(s + "\n")
			}
			for _, c := range x {
				walk(c)
			}
		case []any:
			for _, c := range x {
				walk(c)
			}
		}
	}
	for _, b := range blocksOf(t, p) {
		walk(b)
	}
	return sb.String()
}

// buttons maps a post's button action ids to their values.
func buttons(t testing.TB, p slackfake.Post) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, b := range blocksOf(t, p) {
		if b["type"] != "actions" {
			continue
		}
		for _, el := range b["elements"].([]any) {
			el := el.(map[string]any)
			out[el["action_id"].(string)] = el["value"].(string)
		}
	}
	return out
}

// posts waits for the bot's answers in flight and returns what was posted.
func (e *env) posts() []slackfake.Post {
	e.bot.Wait()
	return e.fake.Posts()
}
