package sync

import (
	"strings"
)

// Directory names the users and channels that Slack's markup refers to by id.
// It is read-only once built, so decoders on several goroutines share one.
type Directory struct {
	users    map[string]string // user id → the name to show
	channels map[string]string // channel id → name
}

// NewDirectory returns an empty directory.
func NewDirectory() *Directory {
	return &Directory{users: map[string]string{}, channels: map[string]string{}}
}

// AddUser records the name to show for a user: the real name, else the
// display name, else the handle.
func (d *Directory) AddUser(id, realName, displayName, handle string) {
	for _, n := range []string{realName, displayName, handle} {
		if n = strings.TrimSpace(n); n != "" {
			d.users[id] = n
			return
		}
	}
}

// AddChannel records a channel's name.
func (d *Directory) AddChannel(id, name string) {
	if name != "" {
		d.channels[id] = name
	}
}

// UserName returns the name to show for a user id, or "" when unknown.
func (d *Directory) UserName(id string) string { return d.users[id] }

// Readable turns Slack's markup into text people read and search:
// <@U123> → @Maya Chen, <#C123|deploys> → #deploys, <https://x|label> →
// label (https://x), <!here> → @here, &amp; &lt; &gt; → & < >. Emoji codes
// (:tada:) stay as they are: the index splits them into words.
func (d *Directory) Readable(s string) string {
	if strings.IndexByte(s, '<') < 0 && strings.IndexByte(s, '&') < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	for i := 0; i < len(s); {
		c := s[i]
		switch c {
		case '<':
			end := strings.IndexByte(s[i+1:], '>')
			if end < 0 {
				b.WriteString(decodeEntities(s[i:]))
				return b.String()
			}
			d.writeLink(&b, s[i+1:i+1+end])
			i += end + 2
		case '&':
			n := entityAt(&b, s[i:])
			i += n
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String()
}

// writeLink writes one <…> element's readable form.
func (d *Directory) writeLink(b *strings.Builder, inner string) {
	target, label, _ := strings.Cut(inner, "|")
	label = decodeEntities(label)
	switch {
	case strings.HasPrefix(target, "@"):
		id := target[1:]
		name := d.users[id]
		if name == "" {
			name = strings.TrimPrefix(label, "@")
		}
		if name == "" {
			name = id
		}
		b.WriteString("@" + name)
	case strings.HasPrefix(target, "#"):
		id := target[1:]
		name := label
		if name == "" {
			name = d.channels[id]
		}
		if name == "" {
			name = id
		}
		b.WriteString("#" + name)
	case strings.HasPrefix(target, "!"):
		special := target[1:]
		switch {
		case label != "":
			b.WriteString(label)
		case special == "channel" || special == "here" || special == "everyone":
			b.WriteString("@" + special)
		default:
			kind, _, _ := strings.Cut(special, "^")
			b.WriteString("@" + kind)
		}
	default:
		url := decodeEntities(target)
		bare := strings.TrimPrefix(url, "mailto:")
		switch {
		case label == "" || label == url || label == bare:
			b.WriteString(bare)
		default:
			b.WriteString(label + " (" + url + ")")
		}
	}
}

// entityAt writes the character of the entity starting s (one of the three
// Slack escapes) or the '&' itself, and returns how many bytes it consumed.
func entityAt(b *strings.Builder, s string) int {
	for _, e := range [...]struct{ name, char string }{{"&amp;", "&"}, {"&lt;", "<"}, {"&gt;", ">"}} {
		if strings.HasPrefix(s, e.name) {
			b.WriteString(e.char)
			return len(e.name)
		}
	}
	b.WriteByte('&')
	return 1
}

func decodeEntities(s string) string {
	if strings.IndexByte(s, '&') < 0 {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		if s[i] == '&' {
			i += entityAt(&b, s[i:])
			continue
		}
		b.WriteByte(s[i])
		i++
	}
	return b.String()
}
