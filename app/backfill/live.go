package backfill

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	gosync "sync"
	"time"

	"github.com/slack-go/slack/slackevents"

	"lore/app/slack"
	"lore/app/sync"
	"lore/storage"
)

// Live stores what Slack's events say (a socket's, or the HTTP events
// endpoint's) through the one message path: new messages, edits,
// deletions, thread replies and broadcasts in covered channels, renames,
// archiving, and the bot joining (the channel is then backfilled) or
// leaving (it is no longer covered). It is a slack.SocketHandler that
// takes only events.
type Live struct {
	slack.NoSocketHandler
	s *Service

	mu   gosync.Mutex
	dirs map[string]dirEntry // by workspace
}

type dirEntry struct {
	dir *sync.Directory
	at  time.Time
}

// dirTTL is how long a workspace's names are kept before being read again.
const dirTTL = 5 * time.Minute

// Live returns the live capture of the service's workspaces.
func (s *Service) Live() *Live { return &Live{s: s, dirs: map[string]dirEntry{}} }

// event is the inner event of an Events API envelope, as Lore reads it.
type event struct {
	Type        string          `json:"type"`
	Subtype     string          `json:"subtype"`
	Channel     json.RawMessage `json:"channel"` // an id, or {"id","name"} for renames
	ChannelType string          `json:"channel_type"`
	User        string          `json:"user"`
	DeletedTS   string          `json:"deleted_ts"`
	Message     *sync.Message   `json:"message"`
}

// Event handles one event of the workspace; failures are logged.
func (l *Live) Event(ctx context.Context, ws slack.SocketWorkspace, ev slackevents.EventsAPIEvent) {
	cb, ok := ev.Data.(*slackevents.EventsAPICallbackEvent)
	if !ok || cb.InnerEvent == nil {
		return
	}
	logger := l.s.logger.With("workspace_id", ws.WorkspaceID)
	if err := l.handle(ctx, ws, *cb.InnerEvent); err != nil && ctx.Err() == nil {
		logger.Warn("a slack event could not be stored", slog.Any("error", err))
	}
}

func (l *Live) handle(ctx context.Context, ws slack.SocketWorkspace, raw json.RawMessage) error {
	var ev event
	if err := json.Unmarshal(raw, &ev); err != nil {
		return err
	}
	var channelID string
	var renamed struct{ ID, Name string }
	if json.Unmarshal(ev.Channel, &channelID) != nil {
		if err := json.Unmarshal(ev.Channel, &renamed); err != nil {
			return err
		}
		channelID = renamed.ID
	}
	if channelID == "" || ev.ChannelType == "im" || ev.ChannelType == "mpim" || channelID[0] == 'D' {
		return nil // Lore answers from channels, never direct messages
	}
	switch ev.Type {
	case "message":
		return l.message(ctx, ws, channelID, ev, raw)
	case "channel_rename", "group_rename":
		return l.channel(ctx, ws.WorkspaceID, channelID, func(c *sync.Channel) { c.Name = renamed.Name })
	case "channel_archive", "group_archive":
		return l.channel(ctx, ws.WorkspaceID, channelID, func(c *sync.Channel) { c.Archived = true })
	case "channel_unarchive", "group_unarchive":
		return l.channel(ctx, ws.WorkspaceID, channelID, func(c *sync.Channel) { c.Archived = false })
	case "member_joined_channel", "member_left_channel":
		if ev.User == "" || ev.User != ws.BotUserID {
			return nil
		}
		joined := ev.Type == "member_joined_channel"
		if err := l.s.store.WriteMessages(ctx, func(w *storage.MessageWriter) error {
			if err := w.EnsureChannel(ctx, ws.WorkspaceID, channelID); err != nil {
				return err
			}
			return w.SetChannelMember(ctx, ws.WorkspaceID, channelID, joined)
		}); err != nil || !joined {
			return err
		}
		_, err := l.s.enqueue(ctx, Params{OrgID: ws.OrgID, WorkspaceID: ws.WorkspaceID, Channels: []string{channelID}})
		var running *RunningError
		if errors.As(err, &running) {
			l.s.logger.Info("a channel the bot joined waits for the next backfill: one is running", "workspace_id", ws.WorkspaceID,
				"channel_id", channelID, "job_id", running.JobID)
			return nil
		}
		return err
	}
	return nil
}

// message stores a message event of a covered channel.
func (l *Live) message(ctx context.Context, ws slack.SocketWorkspace, channelID string, ev event, raw json.RawMessage) error {
	c, err := l.s.store.ChannelSyncOf(ctx, ws.WorkspaceID, channelID)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		// Slack sends a channel's events only to a member: a channel new to Lore.
	case err != nil:
		return err
	case c.Included != nil && !*c.Included:
		return nil // excluded by the admin
	}
	switch ev.Subtype {
	case "message_deleted":
		_, err := l.s.sync.DeleteMessage(ctx, ws.WorkspaceID, channelID, ev.DeletedTS)
		return err
	case "message_changed", "message_replied":
		if ev.Message == nil {
			return nil
		}
		return l.store(ctx, ws.WorkspaceID, channelID, *ev.Message)
	}
	var m sync.Message
	if err := json.Unmarshal(raw, &m); err != nil {
		return err
	}
	return l.store(ctx, ws.WorkspaceID, channelID, m)
}

func (l *Live) store(ctx context.Context, workspaceID, channelID string, m sync.Message) error {
	dir, err := l.dir(ctx, workspaceID)
	if err != nil {
		return err
	}
	_, err = l.s.sync.StoreMessages(ctx, dir, workspaceID, channelID, []sync.Message{m})
	return err
}

// channel changes a stored channel as an event says.
func (l *Live) channel(ctx context.Context, workspaceID, channelID string, change func(c *sync.Channel)) error {
	c := sync.Channel{ID: channelID, Private: channelID[0] == 'G'}
	if stored, err := l.s.store.ChannelSyncOf(ctx, workspaceID, channelID); err == nil {
		c = sync.Channel{ID: channelID, Name: stored.Name, Private: stored.Private, Archived: stored.Archived}
	} else if !errors.Is(err, storage.ErrNotFound) {
		return err
	}
	change(&c)
	l.mu.Lock()
	delete(l.dirs, workspaceID) // names changed
	l.mu.Unlock()
	return l.s.sync.StoreChannelsAndUsers(ctx, workspaceID, []sync.Channel{c}, nil)
}

// dir is the workspace's names, read again after dirTTL.
func (l *Live) dir(ctx context.Context, workspaceID string) (*sync.Directory, error) {
	l.mu.Lock()
	e, ok := l.dirs[workspaceID]
	l.mu.Unlock()
	if ok && l.s.opts.Now().Sub(e.at) < dirTTL {
		return e.dir, nil
	}
	d, err := l.s.sync.Directory(ctx, workspaceID)
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	l.dirs[workspaceID] = dirEntry{dir: d, at: l.s.opts.Now()}
	l.mu.Unlock()
	return d, nil
}
