// Package sync is Lore's one message path: every message from a Slack export,
// a backfill through the Web API or a live event is made readable and stored
// through it, once per workspace, channel and ts, with its thread context
// indexed. It also imports Slack's export ZIP.
package sync

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"lore/storage"
)

// Service stores Slack messages, channels and users of connected workspaces.
type Service struct {
	store  *storage.Store
	logger *slog.Logger
	now    func() time.Time
	limits Limits
}

// Options tune a Service; the zero value is the production setup.
type Options struct {
	// Now is the clock, for the retention count; time.Now when nil.
	Now func() time.Time
	// Limits bound what an export may hold; DefaultLimits where zero.
	Limits Limits
}

// New returns the message path over store.
func New(store *storage.Store, logger *slog.Logger, opts Options) *Service {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Service{store: store, logger: logger, now: opts.Now, limits: opts.Limits.withDefaults()}
}

// Counts is what storing a set of messages did.
type Counts struct {
	New       int64 // messages stored for the first time
	Updated   int64 // messages whose stored row changed (edits)
	Unchanged int64 // messages already stored as they are: nothing written
	Skipped   int64 // messages refused (no valid ts), never stored
}

func (c *Counts) add(r storage.PutResult) {
	switch r {
	case storage.PutNew:
		c.New++
	case storage.PutUpdated:
		c.Updated++
	default:
		c.Unchanged++
	}
}

// Channel is a channel as a source describes it.
type Channel struct {
	ID       string
	Name     string
	Private  bool
	Archived bool
}

// User is a Slack user as a source describes it.
type User struct {
	ID          string
	Name        string
	DisplayName string
	RealName    string
	Bot         bool
	Deleted     bool
}

// StoreChannelsAndUsers upserts what a source (users.list, conversations.list,
// an export's users.json and channels.json) says about a workspace's channels
// and people, in one transaction.
func (s *Service) StoreChannelsAndUsers(ctx context.Context, workspaceID string, channels []Channel, users []User) error {
	return s.store.WriteMessages(ctx, func(w *storage.MessageWriter) error {
		for _, c := range channels {
			if err := w.UpsertChannel(ctx, storage.Channel{WorkspaceID: workspaceID, ID: c.ID, Name: c.Name, Private: c.Private, Archived: c.Archived}); err != nil {
				return err
			}
		}
		for _, u := range users {
			if err := w.UpsertSlackUser(ctx, storage.SlackUser{WorkspaceID: workspaceID, ID: u.ID, Name: u.Name,
				DisplayName: u.DisplayName, RealName: u.RealName, Bot: u.Bot, Deleted: u.Deleted}); err != nil {
				return err
			}
		}
		return nil
	})
}

// Directory reads the workspace's user and channel names, for StoreMessages.
// A backfill builds it once per run; a live event handler may keep one and
// rebuild it when users or channels change.
func (s *Service) Directory(ctx context.Context, workspaceID string) (*Directory, error) {
	d := NewDirectory()
	users, err := s.store.ListSlackUsers(ctx, workspaceID)
	if err != nil {
		return nil, err
	}
	for _, u := range users {
		d.AddUser(u.ID, u.RealName, u.DisplayName, u.Name)
	}
	channels, err := s.store.ListChannels(ctx, workspaceID)
	if err != nil {
		return nil, err
	}
	for _, c := range channels {
		d.AddChannel(c.ID, c.Name)
	}
	return d, nil
}

// StoreMessages stores one channel's messages (a backfill page, a live event,
// an edit: message_changed's new message) through the one path, in one
// transaction: each once per ts, edits rewriting the row and its index entry,
// unchanged ones writing nothing. A channel not stored yet is created by id.
// Messages without a valid ts are counted as skipped. A nil dir names nobody.
func (s *Service) StoreMessages(ctx context.Context, dir *Directory, workspaceID, channelID string, msgs []Message) (Counts, error) {
	return s.StorePage(ctx, dir, workspaceID, channelID, msgs, nil)
}

// StorePage is StoreMessages with then run in the same transaction after
// the messages are stored (nil: nothing): a backfill commits its checkpoint
// with each page this way, so a crash never keeps one without the other.
func (s *Service) StorePage(ctx context.Context, dir *Directory, workspaceID, channelID string, msgs []Message,
	then func(w *storage.MessageWriter) error) (Counts, error) {
	if dir == nil {
		dir = NewDirectory()
	}
	var c Counts
	err := s.store.WriteMessages(ctx, func(w *storage.MessageWriter) error {
		c = Counts{}
		if err := w.EnsureChannel(ctx, workspaceID, channelID); err != nil {
			return err
		}
		for i := range msgs {
			row, err := dir.row(workspaceID, channelID, &msgs[i])
			if err != nil {
				c.Skipped++
				continue
			}
			if err := addProfileUser(ctx, w, workspaceID, &msgs[i]); err != nil {
				return err
			}
			r, err := w.Put(ctx, row)
			if err != nil {
				return err
			}
			c.add(r)
		}
		if then != nil {
			return then(w)
		}
		return nil
	})
	if err != nil {
		return Counts{}, fmt.Errorf("sync: store messages of %s/%s: %w", workspaceID, channelID, err)
	}
	return c, nil
}

// DeleteMessage removes a message deleted in Slack (message_deleted), its
// index entry, and its words from its thread's context. It reports whether
// Lore held it.
func (s *Service) DeleteMessage(ctx context.Context, workspaceID, channelID, ts string) (bool, error) {
	var found bool
	err := s.store.WriteMessages(ctx, func(w *storage.MessageWriter) (err error) {
		found, err = w.Delete(ctx, workspaceID, channelID, ts)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("sync: delete message: %w", err)
	}
	return found, nil
}

// addProfileUser stores the author a message names in its user_profile, unless
// the workspace already knows them (users.json and users.info say more).
func addProfileUser(ctx context.Context, w *storage.MessageWriter, workspaceID string, m *Message) error {
	if m.User == "" || m.UserProfile == nil {
		return nil
	}
	p := m.UserProfile
	if p.RealName == "" && p.DisplayName == "" && p.Name == "" {
		return nil
	}
	return w.AddSlackUser(ctx, storage.SlackUser{WorkspaceID: workspaceID, ID: m.User, Name: p.Name,
		DisplayName: p.DisplayName, RealName: p.RealName})
}
