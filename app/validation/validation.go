// Package validation holds the one error every service returns for bad
// input, so that the HTTP layer maps them all in one place.
package validation

import (
	"maps"
	"slices"
	"strings"
)

// Error names every failing field of one request, and what kind of request
// it was for the one JSON error shape.
type Error struct {
	Code    string            // e.g. "invalid_settings"
	Message string            // e.g. "some settings are invalid; nothing was saved"
	Fields  map[string]string // field → what is wrong with it, e.g. "must be 0-100"
}

// Error lists the fields in name order: "invalid_settings: a must be …; b …".
func (e *Error) Error() string {
	names := slices.Sorted(maps.Keys(e.Fields))
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = n + " " + e.Fields[n]
	}
	return e.Code + ": " + strings.Join(parts, "; ")
}
