package ui

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"lore/app"
	"lore/app/apptest"
	"lore/app/bot"
	"lore/app/slack"
	"lore/app/slackfake"
	"lore/app/testshared"
	"lore/storage"
	"lore/storage/secret"
)

const (
	slackWS       = "T0123ABCD" // HTTP mode, organization 1
	otherWS       = "T0OTHER1"  // another organization's workspace, HTTP mode
	socketWS      = "T0SOCKET1" // organization 1, Socket Mode
	slackSecret   = "8f2b0c6d1e4a7f9b3c5d2e8a1f0b6c4d"
	otherSecret   = "0123456789abcdef0123456789abcdef"
	slackBotToken = "xoxb-1234567890-0987654321-GoodBotTokenQ7vZ9f3a"
	slackAppToken = "xapp-1-A0GOOD0APP-1234567890123-5d8e2f4a6c7b9d1e3f5a7c9e1b3d5f7a9c1e3b5d7f9a1c3e5b7d9f1a3c5e7b9d"
)

// askCounter is an answers service that counts its questions.
type askCounter struct {
	mu    gosync.Mutex
	n     int
	delay time.Duration
}

func (c *askCounter) Ask(ctx context.Context, r bot.Request) (bot.Answer, error) {
	time.Sleep(c.delay)
	c.mu.Lock()
	c.n++
	c.mu.Unlock()
	return bot.Answer{Answered: true, Confidence: 70, Text: "Run make deploy from main.", Sources: []bot.Source{{
		Kind: bot.KindMessage, WorkspaceID: r.WorkspaceID, ChannelID: "C0GENERAL", ChannelName: "general", UserName: "Dana",
		Text: "to deploy, run make deploy", Permalink: "https://acme.slack.com/archives/C0GENERAL/p1"}}}, nil
}

func (c *askCounter) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

type slackFixture struct {
	app   *app.App
	h     http.Handler
	fake  *slackfake.Server
	ans   *askCounter
	clock *time.Time
}

// newSlackFixture is a Lore whose workspace T0123ABCD (HTTP mode) has
// credentials, beside another organization's workspace with its own, and
// a Socket Mode one; Slack's Web API is a fake, and the answers service
// counts its questions.
func newSlackFixture(t testing.TB) *slackFixture {
	t.Helper()
	ctx := context.Background()
	fake := slackfake.New(t)
	fake.AddBot(slackBotToken, slackfake.Acme)
	fake.SetMember("C0GENERAL", true)
	a, err := app.Open(ctx, app.Config{DataDir: t.TempDir(), SlackAPIURL: fake.URL()}, os.DirFS(apptest.MigrationsDir()), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	a.Bot.Close()
	f := &slackFixture{app: a, fake: fake, ans: &askCounter{}}
	a.Bot = bot.New(bot.Options{Answerer: f.ans, Settings: a.Settings, Store: a.Store, SlackAPIURL: fake.URL()})
	now := time.Now()
	f.clock = &now
	f.h = clockedHandler(t, a, func() time.Time { return *f.clock })
	acme, err := a.Store.CreateOrganization(ctx, "Acme")
	if err != nil {
		t.Fatal(err)
	}
	other, err := a.Store.CreateOrganization(ctx, "Other")
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []struct {
		orgID           int64
		id, secret, mod string
	}{{acme.ID, slackWS, slackSecret, storage.TransportHTTP}, {other.ID, otherWS, otherSecret, storage.TransportHTTP}, {acme.ID, socketWS, slackSecret, storage.TransportSocket}} {
		orgID := w.orgID
		if _, err := a.Accounts.CreateWorkspace(ctx, orgID, "test", w.id, w.id); err != nil {
			t.Fatal(err)
		}
		if _, err := a.Credentials.Store(ctx, "test", orgID, w.id, secret.Slack{BotToken: slackBotToken, AppToken: slackAppToken, SigningSecret: w.secret}); err != nil {
			t.Fatal(err)
		}
		if _, err := a.Accounts.SetWorkspaceTransport(ctx, orgID, "test", w.id, w.mod); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

// signed is a request Slack would send to path, signed with secret at ts.
func signed(path, secretKey string, ts int64, contentType, body string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	r.Header.Set("Content-Type", contentType)
	stamp := strconv.FormatInt(ts, 10)
	r.Header.Set("X-Slack-Request-Timestamp", stamp)
	r.Header.Set("X-Slack-Signature", signatureOf(secretKey, stamp, body))
	return r
}

func (f *slackFixture) serve(r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, r)
	return w
}

// commandBody is /ask typed in #general of team, answering to response URL name.
func (f *slackFixture) commandBody(team, text, name string) string {
	return url.Values{"team_id": {team}, "channel_id": {"C0GENERAL"}, "channel_name": {"general"}, "user_id": {"U0ASKER"},
		"user_name": {"asker"}, "command": {"/ask"}, "text": {text}, "trigger_id": {name}, "response_url": {f.fake.ResponseURL(name)}}.Encode()
}

const formType = "application/x-www-form-urlencoded"

// TestSlackCommandOverHTTP: a signed /ask is acked at once with an empty
// 200, and the answer follows through its response URL in Block Kit.
func TestSlackCommandOverHTTP(t *testing.T) {
	t.Parallel()
	f := newSlackFixture(t)
	w := f.serve(signed("/slack/"+slackWS+"/commands", slackSecret, f.clock.Unix(), formType, f.commandBody(slackWS, "how do we deploy?", "cmd1")))
	if w.Code != http.StatusOK || w.Body.Len() != 0 {
		t.Fatalf("ack %d %q, want an empty 200", w.Code, w.Body)
	}
	f.app.Bot.Wait()
	posts := f.fake.Posts()
	if len(posts) != 1 || posts[0].ResponseURL != "cmd1" || posts[0].ResponseType != "ephemeral" ||
		!strings.Contains(posts[0].Blocks, "Run make deploy from main.") || !strings.Contains(posts[0].Blocks, `"action_id":"lore_share"`) {
		t.Fatalf("posts %+v", posts)
	}
	// An empty command is answered in the ack itself.
	w = f.serve(signed("/slack/"+slackWS+"/commands", slackSecret, f.clock.Unix(), formType, f.commandBody(slackWS, "", "cmd2")))
	var reply bot.Reply
	if w.Code != http.StatusOK || json.Unmarshal(w.Body.Bytes(), &reply) != nil || !strings.Contains(reply.Text, "/ask QUESTION") {
		t.Fatalf("help ack %d %s", w.Code, w.Body)
	}
}

// TestSlackSignatureRefusals: a forged signature, a stale timestamp (and
// one from the future), a missing header, a body changed after signing, a
// body naming another organization's workspace, a request for another
// workspace signed with this one's secret, and an unknown workspace are all
// 401, and none reaches the bot. A Socket Mode workspace is not answered
// over HTTP (409).
func TestSlackSignatureRefusals(t *testing.T) {
	t.Parallel()
	f := newSlackFixture(t)
	now := f.clock.Unix()
	path := "/slack/" + slackWS + "/commands"
	body := f.commandBody(slackWS, "how do we deploy?", "cmd1")
	changed := httptest.NewRequest(http.MethodPost, path, strings.NewReader(strings.Replace(body, "deploy", "delete", 1)))
	changed.Header = signed(path, slackSecret, now, formType, body).Header
	noSig := signed(path, slackSecret, now, formType, body)
	noSig.Header.Del("X-Slack-Signature")
	noTS := signed(path, slackSecret, now, formType, body)
	noTS.Header.Del("X-Slack-Request-Timestamp")
	forged := signed(path, slackSecret, now, formType, body)
	forged.Header.Set("X-Slack-Signature", "v0="+strings.Repeat("ab", 32))
	cases := map[string]*http.Request{
		"forged":                forged,
		"wrong secret":          signed(path, otherSecret, now, formType, body),
		"stale":                 signed(path, slackSecret, now-301, formType, body),
		"from the future":       signed(path, slackSecret, now+301, formType, body),
		"no signature":          noSig,
		"no timestamp":          noTS,
		"changed body":          changed,
		"another org's team_id": signed(path, slackSecret, now, formType, f.commandBody(otherWS, "how do we deploy?", "cmd2")),
		"another org's route":   signed("/slack/"+otherWS+"/commands", slackSecret, now, formType, f.commandBody(otherWS, "how do we deploy?", "cmd3")),
		"unknown workspace":     signed("/slack/T0NOPE1/commands", slackSecret, now, formType, f.commandBody("T0NOPE1", "how do we deploy?", "cmd4")),
		"stale event":           signed("/slack/"+slackWS+"/events", slackSecret, now-400, "application/json", `{"type":"url_verification","challenge":"c"}`),
		"unsigned interaction":  httptest.NewRequest(http.MethodPost, "/slack/"+slackWS+"/interactions", strings.NewReader("payload=%7B%7D")),
	}
	for name, r := range cases {
		w := f.serve(r)
		if w.Code != http.StatusUnauthorized || !strings.Contains(w.Body.String(), `"bad_signature"`) {
			t.Errorf("%s: %d %s, want 401 bad_signature", name, w.Code, w.Body)
		}
	}
	if w := f.serve(signed("/slack/"+socketWS+"/commands", slackSecret, now, formType, f.commandBody(socketWS, "x", "cmd5"))); w.Code != http.StatusConflict {
		t.Errorf("a Socket Mode workspace over HTTP: %d %s", w.Code, w.Body)
	}
	f.app.Bot.Wait()
	if n := f.ans.count(); n != 0 {
		t.Errorf("%d refused requests were asked", n)
	}
	if posts := f.fake.Posts(); len(posts) != 0 {
		t.Errorf("posts %+v", posts)
	}
}

// TestSlackSigningVectorOverHTTP: Slack's documented request, for a
// workspace whose signing secret is the example's (stored the original
// system's way, in plaintext), passes at its own time through the whole
// route and is answered; at the wall clock's time it is stale.
func TestSlackSigningVectorOverHTTP(t *testing.T) {
	t.Parallel()
	f := newSlackFixture(t)
	ctx := context.Background()
	b, err := os.ReadFile(testshared.Path(t, "testdata/slack-signing.json"))
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Vectors []struct {
			SigningSecret     string `json:"signing_secret"`
			Timestamp         string `json:"timestamp"`
			Body              string `json:"body"`
			ExpectedSignature string `json:"expected_signature"`
		}
	}
	if err := json.Unmarshal(b, &file); err != nil || len(file.Vectors) == 0 {
		t.Fatalf("vectors: %v", err)
	}
	v := file.Vectors[0]
	team := "T1DC2JH3J"
	if _, err := f.app.Store.CreateWorkspace(ctx, 1, team, "testteamnow"); err != nil {
		t.Fatal(err)
	}
	err = f.app.Store.Tx(ctx, func(tx *storage.Tx) error {
		return tx.SetLegacyCredentials(ctx, 1, team, secret.Slack{BotToken: slackBotToken, SigningSecret: v.SigningSecret})
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.app.Accounts.SetWorkspaceTransport(ctx, 1, "test", team, storage.TransportHTTP); err != nil {
		t.Fatal(err)
	}
	request := func() *http.Request {
		r := httptest.NewRequest(http.MethodPost, "/slack/"+team+"/commands", strings.NewReader(v.Body))
		r.Header.Set("Content-Type", formType)
		r.Header.Set("X-Slack-Request-Timestamp", v.Timestamp)
		r.Header.Set("X-Slack-Signature", v.ExpectedSignature)
		return r
	}
	if w := f.serve(request()); w.Code != http.StatusUnauthorized {
		t.Errorf("the 2018 request at the wall clock's time: %d %s, want 401", w.Code, w.Body)
	}
	secs, _ := strconv.ParseInt(v.Timestamp, 10, 64)
	*f.clock = time.Unix(secs, 0).Add(299 * time.Second)
	w := f.serve(request())
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "/webhook-collect is not one of its commands") {
		t.Errorf("the documented request at its time: %d %s", w.Code, w.Body)
	}
}

// TestSlackEventsOverHTTP: url_verification answers its challenge; an
// event and Slack's retries of it (X-Slack-Retry-Num) are acked and answered
// once; a request of another origin with Sec-Fetch-Site is not refused by
// the cross-origin protection (Slack's come with no Origin at all).
func TestSlackEventsOverHTTP(t *testing.T) {
	t.Parallel()
	f := newSlackFixture(t)
	path := "/slack/" + slackWS + "/events"
	w := f.serve(signed(path, slackSecret, f.clock.Unix(), "application/json", `{"token":"x","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}`))
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"`) {
		t.Fatalf("url_verification: %d %s", w.Code, w.Body)
	}
	event := fmt.Sprintf(`{"token":"x","team_id":%q,"api_app_id":"A1","type":"event_callback","event_id":"Ev0HTTP","event_time":1,
		"event":{"type":"app_mention","user":"U0ASKER","text":"<@U0BOT> how do we deploy?","ts":"1700000000.000100","channel":"C0GENERAL"}}`, slackWS)
	for retry := range 3 {
		r := signed(path, slackSecret, f.clock.Unix(), "application/json", event)
		if retry > 0 {
			r.Header.Set("X-Slack-Retry-Num", strconv.Itoa(retry))
			r.Header.Set("X-Slack-Retry-Reason", "http_timeout")
			r.Header.Set("Origin", "https://evil.example")
			r.Header.Set("Sec-Fetch-Site", "cross-site")
		}
		if w := f.serve(r); w.Code != http.StatusOK {
			t.Fatalf("delivery %d: %d %s", retry, w.Code, w.Body)
		}
	}
	f.app.Bot.Wait()
	posts := f.fake.Posts()
	if len(posts) != 1 || posts[0].Method != "chat.postMessage" || posts[0].ThreadTS != "1700000000.000100" || f.ans.count() != 1 {
		t.Fatalf("posts %+v (asked %d), want one answer in the mention's thread", posts, f.ans.count())
	}
}

// TestSlackShareOverHTTP: the Share button's click, posted to the
// interactions route, shares the answer the asker saw in the channel.
func TestSlackShareOverHTTP(t *testing.T) {
	t.Parallel()
	f := newSlackFixture(t)
	f.serve(signed("/slack/"+slackWS+"/commands", slackSecret, f.clock.Unix(), formType, f.commandBody(slackWS, "how do we deploy?", "cmd1")))
	f.app.Bot.Wait()
	var blocks []struct {
		Type     string `json:"type"`
		Elements []struct {
			ActionID string `json:"action_id"`
			Value    string `json:"value"`
		} `json:"elements"`
	}
	json.Unmarshal([]byte(f.fake.Posts()[0].Blocks), &blocks)
	var shareID string
	for _, b := range blocks {
		for _, el := range b.Elements {
			if el.ActionID == bot.ActionShare {
				shareID = el.Value
			}
		}
	}
	payload, _ := json.Marshal(map[string]any{"type": "block_actions", "team": map[string]string{"id": slackWS},
		"user": map[string]string{"id": "U0ASKER"}, "trigger_id": "t1", "response_url": f.fake.ResponseURL("click1"),
		"actions": []map[string]string{{"type": "button", "block_id": "lore_answer", "action_id": bot.ActionShare, "value": shareID, "action_ts": "1"}}})
	body := url.Values{"payload": {string(payload)}}.Encode()
	if w := f.serve(signed("/slack/"+slackWS+"/interactions", slackSecret, f.clock.Unix(), formType, body)); w.Code != http.StatusOK {
		t.Fatalf("click: %d %s", w.Code, w.Body)
	}
	f.app.Bot.Wait()
	var shared int
	for _, p := range f.fake.Posts() {
		if p.ResponseURL == "cmd1" && p.ResponseType == "in_channel" && strings.Contains(p.Blocks, "Run make deploy from main.") {
			shared++
		}
	}
	if shared != 1 || f.ans.count() != 1 {
		t.Fatalf("shared %d times, asked %d: %+v", shared, f.ans.count(), f.fake.Posts())
	}
	// Another organization's team in the payload is refused.
	payload2 := strings.Replace(string(payload), slackWS, otherWS, 1)
	body = url.Values{"payload": {payload2}}.Encode()
	if w := f.serve(signed("/slack/"+slackWS+"/interactions", slackSecret, f.clock.Unix(), formType, body)); w.Code != http.StatusUnauthorized {
		t.Fatalf("another team's click: %d %s", w.Code, w.Body)
	}
}

// TestSlackBodyLimit: a body over the Slack routes' own limit is a 413,
// before its signature is even checked.
func TestSlackBodyLimit(t *testing.T) {
	t.Parallel()
	f := newSlackFixture(t)
	big := "text=" + strings.Repeat("a", slackBodyLimit)
	if w := f.serve(signed("/slack/"+slackWS+"/commands", slackSecret, f.clock.Unix(), formType, big)); w.Code != http.StatusRequestEntityTooLarge {
		t.Fatalf("%d %s, want 413", w.Code, w.Body)
	}
	r := signed("/slack/"+slackWS+"/commands", slackSecret, f.clock.Unix(), formType, big)
	r.ContentLength = -1 // chunked
	if w := f.serve(r); w.Code != http.StatusRequestEntityTooLarge {
		t.Fatalf("chunked: %d %s, want 413", w.Code, w.Body)
	}
}

func signatureOf(secretKey, ts, body string) string {
	return slack.SignatureHeader(secretKey, ts, []byte(body))
}

// clockedHandler is New with a clock, which judges the age of Slack's
// signed requests.
func clockedHandler(t testing.TB, a *app.App, now func() time.Time) http.Handler {
	t.Helper()
	h, err := newHandler(a, os.DirFS("static"), os.DirFS("templates"))
	if err != nil {
		t.Fatal(err)
	}
	h.now = now
	return h.middleware(h.routes())
}
