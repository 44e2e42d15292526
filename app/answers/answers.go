// Package answers answers members' questions from their team's Slack history
// (and, through a Retriever, from uploaded documents): it plans a full-text
// query from the question, ranks what the index finds with the conversation
// around each message, computes a confidence written down below, and either
// quotes the best sources or says honestly that it does not know. A model is
// optional: without one the answer is extractive.
package answers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	gosync "sync"
	"time"
	"unicode/utf8"

	"lore/app/settings"
	"lore/app/validation"
	"lore/storage"
)

// Scope is where a question may look.
type Scope int

const (
	// Web is the web page and the API: the organization's public channels
	// and its documents.
	Web Scope = iota
	// Channel is /ask: the one channel it is typed in, private or not.
	Channel
	// Workspace is /askall: the workspace's public channels plus the channel
	// it is typed in.
	Workspace
)

// Sources of a question, as the questions log records them.
const (
	SourceWeb     = "web"
	SourceAsk     = "ask"
	SourceAskAll  = "askall"
	SourceMention = "mention"
	SourceDM      = "dm"
	SourceCLI     = "cli"
)

// MaxQuestionLength is the longest question accepted, in characters.
const MaxQuestionLength = 2000

// Request is one question and where it may be answered from.
type Request struct {
	OrgID    int64
	Question string
	Scope    Scope
	// WorkspaceID and ChannelID are where /ask and /askall were typed (both
	// required for Channel and Workspace); for Web they are optional filters.
	WorkspaceID string
	ChannelID   string
	Source      string // SourceWeb, SourceAsk, …; SourceWeb when empty
	AskedBy     string // a Lore user ("user:12") or a Slack user ("slack:U123")
	Since       time.Time
	Until       time.Time
}

// Answer is what Lore answers, in the JSON shape of the API.
type Answer struct {
	QuestionID int64    `json:"question_id"`
	Answered   bool     `json:"answered"` // false: "I couldn't find a confident answer", with the nearest sources
	Text       string   `json:"answer"`
	Confidence int      `json:"confidence"` // 0-100, see confidence
	Sources    []Source `json:"sources"`
	Model      string   `json:"model,omitempty"` // the model that wrote Text; "" for the extractive answer
}

// Kinds of source.
const (
	KindMessage  = "message"
	KindDocument = "document"
)

// Source is a message or a document chunk an answer draws on.
type Source struct {
	Kind        string    `json:"kind"` // KindMessage or KindDocument
	WorkspaceID string    `json:"workspace_id,omitempty"`
	ChannelID   string    `json:"channel_id,omitempty"`
	ChannelName string    `json:"channel_name,omitempty"`
	TS          string    `json:"ts,omitempty"`
	ThreadTS    string    `json:"thread_ts,omitempty"`
	UserName    string    `json:"user_name,omitempty"`
	PostedAt    time.Time `json:"posted_at"`
	Text        string    `json:"text"`
	Permalink   string    `json:"permalink,omitempty"`
	// DocumentID, Title, Section, Page and Position name a document chunk
	// ("Runbook.pdf, p. 4, Restarting ingest"); its Permalink is the chunk on
	// Lore's document page.
	DocumentID int64  `json:"document_id,omitempty"`
	Title      string `json:"title,omitempty"`
	Section    string `json:"section,omitempty"`
	Page       int    `json:"page,omitempty"`
	Position   int    `json:"position,omitempty"`
	// Score is the ranking score (higher is better), comparable within one answer.
	Score float64 `json:"score"`
}

// Query is what a Retriever is asked: the planned terms and the scope's
// filters (a Retriever is only asked for Web questions).
type Query struct {
	OrgID  int64
	Match  string // the FTS5 expression over the planned words
	Terms  []Term
	Since  time.Time
	Until  time.Time
	Limit  int
	SumIDF float64
}

// Hit is what a Retriever found: a source with its bm25 rank (SQLite's,
// negative) and the text around it that lends it context.
type Hit struct {
	Source  Source
	Rank    float64
	Context string
}

// Retriever searches another kind of content than messages (documents).
type Retriever interface {
	Retrieve(ctx context.Context, q Query) ([]Hit, error)
}

// Options tune a Service; the zero value is the production setup.
type Options struct {
	// Retrievers are searched beside the messages for Web questions.
	Retrievers []Retriever
	// Models names the optional model endpoint; none when nil.
	Models Models
	// HTTPClient asks the model; http.DefaultClient's transport when nil.
	HTTPClient *http.Client
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// Service answers questions.
type Service struct {
	store      *storage.Store
	search     *storage.Searcher
	stemmer    *storage.Stemmer
	logger     *slog.Logger
	retrievers []Retriever
	models     Models
	client     *http.Client
	now        func() time.Time

	mu        gosync.RWMutex // guards stemCache
	stemCache map[string]string
	lexicon   lexicon
}

// New returns the answers service over store.
func New(ctx context.Context, store *storage.Store, logger *slog.Logger, opts Options) (*Service, error) {
	st, err := storage.NewStemmer(ctx)
	if err != nil {
		return nil, fmt.Errorf("answers: %w", err)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{}
	}
	s := &Service{store: store, search: store.Searcher(), stemmer: st, logger: logger, retrievers: opts.Retrievers, models: opts.Models,
		client: opts.HTTPClient, now: opts.Now, stemCache: map[string]string{}}
	if s.lexicon, err = s.loadLexicon(ctx); err != nil {
		st.Close()
		return nil, err
	}
	return s, nil
}

// Close releases the service's stemmer and prepared statements.
func (s *Service) Close() error { return errors.Join(s.search.Close(), s.stemmer.Close()) }

// ErrBadScope is a request whose scope lacks the workspace or channel it needs.
var ErrBadScope = errors.New("answers: /ask and /askall need the workspace and channel they were typed in")

// checkRequest trims the question and names what is wrong with the request.
func checkRequest(r *Request) error {
	r.Question = strings.TrimSpace(r.Question)
	fields := map[string]string{}
	switch n := utf8.RuneCountInString(r.Question); {
	case !utf8.ValidString(r.Question):
		fields["question"] = "must be valid UTF-8 text"
	case n == 0:
		fields["question"] = "is required"
	case n > MaxQuestionLength:
		fields["question"] = fmt.Sprintf("must be at most %d characters", MaxQuestionLength)
	}
	if !r.Since.IsZero() && !r.Until.IsZero() && !r.Until.After(r.Since) {
		fields["until"] = "must be after since"
	}
	switch r.Source {
	case "", SourceWeb, SourceAsk, SourceAskAll, SourceMention, SourceDM, SourceCLI:
	default:
		fields["source"] = "must be web, ask, askall, mention, dm or cli"
	}
	if len(fields) > 0 {
		return &validation.Error{Code: "invalid_question", Message: "the question cannot be asked", Fields: fields}
	}
	if r.Scope != Web && (r.WorkspaceID == "" || r.ChannelID == "") {
		return ErrBadScope
	}
	if r.Source == "" {
		r.Source = SourceWeb
	}
	return nil
}

// messageScope is the request's scope as storage filters it. Only Channel
// and Workspace name a private channel, and only the one asked in.
func (r Request) messageScope() storage.MessageScope {
	sc := storage.MessageScope{OrgID: r.OrgID, Since: r.Since, Until: r.Until}
	switch r.Scope {
	case Channel:
		sc.WorkspaceID, sc.ChannelID, sc.PrivateChannel = r.WorkspaceID, r.ChannelID, r.ChannelID
	case Workspace:
		sc.WorkspaceID, sc.PrivateChannel = r.WorkspaceID, r.ChannelID
	default:
		sc.WorkspaceID, sc.ChannelID = r.WorkspaceID, r.ChannelID
	}
	return sc
}

// Ask answers a question within its scope.
func (s *Service) Ask(ctx context.Context, r Request) (Answer, error) {
	if err := checkRequest(&r); err != nil {
		return Answer{}, err
	}
	set, err := settings.New(s.store).Get(ctx, r.OrgID)
	if err != nil {
		return Answer{}, fmt.Errorf("answers: %w", err)
	}
	if r.Source == SourceWeb && !set.Bool("web_qa_enabled") {
		return Answer{}, ErrWebQADisabled
	}
	res, err := s.retrieve(ctx, r)
	if err != nil {
		return Answer{}, err
	}
	a, err := s.answer(ctx, r, res, set)
	if err != nil {
		return Answer{}, err
	}
	if a.QuestionID, err = s.log(ctx, r, a); err != nil {
		return Answer{}, err
	}
	return a, nil
}

// answer turns a ranked retrieval into the answer: its sources, confidence,
// whether it clears the organization's threshold, and its text.
func (s *Service) answer(ctx context.Context, r Request, res result, set settings.Settings) (Answer, error) {
	n, ok := lengthSources[set.String("ai_response_length")]
	if !ok {
		n = lengthSources["balanced"]
	}
	srcs, picked, err := s.sources(ctx, r.OrgID, res, n)
	if err != nil {
		return Answer{}, err
	}
	if srcs == nil {
		srcs = []Source{} // [] in JSON, not null
	}
	a := Answer{Confidence: res.confidence, Sources: srcs}
	a.Answered = len(srcs) > 0 && int64(a.Confidence) >= set.Int("confidence_threshold")
	a.Text = extractive(a, set, picked, int(set.Int("confidence_threshold")))
	if !a.Answered || s.models == nil {
		return a, nil
	}
	// The model writes the answer from the same sources; on any failure the
	// extractive answer stands, and the log says why (never the key).
	m, ok, err := s.models.Model(ctx)
	if err != nil {
		s.logger.Warn("model settings unreadable; answering extractively", slog.Any("error", err))
		return a, nil
	}
	if !ok {
		return a, nil
	}
	text, err := s.askModel(ctx, m, r.Question, srcs, set)
	if err != nil {
		s.logger.Warn("model answer failed; answering extractively", "model", m.Model, "base_url", m.BaseURL, "reason", err.Error())
		return a, nil
	}
	a.Text, a.Model = withSources(text, srcs), m.Model
	return a, nil
}
