package ui

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/dustin/go-humanize"

	"lore/app/accounts"
	"lore/app/scheduler"
	"lore/app/settings"
	"lore/app/validation"
	"lore/storage"
)

// settingsPage is the organization's settings, drawn from the field table
// (settings.Table), grouped as the table groups them. Members see it read
// only; admins edit it.
type settingsPage struct {
	layout
	Groups   []settingsGroup
	ReadOnly bool
	// Message is the form's error as a whole, beside the field errors.
	Message string
	// Retention is set when a lower message_retention_days would delete
	// messages at the next run: the page asks to confirm before saving.
	Retention *scheduler.RetentionPreview
}

// settingsGroup is one section of the settings page.
type settingsGroup struct {
	Name   settings.Group
	Fields []settingsField
}

// settingsField is one setting on the page: the table's entry, its value
// as the form shows it (typed, or stored), its default and its problem.
type settingsField struct {
	settings.Field
	Value   string // Enum, Integer, Text, Schedule
	Checked bool   // Boolean
	Default string
	Error   string
	// Next says a valid Schedule in words and when it next fires.
	Next string
}

// scheduleText says a backfill schedule in words and when it next fires,
// or that it is not used while auto_backfill_enabled is off.
func scheduleText(expr string, next time.Time, off bool) string {
	if off {
		return "Runs " + scheduler.Describe(expr) + " once auto_backfill_enabled is on; it is off."
	}
	return "Runs " + scheduler.Describe(expr) + "; next on " + when(next) + "."
}

// retentionText warns of what the next retention run deletes.
func retentionText(p scheduler.RetentionPreview) string {
	return fmt.Sprintf("This will delete %s messages older than %d days at the next run (%s).", humanize.Comma(p.Messages), p.Days, when(p.NextRun))
}

// RetentionText warns of what the next retention run deletes.
func (pg settingsPage) RetentionText() string {
	if pg.Retention == nil {
		return ""
	}
	return retentionText(*pg.Retention)
}

// showSettingsPage shows every setting of the organization.
func (h *handler) showSettingsPage(w http.ResponseWriter, r *http.Request) {
	_, m := caller(r)
	s, err := h.app.Settings.Get(r.Context(), m.OrgID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	pg := h.settingsPageOf(r, s.Values, nil)
	pg.ReadOnly = !accounts.RoleAtLeast(m.Role, storage.RoleAdmin)
	h.render(w, r, http.StatusOK, "settings", pg)
}

// submitSettings saves the settings form through the same Patch as the
// API: all or nothing, each bad field named beside it and what was typed
// kept. A lower retention that would delete messages at the next run is
// saved only once confirmed.
func (h *handler) submitSettings(w http.ResponseWriter, r *http.Request) {
	p, m := caller(r)
	if err := r.ParseForm(); err != nil {
		h.fail(w, r, err)
		return
	}
	patch, typed := formSettings(r.PostForm)
	current, err := h.app.Settings.Get(r.Context(), m.OrgID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	// What the page shows again: the stored values under what was typed.
	shown := maps.Clone(current.Values)
	maps.Copy(shown, typed)
	again := func(status int, pg *settingsPage) { h.render(w, r, status, "settings", pg) }

	set, err := settings.Validate(patch)
	var ve *validation.Error
	if errors.As(err, &ve) {
		pg := h.settingsPageOf(r, shown, ve.Fields)
		pg.Message = settingsInvalid
		again(http.StatusUnprocessableEntity, pg)
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if days, ok := set["message_retention_days"].(int64); ok && days < current.Int("message_retention_days") &&
		r.PostForm.Get("confirm_retention") != strconv.FormatInt(days, 10) {
		more, err := h.retentionDeletesMore(r, m.OrgID, current.Int("message_retention_days"), days)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		if more != nil {
			pg := h.settingsPageOf(r, shown, nil)
			pg.Retention = more
			again(http.StatusOK, pg)
			return
		}
	}
	// Patch checks the same fields again (they passed above), and saves.
	if _, err := h.app.Settings.Patch(r.Context(), m.OrgID, p.actor(), patch); err != nil {
		h.fail(w, r, err)
		return
	}
	h.redirect(w, r, fmt.Sprintf("/organizations/%d/settings", m.OrgID), flash{"ok", "The settings are saved."})
}

// settingsInvalid heads the form given again with bad fields.
const settingsInvalid = "Nothing was saved: some settings are invalid. Each problem is shown beside its field."

// retentionDeletesMore is the next retention run's preview under days when
// it deletes more than under the current retention, else nil.
func (h *handler) retentionDeletesMore(r *http.Request, orgID, current, days int64) (*scheduler.RetentionPreview, error) {
	now, err := h.app.Scheduler.PreviewRetention(r.Context(), orgID, current)
	if err != nil {
		return nil, err
	}
	next, err := h.app.Scheduler.PreviewRetention(r.Context(), orgID, days)
	if err != nil || next.Messages <= now.Messages {
		return nil, err
	}
	return &next, nil
}

// formSettings reads the settings form into a patch for settings.Patch, and
// the values as typed to show again. A field the form lacks is left as it
// is. A checkbox posts "false" from its hidden twin and "true" when ticked,
// so its last value wins; a number that is not one goes to the service as
// typed, which names the problem.
func formSettings(form url.Values) (patch map[string]json.RawMessage, typed map[string]any) {
	patch, typed = map[string]json.RawMessage{}, map[string]any{}
	for _, f := range settings.Table() {
		vs, ok := form[f.Name]
		if !ok || len(vs) == 0 {
			continue
		}
		v := vs[len(vs)-1]
		var raw any = v
		switch f.Kind {
		case settings.Boolean:
			raw = v == "true"
			typed[f.Name] = raw
		case settings.Integer:
			v = strings.TrimSpace(v)
			if n, err := strconv.ParseInt(v, 10, 64); err == nil {
				raw = n
			}
			typed[f.Name] = v
		default:
			typed[f.Name] = v
		}
		b, _ := json.Marshal(raw)
		patch[f.Name] = b
	}
	return patch, typed
}

// settingsPageOf lays out the field table with values (each in its kind's
// Go type, or an Integer as typed) and each field's problem.
func (h *handler) settingsPageOf(r *http.Request, values map[string]any, problems map[string]string) *settingsPage {
	pg := &settingsPage{layout: layout{Title: "Settings"}}
	for _, f := range settings.Table() {
		sf := settingsField{Field: f, Default: shownValue(f.Default), Error: problems[f.Name]}
		switch v := values[f.Name].(type) {
		case bool:
			sf.Checked = v
		default:
			sf.Value = shownValue(v)
		}
		if f.Kind == settings.Schedule && sf.Error == "" {
			if next, err := h.app.Scheduler.NextRun(sf.Value); err == nil {
				sf.Next = scheduleText(sf.Value, next, values["auto_backfill_enabled"] == false)
			} else {
				h.logger.Warn("settings page: next run", "path", r.URL.Path, "error", err)
			}
		}
		if n := len(pg.Groups); n == 0 || pg.Groups[n-1].Name != f.Group {
			pg.Groups = append(pg.Groups, settingsGroup{Name: f.Group})
		}
		g := &pg.Groups[len(pg.Groups)-1]
		g.Fields = append(g.Fields, sf)
	}
	return pg
}

// shownValue is a setting's value as a form field holds it.
func shownValue(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case int64:
		return strconv.FormatInt(v, 10)
	case bool:
		if v {
			return "on"
		}
		return "off"
	}
	return fmt.Sprint(v)
}

// fieldPreview is what the settings page says beside a field for a value
// being typed: Text once saved, or Error, the field's problem.
type fieldPreview struct {
	Text  string `json:"text"`
	Error string `json:"error,omitempty"`
}

// previewSettings answers the settings page's script as an admin types:
// for backfill_schedule and message_retention_days in the query, the words
// the page shows beside them (the schedule and its next run; what a lower
// retention deletes at the next run), or the field's problem. Nothing is
// saved.
func (h *handler) previewSettings(w http.ResponseWriter, r *http.Request) {
	_, m := caller(r)
	current, err := h.app.Settings.Get(r.Context(), m.OrgID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	q := r.URL.Query()
	out := map[string]fieldPreview{}
	for _, name := range []string{"backfill_schedule", "message_retention_days"} {
		if !q.Has(name) {
			continue
		}
		patch, _ := formSettings(url.Values{name: {q.Get(name)}})
		set, err := settings.Validate(patch)
		var ve *validation.Error
		if errors.As(err, &ve) {
			out[name] = fieldPreview{Error: name + " " + ve.Fields[name]}
			continue
		}
		if err != nil {
			h.fail(w, r, err)
			return
		}
		var p fieldPreview
		switch v := set[name].(type) {
		case string:
			next, err := h.app.Scheduler.NextRun(v)
			if err != nil {
				h.fail(w, r, err)
				return
			}
			p.Text = scheduleText(v, next, !current.Bool("auto_backfill_enabled"))
		case int64:
			more, err := h.retentionDeletesMore(r, m.OrgID, current.Int(name), v)
			if err != nil {
				h.fail(w, r, err)
				return
			}
			if more != nil {
				p.Text = retentionText(*more)
			}
		}
		out[name] = p
	}
	writeJSON(w, http.StatusOK, out)
}
