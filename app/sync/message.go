package sync

import (
	"bytes"
	"encoding/json"
	"strings"
	"time"

	"lore/storage"
)

// Message is a Slack message as the export's day files, conversations.history
// and message events all carry it (the fields Lore keeps).
type Message struct {
	Type        string       `json:"type"`
	Subtype     string       `json:"subtype"`
	TS          string       `json:"ts"`
	ThreadTS    string       `json:"thread_ts"`
	User        string       `json:"user"` // "" also for "user": null
	BotID       string       `json:"bot_id"`
	Username    string       `json:"username"` // a bot's or integration's name
	Text        string       `json:"text"`
	Attachments []Attachment `json:"attachments"`
	Blocks      []Block      `json:"blocks"`
	Files       []File       `json:"files"`
	File        *File        `json:"file"` // older file_share messages
	Comment     *struct {
		Comment string `json:"comment"`
	} `json:"comment"` // file_comment
	Edited *struct {
		User string `json:"user"`
		TS   string `json:"ts"`
	} `json:"edited"`
	ReplyCount  int          `json:"reply_count"`
	LatestReply string       `json:"latest_reply"`
	UserProfile *UserProfile `json:"user_profile"`
	BotProfile  *struct {
		Name string `json:"name"`
	} `json:"bot_profile"`
}

// Attachment is a legacy message attachment: bots put their words here.
type Attachment struct {
	Fallback   string `json:"fallback"`
	Pretext    string `json:"pretext"`
	AuthorName string `json:"author_name"`
	Title      string `json:"title"`
	TitleLink  string `json:"title_link"`
	Text       string `json:"text"`
	Footer     string `json:"footer"`
	Fields     []struct {
		Title string `json:"title"`
		Value string `json:"value"`
	} `json:"fields"`
}

// Block is a Block Kit block or one of its elements, recursively (rich_text
// sections hold elements that hold elements).
type Block struct {
	Type     string     `json:"type"`
	Text     blockText  `json:"text"`
	URL      string     `json:"url"`
	UserID   string     `json:"user_id"`
	Channel  string     `json:"channel_id"`
	Name     string     `json:"name"`  // emoji
	Range    string     `json:"range"` // broadcast
	Fields   []Block    `json:"fields"`
	Elements []Block    `json:"elements"`
	Title    *blockText `json:"title"`
}

// blockText is a block's "text", which Slack sends as a string in rich-text
// elements and as a text object ({"type":"mrkdwn","text":"…"}) elsewhere.
type blockText string

// UnmarshalJSON accepts both shapes.
func (t *blockText) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*t = blockText(s)
	case len(b) > 0 && b[0] == '{':
		var o struct {
			Text string `json:"text"`
		}
		if err := json.Unmarshal(b, &o); err != nil {
			return err
		}
		*t = blockText(o.Text)
	}
	return nil
}

// File is a shared file: its name and title are searchable.
type File struct {
	Name  string `json:"name"`
	Title string `json:"title"`
	// Permalink is the file's page in the workspace,
	// https://acme.slack.com/files/…: an export's only record of the
	// workspace's address.
	Permalink string `json:"permalink"`
}

// UserProfile is the author's profile a message carries (newer exports),
// which names authors missing from users.json.
type UserProfile struct {
	RealName    string `json:"real_name"`
	DisplayName string `json:"display_name"`
	Name        string `json:"name"`
	Team        string `json:"team"`
}

// noiseSubtypes are stored but never indexed: they say who came and went or
// how a channel was set up, not anything an answer needs.
var noiseSubtypes = map[string]bool{
	"channel_join": true, "channel_leave": true, "group_join": true, "group_leave": true,
	"channel_topic": true, "channel_purpose": true, "group_topic": true, "group_purpose": true,
	"channel_name": true, "group_name": true, "channel_archive": true, "channel_unarchive": true,
	"group_archive": true, "group_unarchive": true, "bot_add": true, "bot_remove": true,
	"pinned_item": true, "unpinned_item": true, "tombstone": true, "channel_convert_to_private": true,
	"channel_convert_to_public": true, "reminder_add": true,
}

// ParseTS returns the time of a Slack ts ("1700000000.000100"), refusing
// anything else: storage's reading, the one for every path.
func ParseTS(ts string) (time.Time, error) { return storage.TSTime(ts) }

// row turns a Slack message into the row storage keeps: the readable body
// (markup converted, with attachments', blocks' and files' words), the
// noise and bot facts, and the thread links.
func (d *Directory) row(workspaceID, channelID string, m *Message) (storage.Message, error) {
	if _, err := ParseTS(m.TS); err != nil {
		return storage.Message{}, err
	}
	r := storage.Message{
		WorkspaceID: workspaceID,
		ChannelID:   channelID,
		TS:          m.TS,
		ThreadTS:    m.ThreadTS,
		UserID:      m.User,
		BotID:       m.BotID,
		Text:        m.Text,
		Subtype:     m.Subtype,
		Noise:       noiseSubtypes[m.Subtype],
		Bot:         m.Subtype == "bot_message" || m.BotID != "",
		ReplyCount:  max(m.ReplyCount, 0),
		LatestReply: m.LatestReply,
	}
	if m.ThreadTS != "" {
		if _, err := ParseTS(m.ThreadTS); err != nil {
			r.ThreadTS = "" // a broken link is no thread
		}
	}
	if m.Edited != nil {
		r.Edited, r.EditedTS = true, m.Edited.TS
	}
	switch {
	case m.Username != "":
		r.AuthorName = m.Username
	case m.BotProfile != nil && m.BotProfile.Name != "":
		r.AuthorName = m.BotProfile.Name
	case m.UserProfile != nil:
		r.AuthorName = firstNonEmpty(m.UserProfile.RealName, m.UserProfile.DisplayName, m.UserProfile.Name)
	}
	if m.Subtype == "tombstone" {
		r.Body = "" // "This message was deleted."
		return r, nil
	}
	r.Body = d.body(m)
	return r, nil
}

// body is the message's searchable text.
func (d *Directory) body(m *Message) string {
	var parts []string
	add := func(s string) {
		if s = strings.TrimSpace(s); s != "" {
			parts = append(parts, d.Readable(s))
		}
	}
	add(m.Text)
	for _, a := range m.Attachments {
		add(a.Pretext)
		add(a.AuthorName)
		add(a.Title)
		add(a.Text)
		for _, f := range a.Fields {
			add(f.Title)
			add(f.Value)
		}
		if a.Text == "" && a.Title == "" && a.Pretext == "" {
			add(a.Fallback) // the fallback repeats the rest when there is a rest
		}
		add(a.Footer)
	}
	for _, b := range m.Blocks {
		// A rich_text block mirrors text; it is the only text when text is empty.
		if b.Type == "rich_text" && strings.TrimSpace(m.Text) != "" {
			continue
		}
		var sb strings.Builder
		d.blockText(&sb, &b)
		if s := strings.TrimSpace(sb.String()); s != "" && s != strings.TrimSpace(parts0(parts)) {
			parts = append(parts, s)
		}
	}
	files := m.Files
	if m.File != nil {
		files = append(files, *m.File)
	}
	for _, f := range files {
		add(f.Title)
		if f.Name != f.Title {
			add(f.Name)
		}
	}
	if m.Comment != nil {
		add(m.Comment.Comment)
	}
	return strings.Join(parts, "\n")
}

func parts0(p []string) string {
	if len(p) == 0 {
		return ""
	}
	return p[0]
}

// blockText writes the readable text of a block and its elements.
func (d *Directory) blockText(sb *strings.Builder, b *Block) {
	switch b.Type {
	case "user":
		if n := d.users[b.UserID]; n != "" {
			sb.WriteString("@" + n)
		} else {
			sb.WriteString("@" + b.UserID)
		}
		return
	case "channel":
		if n := d.channels[b.Channel]; n != "" {
			sb.WriteString("#" + n)
		} else {
			sb.WriteString("#" + b.Channel)
		}
		return
	case "emoji":
		sb.WriteString(":" + b.Name + ":")
		return
	case "broadcast":
		sb.WriteString("@" + b.Range)
		return
	case "link":
		switch {
		case b.Text != "" && string(b.Text) != b.URL:
			sb.WriteString(string(b.Text) + " (" + b.URL + ")")
		default:
			sb.WriteString(b.URL)
		}
		return
	case "text":
		sb.WriteString(string(b.Text))
		return
	}
	if b.Title != nil && *b.Title != "" {
		sb.WriteString(d.Readable(string(*b.Title)) + "\n")
	}
	if b.Text != "" {
		sb.WriteString(d.Readable(string(b.Text)) + "\n")
	}
	for i := range b.Fields {
		d.blockText(sb, &b.Fields[i])
		sb.WriteString("\n")
	}
	for i := range b.Elements {
		d.blockText(sb, &b.Elements[i])
	}
	if strings.HasPrefix(b.Type, "rich_text_") {
		sb.WriteString("\n")
	}
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v = strings.TrimSpace(v); v != "" {
			return v
		}
	}
	return ""
}
