// Package bot is Lore in Slack: /ask and /askall, @mentions in threads,
// questions sent to the bot directly, and the "Share in channel" and
// feedback buttons of its answers. It knows no transport: Socket Mode and
// HTTP mode both hand it slack-go's types (slack.SlashCommand,
// slackevents.EventsAPIEvent, slack.InteractionCallback) with the Conn of
// the workspace they came from. HTTP mode answers Slack at once with what Command and
// Interaction return (the ack); the Socket Mode runtime, which acks every
// envelope itself, calls the same through SocketHandler, which posts those
// replies to the response_url instead. The Service answers questions in the
// background through the request's response_url or the Web API and never
// answers one delivery twice.
//
// Answers come from an Answerer (the answers service); every question is
// logged there with its source. Before an answer is shown, the Service
// checks each source against the question's scope once more: a private
// channel's content answers only inside that channel.
package bot

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	gosync "sync"
	"time"

	"github.com/slack-go/slack/slackevents"

	"lore/app/answers"
	"lore/app/settings"
	"lore/app/slack"
	"lore/storage"
)

// The bot asks the answers service, in its own types: a question, its scope
// and its source, and the answer with its sources.
type (
	Scope   = answers.Scope
	Request = answers.Request
	Answer  = answers.Answer
	Source  = answers.Source
)

// Scopes a question may look in (see answers.Scope).
const (
	// Channel is /ask: the one channel it is typed in, private or not.
	Channel = answers.Channel
	// Workspace is /askall, a mention or a direct message: the workspace's
	// public channels plus the channel asked in.
	Workspace = answers.Workspace
)

// Sources of a question, as the questions log records them.
const (
	SourceAsk     = answers.SourceAsk
	SourceAskAll  = answers.SourceAskAll
	SourceMention = answers.SourceMention
	SourceDM      = answers.SourceDM
)

// MaxQuestionLength is the longest question the answers service accepts,
// in characters; a thread's context is cut to fit.
const MaxQuestionLength = answers.MaxQuestionLength

// KindMessage is a source that is a Slack message; documents answer only
// on the web.
const KindMessage = answers.KindMessage

// Answerer answers a question within its scope and logs it: the answers
// service's Ask.
type Answerer interface {
	Ask(ctx context.Context, r Request) (Answer, error)
}

// Feedback records whether an answer helped (the answers service's
// Feedback); optional.
type Feedback interface {
	Feedback(ctx context.Context, orgID, questionID int64, helpful bool) error
}

// Conn is the workspace a command, event or click came from, with the
// Web API of its connection: a Socket Mode connection's, or in HTTP mode the
// one read for the request. Its fields are those of the Socket Mode
// runtime's slack.SocketWorkspace, so that it can become an alias of it.
type Conn = slack.SocketWorkspace

// LiveEvents takes the events that are not questions (messages in
// channels, channel renames, joins…) to the one message path, as the
// Socket Mode runtime's live capture does; optional.
type LiveEvents interface {
	Event(ctx context.Context, ws Conn, ev slackevents.EventsAPIEvent)
}

// Options are what a Service needs.
type Options struct {
	Answerer Answerer
	Feedback Feedback   // nil: the feedback buttons only thank
	Live     LiveEvents // nil: non-question events are dropped
	Settings *settings.Service
	// Store names which channels are public, for the scope check.
	Store  *storage.Store
	Logger *slog.Logger
	// SlackAPIURL is the Web API's base URL: response URLs are accepted on
	// hooks.slack.com and on this URL's host (a proxy, a test's fake).
	SlackAPIURL string
	// HTTPClient posts to response URLs; nil is a client with a 10 s timeout.
	HTTPClient *http.Client
	// BotName is how the bot is named in "invite @lore to #channel"; "" is lore.
	BotName string
	// Now is the clock; nil is time.Now.
	Now func() time.Time
}

// Timeouts of the work a command starts.
const (
	// AnswerTimeout bounds answering one question and posting the answer.
	AnswerTimeout = 2 * time.Minute
	// ShareWindow is how long an answer can be shared: Slack's response
	// URLs last 30 minutes.
	ShareWindow = 30 * time.Minute
	// seenWindow is how long a delivery is remembered, so that Slack's
	// retries (minutes apart at most) are not answered again.
	seenWindow = 15 * time.Minute
	maxSeen    = 50000
	maxShares  = 10000
)

// Service answers questions asked in Slack. It is safe for concurrent use;
// Close stops the answers in flight.
type Service struct {
	answerer Answerer
	feedback Feedback
	live     LiveEvents
	settings *settings.Service
	store    *storage.Store
	logger   *slog.Logger
	http     *http.Client
	apiHost  string
	botName  string
	now      func() time.Time

	ctx    context.Context // ends on Close; the background work's parent
	cancel context.CancelFunc
	wg     gosync.WaitGroup

	mu     gosync.Mutex
	closed bool
	seen   map[string]time.Time // delivery key → when first seen
	shares map[string]*share    // share id → what the asker was shown
	// members is Slack's last answer on the bot's membership, by
	// workspace:channel.
	members map[string]knownMembership
}

// New returns a Service.
func New(opts Options) *Service {
	s := &Service{answerer: opts.Answerer, feedback: opts.Feedback, live: opts.Live, settings: opts.Settings,
		store: opts.Store, logger: opts.Logger, http: opts.HTTPClient, botName: opts.BotName, now: opts.Now,
		seen: map[string]time.Time{}, shares: map[string]*share{}, members: map[string]knownMembership{}}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	if s.http == nil {
		s.http = &http.Client{Timeout: 10 * time.Second}
	}
	if s.botName == "" {
		s.botName = "lore"
	}
	if s.now == nil {
		s.now = time.Now
	}
	if u, err := url.Parse(opts.SlackAPIURL); err == nil && u.Host != "" {
		s.apiHost = u.Scheme + "://" + u.Host
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	return s
}

// Close cancels the answers in flight and waits for them to end.
func (s *Service) Close() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.cancel()
	s.wg.Wait()
}

// Wait waits until no answer is in flight (for tests and benchmarks).
func (s *Service) Wait() { s.wg.Wait() }

// background runs f apart from the request that started it, so that Slack
// gets its ack at once; f's context ends after AnswerTimeout or on Close.
func (s *Service) background(what string, f func(ctx context.Context)) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		s.logger.Warn("slack request dropped: lore is stopping", "what", what)
		return
	}
	s.wg.Add(1)
	s.mu.Unlock()
	go func() {
		defer s.wg.Done()
		defer func() {
			if v := recover(); v != nil {
				s.logger.Error("panic answering in Slack", "what", what, "panic", v)
			}
		}()
		ctx, cancel := context.WithTimeout(s.ctx, AnswerTimeout)
		defer cancel()
		f(ctx)
	}()
}

// firstTime records a delivery and tells whether it is new: a retry of an
// event, command or click already seen is not answered again.
func (s *Service) firstTime(key string) bool {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if at, ok := s.seen[key]; ok && now.Sub(at) < seenWindow {
		return false
	}
	if len(s.seen) >= maxSeen {
		for k, at := range s.seen {
			if now.Sub(at) >= seenWindow {
				delete(s.seen, k)
			}
		}
	}
	s.seen[key] = now
	return true
}

// share is an answer as its asker saw it, kept for ShareWindow so that
// "Share in channel" posts exactly that, and the feedback buttons name its
// question.
type share struct {
	orgID       int64
	workspaceID string
	channelID   string
	asker       string // Slack user id
	question    string
	responseURL string // the command's, for posting in the channel
	answer      Answer
	scope       Scope
	at          time.Time
	shared      bool
}

// remember keeps sh and returns its id, the value of its buttons.
func (s *Service) remember(sh *share) string {
	b := make([]byte, 16)
	rand.Read(b)
	id := hex.EncodeToString(b)
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.shares) >= maxShares {
		for k, old := range s.shares {
			if now.Sub(old.at) >= ShareWindow {
				delete(s.shares, k)
			}
		}
	}
	sh.at = now
	s.shares[id] = sh
	return id
}

// lookup returns the share of id while it can still be shared.
func (s *Service) lookup(id string) (*share, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sh, ok := s.shares[id]
	if !ok || s.now().Sub(sh.at) >= ShareWindow {
		return nil, false
	}
	return sh, true
}

// commandsEnabled reads the organization's slack_commands_enabled.
func (s *Service) commandsEnabled(ctx context.Context, orgID int64) (bool, error) {
	st, err := s.settings.Get(ctx, orgID)
	if err != nil {
		return false, fmt.Errorf("bot: settings of organization %d: %w", orgID, err)
	}
	return st.Bool("slack_commands_enabled"), nil
}

// allowedResponseURL tells whether u is a response URL Lore may post to:
// Slack's (https://hooks.slack.com/…) or on the configured API's host.
func (s *Service) allowedResponseURL(u string) bool {
	p, err := url.Parse(u)
	if err != nil || p.User != nil {
		return false
	}
	if p.Scheme == "https" && p.Host == "hooks.slack.com" {
		return true
	}
	return s.apiHost != "" && p.Scheme+"://"+p.Host == s.apiHost && strings.HasPrefix(u, s.apiHost+"/")
}
