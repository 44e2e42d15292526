// Package settings is an organization's settings: how Lore answers (tone,
// length, confidence threshold, system prompt), how it syncs (backfill
// schedule and depth) and which features are on. One field table (Table)
// says what each setting is; it drives validation, storage, the JSON the API
// shows and the audit log, which records every change with its old and new
// values.
package settings

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"lore/app/validation"
	"lore/storage"
)

// Settings is an organization's settings: the value of every field of
// Table, with the organization and timestamps. Its JSON is one flat object,
// org_id, the fields in Table's order, created_at and updated_at.
type Settings struct {
	OrgID int64
	// Values holds each field's value by name, in its kind's Go type:
	// string, int64, bool, or nil for an unset text.
	Values    map[string]any
	CreatedAt time.Time
	UpdatedAt time.Time
}

// String returns the value of an Enum, Schedule or Text setting ("" for an
// unset text).
func (s Settings) String(name string) string {
	v, _ := s.Values[name].(string)
	return v
}

// Int returns the value of an Integer setting.
func (s Settings) Int(name string) int64 {
	v, _ := s.Values[name].(int64)
	return v
}

// Bool returns the value of a Boolean setting.
func (s Settings) Bool(name string) bool {
	v, _ := s.Values[name].(bool)
	return v
}

// MarshalJSON writes the settings as the API shows them.
func (s Settings) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	put := func(key string, v any) error {
		if b.Len() == 0 {
			b.WriteByte('{')
		} else {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(key)
		b.Write(k)
		b.WriteByte(':')
		out, err := json.Marshal(v)
		b.Write(out)
		return err
	}
	if err := put("org_id", s.OrgID); err != nil {
		return nil, err
	}
	for _, f := range fields {
		if err := put(f.Name, s.Values[f.Name]); err != nil {
			return nil, err
		}
	}
	if err := put("created_at", s.CreatedAt); err != nil {
		return nil, err
	}
	if err := put("updated_at", s.UpdatedAt); err != nil {
		return nil, err
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// UnmarshalJSON reads settings as the API shows them (for clients and tests).
func (s *Settings) UnmarshalJSON(data []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	out := Settings{Values: make(map[string]any, len(fields))}
	for key, dst := range map[string]any{"org_id": &out.OrgID, "created_at": &out.CreatedAt, "updated_at": &out.UpdatedAt} {
		if r, ok := raw[key]; ok {
			if err := json.Unmarshal(r, dst); err != nil {
				return fmt.Errorf("settings: %s: %w", key, err)
			}
		}
	}
	for _, f := range fields {
		r, ok := raw[f.Name]
		if !ok {
			continue
		}
		v, err := f.decode(r)
		if err != nil {
			return fmt.Errorf("settings: %s: %w", f.Name, err)
		}
		out.Values[f.Name] = v
	}
	*s = out
	return nil
}

// ValidationError names every failing field of a settings patch; it is the one
// validation.Error of all services.
type ValidationError = validation.Error

// invalid is the ValidationError for fields.
func invalid(fields map[string]string) *ValidationError {
	return &ValidationError{Code: "invalid_settings", Message: "some settings are invalid; nothing was saved", Fields: fields}
}

// Service reads and changes organizations' settings.
type Service struct {
	store     *storage.Store
	observers []func(ctx context.Context, orgID int64)
}

// OnChange adds fn to what is told, after it commits, of each change of an
// organization's settings (the scheduler moves its jobs). Observers are
// wiring: add them before the service is used.
func (s *Service) OnChange(fn func(ctx context.Context, orgID int64)) {
	s.observers = append(s.observers, fn)
}

// New returns the settings service over store.
func New(store *storage.Store) *Service { return &Service{store: store} }

// Get returns the organization's settings, or storage.ErrNotFound.
func (s *Service) Get(ctx context.Context, orgID int64) (Settings, error) {
	row, err := s.store.OrgSettings(ctx, orgID)
	if err != nil {
		return Settings{}, err
	}
	return fromRow(row)
}

// Patch changes the fields present in patch (a JSON object of field → new
// value) and returns the whole updated settings. Every field is checked
// before anything is written: unknown and read-only fields, wrong JSON
// types and out-of-range values all come back together in one
// *ValidationError, and then nothing is saved. The change and an audit row
// with each changed field's old and new value commit together; actor names
// who made it ("user:12").
func (s *Service) Patch(ctx context.Context, orgID int64, actor string, patch map[string]json.RawMessage) (Settings, error) {
	set, err := Validate(patch)
	if err != nil {
		return Settings{}, err
	}
	var out Settings
	err = s.store.Tx(ctx, func(tx *storage.Tx) error {
		row, err := tx.OrgSettings(ctx, orgID)
		if err != nil {
			return err
		}
		old, err := fromRow(row)
		if err != nil {
			return err
		}
		changes := map[string]any{}
		for name, v := range set {
			if old.Values[name] != v {
				changes[name] = map[string]any{"old": old.Values[name], "new": v}
			}
		}
		if len(changes) == 0 {
			out = old
			return nil
		}
		// A CHECK failing here means validation let a bad value through: the
		// error goes up as it is, to be logged and answered with a 500.
		if err := tx.UpdateOrgSettings(ctx, orgID, set); err != nil {
			return err
		}
		if row, err = tx.OrgSettings(ctx, orgID); err != nil {
			return err
		}
		if out, err = fromRow(row); err != nil {
			return err
		}
		return tx.AddAudit(ctx, storage.AuditEntry{OrgID: orgID, Actor: actor, Action: "settings.update",
			Detail: map[string]any{"changes": changes}})
	})
	if err != nil {
		return Settings{}, err
	}
	for _, fn := range s.observers {
		fn(ctx, orgID)
	}
	return out, nil
}

// readOnly are the fields the API shows but no one can set.
var readOnly = map[string]bool{"org_id": true, "created_at": true, "updated_at": true}

// Validate checks every field of a patch and returns the values to write
// (field name → value in its kind's Go type, which is also its column's),
// or a *ValidationError naming every field that is wrong.
func Validate(patch map[string]json.RawMessage) (map[string]any, error) {
	set := make(map[string]any, len(patch))
	bad := map[string]string{}
	for name, raw := range patch {
		f, ok := field(name)
		switch {
		case readOnly[name]:
			bad[name] = "is read-only"
		case !ok:
			bad[name] = "is not a setting"
		default:
			v, msg := f.parse(raw)
			if msg != "" {
				bad[name] = msg
			} else {
				set[name] = v
			}
		}
	}
	if len(bad) > 0 {
		return nil, invalid(bad)
	}
	return set, nil
}

// fromRow turns a stored row into Settings, field by field of the table; a
// field the row lacks, or holds in the wrong type, is an error (the schema
// and the table disagree).
func fromRow(r storage.OrgSettings) (Settings, error) {
	out := Settings{OrgID: r.OrgID, Values: make(map[string]any, len(fields)), CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
	for _, f := range fields {
		col, ok := r.Values[f.Name]
		if !ok {
			return Settings{}, fmt.Errorf("settings: org_settings has no column %s", f.Name)
		}
		v, err := f.fromColumn(col)
		if err != nil {
			return Settings{}, err
		}
		out.Values[f.Name] = v
	}
	return out, nil
}
