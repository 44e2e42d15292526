package answers

import (
	"context"
	"errors"
	"fmt"
	"time"

	"lore/storage"
)

// ErrWebQADisabled is a web question in an organization whose web_qa_enabled
// setting is off.
var ErrWebQADisabled = errors.New("answers: questions on the web are turned off for this organization")

// topLogged is how many sources the questions log keeps per question.
const topLogged = 5

// PrivateQuestion stands for the words of a question asked in a private
// channel, in lists outside that channel: they may carry its content.
const PrivateQuestion = "asked in a private channel"

// log records a question and its answer, and returns the question's id.
func (s *Service) log(ctx context.Context, r Request, a Answer) (int64, error) {
	private := false
	if r.Scope != Web && r.ChannelID != "" {
		ch, err := s.store.Channel(ctx, r.WorkspaceID, r.ChannelID)
		switch {
		case errors.Is(err, storage.ErrNotFound):
			private = true // a channel Lore has not listed may be private: keep its words out of lists
		case err != nil:
			return 0, fmt.Errorf("answers: %w", err)
		default:
			private = ch.Private
		}
	}
	q := storage.Question{OrgID: r.OrgID, WorkspaceID: r.WorkspaceID, ChannelID: r.ChannelID, ChannelPrivate: private,
		AskedBy: r.AskedBy, Source: r.Source, Question: r.Question, Answer: a.Text, Answered: a.Answered,
		Confidence: a.Confidence}
	for i, src := range a.Sources {
		if i == topLogged {
			break
		}
		q.Sources = append(q.Sources, storage.QuestionSource{Kind: src.Kind, WorkspaceID: src.WorkspaceID,
			ChannelID: src.ChannelID, TS: src.TS, DocumentID: src.DocumentID, Score: src.Score})
	}
	id, err := s.store.CreateQuestion(ctx, q)
	if err != nil {
		return 0, fmt.Errorf("answers: %w", err)
	}
	return id, nil
}

// QuestionOrg returns the organization a logged question belongs to, or
// storage.ErrNotFound; the HTTP layer checks membership with it.
func (s *Service) QuestionOrg(ctx context.Context, questionID int64) (int64, error) {
	q, err := s.store.Question(ctx, questionID)
	if err != nil {
		return 0, err
	}
	return q.OrgID, nil
}

// Feedback records whether an answer helped.
func (s *Service) Feedback(ctx context.Context, orgID, questionID int64, helpful bool) error {
	return s.store.SetQuestionFeedback(ctx, orgID, questionID, helpful)
}

// LoggedQuestion is a logged question as lists show it.
type LoggedQuestion struct {
	ID          int64      `json:"question_id"`
	Question    string     `json:"question"`
	Private     bool       `json:"asked_in_private_channel"`
	Source      string     `json:"source"`
	WorkspaceID string     `json:"workspace_id,omitempty"`
	ChannelID   string     `json:"channel_id,omitempty"`
	AskedBy     string     `json:"asked_by"`
	Answered    bool       `json:"answered"`
	Confidence  int        `json:"confidence"`
	Helpful     *bool      `json:"helpful"`
	CreatedAt   time.Time  `json:"created_at"`
	FeedbackAt  *time.Time `json:"feedback_at,omitempty"`
}

// ListQuestions returns an organization's logged questions, newest first,
// only the unanswered (or answered) ones when answered is set. A question
// asked in a private channel is listed without its words.
func (s *Service) ListQuestions(ctx context.Context, orgID int64, answered *bool, limit int) ([]LoggedQuestion, error) {
	rows, err := s.store.ListQuestions(ctx, storage.QuestionFilter{OrgID: orgID, Answered: answered, Limit: limit})
	if err != nil {
		return nil, fmt.Errorf("answers: %w", err)
	}
	out := make([]LoggedQuestion, 0, len(rows))
	for _, q := range rows {
		l := LoggedQuestion{ID: q.ID, Question: q.Question, Private: q.ChannelPrivate, Source: q.Source,
			WorkspaceID: q.WorkspaceID, ChannelID: q.ChannelID, AskedBy: q.AskedBy, Answered: q.Answered,
			Confidence: q.Confidence, Helpful: q.Helpful, CreatedAt: q.CreatedAt}
		if q.ChannelPrivate {
			l.Question = PrivateQuestion
		}
		if !q.FeedbackAt.IsZero() {
			at := q.FeedbackAt
			l.FeedbackAt = &at
		}
		out = append(out, l)
	}
	return out, nil
}
