package answers

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"lore/app/settings"
	"lore/storage"
)

// Answer lengths (org_settings.ai_response_length) and how many sources each
// quotes.
var lengthSources = map[string]int{"concise": 1, "balanced": 3, "detailed": 5}

// quoteLimit bounds one quoted source, in characters.
const quoteLimit = 700

// NotConfident starts every answer given below the confidence threshold.
const NotConfident = "I couldn't find a confident answer"

// tone is the wording of an answer's framing sentences, per ai_tone.
type tone struct {
	intro       string // before the first source
	also        string // before the other sources
	notSure     string // below the threshold (starts with NotConfident)
	nearest     string // before the nearest sources then
	nothing     string // when nothing at all was found
	inReplyTo   string // before a reply's question, in detailed answers
	attribution string // "— %s in #%s, %s"
}

var tones = map[string]tone{
	"professional": {
		intro:       "Here is what I found in your team's history:",
		also:        "Related messages:",
		notSure:     NotConfident + " in your team's history.",
		nearest:     "The nearest sources I found:",
		nothing:     NotConfident + ": nothing in your team's history matches this question.",
		inReplyTo:   "In reply to:",
		attribution: "— %s in #%s, %s",
	},
	"casual": {
		intro:       "Here's what I found:",
		also:        "Also worth a look:",
		notSure:     NotConfident + ", sorry!",
		nearest:     "Closest things I spotted:",
		nothing:     NotConfident + ": nobody seems to have talked about this yet.",
		inReplyTo:   "Replying to:",
		attribution: "— %s in #%s, %s",
	},
	"technical": {
		intro:       "Best match:",
		also:        "Further matches:",
		notSure:     NotConfident + " (confidence %d, threshold %d).",
		nearest:     "Nearest matches:",
		nothing:     NotConfident + ": no indexed message matches the query.",
		inReplyTo:   "Context (thread root):",
		attribution: "— %s, #%s, %s",
	},
}

// sources turns the best candidates into sources: at most n, at most
// perConversation from one conversation, with names and permalinks.
func (s *Service) sources(ctx context.Context, orgID int64, res result, n int) ([]Source, []*candidate, error) {
	var picked []*candidate
	perConv := map[*conversation]int{}
	for _, c := range res.candidates {
		if len(picked) == n {
			break
		}
		if c.score <= 0 {
			continue
		}
		if c.conv != nil {
			if perConv[c.conv] == perConversation {
				continue
			}
			perConv[c.conv]++
		}
		picked = append(picked, c)
	}
	names := map[string]map[string]string{} // workspace → user → name
	teams := map[string]string{}            // workspace → team URL
	var out []Source
	for _, c := range picked {
		if c.doc != nil {
			src := c.doc.Source
			src.Kind, src.Score = KindDocument, c.score
			out = append(out, src)
			continue
		}
		h := c.hit
		if names[h.WorkspaceID] == nil {
			var ids []string
			for _, o := range picked {
				if o.doc == nil && o.hit.WorkspaceID == h.WorkspaceID && o.hit.UserID != "" {
					ids = append(ids, o.hit.UserID)
				}
				if o.conv != nil {
					for _, m := range o.conv.members {
						if m.WorkspaceID == h.WorkspaceID && m.UserID != "" {
							ids = append(ids, m.UserID)
						}
					}
				}
			}
			m, err := s.search.SlackUserNames(ctx, h.WorkspaceID, ids)
			if err != nil {
				return nil, nil, err
			}
			names[h.WorkspaceID] = m
			w, err := s.store.Workspace(ctx, orgID, h.WorkspaceID)
			if err != nil {
				return nil, nil, fmt.Errorf("answers: %w", err)
			}
			teams[h.WorkspaceID] = teamBase(w)
		}
		out = append(out, Source{Kind: KindMessage, WorkspaceID: h.WorkspaceID, ChannelID: h.ChannelID,
			ChannelName: h.ChannelName, TS: h.TS, ThreadTS: h.ThreadTS, UserName: userName(h.Message, names[h.WorkspaceID]),
			PostedAt: h.PostedAt, Text: h.Body, Permalink: permalink(teams[h.WorkspaceID], h.Message), Score: c.score})
	}
	return out, picked, nil
}

// userName is who to name as a message's author.
func userName(m storage.Message, names map[string]string) string {
	if n := names[m.UserID]; n != "" {
		return n
	}
	if m.AuthorName != "" {
		return m.AuthorName
	}
	if m.UserID != "" {
		return m.UserID
	}
	return "a bot"
}

var nonSlug = regexp.MustCompile(`[^a-z0-9-]+`)

// teamBase is the workspace's Slack address, "https://acme.slack.com": from
// its team URL when Slack gave one, else from its name as Slack makes
// domains of names.
func teamBase(w storage.Workspace) string {
	if u, err := url.Parse(w.TeamURL); err == nil && u.Host != "" {
		return "https://" + u.Host
	}
	slug := strings.Trim(nonSlug.ReplaceAllString(strings.ToLower(w.TeamName), "-"), "-")
	if slug == "" {
		slug = strings.ToLower(w.ID)
	}
	return "https://" + slug + ".slack.com"
}

// permalink is Slack's link to a message: .../archives/{channel}/p{ts
// without the dot}, with thread_ts and cid for a reply.
func permalink(base string, m storage.Message) string {
	link := base + "/archives/" + m.ChannelID + "/p" + strings.Replace(m.TS, ".", "", 1)
	if m.ThreadTS != "" && m.ThreadTS != m.TS {
		link += "?thread_ts=" + m.ThreadTS + "&cid=" + m.ChannelID
	}
	return link
}

// quote is a source as the answer's text quotes it.
func quote(src Source, t tone) string {
	text := src.Text
	if r := []rune(text); len(r) > quoteLimit {
		text = string(r[:quoteLimit]) + "…"
	}
	var b strings.Builder
	for _, line := range strings.Split(text, "\n") {
		b.WriteString("> " + line + "\n")
	}
	if src.Kind == KindDocument {
		fmt.Fprintf(&b, "— %s, part %d", src.Title, src.Position+1)
		return b.String()
	}
	fmt.Fprintf(&b, t.attribution, src.UserName, src.ChannelName, src.PostedAt.Format("2 Jan 2006"))
	b.WriteString(" (" + src.Permalink + ")")
	return b.String()
}

// extractive writes the embedded default's answer: nothing but the sources'
// own words, framed in the organization's tone. Detailed answers quote a
// reply's question before it.
func extractive(a Answer, set settings.Settings, picked []*candidate, threshold int) string {
	t, ok := tones[set.String("ai_tone")]
	if !ok {
		t = tones["professional"]
	}
	var b strings.Builder
	switch {
	case len(a.Sources) == 0:
		return t.nothing
	case !a.Answered:
		if strings.Contains(t.notSure, "%d") {
			fmt.Fprintf(&b, t.notSure, a.Confidence, threshold)
		} else {
			b.WriteString(t.notSure)
		}
		b.WriteString("\n\n" + t.nearest + "\n\n")
		for i, src := range a.Sources {
			if i > 0 {
				b.WriteString("\n\n")
			}
			b.WriteString(quote(src, t))
		}
		return b.String()
	}
	b.WriteString(t.intro + "\n\n")
	if set.String("ai_response_length") == "detailed" && len(picked) > 0 {
		if q := questionOf(picked[0]); q != "" {
			b.WriteString(t.inReplyTo + "\n")
			for _, line := range strings.Split(q, "\n") {
				b.WriteString("> " + line + "\n")
			}
			b.WriteString("\n")
		}
	}
	b.WriteString(quote(a.Sources[0], t))
	if len(a.Sources) > 1 {
		b.WriteString("\n\n" + t.also)
		for _, src := range a.Sources[1:] {
			b.WriteString("\n\n" + quote(src, t))
		}
	}
	return b.String()
}

// questionOf is the text of the question a reply answers, "" for a message
// that opens its conversation.
func questionOf(c *candidate) string {
	if c.conv == nil || c.hit.ID == c.conv.root {
		return ""
	}
	for _, m := range c.conv.members {
		if m.ID == c.conv.root {
			return m.Body
		}
	}
	return ""
}
