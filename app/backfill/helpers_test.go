package backfill_test

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	gosync "sync"
	"testing"
	"time"

	"lore/app"
	"lore/app/apptest"
	"lore/app/backfill"
	"lore/app/credentials"
	"lore/app/jobs"
	"lore/app/slack"
	"lore/app/slackfake"
	"lore/app/sync"
	"lore/storage"
	"lore/storage/secret"
)

const ws = "T0123ABCD"

var creds = secret.Slack{
	BotToken:      "xoxb-1234567890-0987654321-BackfillBotTokenQ7vZ",
	AppToken:      "xapp-1-A0APP-1234567890123-5d8e2f4a6c7b9d1e3f5a7c9e1b3d5f7a9c1e3b5d7f9a1c3e5b7d",
	SigningSecret: "8f2b0c6d1e4a7f9b3c5d2e8a1f0b6c4d",
}

// fast are rates no test waits for: the fake's own buckets, where a test
// sets them, are what limit it.
var fast = map[string]int{"conversations.history": 60000, "conversations.replies": 60000, "conversations.list": 60000,
	"users.list": 60000, "conversations.join": 60000, "apps.connections.open": 60000}

type env struct {
	a      *app.App
	fake   *slackfake.Server
	store  *storage.Store
	client *slack.Client
	creds  *credentials.Service
	svc    *backfill.Service
	runner *jobs.Runner
	org    int64

	mu    gosync.Mutex
	slept []time.Duration
}

type envOption func(*slack.Options, *backfill.Options)

// realTime makes the Slack client sleep for real (pacing and Retry-After).
func realTime() envOption { return func(o *slack.Options, _ *backfill.Options) { o.Sleep = nil } }

func pageSize(n int) envOption { return func(_ *slack.Options, o *backfill.Options) { o.PageSize = n } }

func rates(r map[string]int) envOption {
	return func(o *slack.Options, _ *backfill.Options) { o.Rates = r }
}

func newEnv(t testing.TB, opts ...envOption) *env {
	t.Helper()
	ctx := context.Background()
	e := &env{a: apptest.Open(t), fake: slackfake.New(t)}
	e.store = e.a.Store
	e.fake.AddBot(creds.BotToken, slackfake.Acme)
	e.fake.AddApp(creds.AppToken)
	org, err := e.store.CreateOrganization(ctx, "Acme")
	if err != nil {
		t.Fatal(err)
	}
	e.org = org.ID
	if _, err := e.store.CreateWorkspace(ctx, e.org, ws, "Acme"); err != nil {
		t.Fatal(err)
	}
	so := slack.Options{APIURL: e.fake.URL(), Rates: fast, Sleep: e.sleep}
	bo := backfill.Options{RetryWait: time.Millisecond}
	for _, o := range opts {
		o(&so, &bo)
	}
	if e.client, err = slack.New(so); err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.DiscardHandler)
	if e.creds, err = credentials.New(e.store, e.a.Keyring, logger, credentials.Options{Slack: e.client}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.creds.Store(ctx, "test", e.org, ws, creds); err != nil {
		t.Fatal(err)
	}
	e.runner = jobs.New(e.store, logger, jobs.Options{PollInterval: 10 * time.Millisecond, HeartbeatInterval: 10 * time.Millisecond})
	e.svc = backfill.New(e.store, sync.New(e.store, logger, sync.Options{}), e.creds, e.a.Settings, e.runner, logger, bo)
	e.svc.Register(e.runner)
	return e
}

// sleep records the client's waits without waiting.
func (e *env) sleep(ctx context.Context, d time.Duration) error {
	e.mu.Lock()
	e.slept = append(e.slept, d)
	e.mu.Unlock()
	return ctx.Err()
}

func (e *env) waits() []time.Duration {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]time.Duration(nil), e.slept...)
}

// backfill queues and runs one backfill here and now.
func (e *env) backfill(t testing.TB, ctx context.Context, req backfill.Request) storage.Job {
	t.Helper()
	j, err := e.svc.Start(context.Background(), e.org, ws, req)
	if err != nil {
		t.Fatal(err)
	}
	return e.runJob(t, ctx, j.ID)
}

func (e *env) runJob(t testing.TB, ctx context.Context, id int64) storage.Job {
	t.Helper()
	j, err := e.runner.RunJob(ctx, e.org, id)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

// world is a generated workspace: what the fake holds and Lore should store.
type world struct {
	channels []slackfake.Channel
	messages map[string][]string // channel → every ts (parents, replies) Lore should hold
}

// seed fills the fake with channels of top-level messages, every fifth a
// thread's parent with replies, all within the last days.
func seed(e *env, perChannel int, channels ...slackfake.Channel) world {
	w := world{channels: channels, messages: map[string][]string{}}
	base := time.Now().Add(-48 * time.Hour).Unix()
	e.fake.AddUser(slackfake.User{ID: "U1", Name: "maya", RealName: "Maya Chen", DisplayName: "maya"})
	e.fake.AddUser(slackfake.User{ID: "U2", Name: "ola", RealName: "Ola Berg"})
	for ci, c := range channels {
		e.fake.AddChannel(c)
		for i := range perChannel {
			ts := fmt.Sprintf("%d.%06d", base+int64(i*60), ci*1000+i)
			e.fake.Post(c.ID, slackfake.Message{TS: ts, User: "U1", Text: fmt.Sprintf("message %d of %s about deploys", i, c.Name)})
			w.messages[c.ID] = append(w.messages[c.ID], ts)
			if i%5 == 0 {
				for r := range 3 {
					rts := fmt.Sprintf("%d.%06d", base+int64(i*60)+int64(r+1), ci*1000+i)
					e.fake.Post(c.ID, slackfake.Message{TS: rts, ThreadTS: ts, User: "U2", Text: fmt.Sprintf("reply %d", r)})
					w.messages[c.ID] = append(w.messages[c.ID], rts)
				}
			}
		}
		sort.Strings(w.messages[c.ID])
	}
	return w
}

// stored lists the ts Lore holds per channel.
func (e *env) stored(t testing.TB) map[string][]string {
	t.Helper()
	msgs, err := e.store.ListMessages(context.Background(), ws, "")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, m := range msgs {
		out[m.ChannelID] = append(out[m.ChannelID], m.TS)
	}
	return out
}

// wantStored fails unless Lore holds exactly want's messages of channels.
func (e *env) wantStored(t testing.TB, w world, channels ...string) {
	t.Helper()
	got := e.stored(t)
	for _, c := range channels {
		if !slices.Equal(got[c], w.messages[c]) {
			t.Errorf("channel %s: stored %d messages, want %d exactly once", c, len(got[c]), len(w.messages[c]))
		}
	}
	for c := range got {
		if !slices.Contains(channels, c) {
			t.Errorf("channel %s: %d messages stored, want none", c, len(got[c]))
		}
	}
}
