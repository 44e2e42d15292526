package ui

// slackManifest is the Slack app manifest the wizard's first step shows.
// It is the seam of `lore slack manifest` (issue 12: app/slack/manifest.go,
// built in parallel): once that lands, this one function calls it (with
// the workspace's transport and request URLs for HTTP mode) and the text
// below goes. Until then it is the Socket Mode manifest, which needs no
// public URL.
func slackManifest() string {
	return `display_information:
  name: Lore
  description: Answers from your Slack history, with sources
features:
  bot_user:
    display_name: lore
    always_online: true
  slash_commands:
    - command: /ask
      description: Ask Lore about this channel's history
      usage_hint: "[question]"
    - command: /askall
      description: Ask Lore about every public channel
      usage_hint: "[question]"
oauth_config:
  scopes:
    bot:
      - app_mentions:read
      - channels:history
      - channels:read
      - chat:write
      - commands
      - groups:history
      - groups:read
      - users:read
settings:
  event_subscriptions:
    bot_events:
      - app_mention
      - message.channels
      - message.groups
  interactivity:
    is_enabled: true
  org_deploy_enabled: false
  socket_mode_enabled: true
  token_rotation_enabled: false
`
}
