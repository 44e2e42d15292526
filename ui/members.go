package ui

import (
	"net/http"
	"strconv"
	"time"

	"lore/app/accounts"
	"lore/storage"
)

type memberJSON struct {
	UserID    int64     `json:"user_id"`
	Email     string    `json:"email"`
	Role      string    `json:"role"`
	CreatedAt time.Time `json:"created_at"`
}

func toMemberJSON(m storage.Membership) memberJSON {
	return memberJSON{UserID: m.UserID, Email: m.Email, Role: m.Role, CreatedAt: m.CreatedAt}
}

// listMembers lists the organization's members and their roles.
func (h *handler) listMembers(w http.ResponseWriter, r *http.Request) {
	_, m := caller(r)
	list, err := h.app.Accounts.ListMembers(r.Context(), m.OrgID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	out := make([]memberJSON, 0, len(list))
	for _, m := range list {
		out = append(out, toMemberJSON(m))
	}
	writeJSON(w, http.StatusOK, map[string]any{"members": out})
}

type addMemberRequest struct {
	Email    string `json:"email"`
	Role     string `json:"role"`
	Password string `json:"password"` // only for a person without an account yet
}

// addMember gives a person a role in the organization, creating their
// account if the email is new.
func (h *handler) addMember(w http.ResponseWriter, r *http.Request) {
	p, m := caller(r)
	var req addMemberRequest
	if err := decodeJSON(r, &req); err != nil {
		h.fail(w, r, err)
		return
	}
	added, err := h.app.Accounts.AddMember(r.Context(), m.OrgID, p.UserID, m.Role, accounts.MemberInput(req))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, toMemberJSON(added))
}

// removeMember takes the person named in the path out of the organization.
func (h *handler) removeMember(w http.ResponseWriter, r *http.Request) {
	p, m := caller(r)
	userID, err := strconv.ParseInt(r.PathValue("user_id"), 10, 64)
	if err != nil {
		writeNotFound(w)
		return
	}
	if err := h.app.Accounts.RemoveMember(r.Context(), m.OrgID, p.UserID, m.Role, userID); err != nil {
		h.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

type memberRoleRequest struct {
	Role string `json:"role"`
}

// updateMember changes the role of the person named in the path, with the
// rules of adding: only an owner makes an owner or changes one, and the
// last owner stays.
func (h *handler) updateMember(w http.ResponseWriter, r *http.Request) {
	p, m := caller(r)
	userID, err := strconv.ParseInt(r.PathValue("user_id"), 10, 64)
	if err != nil {
		writeNotFound(w)
		return
	}
	var req memberRoleRequest
	if err := decodeJSON(r, &req); err != nil {
		h.fail(w, r, err)
		return
	}
	updated, err := h.app.Accounts.SetMemberRole(r.Context(), m.OrgID, p.UserID, m.Role, userID, req.Role)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toMemberJSON(updated))
}
