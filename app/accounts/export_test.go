package accounts

// SetBeforeMemberTx makes AddMember call f after its checks outside the
// transaction and before the transaction, where a race would strike.
func SetBeforeMemberTx(s *Service, f func()) { s.beforeMemberTx = f }
