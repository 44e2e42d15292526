package storage

import (
	"context"
	"fmt"
	"time"
)

// RetentionResult counts what DeleteMessagesBefore removed.
type RetentionResult struct {
	Messages int64 // messages deleted, their index entries with them
	Threads  int64 // kept messages whose thread context was rewritten
}

// retentionBatch is how many messages one transaction of
// DeleteMessagesBefore deletes, so that writers queue behind it briefly.
const retentionBatch = 2000

// DeleteMessagesBefore deletes the organization's messages posted before
// cutoff, batch by batch, each batch one transaction: the triggers of
// migration 00012 take each message's index entry with it and queue its
// thread's kept rows for new context, which the same transaction rewrites.
// Nothing else is touched (documents and their chunks stay). A cancelled ctx
// stops between batches; what was deleted stays deleted.
func (s *Store) DeleteMessagesBefore(ctx context.Context, orgID int64, cutoff time.Time) (RetentionResult, error) {
	var total RetentionResult
	// after is the highest message id looked at so far: each batch goes on
	// from there, so the whole run reads the organization's messages once.
	var after int64
	for {
		if err := ctx.Err(); err != nil {
			return total, err
		}
		var n, threads int64
		err := s.Tx(ctx, func(tx *Tx) error {
			rows, err := tx.tx.QueryContext(ctx, `DELETE FROM messages WHERE message_id IN (
				SELECT m.message_id FROM messages m
				WHERE m.message_id > ?1 AND CAST(m.ts AS INTEGER) < ?2
				  AND m.workspace_id IN (SELECT workspace_id FROM installations WHERE org_id = ?3)
				ORDER BY m.message_id LIMIT ?4)
				RETURNING message_id`, after, cutoff.Unix(), orgID, retentionBatch)
			if err != nil {
				return err
			}
			for rows.Next() {
				var id int64
				if err := rows.Scan(&id); err != nil {
					rows.Close()
					return err
				}
				n++
				after = max(after, id)
			}
			if err := rows.Close(); err != nil {
				return err
			}
			if err := tx.tx.QueryRowContext(ctx, `SELECT count(*) FROM messages_fts_pending WHERE reindex = 1`).Scan(&threads); err != nil {
				return err
			}
			return indexPending(ctx, tx.tx.tx)
		})
		if err != nil {
			return total, fmt.Errorf("storage: delete messages of organization %d before %s: %w", orgID, cutoff.UTC().Format(time.DateOnly), err)
		}
		total.Messages += n
		total.Threads += threads
		if n < retentionBatch {
			return total, nil
		}
	}
}

// CountMessagesBefore returns how many of the organization's messages were
// posted before cutoff: what DeleteMessagesBefore would delete.
func (s *Store) CountMessagesBefore(ctx context.Context, orgID int64, cutoff time.Time) (int64, error) {
	var n int64
	err := s.read.QueryRowContext(ctx, `SELECT count(*) FROM messages m
		WHERE CAST(m.ts AS INTEGER) < ?1
		  AND m.workspace_id IN (SELECT workspace_id FROM installations WHERE org_id = ?2)`, cutoff.Unix(), orgID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("storage: count messages of organization %d before %s: %w", orgID, cutoff.UTC().Format(time.DateOnly), err)
	}
	return n, nil
}

// ReclaimSpace gives the database's free pages back to the file system
// (PRAGMA incremental_vacuum, which needs auto_vacuum = INCREMENTAL, set by
// migration 00016) and returns how many bytes the file shrank by.
func (s *Store) ReclaimSpace(ctx context.Context) (int64, error) {
	var pageSize, free int64
	if err := s.write.QueryRowContext(ctx, `PRAGMA page_size`).Scan(&pageSize); err != nil {
		return 0, fmt.Errorf("storage: reclaim space: %w", err)
	}
	if err := s.write.QueryRowContext(ctx, `PRAGMA freelist_count`).Scan(&free); err != nil {
		return 0, fmt.Errorf("storage: reclaim space: %w", err)
	}
	// incremental_vacuum returns a row per page freed; reading them all runs it to the end.
	rows, err := s.write.QueryContext(ctx, `PRAGMA incremental_vacuum`)
	if err != nil {
		return 0, fmt.Errorf("storage: reclaim space: %w", err)
	}
	for rows.Next() {
	}
	if err := rows.Close(); err != nil {
		return 0, fmt.Errorf("storage: reclaim space: %w", err)
	}
	var after int64
	if err := s.write.QueryRowContext(ctx, `PRAGMA freelist_count`).Scan(&after); err != nil {
		return 0, fmt.Errorf("storage: reclaim space: %w", err)
	}
	return (free - after) * pageSize, nil
}

// AutoVacuum returns the database's auto_vacuum mode: 0 none, 1 full, 2
// incremental.
func (s *Store) AutoVacuum(ctx context.Context) (int, error) {
	var mode int
	if err := s.write.QueryRowContext(ctx, `PRAGMA auto_vacuum`).Scan(&mode); err != nil {
		return 0, fmt.Errorf("storage: auto_vacuum: %w", err)
	}
	return mode, nil
}
