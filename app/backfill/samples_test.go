package backfill_test

import (
	"context"
	"encoding/json"
	"os"
	"testing"

	slackgo "github.com/slack-go/slack"

	"lore/app/backfill"
	"lore/app/slackfake"
	"lore/app/testshared"
	"lore/storage"
)

func sample(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(testshared.Path(t, "testdata/slack-api/"+name))
	if err != nil {
		t.Fatalf("the shared Slack samples: %v", err)
	}
	return string(b)
}

// answered is a sample with "ok": true: the SDK samples mask every value,
// ok and error included, and only their fields are to be used.
func answered(t *testing.T, name string) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(sample(t, name)), &m); err != nil {
		t.Fatal(err)
	}
	m["ok"] = true
	delete(m, "error")
	b, _ := json.Marshal(m)
	return string(b)
}

// TestToleratesSDKSamples answers a backfill with the SDK samples, each
// the union of every field seen in real answers: nothing in them stops it.
func TestToleratesSDKSamples(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	e.fake.AddChannel(slackfake.Channel{ID: "C01", Name: "deploys", Member: true})
	e.fake.Answer("users.list", answered(t, "java-sdk.users.list.json"))
	e.fake.Answer("conversations.history", answered(t, "java-sdk.conversations.history.json"))
	e.fake.Answer("conversations.replies", answered(t, "java-sdk.conversations.replies.json"))
	j := e.backfill(t, ctx, backfill.Request{})
	if j.Status != storage.JobSucceeded {
		t.Fatalf("backfill over the SDK samples: %s %q %s", j.Status, j.Error, j.Result)
	}
	if m, err := e.store.Message(ctx, ws, "C01", "0000000000.000000"); err != nil || m.ThreadTS != m.TS {
		t.Fatalf("the sample's message = %+v, %v", m, err)
	}
	if n := len(e.fake.Requests("conversations.replies")); n != 1 {
		t.Errorf("the sample's thread read %d times, want 1", n)
	}
	for _, name := range []string{"java-sdk.conversations.list.json", "openapi.conversations.list.200.json",
		"python-sdk.web_response_conversations_list_pagination.json"} {
		e.fake.Answer("conversations.list", answered(t, name))
		if _, _, err := e.client.For(ws, creds).GetConversationsContext(ctx, &slackgo.GetConversationsParameters{}); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}
