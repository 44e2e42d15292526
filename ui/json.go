package ui

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"

	"lore/app/validation"
)

// apiError is the one shape of every JSON error Lore returns.
type apiError struct {
	Code    string            `json:"code"`
	Message string            `json:"message"`
	Fields  map[string]string `json:"fields,omitempty"`
}

// writeJSON writes v as the response body with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		http.Error(w, `{"error":{"code":"internal","message":"internal error"}}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(append(body, '\n'))
}

// writeError writes the one JSON error shape.
func writeError(w http.ResponseWriter, status int, code, message string, fields map[string]string) {
	writeJSON(w, status, map[string]apiError{"error": {Code: code, Message: message, Fields: fields}})
}

// checkKeys refuses what Go's decoder lets through silently: a key that
// appears twice in one object (the decoder keeps the last, so
// {"ai_tone":"bogus","ai_tone":"casual"} would pass a check of the first),
// and, when fields is not nil, a top-level key that matches one of fields
// only when case is ignored (the decoder would take {"BOT_TOKEN": …} for
// bot_token). It scans the body's tokens before decoding, so struct and map
// bodies are held to the same rule. A body that is not JSON passes: decoding
// it names the problem.
func checkKeys(body []byte, fields []string) error {
	type object struct {
		seen    map[string]bool
		wantKey bool // the next token is a key or the closing brace
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	var stack []*object // nil for an array
	valueDone := func() {
		if n := len(stack); n > 0 && stack[n-1] != nil {
			stack[n-1].wantKey = true
		}
	}
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil
		}
		if n := len(stack); n > 0 && stack[n-1] != nil && stack[n-1].wantKey {
			if key, ok := tok.(string); ok {
				top := stack[n-1]
				if top.seen[key] {
					return invalidField(key, "appears more than once")
				}
				top.seen[key] = true
				top.wantKey = false
				if n == 1 && fields != nil && !slices.Contains(fields, key) {
					for _, f := range fields {
						if strings.EqualFold(f, key) {
							return invalidField(key, fmt.Sprintf("is not a field of this request; names are case-sensitive: %q", f))
						}
					}
				}
				continue
			}
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &object{seen: map[string]bool{}, wantKey: true})
			continue
		case json.Delim('['):
			stack = append(stack, nil)
			continue
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
		}
		if len(stack) == 0 {
			return nil // the first value is whole; decoding judges what follows
		}
		valueDone()
	}
}

// fieldNames returns the JSON names of the fields of the struct v points
// to (with those of embedded structs, as the decoder promotes them), or nil
// when v is not a pointer to a struct.
func fieldNames(v any) []string {
	t := reflect.TypeOf(v)
	if t == nil || t.Kind() != reflect.Pointer || t.Elem().Kind() != reflect.Struct {
		return nil
	}
	var names []string
	var collect func(reflect.Type)
	collect = func(t reflect.Type) {
		for f := range t.Fields() {
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			switch {
			case name == "-":
			case f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct:
				collect(f.Type)
			case !f.IsExported():
			case name == "":
				names = append(names, f.Name)
			default:
				names = append(names, name)
			}
		}
	}
	collect(t.Elem())
	return names
}

// invalidField is the 422 naming one field of a request body.
func invalidField(name, problem string) *validation.Error {
	return &validation.Error{Code: "invalid_request", Message: "some fields are invalid", Fields: map[string]string{name: problem}}
}
