package backfill_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"lore/app/backfill"
	"lore/app/slack"
	"lore/storage"
)

// eventually polls cond every 10 ms for up to 10 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestSocketModeLiveCapture runs the Socket Mode runtime against the
// fake's websocket, in Slack's envelope format: a message, an edit, a
// thread reply, a broadcast and a deletion arrive, are acknowledged and
// stored; an excluded channel's message is not; the bot joining a channel
// queues its backfill; a dropped connection, a quiet one and Slack's
// disconnect envelope are each followed by a new connection and a
// catch-up backfill; deleting the credentials stops the socket.
func TestSocketModeLiveCapture(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	e.fake.EnableSocket(50 * time.Millisecond)
	if r, err := e.creds.Verify(ctx, "test", e.org, ws); err != nil || !r.Valid {
		t.Fatalf("verify: %+v %v", r, err)
	}
	no := false
	if err := e.store.WriteMessages(ctx, func(w *storage.MessageWriter) error { return w.EnsureChannel(ctx, ws, "C02") }); err != nil {
		t.Fatal(err)
	}
	if err := e.store.SetChannelsIncluded(ctx, ws, []storage.ChannelChoice{{ChannelID: "C02", Included: &no}}); err != nil {
		t.Fatal(err)
	}
	sockets := e.svc.Sockets(backfill.SocketsOptions{Refresh: 20 * time.Millisecond,
		Socket: slack.SocketOptions{PingTimeout: 300 * time.Millisecond, Backoff: 20 * time.Millisecond}})
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); sockets.Run(runCtx) }()
	t.Cleanup(func() { stop(); <-done })
	eventually(t, "the socket", func() bool { return e.fake.OpenSockets() == 1 })

	send := func(event map[string]any) string {
		t.Helper()
		id, err := e.fake.SendEvent(ws, event)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	message := func(ts string) (storage.Message, bool) {
		m, err := e.store.Message(ctx, ws, "C01", ts)
		return m, err == nil
	}
	parent := "1700000001.000100"
	id := send(map[string]any{"type": "message", "channel": "C01", "channel_type": "channel", "user": "U1", "text": "deploys are frozen", "ts": parent})
	eventually(t, "the message", func() bool { _, ok := message(parent); return ok })
	eventually(t, "the ack", func() bool { return e.fake.Acked(id) })

	send(map[string]any{"type": "message", "subtype": "message_changed", "channel": "C01", "channel_type": "channel", "ts": "1700000002.000000",
		"message":          map[string]any{"type": "message", "user": "U1", "text": "deploys are frozen until Friday", "ts": parent, "edited": map[string]any{"user": "U1", "ts": "1700000002.000000"}},
		"previous_message": map[string]any{"type": "message", "user": "U1", "text": "deploys are frozen", "ts": parent}})
	eventually(t, "the edit", func() bool { m, _ := message(parent); return m.Text == "deploys are frozen until Friday" && m.Edited })

	reply, broadcast := "1700000003.000100", "1700000004.000100"
	send(map[string]any{"type": "message", "channel": "C01", "channel_type": "channel", "user": "U2", "text": "why?", "ts": reply, "thread_ts": parent})
	send(map[string]any{"type": "message", "subtype": "thread_broadcast", "channel": "C01", "channel_type": "channel", "user": "U1",
		"text": "because of the release", "ts": broadcast, "thread_ts": parent})
	eventually(t, "the replies", func() bool {
		r, ok1 := message(reply)
		b, ok2 := message(broadcast)
		return ok1 && ok2 && r.ThreadTS == parent && b.Subtype == "thread_broadcast"
	})
	send(map[string]any{"type": "message", "subtype": "message_deleted", "channel": "C01", "channel_type": "channel",
		"ts": "1700000005.000000", "deleted_ts": reply, "previous_message": map[string]any{"type": "message", "ts": reply}})
	eventually(t, "the deletion", func() bool { _, ok := message(reply); return !ok })

	excluded := send(map[string]any{"type": "message", "channel": "C02", "channel_type": "channel", "user": "U1", "text": "secret", "ts": "1700000006.000100"})
	dm := send(map[string]any{"type": "message", "channel": "D0DM", "channel_type": "im", "user": "U1", "text": "private", "ts": "1700000007.000100"})
	eventually(t, "the acks of ignored events", func() bool { return e.fake.Acked(excluded) && e.fake.Acked(dm) })
	time.Sleep(50 * time.Millisecond)
	if n, _ := e.store.CountMessages(ctx, ws); n != 2 {
		t.Fatalf("%d messages stored, want 2 (the excluded channel's and the DM not)", n)
	}

	// Renames and archiving change the stored channel; the bot leaving
	// ends its coverage.
	send(map[string]any{"type": "channel_rename", "channel": map[string]any{"id": "C01", "name": "deploys-eu", "created": 1360782804}})
	send(map[string]any{"type": "channel_archive", "channel": "C01", "user": "U1"})
	send(map[string]any{"type": "member_left_channel", "channel": "C01", "channel_type": "C", "user": "U0BOT", "team": ws})
	eventually(t, "the channel changes", func() bool {
		c, err := e.store.ChannelSyncOf(ctx, ws, "C01")
		return err == nil && c.Name == "deploys-eu" && c.Archived && !c.Member && !backfill.Covered(c)
	})

	// The bot joins a channel: it is backfilled.
	send(map[string]any{"type": "member_joined_channel", "channel": "C03", "channel_type": "C", "user": "U0BOT", "team": ws})
	var joined storage.Job
	eventually(t, "the joined channel's backfill", func() bool {
		j, err := e.store.ActiveJob(ctx, ws, backfill.Kind)
		joined = j
		return err == nil
	})
	var p backfill.Params
	if err := json.Unmarshal(joined.Params, &p); err != nil || len(p.Channels) != 1 || p.Channels[0] != "C03" {
		t.Fatalf("joined channel's backfill params = %s", joined.Params)
	}
	if _, err := e.runner.Cancel(ctx, e.org, joined.ID); err != nil {
		t.Fatal(err)
	}

	// A drop, a disconnect envelope and a quiet socket: each reconnects,
	// then queues a catch-up backfill.
	for i, breakIt := range []func(){
		e.fake.DropSockets,
		func() {
			if err := e.fake.SendDisconnect("refresh_requested"); err != nil {
				t.Fatal(err)
			}
		},
		func() { e.fake.QuietSockets(true) },
	} {
		breakIt()
		eventually(t, "a new connection", func() bool { return e.fake.SocketConnections() == i+2 && e.fake.OpenSockets() == 1 })
		e.fake.QuietSockets(false)
		var catchUp storage.Job
		eventually(t, "the catch-up backfill", func() bool {
			j, err := e.store.ActiveJob(ctx, ws, backfill.Kind)
			catchUp = j
			return err == nil
		})
		if err := json.Unmarshal(catchUp.Params, &p); err != nil || !p.CatchUp {
			t.Fatalf("catch-up params = %s", catchUp.Params)
		}
		if _, err := e.runner.Cancel(ctx, e.org, catchUp.ID); err != nil {
			t.Fatal(err)
		}
		after := send(map[string]any{"type": "message", "channel": "C01", "channel_type": "channel", "user": "U1", "text": "still here", "ts": "17000001" + string(rune('0'+i)) + "0.000100"})
		eventually(t, "an event on the new connection", func() bool { return e.fake.Acked(after) })
	}

	// Deleted credentials stop the socket.
	if err := e.creds.Delete(ctx, "test", e.org, ws); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the socket to stop", func() bool { return e.fake.OpenSockets() == 0 && len(sockets.Connected()) == 0 })
}

// TestSocketRejectedAppToken: a revoked app-level token stops the runtime
// for the workspace and marks the credentials invalid.
func TestSocketRejectedAppToken(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	e.fake.EnableSocket(50 * time.Millisecond)
	if r, err := e.creds.Verify(ctx, "test", e.org, ws); err != nil || !r.Valid {
		t.Fatalf("verify: %+v %v", r, err)
	}
	e.fake.Revoke(creds.AppToken)
	conn, err := e.creds.Connect(ctx, "socket:"+ws, e.org, ws)
	if err != nil {
		t.Fatal(err)
	}
	err = slack.RunSocket(ctx, slack.SocketWorkspace{OrgID: e.org, WorkspaceID: ws, API: conn.Slack}, slack.NoSocketHandler{}, slack.SocketOptions{})
	var se *slack.Error
	if !errors.As(err, &se) || !se.TokenRejected() || se.Code != "token_revoked" {
		t.Fatalf("RunSocket with a revoked app token: %v, want token_revoked", err)
	}
}
