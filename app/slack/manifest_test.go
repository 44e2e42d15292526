package slack

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"unicode/utf8"
)

// rule is what Slack's manifest schema (slackapi/manifest-schema, version
// 1) says of one field, by its path: required or not, its type, its length
// and pattern. Arrays are "[]".
type rule struct {
	required bool
	kind     string // "string", "bool", "int", "object", "array"
	min, max int    // string length or array size; 0 is no bound
	pattern  string
	unique   bool
	keys     []string // an object's allowed keys (additionalProperties: false)
}

// manifestSchema is the part of the schema Lore's manifest uses.
var manifestSchema = map[string]rule{
	"":                                       {required: true, kind: "object", keys: []string{"_metadata", "display_information", "features", "oauth_config", "settings"}},
	"_metadata":                              {kind: "object", keys: []string{"major_version", "minor_version"}},
	"_metadata.major_version":                {kind: "int"},
	"_metadata.minor_version":                {kind: "int"},
	"display_information":                    {required: true, kind: "object", keys: []string{"name", "description", "background_color", "long_description"}},
	"display_information.name":               {required: true, kind: "string", min: 1, max: 35},
	"display_information.description":        {kind: "string", min: 1, max: 140},
	"display_information.background_color":   {kind: "string", min: 4, max: 7, pattern: `^#[0-9a-fA-F]{3}([0-9a-fA-F]{3})?$`},
	"features":                               {kind: "object", keys: []string{"app_home", "bot_user", "slash_commands"}},
	"features.app_home":                      {kind: "object", keys: []string{"home_tab_enabled", "messages_tab_enabled", "messages_tab_read_only_enabled"}},
	"features.app_home.home_tab_enabled":     {kind: "bool"},
	"features.app_home.messages_tab_enabled": {kind: "bool"},
	"features.app_home.messages_tab_read_only_enabled": {kind: "bool"},
	"features.bot_user": {kind: "object", keys: []string{"display_name", "always_online"}},
	// Slack's settings page allows letters, digits, '-', '_' and '.'.
	"features.bot_user.display_name":            {required: true, kind: "string", min: 1, max: 80, pattern: `^[a-zA-Z0-9._-]+$`},
	"features.bot_user.always_online":           {kind: "bool"},
	"features.slash_commands":                   {kind: "array", min: 1, max: 50},
	"features.slash_commands[]":                 {kind: "object", keys: []string{"command", "url", "description", "usage_hint", "should_escape"}},
	"features.slash_commands[].command":         {required: true, kind: "string", min: 2, max: 32, pattern: `^/`},
	"features.slash_commands[].url":             {kind: "string", max: 3000, pattern: `^https?://`},
	"features.slash_commands[].description":     {required: true, kind: "string", min: 1, max: 2000},
	"features.slash_commands[].usage_hint":      {kind: "string", min: 1, max: 1000},
	"features.slash_commands[].should_escape":   {kind: "bool"},
	"oauth_config":                              {kind: "object", keys: []string{"scopes", "redirect_urls"}},
	"oauth_config.scopes":                       {kind: "object", keys: []string{"bot", "user"}},
	"oauth_config.scopes.bot":                   {kind: "array", max: 255},
	"oauth_config.scopes.bot[]":                 {kind: "string", max: 50},
	"settings":                                  {kind: "object", keys: []string{"event_subscriptions", "interactivity", "org_deploy_enabled", "socket_mode_enabled", "token_rotation_enabled"}},
	"settings.event_subscriptions":              {kind: "object", keys: []string{"request_url", "bot_events", "user_events"}},
	"settings.event_subscriptions.request_url":  {kind: "string", max: 3500, pattern: `^https?://`},
	"settings.event_subscriptions.bot_events":   {kind: "array", max: 100, unique: true},
	"settings.event_subscriptions.bot_events[]": {kind: "string", max: 50},
	"settings.interactivity":                    {kind: "object", keys: []string{"is_enabled", "request_url", "message_menu_options_url"}},
	"settings.interactivity.is_enabled":         {required: true, kind: "bool"},
	"settings.interactivity.request_url":        {kind: "string", max: 3500, pattern: `^https?://`},
	"settings.org_deploy_enabled":               {kind: "bool"},
	"settings.socket_mode_enabled":              {kind: "bool"},
	"settings.token_rotation_enabled":           {kind: "bool"},
}

// validateManifest checks a manifest's JSON against manifestSchema and
// returns every violation.
func validateManifest(body []byte) []string {
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return []string{err.Error()}
	}
	var problems []string
	var walk func(path string, v any)
	walk = func(path string, v any) {
		r, ok := manifestSchema[path]
		if !ok {
			problems = append(problems, path+": not a field of the manifest schema")
			return
		}
		switch x := v.(type) {
		case nil:
			problems = append(problems, path+": null (Slack rejects it; omit the key)")
		case string:
			if r.kind != "string" {
				problems = append(problems, path+": a string, want "+r.kind)
			}
			n := utf8.RuneCountInString(x)
			if n < r.min || (r.max > 0 && n > r.max) {
				problems = append(problems, fmt.Sprintf("%s: %d characters, want %d to %d", path, n, r.min, r.max))
			}
			if r.pattern != "" && !regexp.MustCompile(r.pattern).MatchString(x) {
				problems = append(problems, fmt.Sprintf("%s: %q does not match %s", path, x, r.pattern))
			}
		case bool:
			if r.kind != "bool" {
				problems = append(problems, path+": a boolean, want "+r.kind)
			}
		case float64:
			if r.kind != "int" || x != float64(int(x)) {
				problems = append(problems, path+": a number, want "+r.kind)
			}
		case []any:
			if r.kind != "array" {
				problems = append(problems, path+": an array, want "+r.kind)
			}
			if len(x) < r.min || (r.max > 0 && len(x) > r.max) {
				problems = append(problems, fmt.Sprintf("%s: %d items, want %d to %d", path, len(x), r.min, r.max))
			}
			seen := map[string]bool{}
			for _, item := range x {
				if r.unique {
					k := fmt.Sprint(item)
					if seen[k] {
						problems = append(problems, fmt.Sprintf("%s: %q twice", path, k))
					}
					seen[k] = true
				}
				walk(path+"[]", item)
			}
		case map[string]any:
			if r.kind != "object" {
				problems = append(problems, path+": an object, want "+r.kind)
			}
			for k, child := range x {
				if !slices.Contains(r.keys, k) {
					problems = append(problems, fmt.Sprintf("%s: key %q not allowed", path, k))
					continue
				}
				walk(strings.TrimPrefix(path+"."+k, "."), child)
			}
			for p, cr := range manifestSchema {
				parent, key, ok := cutLast(p)
				if ok && parent == path && cr.required {
					if _, has := x[key]; !has {
						problems = append(problems, p+": required")
					}
				}
			}
		}
	}
	walk("", v)
	sort.Strings(problems)
	return problems
}

// cutLast splits a path into its parent and last key.
func cutLast(p string) (parent, key string, ok bool) {
	if p == "" {
		return "", "", false
	}
	i := strings.LastIndex(p, ".")
	if i < 0 {
		return "", p, true
	}
	return p[:i], p[i+1:], true
}

func manifestJSON(t *testing.T, opts ManifestOptions) ([]byte, map[string]any) {
	t.Helper()
	m, err := NewManifest(opts)
	if err != nil {
		t.Fatal(err)
	}
	body, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	json.Unmarshal(body, &v)
	return body, v
}

func get(v any, path ...string) any {
	for _, p := range path {
		m, _ := v.(map[string]any)
		v = m[p]
	}
	return v
}

func strs(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	sort.Strings(out)
	return out
}

// TestManifestSocketMode: the default manifest validates against the
// schema, asks for exactly the scopes and events Lore uses, enables Socket
// Mode, and carries no URL key at all (Slack rejects null, and a Socket Mode
// app needs none).
func TestManifestSocketMode(t *testing.T) {
	t.Parallel()
	body, v := manifestJSON(t, ManifestOptions{})
	if p := validateManifest(body); len(p) > 0 {
		t.Fatalf("the manifest does not validate:\n%s\n%s", strings.Join(p, "\n"), body)
	}
	for _, key := range []string{`"url"`, `"request_url"`, "null"} {
		if strings.Contains(string(body), key) {
			t.Errorf("the Socket Mode manifest has %s:\n%s", key, body)
		}
	}
	wantScopes := []string{"app_mentions:read", "channels:history", "channels:join", "channels:read", "chat:write",
		"commands", "groups:history", "groups:read", "im:history", "users:read"}
	if got := strs(get(v, "oauth_config", "scopes", "bot")); !slices.Equal(got, wantScopes) {
		t.Errorf("bot scopes %q, want %q", got, wantScopes)
	}
	wantEvents := []string{"app_mention", "channel_archive", "channel_rename", "channel_unarchive", "group_rename",
		"member_joined_channel", "member_left_channel", "message.channels", "message.groups", "message.im"}
	if got := strs(get(v, "settings", "event_subscriptions", "bot_events")); !slices.Equal(got, wantEvents) {
		t.Errorf("bot events %q, want %q", got, wantEvents)
	}
	checks := []struct {
		path []string
		want any
	}{
		{[]string{"settings", "socket_mode_enabled"}, true},
		{[]string{"settings", "token_rotation_enabled"}, false},
		{[]string{"settings", "interactivity", "is_enabled"}, true},
		{[]string{"features", "app_home", "messages_tab_enabled"}, true},
		{[]string{"features", "app_home", "messages_tab_read_only_enabled"}, false},
		{[]string{"display_information", "name"}, "Lore"},
		{[]string{"features", "bot_user", "display_name"}, "lore"},
	}
	for _, c := range checks {
		if got := get(v, c.path...); got != c.want {
			t.Errorf("%s = %v, want %v", strings.Join(c.path, "."), got, c.want)
		}
	}
	cmds := get(v, "features", "slash_commands").([]any)
	var names []string
	for _, c := range cmds {
		c := c.(map[string]any)
		names = append(names, c["command"].(string))
		if c["description"] == "" || c["usage_hint"] == "" {
			t.Errorf("command %v lacks a description or usage hint", c)
		}
	}
	if !slices.Equal(names, []string{"/ask", "/askall"}) {
		t.Errorf("commands %q", names)
	}
}

// TestManifestHTTP: the HTTP version validates too, turns Socket Mode off
// and carries the workspace's three request URLs under the public URL.
func TestManifestHTTP(t *testing.T) {
	t.Parallel()
	body, v := manifestJSON(t, ManifestOptions{HTTP: true, PublicURL: "https://lore.example.com/", WorkspaceID: "T0123ABCD", AppName: "Acme Lore"})
	if p := validateManifest(body); len(p) > 0 {
		t.Fatalf("the manifest does not validate:\n%s\n%s", strings.Join(p, "\n"), body)
	}
	if get(v, "settings", "socket_mode_enabled") != false {
		t.Error("socket_mode_enabled is not false")
	}
	if got := get(v, "settings", "event_subscriptions", "request_url"); got != "https://lore.example.com/slack/T0123ABCD/events" {
		t.Errorf("events URL %v", got)
	}
	if got := get(v, "settings", "interactivity", "request_url"); got != "https://lore.example.com/slack/T0123ABCD/interactions" {
		t.Errorf("interactivity URL %v", got)
	}
	for _, c := range get(v, "features", "slash_commands").([]any) {
		if got := c.(map[string]any)["url"]; got != "https://lore.example.com/slack/T0123ABCD/commands" {
			t.Errorf("command URL %v", got)
		}
	}
	if got := get(v, "features", "bot_user", "display_name"); got != "acme-lore" {
		t.Errorf("bot display name %v, want acme-lore", got)
	}
}

// TestManifestRefusesWhatSlackWould: a name too long, an http:// public
// URL, a missing or malformed workspace; and the checker itself catches a
// manifest that breaks the schema, so that the tests above can fail.
func TestManifestRefusesWhatSlackWould(t *testing.T) {
	t.Parallel()
	bad := []struct {
		opts ManifestOptions
		want string
	}{
		{ManifestOptions{AppName: strings.Repeat("x", 36)}, "at most 35 characters"},
		{ManifestOptions{AppName: "a\nb"}, "plain text"},
		{ManifestOptions{HTTP: true, WorkspaceID: "T0123ABCD"}, "needs the public URL"},
		{ManifestOptions{HTTP: true, PublicURL: "http://lore.example.com", WorkspaceID: "T0123ABCD"}, "https://"},
		{ManifestOptions{HTTP: true, PublicURL: "https://lore.example.com"}, `workspace ""`},
		{ManifestOptions{HTTP: true, PublicURL: "https://lore.example.com", WorkspaceID: "t0123/../x"}, "team id"},
	}
	for _, c := range bad {
		if _, err := NewManifest(c.opts); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want an error with %q", c.opts, err, c.want)
		}
	}
	for _, broken := range []string{
		`{"display_information":{}}`,
		`{"display_information":{"name":"Lore"},"settings":{"interactivity":{"is_enabled":true,"request_url":null}}}`,
		`{"display_information":{"name":"Lore"},"features":{"bot_user":{"display_name":"Lore Bot"},"slash_commands":[{"command":"ask","description":"x"}]}}`,
		`{"display_information":{"name":"Lore"},"features":{"slash_commands":[{"command":"/` + strings.Repeat("a", 32) + `","description":"x"}]}}`,
	} {
		if p := validateManifest([]byte(broken)); len(p) == 0 {
			t.Errorf("the checker passed %s", broken)
		}
	}
	if got := BotDisplayName("Ünïcode Bot!!"); got != "n-code-bot" {
		t.Errorf("BotDisplayName = %q", got)
	}
}
