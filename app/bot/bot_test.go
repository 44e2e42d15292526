package bot_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/slack-go/slack/slackevents"

	"lore/app/bot"
	"lore/app/slackfake"
)

// TestAskAnswersTheAskerWithSources: /ask is acked with nothing at once,
// then answered through its response URL, to the asker only, in Block Kit:
// the answer, its confidence, the source as a permalink with channel,
// author and date, and the Share and feedback buttons. The question goes to
// the answers service scoped to the channel, as the asker, with its source.
func TestAskAnswersTheAskerWithSources(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	if ack := e.bot.Command(context.Background(), e.ws, e.command("/ask", public, "general", "  how do we deploy?  ", "cmd1")); ack != nil {
		t.Fatalf("ack %+v, want an empty one", ack)
	}
	posts := e.posts()
	if len(posts) != 1 {
		t.Fatalf("posts %+v, want one", posts)
	}
	p := posts[0]
	if p.Method != "response_url" || p.ResponseURL != "cmd1" || p.ResponseType != "ephemeral" || !p.Accepted {
		t.Fatalf("post %+v, want an ephemeral post to the command's response URL", p)
	}
	got := texts(t, p)
	for _, want := range []string{
		"<@U0ASKER> asked: how do we deploy?",
		"Run make deploy from main.",
		"Confidence: 72% · searched this channel",
		"*<https://acme.slack.com/archives/C0GENERAL/p1700000000000100|#general>* · Dana · Nov 2, 2026\n>to deploy, run make deploy from main",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the answer lacks %q:\n%s", want, got)
		}
	}
	b := buttons(t, p)
	if b[bot.ActionShare] == "" || b[bot.ActionHelpful] != b[bot.ActionShare] || b[bot.ActionUnhelpful] != b[bot.ActionShare] {
		t.Errorf("buttons %v, want Share, helpful and unhelpful with one share id", b)
	}
	reqs := e.ans.requests()
	want := bot.Request{OrgID: e.orgID, Question: "how do we deploy?", Scope: bot.Channel, WorkspaceID: workspace,
		ChannelID: public, Source: bot.SourceAsk, AskedBy: "slack:U0ASKER"}
	if len(reqs) != 1 || reqs[0] != want {
		t.Fatalf("asked %+v, want %+v", reqs, want)
	}
}

// TestCommandHelpAndRefusals: an empty command and "help" answer the help
// in the ack; an unknown command says so; with slack_commands_enabled off a
// command answers only that commands are off, and nothing is asked (so
// nothing is logged) or posted.
func TestCommandHelpAndRefusals(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	for i, text := range []string{"", "   ", "help"} {
		ack := e.bot.Command(ctx, e.ws, e.command("/askall", public, "general", text, "help"+string(rune('a'+i))))
		if ack == nil || ack.ResponseType != "ephemeral" || !strings.Contains(ack.Text, "/askall QUESTION") {
			t.Errorf("%q: ack %+v, want the help", text, ack)
		}
	}
	if ack := e.bot.Command(ctx, e.ws, e.command("/frob", public, "general", "x", "frob")); ack == nil || !strings.Contains(ack.Text, "not one of its commands") {
		t.Errorf("unknown command: %+v", ack)
	}
	if _, err := e.app.Settings.Patch(ctx, e.orgID, "test", map[string]json.RawMessage{"slack_commands_enabled": json.RawMessage("false")}); err != nil {
		t.Fatal(err)
	}
	if ack := e.bot.Command(ctx, e.ws, e.command("/ask", public, "general", "how do we deploy?", "off")); ack == nil || ack.Text != bot.CommandsOff {
		t.Errorf("commands off: %+v, want %q", ack, bot.CommandsOff)
	}
	mention := event(t, "Ev0OFF", `{"type":"app_mention","user":"U0ASKER","text":"<@U0BOT> how do we deploy?","ts":"1700000100.000100","channel":"C0GENERAL"}`)
	if err := e.bot.Event(ctx, e.ws, mention); err != nil {
		t.Fatal(err)
	}
	posts := e.posts()
	if len(posts) != 1 || texts(t, posts[0]) != bot.CommandsOff+"\n" || posts[0].ThreadTS != "1700000100.000100" {
		t.Errorf("a mention with commands off: posts %+v", posts)
	}
	if reqs := e.ans.requests(); len(reqs) != 0 {
		t.Errorf("asked %+v with commands off or for help", reqs)
	}
}

// TestAskWhereTheBotIsNotInvited: /ask in a channel the bot is not in
// answers from what Lore has, and says to invite it.
func TestAskWhereTheBotIsNotInvited(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.ans.set(func(bot.Request) bot.Answer { return bot.Answer{Confidence: 10} })
	e.bot.Command(context.Background(), e.ws, e.command("/ask", elsewhere, "random", "who owns billing?", "cmd1"))
	posts := e.posts()
	if len(posts) != 1 {
		t.Fatalf("posts %+v", posts)
	}
	got := texts(t, posts[0])
	for _, want := range []string{"invite @lore to #random so I can learn its history", "I couldn't find a confident answer in this channel."} {
		if !strings.Contains(got, want) {
			t.Errorf("the answer lacks %q:\n%s", want, got)
		}
	}
	// In #general, where the bot is, there is no such note.
	e.bot.Command(context.Background(), e.ws, e.command("/ask", public, "general", "who owns billing?", "cmd2"))
	if got := texts(t, e.posts()[1]); strings.Contains(got, "invite") {
		t.Errorf("the note in a channel the bot is in:\n%s", got)
	}
	// Slack's answer is reused for a while: conversations.info allows about
	// 50 calls a minute, and a burst of commands must not wait for it.
	e.bot.Command(context.Background(), e.ws, e.command("/ask", elsewhere, "random", "who owns billing?", "cmd3"))
	if got := texts(t, e.posts()[2]); !strings.Contains(got, "invite @lore to #random") {
		t.Errorf("the second answer in #random:\n%s", got)
	}
	if n := len(e.fake.Requests("conversations.info")); n != 2 {
		t.Errorf("conversations.info called %d times for two channels, want 2", n)
	}
	// Once the bot is invited, the note goes at once.
	e.fake.SetMember(elsewhere, true)
	joined := event(t, "Ev0JOIN", `{"type":"member_joined_channel","user":"U0BOT","channel":"C0RANDOM","channel_type":"C","team":"T0123ABCD"}`)
	if err := e.bot.Event(context.Background(), e.ws, joined); err != nil {
		t.Fatal(err)
	}
	e.bot.Command(context.Background(), e.ws, e.command("/ask", elsewhere, "random", "who owns billing?", "cmd4"))
	if got := texts(t, e.posts()[3]); strings.Contains(got, "invite") {
		t.Errorf("the note after the bot was invited:\n%s", got)
	}
}

// leaky is an answers service that ignores the scope: it cites #general,
// #secret (private) and a message of another workspace, and its text quotes
// #secret.
func leaky(bot.Request) bot.Answer {
	other := source(public, "general", "a message of another workspace")
	other.WorkspaceID = "T0OTHER"
	return bot.Answer{Answered: true, Confidence: 90, Text: "The launch code is hunter2 (from #secret).",
		Sources: []bot.Source{source(public, "general", "deploys go out on Tuesdays"), source(private, "secret", "the launch code is hunter2"), other}}
}

// TestScopeNeverLeaksAPrivateChannel: /askall in #general never shows
// #secret (private), even when the answers service returns it: the source
// is dropped and the text that might quote it is not shown; the same holds
// for a direct message. /ask and /askall in #secret may show #secret.
func TestScopeNeverLeaksAPrivateChannel(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	e.ans.set(leaky)
	e.bot.Command(ctx, e.ws, e.command("/askall", public, "general", "what is the launch code?", "all-general"))
	e.bot.Wait()
	dmEvent := event(t, "Ev0DM", `{"type":"message","channel_type":"im","user":"U0ASKER","text":"what is the launch code?","ts":"1700000200.000100","channel":"D0DIRECT"}`)
	if err := e.bot.Event(ctx, e.ws, dmEvent); err != nil {
		t.Fatal(err)
	}
	posts := e.posts()
	if len(posts) != 2 {
		t.Fatalf("posts %+v", posts)
	}
	for _, p := range posts {
		got := texts(t, p)
		if strings.Contains(got, "hunter2") || strings.Contains(got, "#secret") || strings.Contains(got, "another workspace") {
			t.Errorf("%s %s shows what it may not:\n%s", p.Method, p.Channel, got)
		}
		if !strings.Contains(got, "deploys go out on Tuesdays") || !strings.Contains(got, "I couldn't find a confident answer") {
			t.Errorf("%s %s: want the public source and no answer text:\n%s", p.Method, p.Channel, got)
		}
	}
	if p := posts[1]; p.Method != "chat.postMessage" || p.Channel != dm || p.ThreadTS != "" {
		t.Errorf("the direct message's answer %+v, want a message in the conversation", p)
	}

	// In #secret itself, /ask (this channel only) and /askall may quote it.
	e.ans.set(func(bot.Request) bot.Answer {
		return bot.Answer{Answered: true, Confidence: 80, Text: "The launch code is hunter2.",
			Sources: []bot.Source{source(private, "secret", "the launch code is hunter2")}}
	})
	e.bot.Command(ctx, e.ws, e.command("/ask", private, "secret", "what is the launch code?", "ask-secret"))
	e.bot.Wait()
	e.ans.set(leaky)
	e.bot.Command(ctx, e.ws, e.command("/askall", private, "secret", "what is the launch code?", "all-secret"))
	posts = e.posts()[2:]
	if len(posts) != 2 {
		t.Fatalf("posts %+v", posts)
	}
	if got := texts(t, posts[0]); !strings.Contains(got, "The launch code is hunter2.") || !strings.Contains(got, "#secret") {
		t.Errorf("/ask in #secret:\n%s", got)
	}
	if got := texts(t, posts[1]); !strings.Contains(got, "the launch code is hunter2") || strings.Contains(got, "another workspace") {
		t.Errorf("/askall in #secret:\n%s", got)
	}
	reqs := e.ans.requests()
	wantScopes := []bot.Scope{bot.Workspace, bot.Workspace, bot.Channel, bot.Workspace}
	var scopes []bot.Scope
	for _, r := range reqs {
		scopes = append(scopes, r.Scope)
	}
	if !slices.Equal(scopes, wantScopes) || reqs[1].ChannelID != dm || reqs[1].Source != bot.SourceDM {
		t.Errorf("requests %+v", reqs)
	}
}

// TestShareShowsWhatTheAskerSaw: Share posts in the channel, attributed to
// the asker, exactly the answer they were shown, even after the answers
// service would answer otherwise, without asking again; only the asker may
// share it, once; the asker's copy then says it was shared.
func TestShareShowsWhatTheAskerSaw(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	e.bot.Command(ctx, e.ws, e.command("/ask", public, "general", "how do we deploy?", "cmd1"))
	shown := e.posts()[0]
	id := buttons(t, shown)[bot.ActionShare]
	e.ans.set(func(bot.Request) bot.Answer {
		return bot.Answer{Answered: true, Text: "Something else entirely.", Confidence: 99}
	})

	e.bot.Interaction(ctx, e.ws, e.click("U0SOMEONE", bot.ActionShare, id, "click0"))
	e.bot.Interaction(ctx, e.ws, e.click(asker, bot.ActionShare, id, "click1"))
	e.bot.Interaction(ctx, e.ws, e.click(asker, bot.ActionShare, id, "click2"))
	posts := e.posts()[1:]
	var shared, refusals, marked []slackfake.Post
	for _, p := range posts {
		switch {
		case p.ResponseURL == "cmd1" && p.ResponseType == "in_channel":
			shared = append(shared, p)
		case p.ReplaceOriginal:
			marked = append(marked, p)
		case strings.Contains(p.Text, "can no longer be shared"):
			refusals = append(refusals, p)
		}
	}
	if len(shared) != 1 || len(refusals) != 2 || len(marked) != 1 || len(posts) != 4 {
		t.Fatalf("posts %+v: want one share, two refusals (another user, a second click), the asker's copy marked", posts)
	}
	want := texts(t, shown)
	got := texts(t, shared[0])
	for _, part := range []string{"<@U0ASKER> asked: how do we deploy?", "Run make deploy from main.", "#general", "Confidence: 72%"} {
		if !strings.Contains(got, part) || !strings.Contains(want, part) {
			t.Errorf("shared %q? %s", part, got)
		}
	}
	if strings.Contains(got, "Something else") || len(buttons(t, shared[0])) != 0 {
		t.Errorf("the shared answer is not the one shown, or has buttons:\n%s", got)
	}
	if b := buttons(t, marked[0]); b[bot.ActionShare] != "" || !strings.Contains(texts(t, marked[0]), "Shared in this channel.") {
		t.Errorf("the asker's copy after sharing: %v\n%s", b, texts(t, marked[0]))
	}
	if n := len(e.ans.requests()); n != 1 {
		t.Errorf("asked %d times, want once", n)
	}
}

// TestShareFallsBackToPostMessage: once the command's response URL is used
// up, Share posts through chat.postMessage where the bot is a member, and
// where it is not, tells the asker to invite it.
func TestShareFallsBackToPostMessage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	e.bot.Command(ctx, e.ws, e.command("/ask", public, "general", "how do we deploy?", "cmd1"))
	e.bot.Wait()
	e.bot.Command(ctx, e.ws, e.command("/ask", elsewhere, "random", "how do we deploy?", "cmd2"))
	posts := e.posts()
	e.fake.UseUp("cmd1")
	e.fake.UseUp("cmd2")
	e.bot.Interaction(ctx, e.ws, e.click(asker, bot.ActionShare, buttons(t, posts[0])[bot.ActionShare], "click1"))
	e.bot.Wait()
	e.bot.Interaction(ctx, e.ws, e.click(asker, bot.ActionShare, buttons(t, posts[1])[bot.ActionShare], "click2"))
	var viaAPI []slackfake.Post
	var told string
	for _, p := range e.posts()[2:] {
		if p.Method == "chat.postMessage" {
			viaAPI = append(viaAPI, p)
		}
		if p.ResponseURL == "click2" {
			told += p.Text
		}
	}
	if len(viaAPI) != 2 || !viaAPI[0].Accepted || viaAPI[0].Channel != public || viaAPI[1].Accepted {
		t.Fatalf("chat.postMessage %+v: want #general accepted, #random refused", viaAPI)
	}
	if got := texts(t, viaAPI[0]); !strings.Contains(got, "<@U0ASKER> asked: how do we deploy?") || !strings.Contains(got, "Run make deploy from main.") {
		t.Errorf("shared through the API:\n%s", got)
	}
	if !strings.Contains(told, "invite @lore to this channel") {
		t.Errorf("the asker was told %q", told)
	}
}

// TestFeedbackButtons: 👍 and 👎 record feedback on the question shown,
// only for its asker.
func TestFeedbackButtons(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	e.bot.Command(ctx, e.ws, e.command("/ask", public, "general", "how do we deploy?", "cmd1"))
	id := buttons(t, e.posts()[0])[bot.ActionHelpful]
	e.bot.Interaction(ctx, e.ws, e.click(asker, bot.ActionHelpful, id, "up"))
	e.bot.Interaction(ctx, e.ws, e.click("U0SOMEONE", bot.ActionUnhelpful, id, "down"))
	e.bot.Wait()
	if got := e.ans.feedback; !slices.Equal(got, []string{"1:1:true"}) {
		t.Errorf("feedback %q", got)
	}
}

// TestMentionAnswersInItsThread: a mention in a thread is answered in that
// thread, with the thread's earlier messages as context; a mention outside
// a thread starts one under it. Both look where /askall does.
func TestMentionAnswersInItsThread(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	e.fake.Answer("conversations.replies", `{"ok":true,"has_more":false,"messages":[
		{"type":"message","user":"U0DANA","text":"the staging deploy fails with exit 137","ts":"1700000300.000100","thread_ts":"1700000300.000100"},
		{"type":"message","bot_id":"B1","text":"an earlier answer of the bot","ts":"1700000300.000200","thread_ts":"1700000300.000100"},
		{"type":"message","user":"U0ASKER","text":"<@U0BOT> why?","ts":"1700000300.000300","thread_ts":"1700000300.000100"}]}`)
	inThread := event(t, "Ev0T", `{"type":"app_mention","user":"U0ASKER","text":"<@U0BOT> why?","ts":"1700000300.000300","thread_ts":"1700000300.000100","channel":"C0GENERAL"}`)
	top := event(t, "Ev0TOP", `{"type":"app_mention","user":"U0ASKER","text":"<@U0BOT> how do we deploy?","ts":"1700000400.000100","channel":"C0GENERAL"}`)
	for _, ev := range []slackevents.EventsAPIEvent{inThread, top} {
		if err := e.bot.Event(ctx, e.ws, ev); err != nil {
			t.Fatal(err)
		}
	}
	posts := e.posts()
	if len(posts) != 2 {
		t.Fatalf("posts %+v", posts)
	}
	byThread := map[string]slackfake.Post{}
	for _, p := range posts {
		if p.Method != "chat.postMessage" || p.Channel != public {
			t.Errorf("post %+v, want a message in #general", p)
		}
		byThread[p.ThreadTS] = p
	}
	if _, ok := byThread["1700000300.000100"]; !ok {
		t.Errorf("no answer in the thread: %+v", posts)
	}
	if _, ok := byThread["1700000400.000100"]; !ok {
		t.Errorf("no new thread under the top-level mention: %+v", posts)
	}
	if got := texts(t, byThread["1700000300.000100"]); !strings.Contains(got, "Run make deploy from main.") {
		t.Errorf("the thread's answer:\n%s", got)
	}
	var questions []string
	for _, r := range e.ans.requests() {
		if r.Scope != bot.Workspace || r.ChannelID != public || r.Source != bot.SourceMention || r.AskedBy != "slack:U0ASKER" {
			t.Errorf("request %+v", r)
		}
		questions = append(questions, r.Question)
	}
	slices.Sort(questions)
	want := []string{"how do we deploy?", "why?\n\nthe staging deploy fails with exit 137"}
	if !slices.Equal(questions, want) {
		t.Errorf("questions %q, want %q", questions, want)
	}
	if calls := e.fake.Requests("conversations.replies"); len(calls) != 1 || calls[0].Form.Get("ts") != "1700000300.000100" {
		t.Errorf("conversations.replies calls %+v", calls)
	}
}

// TestEventsGoWhereTheyBelong: a channel message goes to the live message
// path and is not a question; a direct message is a question and never
// goes to the message path (never indexed); the bot's own messages and
// edits in a direct conversation are neither.
func TestEventsGoWhereTheyBelong(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	for _, ev := range []slackevents.EventsAPIEvent{
		event(t, "Ev1", `{"type":"message","channel_type":"channel","user":"U0DANA","text":"deploys go out on Tuesdays","ts":"1700000500.000100","channel":"C0GENERAL"}`),
		event(t, "Ev2", `{"type":"channel_rename","channel":{"id":"C0GENERAL","name":"general-2","created":1}}`),
		event(t, "Ev3", `{"type":"message","channel_type":"im","user":"U0ASKER","text":"how do we deploy?","ts":"1700000500.000200","channel":"D0DIRECT"}`),
		event(t, "Ev4", `{"type":"message","channel_type":"im","bot_id":"B1","text":"an answer","ts":"1700000500.000300","channel":"D0DIRECT"}`),
		event(t, "Ev5", `{"type":"message","channel_type":"im","subtype":"message_changed","channel":"D0DIRECT","ts":"1700000500.000400","message":{"type":"message","user":"U0ASKER","text":"edited","ts":"1700000500.000200"}}`),
	} {
		if err := e.bot.Event(ctx, e.ws, ev); err != nil {
			t.Fatal(err)
		}
	}
	posts := e.posts()
	if len(posts) != 1 || posts[0].Channel != dm {
		t.Errorf("posts %+v, want the direct message's answer only", posts)
	}
	e.live.mu.Lock()
	defer e.live.mu.Unlock()
	if !slices.Equal(e.live.events, []string{"message", "channel_rename"}) {
		t.Errorf("handed on %q, want the channel message and the rename", e.live.events)
	}
}

// TestRetriesAreNotAnsweredTwice: Slack's retry of an event, a command or a
// click already seen (same event id or trigger) is acked and not answered
// again.
func TestRetriesAreNotAnsweredTwice(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	mention := event(t, "Ev0RETRY", `{"type":"app_mention","user":"U0ASKER","text":"<@U0BOT> how do we deploy?","ts":"1700000600.000100","channel":"C0GENERAL"}`)
	for range 3 {
		if err := e.bot.Event(ctx, e.ws, mention); err != nil {
			t.Fatal(err)
		}
		e.bot.Command(ctx, e.ws, e.command("/ask", public, "general", "how do we deploy?", "cmd1"))
	}
	if n := len(e.posts()); n != 2 {
		t.Errorf("%d posts, want one answer to the mention and one to the command", n)
	}
	if n := len(e.ans.requests()); n != 2 {
		t.Errorf("asked %d times, want 2", n)
	}
}

// TestAnswersServiceFailing: when the answers service fails, the asker is
// told so (a too long question by what is wrong), through the response URL,
// or chat.postEphemeral once that is used up; and a response URL that is
// not Slack's is never posted to.
func TestAnswersServiceFailing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	e.ans.err = errors.New("database is locked")
	e.bot.Command(ctx, e.ws, e.command("/ask", public, "general", "how do we deploy?", "cmd1"))
	e.bot.Wait()
	e.fake.UseUp("cmd2")
	e.bot.Command(ctx, e.ws, e.command("/ask", public, "general", "how do we deploy?", "cmd2"))
	e.bot.Wait()
	evil := e.command("/ask", public, "general", "how do we deploy?", "cmd3")
	evil.ResponseURL = "https://attacker.example/collect"
	e.bot.Command(ctx, e.ws, evil)
	posts := e.posts()
	var methods []string
	for _, p := range posts {
		methods = append(methods, p.Method+":"+p.ResponseURL)
		if !strings.Contains(p.Text, "could not answer that") || strings.Contains(p.Text, "database") {
			t.Errorf("told %q", p.Text)
		}
	}
	want := []string{"response_url:cmd1", "response_url:cmd2", "chat.postEphemeral:", "chat.postEphemeral:"}
	if !slices.Equal(methods, want) {
		t.Errorf("posts %q, want %q", methods, want)
	}
}

// TestSocketHandler: over Socket Mode, whose runtime acks every envelope
// itself, a reply the ack would carry (the help, commands off) is posted to
// the command's response URL, and questions are answered as over HTTP.
func TestSocketHandler(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	h := e.bot.SocketHandler()
	h.Command(ctx, e.ws, e.command("/ask", public, "general", "", "help"))
	h.Command(ctx, e.ws, e.command("/ask", public, "general", "how do we deploy?", "ask"))
	h.Event(ctx, e.ws, event(t, "Ev0S", `{"type":"app_mention","user":"U0ASKER","text":"<@U0BOT> how do we deploy?","ts":"1700000700.000100","channel":"C0GENERAL"}`))
	byWhere := map[string]slackfake.Post{}
	for _, p := range e.posts() {
		byWhere[p.Method+":"+p.ResponseURL] = p
	}
	if p := byWhere["response_url:help"]; !strings.Contains(p.Text, "/ask QUESTION") || p.ResponseType != "ephemeral" {
		t.Errorf("help over the socket: %+v", p)
	}
	if p := byWhere["response_url:ask"]; !strings.Contains(p.Blocks, "Run make deploy from main.") {
		t.Errorf("answer over the socket: %+v", p)
	}
	if p := byWhere["chat.postMessage:"]; p.ThreadTS != "1700000700.000100" {
		t.Errorf("mention over the socket: %+v", p)
	}
}
