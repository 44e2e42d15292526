package ui

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"lore/app/accounts"
	"lore/app/validation"
	"lore/storage"
)

// memberRow is one member on the members page.
type memberRow struct {
	storage.Membership
	// Editable says the caller may change this member's role and remove
	// them: an owner anyone, an admin anyone but an owner.
	Editable bool
	You      bool
	// RoleError is why the last change of this member's role was refused.
	RoleError string
}

// membersPage lists an organization's members for its admins, with the
// forms that add one, change a role and remove one.
type membersPage struct {
	layout
	Members []memberRow
	// Roles are the roles the caller may give (owner only for an owner).
	Roles []string
	// The add form as typed (never the password) and each field's problem.
	Email     string
	Role      string
	AddErrors map[string]string
}

// membersPath is where the members page of an organization lives.
func membersPath(orgID int64) string { return fmt.Sprintf("/organizations/%d/members", orgID) }

// membersPageOf builds the members page for the caller.
func (h *handler) membersPageOf(r *http.Request) (*membersPage, error) {
	p, m := caller(r)
	list, err := h.app.Accounts.ListMembers(r.Context(), m.OrgID)
	if err != nil {
		return nil, err
	}
	pg := &membersPage{layout: layout{Title: "Members"}, Role: storage.RoleMember,
		Roles: []string{storage.RoleMember, storage.RoleAdmin}}
	owner := m.Role == storage.RoleOwner
	if owner {
		pg.Roles = append(pg.Roles, storage.RoleOwner)
	}
	for _, mm := range list {
		pg.Members = append(pg.Members, memberRow{Membership: mm, You: mm.UserID == p.UserID,
			Editable: owner || mm.Role != storage.RoleOwner})
	}
	return pg, nil
}

// showMembersPage lists the organization's members.
func (h *handler) showMembersPage(w http.ResponseWriter, r *http.Request) {
	pg, err := h.membersPageOf(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "members", pg)
}

// submitAddMember adds a person (the same AddMember as the API): a new
// email gets an account with the password typed. A refusal gives the form
// again with the email and role kept and the problem beside its field.
func (h *handler) submitAddMember(w http.ResponseWriter, r *http.Request) {
	p, m := caller(r)
	if err := r.ParseForm(); err != nil {
		h.fail(w, r, err)
		return
	}
	in := accounts.MemberInput{Email: strings.TrimSpace(r.PostForm.Get("email")), Role: r.PostForm.Get("role"), Password: r.PostForm.Get("password")}
	added, err := h.app.Accounts.AddMember(r.Context(), m.OrgID, p.UserID, m.Role, in)
	if err == nil {
		h.redirect(w, r, membersPath(m.OrgID), flash{"ok", added.Email + " is added as " + added.Role + "."})
		return
	}
	fields := map[string]string{}
	var ve *validation.Error
	switch {
	case errors.As(err, &ve):
		fields = ve.Fields
	case errors.Is(err, accounts.ErrExistingAccount):
		fields["email"] = "already has an account, in another organization: only the instance owner can add it here"
	case errors.Is(err, storage.ErrConflict):
		fields["email"] = "is a member already"
	case errors.Is(err, accounts.ErrForbidden):
		fields["role"] = "owner can be given by an owner only"
	default:
		h.fail(w, r, err)
		return
	}
	h.membersAgain(w, r, err, func(pg *membersPage) { pg.Email, pg.Role, pg.AddErrors = in.Email, in.Role, fields })
}

// membersAgain gives the members page again after the refusal err, as
// edit marks it, with err's status.
func (h *handler) membersAgain(w http.ResponseWriter, r *http.Request, err error, edit func(*membersPage)) {
	pg, perr := h.membersPageOf(r)
	if perr != nil {
		h.fail(w, r, perr)
		return
	}
	edit(pg)
	h.render(w, r, h.problemOf(r, err).status, "members", pg)
}

// memberID is the path's user_id; false when it is no id.
func memberID(r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("user_id"), 10, 64)
	return id, err == nil && id > 0
}

// submitMemberRole changes a member's role (the same SetMemberRole as the
// API). A refusal gives the page again with the reason beside that
// member's role.
func (h *handler) submitMemberRole(w http.ResponseWriter, r *http.Request) {
	p, m := caller(r)
	userID, ok := memberID(r)
	if !ok {
		h.answer(w, r, notFound())
		return
	}
	if err := r.ParseForm(); err != nil {
		h.fail(w, r, err)
		return
	}
	updated, err := h.app.Accounts.SetMemberRole(r.Context(), m.OrgID, p.UserID, m.Role, userID, r.PostForm.Get("role"))
	if err == nil {
		next := membersPath(m.OrgID)
		if userID == p.UserID && !accounts.RoleAtLeast(updated.Role, storage.RoleAdmin) {
			next = "/" // the members page is for admins
		}
		h.redirect(w, r, next, flash{"ok", updated.Email + " is now " + updated.Role + "."})
		return
	}
	var ve *validation.Error
	var why string
	switch {
	case errors.As(err, &ve):
		why = validationText(ve)
	case errors.Is(err, accounts.ErrForbidden):
		why = "Only an owner can make an owner or change an owner's role."
	case errors.Is(err, accounts.ErrLastOwner):
		why = "This is the last owner: make someone else an owner first."
	default:
		h.fail(w, r, err)
		return
	}
	h.membersAgain(w, r, err, func(pg *membersPage) {
		for i := range pg.Members {
			if pg.Members[i].UserID == userID {
				pg.Members[i].RoleError = why
			}
		}
	})
}

// pathMember is the member the path's user_id names, in the caller's
// organization; otherwise it has answered (the 404 page) and is false.
func (h *handler) pathMember(w http.ResponseWriter, r *http.Request) (storage.Membership, bool) {
	_, m := caller(r)
	userID, ok := memberID(r)
	if !ok {
		h.answer(w, r, notFound())
		return storage.Membership{}, false
	}
	target, err := h.app.Accounts.Membership(r.Context(), m.OrgID, userID)
	if err != nil {
		h.fail(w, r, err)
		return storage.Membership{}, false
	}
	return target, true
}

// removeMemberPage confirms a member's removal, naming what it does.
type removeMemberPage struct {
	layout
	Member storage.Membership
	You    bool
}

// showRemoveMember asks to confirm the removal; an owner, whom only an
// owner may remove, is the 403 page for an admin.
func (h *handler) showRemoveMember(w http.ResponseWriter, r *http.Request) {
	p, m := caller(r)
	target, ok := h.pathMember(w, r)
	if !ok {
		return
	}
	if target.Role == storage.RoleOwner && m.Role != storage.RoleOwner {
		h.fail(w, r, accounts.ErrForbidden)
		return
	}
	h.render(w, r, http.StatusOK, "member_remove", &removeMemberPage{layout: layout{Title: "Remove " + target.Email},
		Member: target, You: target.UserID == p.UserID})
}

// submitRemoveMember removes the member (the same RemoveMember as the API).
func (h *handler) submitRemoveMember(w http.ResponseWriter, r *http.Request) {
	p, m := caller(r)
	target, ok := h.pathMember(w, r)
	if !ok {
		return
	}
	userID := target.UserID
	err := h.app.Accounts.RemoveMember(r.Context(), m.OrgID, p.UserID, m.Role, userID)
	if errors.Is(err, accounts.ErrLastOwner) {
		h.redirect(w, r, membersPath(m.OrgID), flash{"error", target.Email + " is the last owner and stays: make someone else an owner first."})
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	next := membersPath(m.OrgID)
	if userID == p.UserID {
		next = "/"
	}
	h.redirect(w, r, next, flash{"ok", target.Email + " is removed from the organization."})
}
