package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Question is one row of the questions log: a question asked, how it was
// answered, its top sources and the asker's feedback.
type Question struct {
	ID             int64
	OrgID          int64
	WorkspaceID    string // "" when asked on the web or the command line without one
	ChannelID      string
	ChannelPrivate bool // asked in a private channel: lists show it without its words
	AskedBy        string
	Source         string // ask, askall, web, mention, dm, cli
	Question       string
	Answer         string
	Answered       bool
	Confidence     int
	Sources        []QuestionSource
	Helpful        *bool // nil until the asker says
	FeedbackAt     time.Time
	CreatedAt      time.Time
}

// QuestionSource is one source an answer named, as the log keeps it.
type QuestionSource struct {
	Kind        string  `json:"kind"`
	WorkspaceID string  `json:"workspace_id,omitempty"`
	ChannelID   string  `json:"channel_id,omitempty"`
	TS          string  `json:"ts,omitempty"`
	DocumentID  int64   `json:"document_id,omitempty"`
	Score       float64 `json:"score"`
}

// CreateQuestion logs a question and returns its id.
func (s *Store) CreateQuestion(ctx context.Context, q Question) (int64, error) {
	srcs := q.Sources
	if srcs == nil {
		srcs = []QuestionSource{}
	}
	data, err := json.Marshal(srcs)
	if err != nil {
		return 0, fmt.Errorf("storage: log question: %w", err)
	}
	var id int64
	err = s.write.QueryRowContext(ctx, `
		INSERT INTO questions (org_id, workspace_id, channel_id, channel_private, asked_by, source, question, answer,
			answered, confidence, sources)
		VALUES (?, nullif(?, ''), nullif(?, ''), ?, ?, ?, ?, ?, ?, ?, ?) RETURNING question_id`,
		q.OrgID, q.WorkspaceID, q.ChannelID, q.ChannelPrivate, q.AskedBy, q.Source, q.Question, q.Answer,
		q.Answered, q.Confidence, string(data)).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("storage: log question: %w", err)
	}
	return id, nil
}

const questionColumns = `question_id, org_id, coalesce(workspace_id, ''), coalesce(channel_id, ''), channel_private,
	asked_by, source, question, answer, answered, confidence, sources, helpful, coalesce(feedback_at, ''), created_at`

func scanQuestion(row interface{ Scan(...any) error }) (Question, error) {
	var q Question
	var srcs, feedback, created string
	var helpful sql.NullBool
	if err := row.Scan(&q.ID, &q.OrgID, &q.WorkspaceID, &q.ChannelID, &q.ChannelPrivate, &q.AskedBy, &q.Source,
		&q.Question, &q.Answer, &q.Answered, &q.Confidence, &srcs, &helpful, &feedback, &created); err != nil {
		return Question{}, err
	}
	if err := json.Unmarshal([]byte(srcs), &q.Sources); err != nil {
		return Question{}, fmt.Errorf("storage: question %d sources: %w", q.ID, err)
	}
	if helpful.Valid {
		q.Helpful = &helpful.Bool
	}
	var err error
	if feedback != "" {
		if q.FeedbackAt, err = parseTime(feedback); err != nil {
			return Question{}, err
		}
	}
	q.CreatedAt, err = parseTime(created)
	return q, err
}

// Question returns a logged question, or ErrNotFound.
func (s *Store) Question(ctx context.Context, id int64) (Question, error) {
	q, err := scanQuestion(s.read.QueryRowContext(ctx, `SELECT `+questionColumns+` FROM questions WHERE question_id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Question{}, fmt.Errorf("storage: question %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return Question{}, fmt.Errorf("storage: question %d: %w", id, err)
	}
	return q, nil
}

// SetQuestionFeedback records whether the answer helped; a second call
// replaces the first. A question of another organization is ErrNotFound.
func (s *Store) SetQuestionFeedback(ctx context.Context, orgID, id int64, helpful bool) error {
	res, err := s.write.ExecContext(ctx, `UPDATE questions SET helpful = ?, feedback_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
		WHERE question_id = ? AND org_id = ?`, helpful, id, orgID)
	if err != nil {
		return fmt.Errorf("storage: question %d feedback: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("storage: question %d: %w", id, ErrNotFound)
	}
	return nil
}

// QuestionFilter selects logged questions of an organization.
type QuestionFilter struct {
	OrgID    int64
	Answered *bool // nil for both
	Limit    int   // 100 when 0
	BeforeID int64 // for the next page: only questions with a smaller id
}

// ListQuestions returns an organization's questions, newest first.
func (s *Store) ListQuestions(ctx context.Context, f QuestionFilter) ([]Question, error) {
	q := `SELECT ` + questionColumns + ` FROM questions WHERE org_id = ?`
	args := []any{f.OrgID}
	if f.Answered != nil {
		q += ` AND answered = ?`
		args = append(args, *f.Answered)
	}
	if f.BeforeID > 0 {
		q += ` AND question_id < ?`
		args = append(args, f.BeforeID)
	}
	if f.Limit <= 0 {
		f.Limit = 100
	}
	rows, err := s.read.QueryContext(ctx, q+` ORDER BY question_id DESC LIMIT ?`, append(args, f.Limit)...)
	if err != nil {
		return nil, fmt.Errorf("storage: list questions: %w", err)
	}
	defer rows.Close()
	var out []Question
	for rows.Next() {
		qq, err := scanQuestion(rows)
		if err != nil {
			return nil, fmt.Errorf("storage: list questions: %w", err)
		}
		out = append(out, qq)
	}
	return out, rows.Err()
}
