package storage

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"time"
)

// DayCount is how many messages were posted on one UTC day.
type DayCount struct {
	Day      time.Time // midnight UTC
	Messages int64
}

// messagesPerDayQuery counts per day: CROSS JOIN keeps SQLite's order,
// channels before their messages, so that each channel is a range seek.
const messagesPerDayQuery = `
	SELECT CAST(m.ts AS INTEGER) / 86400, count(*)
	FROM installations i CROSS JOIN channels c CROSS JOIN messages m
	WHERE i.org_id = ?1 AND c.workspace_id = i.workspace_id
	  AND m.workspace_id = c.workspace_id AND m.channel_id = c.channel_id AND m.ts >= ?2 AND m.ts < ?3
	  AND CAST(m.ts AS INTEGER) >= ?4 AND CAST(m.ts AS INTEGER) < ?5
	GROUP BY 1 ORDER BY 1`

// MessagesPerDay counts the organization's stored messages per UTC day of
// their ts, from the day of since to the day of until, both included; days
// without messages are left out.
//
// It needs no index of its own (one would slow every import by about a
// tenth): channel by channel, the days are a range of the messages' unique
// (workspace_id, channel_id, ts) index, compared as text. That is exact for
// the ts of any time between 2001 and 2286, ten digits of seconds, which is
// every ts Slack hands out; the CAST keeps a ts of another shape from being
// counted on a day it is not of.
func (s *Store) MessagesPerDay(ctx context.Context, orgID int64, since, until time.Time) ([]DayCount, error) {
	from := since.UTC().Truncate(24 * time.Hour).Unix()
	to := until.UTC().Truncate(24*time.Hour).Unix() + 86400
	what := fmt.Sprintf("messages per day of organization %d", orgID)
	rows, err := s.read.QueryContext(ctx, messagesPerDayQuery, orgID, strconv.FormatInt(from, 10), strconv.FormatInt(to, 10), from, to)
	if err != nil {
		return nil, fmt.Errorf("storage: %s: %w", what, err)
	}
	return collect(rows, what, func(rows *sql.Rows) (DayCount, error) {
		var day, n int64
		err := rows.Scan(&day, &n)
		return DayCount{Day: time.Unix(day*86400, 0).UTC(), Messages: n}, err
	})
}
