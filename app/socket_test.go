package app_test

import (
	"context"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"lore/app"
	"lore/app/apptest"
	"lore/app/slackfake"
	"lore/storage/secret"
)

// TestSlashCommandOverSocketMode wires the product as lore serve does: a
// workspace with valid credentials gets its Socket Mode connection, a
// /ask envelope on it is acknowledged at once, and the bot answers the
// asker through the command's response URL (here honestly: nothing is
// stored yet), the question logged with source ask and the asker.
func TestSlashCommandOverSocketMode(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	fake := slackfake.New(t)
	fake.EnableSocket(50 * time.Millisecond)
	creds := secret.Slack{
		BotToken:      "xoxb-1234567890-0987654321-SocketBotTokenQ7vZ9f",
		AppToken:      "xapp-1-A0APP-1234567890123-5d8e2f4a6c7b9d1e3f5a7c9e1b3d5f7a9c1e3b5d7f9a1c3e5b7d",
		SigningSecret: "8f2b0c6d1e4a7f9b3c5d2e8a1f0b6c4d",
	}
	fake.AddBot(creds.BotToken, slackfake.Acme)
	fake.AddApp(creds.AppToken)
	fake.SetMember("C01", true)
	a, err := app.Open(ctx, app.Config{DataDir: t.TempDir(), SlackAPIURL: fake.URL(),
		// verify has spent Slack's one apps.connections.open a minute; the fake allows more
		SlackRates: map[string]int{"apps.connections.open": 600}}, os.DirFS(apptest.MigrationsDir()), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	org, err := a.Store.CreateOrganization(ctx, "Acme")
	if err != nil {
		t.Fatal(err)
	}
	ws := slackfake.Acme.ID
	if _, err := a.Store.CreateWorkspace(ctx, org.ID, ws, "Acme"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Credentials.Store(ctx, "test", org.ID, ws, creds); err != nil {
		t.Fatal(err)
	}
	if r, err := a.Credentials.Verify(ctx, "test", org.ID, ws); err != nil || !r.Valid {
		t.Fatalf("verify: %+v %v", r, err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); a.Sockets.Run(runCtx) }()
	t.Cleanup(func() { stop(); <-done })
	eventually(t, "the socket", func() bool { return fake.OpenSockets() == 1 })

	id, err := fake.SendCommand(map[string]string{"command": "/ask", "text": "where are the deploy runbooks?",
		"team_id": ws, "channel_id": "C01", "channel_name": "deploys", "user_id": "U1", "user_name": "maya",
		"response_url": fake.ResponseURL("ask-1"), "trigger_id": "1.2.3"})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "the ack", func() bool { return fake.Acked(id) })
	var answer slackfake.Post
	eventually(t, "the answer", func() bool {
		for _, p := range fake.Posts() {
			if p.ResponseURL == "ask-1" {
				answer = p
				return true
			}
		}
		return false
	})
	if answer.ResponseType != "ephemeral" || !strings.Contains(answer.Text+answer.Blocks, "confident answer") {
		t.Fatalf("the answer posted: %+v", answer)
	}
	unanswered := false
	qs, err := a.Answers.ListQuestions(ctx, org.ID, &unanswered, 10)
	// A channel Lore holds nothing of counts as private: its question is
	// listed without its words.
	if err != nil || len(qs) != 1 || qs[0].Source != "ask" || qs[0].ChannelID != "C01" || qs[0].AskedBy != "slack:U1" || !qs[0].Private {
		t.Fatalf("questions logged: %+v %v", qs, err)
	}
}

// eventually polls cond every 10 ms for up to 10 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}
