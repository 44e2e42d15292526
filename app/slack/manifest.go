package slack

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"unicode/utf8"
)

// DefaultAppName is the app's name in a manifest when none is given.
const DefaultAppName = "Lore"

// MaxAppNameLength is the longest app name Slack's manifest accepts
// (display_information.name).
const MaxAppNameLength = 35

// botScopes are the bot token scopes Lore asks for: reading the channels it
// is in and their history (backfill, live events), joining public channels,
// reading people's names, answering (chat:write, commands) and questions sent
// to it directly (im:history).
var botScopes = []string{
	"app_mentions:read", "channels:history", "channels:join", "channels:read", "chat:write",
	"commands", "groups:history", "groups:read", "im:history", "users:read",
}

// botEvents are the events Lore subscribes to: mentions and messages (the
// live message path, and direct messages as questions) and the channel
// changes that keep its channel list right.
var botEvents = []string{
	"app_mention", "message.channels", "message.groups", "message.im",
	"member_joined_channel", "member_left_channel", "channel_rename", "group_rename",
	"channel_archive", "channel_unarchive",
}

// ManifestOptions say which manifest to write.
type ManifestOptions struct {
	// AppName is display_information.name; "" is DefaultAppName. The bot's
	// display name is derived from it.
	AppName string
	// HTTP writes the manifest of an app whose requests Slack posts to Lore
	// (HTTP mode) instead of sending them over Socket Mode.
	HTTP bool
	// PublicURL is the https:// address Slack reaches Lore at (HTTP only).
	PublicURL string
	// WorkspaceID is the Slack team id the request URLs carry (HTTP only).
	WorkspaceID string
}

// Manifest is a Slack app manifest, as pasted into "Create New App → From
// an app manifest". Every URL field is omitted when empty: Slack rejects a
// null URL, and a Socket Mode app has none.
type Manifest struct {
	Metadata           manifestMetadata    `json:"_metadata"`
	DisplayInformation manifestDisplayInfo `json:"display_information"`
	Features           manifestFeatures    `json:"features"`
	OAuthConfig        manifestOAuth       `json:"oauth_config"`
	Settings           manifestSettings    `json:"settings"`
}

type manifestMetadata struct {
	MajorVersion int `json:"major_version"`
	MinorVersion int `json:"minor_version"`
}

type manifestDisplayInfo struct {
	Name            string `json:"name"`
	Description     string `json:"description"`
	BackgroundColor string `json:"background_color"`
}

type manifestFeatures struct {
	AppHome       manifestAppHome        `json:"app_home"`
	BotUser       manifestBotUser        `json:"bot_user"`
	SlashCommands []manifestSlashCommand `json:"slash_commands"`
}

type manifestAppHome struct {
	HomeTabEnabled             bool `json:"home_tab_enabled"`
	MessagesTabEnabled         bool `json:"messages_tab_enabled"`
	MessagesTabReadOnlyEnabled bool `json:"messages_tab_read_only_enabled"`
}

type manifestBotUser struct {
	DisplayName  string `json:"display_name"`
	AlwaysOnline bool   `json:"always_online"`
}

type manifestSlashCommand struct {
	Command      string `json:"command"`
	URL          string `json:"url,omitempty"`
	Description  string `json:"description"`
	UsageHint    string `json:"usage_hint"`
	ShouldEscape bool   `json:"should_escape"`
}

type manifestOAuth struct {
	Scopes manifestScopes `json:"scopes"`
}

type manifestScopes struct {
	Bot []string `json:"bot"`
}

type manifestSettings struct {
	EventSubscriptions   manifestEvents        `json:"event_subscriptions"`
	Interactivity        manifestInteractivity `json:"interactivity"`
	OrgDeployEnabled     bool                  `json:"org_deploy_enabled"`
	SocketModeEnabled    bool                  `json:"socket_mode_enabled"`
	TokenRotationEnabled bool                  `json:"token_rotation_enabled"`
}

type manifestEvents struct {
	RequestURL string   `json:"request_url,omitempty"`
	BotEvents  []string `json:"bot_events"`
}

type manifestInteractivity struct {
	IsEnabled  bool   `json:"is_enabled"`
	RequestURL string `json:"request_url,omitempty"`
}

// The paths of a workspace's HTTP-mode request URLs, under the public URL;
// ui serves them.
const (
	CommandsPath     = "/slack/%s/commands"
	EventsPath       = "/slack/%s/events"
	InteractionsPath = "/slack/%s/interactions"
)

// teamIDPattern is a Slack team id (T…) or Enterprise Grid id (E…).
var teamIDPattern = regexp.MustCompile(`^[TE][A-Z0-9]{2,31}$`)

// NewManifest returns the manifest opts describe, or an error naming the
// option that is wrong: a name Slack would refuse, or for HTTP mode a public
// URL that is not https:// or a missing or malformed workspace id.
func NewManifest(opts ManifestOptions) (Manifest, error) {
	name := strings.TrimSpace(opts.AppName)
	if name == "" {
		name = DefaultAppName
	}
	switch {
	case !utf8.ValidString(name) || strings.ContainsFunc(name, func(r rune) bool { return r < ' ' }):
		return Manifest{}, fmt.Errorf("slack: app name %q: must be plain text", name)
	case utf8.RuneCountInString(name) > MaxAppNameLength:
		return Manifest{}, fmt.Errorf("slack: app name %q: must be at most %d characters", name, MaxAppNameLength)
	}
	bot := BotDisplayName(name)
	m := Manifest{
		Metadata: manifestMetadata{MajorVersion: 1, MinorVersion: 1},
		DisplayInformation: manifestDisplayInfo{
			Name:            name,
			Description:     "Answers questions from your team's Slack history, with sources.",
			BackgroundColor: "#2c3e50",
		},
		Features: manifestFeatures{
			// The messages tab lets members ask the bot directly.
			AppHome: manifestAppHome{MessagesTabEnabled: true},
			BotUser: manifestBotUser{DisplayName: bot, AlwaysOnline: true},
			SlashCommands: []manifestSlashCommand{
				{Command: "/ask", Description: "Ask " + name + " about this channel's history", UsageHint: "QUESTION"},
				{Command: "/askall", Description: "Ask " + name + " about every public channel and this one", UsageHint: "QUESTION"},
			},
		},
		OAuthConfig: manifestOAuth{Scopes: manifestScopes{Bot: append([]string(nil), botScopes...)}},
		Settings: manifestSettings{
			EventSubscriptions: manifestEvents{BotEvents: append([]string(nil), botEvents...)},
			Interactivity:      manifestInteractivity{IsEnabled: true},
			SocketModeEnabled:  !opts.HTTP,
		},
	}
	if !opts.HTTP {
		return m, nil
	}
	base, err := publicBase(opts.PublicURL)
	if err != nil {
		return Manifest{}, err
	}
	if !teamIDPattern.MatchString(opts.WorkspaceID) {
		return Manifest{}, fmt.Errorf("slack: workspace %q: want a Slack team id like T0123ABCD", opts.WorkspaceID)
	}
	for i := range m.Features.SlashCommands {
		m.Features.SlashCommands[i].URL = base + fmt.Sprintf(CommandsPath, opts.WorkspaceID)
	}
	m.Settings.EventSubscriptions.RequestURL = base + fmt.Sprintf(EventsPath, opts.WorkspaceID)
	m.Settings.Interactivity.RequestURL = base + fmt.Sprintf(InteractionsPath, opts.WorkspaceID)
	return m, nil
}

// publicBase checks the public URL Slack posts to and returns it without a
// trailing slash. Slack sends requests only to https:// URLs.
func publicBase(s string) (string, error) {
	if s == "" {
		return "", fmt.Errorf("slack: HTTP mode needs the public URL Slack reaches Lore at, such as https://lore.example.com")
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", fmt.Errorf("slack: public URL %q: want an https:// URL without query or credentials (Slack posts only to https)", s)
	}
	return strings.TrimSuffix(u.String(), "/"), nil
}

// botNameChars are the characters Slack allows in a bot's display name.
var botNameChars = regexp.MustCompile(`[^a-z0-9._-]+`)

// BotDisplayName derives the bot's display name from the app name: lower
// case, spaces and other characters Slack refuses turned into '-', at most
// 80 characters; "lore" when nothing is left.
func BotDisplayName(appName string) string {
	s := strings.Trim(botNameChars.ReplaceAllString(strings.ToLower(appName), "-"), "-")
	if len(s) > 80 {
		s = strings.Trim(s[:80], "-")
	}
	if s == "" {
		return "lore"
	}
	return s
}
