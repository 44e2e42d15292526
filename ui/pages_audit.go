package ui

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"lore/app/validation"
	"lore/storage"
)

// auditPageSize is how many entries one page of the audit log shows.
const auditPageSize = 50

// auditActions are the actions the audit log records, in the words of its
// page: what the actor did. An action not listed is shown by its name.
var auditActions = []struct{ Action, Words string }{
	{"credentials.store", "stored the Slack secrets"},
	{"credentials.view", "viewed the Slack secrets, masked"},
	{"credentials.read", "read the Slack secrets to use them"},
	{"credentials.verify", "verified the Slack secrets with Slack"},
	{"credentials.rejected", "found the Slack secrets refused by Slack"},
	{"credentials.migrate", "encrypted Slack secrets stored in plaintext"},
	{"credentials.delete", "deleted the Slack secrets"},
	{"settings.update", "changed settings"},
	{"member.add", "added a member"},
	{"member.update", "changed a member's role"},
	{"member.remove", "removed a member"},
	{"workspace.create", "connected a Slack workspace"},
	{"workspace.update", "changed a workspace"},
	{"workspace.delete", "deleted a workspace"},
	{"organization.create", "created the organization"},
	{"user.signup", "set up Lore"},
}

// auditWords is what an action's row says was done.
func auditWords(action string) string {
	for _, a := range auditActions {
		if a.Action == action {
			return a.Words
		}
	}
	return action
}

// auditRow is one entry of the audit log as its page shows it: who, what,
// and the details, which never hold a secret (the services write none).
type auditRow struct {
	storage.AuditEntry
	Who     string
	What    string
	Details []string
}

// auditChoice is an option of the page's filters.
type auditChoice struct{ Value, Label string }

// auditPage is the organization's audit log for its admins, filtered by
// a GET form and paged newest first.
type auditPage struct {
	layout
	Entries []auditRow
	// The filters as typed, and each one's problem.
	Action, Actor, Since, Until string
	Errors                      map[string]string
	Actions, Actors             []auditChoice
	// Older is the URL of the next, older page ("" on the last); Newest,
	// of the first, when this is not it.
	Older, Newest string
}

// showAuditPage shows the audit log through the API's filters (auditFilter)
// and the same audit service.
func (h *handler) showAuditPage(w http.ResponseWriter, r *http.Request) {
	_, m := caller(r)
	q := r.URL.Query()
	pg := &auditPage{layout: layout{Title: "Audit log"}, Action: q.Get("action"), Actor: q.Get("actor"),
		Since: q.Get("since"), Until: q.Get("until")}
	members, err := h.app.Accounts.ListMembers(r.Context(), m.OrgID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	emails := map[int64]string{}
	for _, mm := range members {
		emails[mm.UserID] = mm.Email
		pg.Actors = append(pg.Actors, auditChoice{"user:" + strconv.FormatInt(mm.UserID, 10), mm.Email})
	}
	pg.Actors = append(pg.Actors, auditChoice{"cli", "the lore command line"})
	for _, a := range auditActions {
		pg.Actions = append(pg.Actions, auditChoice{a.Action, a.Action + ": " + a.Words})
	}
	pg.Actions = withChoice(pg.Actions, pg.Action)
	pg.Actors = withChoice(pg.Actors, pg.Actor)

	q.Del("limit") // the page's own size
	f, err := auditFilter(m.OrgID, q)
	var ve *validation.Error
	if errors.As(err, &ve) {
		pg.Errors = ve.Fields
		h.render(w, r, http.StatusUnprocessableEntity, "audit", pg)
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	f.Limit = auditPageSize + 1 // one more tells whether there is an older page
	list, err := h.app.Audit.List(r.Context(), f)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if len(list) > auditPageSize {
		list = list[:auditPageSize]
		q.Set("before", strconv.FormatInt(list[len(list)-1].ID, 10))
		pg.Older = "?" + q.Encode()
	}
	if f.Before != 0 {
		q.Del("before")
		pg.Newest = "?" + q.Encode()
	}
	for _, e := range list {
		pg.Entries = append(pg.Entries, auditRow{AuditEntry: e, Who: h.auditActor(r.Context(), e.Actor, emails),
			What: auditWords(e.Action), Details: auditDetails(e.Detail, emails)})
	}
	h.render(w, r, http.StatusOK, "audit", pg)
}

// withChoice adds v to the choices when it is set and not one of them, so
// that a filter given by URL stays chosen.
func withChoice(choices []auditChoice, v string) []auditChoice {
	if v == "" || slices.ContainsFunc(choices, func(c auditChoice) bool { return c.Value == v }) {
		return choices
	}
	return append(choices, auditChoice{v, v})
}

// auditActor names an entry's actor for people: a user by email (looked up
// once when no longer a member), Lore's own work by what it was.
func (h *handler) auditActor(ctx context.Context, actor string, emails map[int64]string) string {
	kind, id, _ := strings.Cut(actor, ":")
	switch kind {
	case "user":
		n, err := strconv.ParseInt(id, 10, 64)
		if err != nil {
			return actor
		}
		if e, ok := emails[n]; ok {
			return e
		}
		u, err := h.app.Accounts.User(ctx, n)
		if err != nil {
			return "user " + id + " (deleted)"
		}
		emails[n] = u.Email + " (no longer a member)"
		return emails[n]
	case "cli":
		return "the lore command line"
	case "system":
		return "Lore"
	case "job":
		return "Lore, job " + id
	case "socket":
		return "Lore, Slack connection of " + id
	}
	return actor
}

// auditDetails writes an entry's detail as lines, "name: value", a change
// as "name: old → new", a user by email; long text is cut.
func auditDetails(d map[string]any, emails map[int64]string) []string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(d)) {
		v := d[k]
		if k == "changes" {
			if changes, ok := v.(map[string]any); ok {
				out = append(out, auditDetails(changes, emails)...)
				continue
			}
		}
		if change, ok := v.(map[string]any); ok {
			if old, ok := change["old"]; ok {
				out = append(out, k+": "+auditValue(old)+" → "+auditValue(change["new"]))
				continue
			}
		}
		if k == "user_id" {
			if n, ok := v.(float64); ok {
				if e, ok := emails[int64(n)]; ok {
					out = append(out, "member: "+e)
					continue
				}
			}
		}
		out = append(out, k+": "+auditValue(v))
	}
	return out
}

// auditValue is one detail value as text.
func auditValue(v any) string {
	switch v := v.(type) {
	case nil:
		return "none"
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case string:
		if r := []rune(v); len(r) > 120 {
			return strconv.Quote(string(r[:120])) + "…"
		}
		return strconv.Quote(v)
	}
	return fmt.Sprint(v)
}
