package answers

import "context"

// Retrieve is retrieve for the benchmark of the external test package: the
// plan, the search and the ranking, without composing or logging.
func (s *Service) Retrieve(ctx context.Context, r Request) (int, error) {
	if err := checkRequest(&r); err != nil {
		return 0, err
	}
	res, err := s.retrieve(ctx, r)
	return len(res.candidates), err
}
