package backfill

import (
	"context"
	"errors"
	"fmt"

	"lore/app/validation"
	"lore/storage"
)

// Channels is a workspace's channels with their sync state, and whether
// its backfill joins every public channel.
type Channels struct {
	JoinPublic bool
	Channels   []storage.ChannelSync
}

// Covered tells whether a backfill reads the channel: the admin included
// it, or left it to the default and the bot can read it.
func Covered(c storage.ChannelSync) bool {
	if c.Included != nil {
		return *c.Included
	}
	return c.Member && !c.Archived
}

// Channels returns the channels of a workspace of the organization;
// another organization's is storage.ErrNotFound.
func (s *Service) Channels(ctx context.Context, orgID int64, workspaceID string) (Channels, error) {
	if _, err := s.store.Workspace(ctx, orgID, workspaceID); err != nil {
		return Channels{}, err
	}
	join, err := s.store.JoinPublic(ctx, workspaceID)
	if err != nil {
		return Channels{}, err
	}
	list, err := s.store.ListChannelSyncs(ctx, workspaceID)
	if err != nil {
		return Channels{}, err
	}
	return Channels{JoinPublic: join, Channels: list}, nil
}

// ChannelsUpdate changes a workspace's sync choices; nil fields stay.
type ChannelsUpdate struct {
	JoinPublic *bool
	Choices    []storage.ChannelChoice
}

// UpdateChannels records the choices of a workspace of the organization,
// all or none: a channel the workspace does not have is a
// *validation.Error naming it.
func (s *Service) UpdateChannels(ctx context.Context, orgID int64, workspaceID string, u ChannelsUpdate) (Channels, error) {
	if _, err := s.store.Workspace(ctx, orgID, workspaceID); err != nil {
		return Channels{}, err
	}
	seen := map[string]bool{}
	for i, c := range u.Choices {
		field := fmt.Sprintf("channels[%d].channel_id", i)
		switch {
		case !validChannelID(c.ChannelID):
			return Channels{}, invalid(field, "must be a Slack channel id (C… or G…)")
		case seen[c.ChannelID]:
			return Channels{}, invalid(field, "names "+c.ChannelID+" a second time")
		}
		seen[c.ChannelID] = true
	}
	if err := s.store.SetChannelsIncluded(ctx, workspaceID, u.Choices); errors.Is(err, storage.ErrNotFound) {
		return Channels{}, invalid("channels", "names a channel Lore does not know in this workspace; run a backfill to list them")
	} else if err != nil {
		return Channels{}, err
	}
	if u.JoinPublic != nil {
		if err := s.store.SetJoinPublic(ctx, workspaceID, *u.JoinPublic); err != nil {
			return Channels{}, err
		}
	}
	return s.Channels(ctx, orgID, workspaceID)
}

func invalid(field, problem string) *validation.Error {
	return &validation.Error{Code: "invalid_request", Message: "some fields are invalid", Fields: map[string]string{field: problem}}
}
