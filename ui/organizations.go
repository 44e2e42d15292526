package ui

import (
	"net/http"
	"time"

	"lore/storage"
)

type organizationJSON struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	Role      string    `json:"role"` // the caller's
	CreatedAt time.Time `json:"created_at"`
}

func toOrganizationsJSON(list []storage.OrganizationRole) []organizationJSON {
	out := make([]organizationJSON, 0, len(list))
	for _, o := range list {
		out = append(out, organizationJSON{ID: o.ID, Name: o.Name, Role: o.Role, CreatedAt: o.CreatedAt})
	}
	return out
}

type createOrganizationRequest struct {
	Name string `json:"name"`
}

// createOrganization creates an organization owned by the caller (the
// instance owner).
func (h *handler) createOrganization(w http.ResponseWriter, r *http.Request) {
	p, _ := principalFrom(r.Context())
	var req createOrganizationRequest
	if err := decodeJSON(r, &req); err != nil {
		h.fail(w, r, err)
		return
	}
	o, err := h.app.Accounts.CreateOrganization(r.Context(), p.UserID, req.Name)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, organizationJSON{ID: o.ID, Name: o.Name, Role: storage.RoleOwner, CreatedAt: o.CreatedAt})
}

// listOrganizations lists the organizations the caller belongs to.
func (h *handler) listOrganizations(w http.ResponseWriter, r *http.Request) {
	p, _ := principalFrom(r.Context())
	list, err := h.app.Accounts.ListUserOrganizations(r.Context(), p.UserID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"organizations": toOrganizationsJSON(list)})
}

// showOrganization returns one organization of the caller's.
func (h *handler) showOrganization(w http.ResponseWriter, r *http.Request) {
	_, m := caller(r)
	o, err := h.app.Accounts.Organization(r.Context(), m.OrgID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, organizationJSON{ID: o.ID, Name: o.Name, Role: m.Role, CreatedAt: o.CreatedAt})
}
