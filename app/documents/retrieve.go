package documents

import (
	"context"
	"fmt"

	"lore/app/answers"
	"lore/storage"
)

// Retrieve is the answers service's search of documents (answers.Retriever):
// the question's planned words, as the answers service planned them for
// the messages, over the organization's chunks of documents last updated
// within the question's since and until, each cited with its title, section
// and page, dated by its document's last update, and linked to its chunk on
// the document's page.
func (s *Service) Retrieve(ctx context.Context, q answers.Query) ([]answers.Hit, error) {
	if q.Match == "" {
		return nil, nil
	}
	limit := q.Limit
	if limit <= 0 || limit > maxHits {
		limit = maxHits
	}
	rows, err := s.search.SearchChunks(ctx, storage.ChunkScope{OrgID: q.OrgID, Since: q.Since, Until: q.Until}, q.Match, limit)
	if err != nil {
		return nil, fmt.Errorf("documents: retrieve: %w", err)
	}
	words := make([]string, 0, len(q.Terms))
	for _, t := range q.Terms {
		words = append(words, t.Word)
	}
	hits := make([]answers.Hit, 0, len(rows))
	for _, r := range rows {
		hits = append(hits, answers.Hit{
			Source: answers.Source{Kind: answers.KindDocument, DocumentID: r.DocumentID, Title: r.Title,
				Section: r.Section, Page: r.Page, Position: r.Position, PostedAt: r.UpdatedAt,
				Text:      excerpt(r.Text, words, excerptWords),
				Permalink: fmt.Sprintf("/documents/%d#chunk-%d", r.DocumentID, r.Position)},
			Rank:    r.BM25,
			Context: r.Section,
		})
	}
	return hits, nil
}
