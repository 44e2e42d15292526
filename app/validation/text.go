package validation

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Name checks one line of text a person gives as a name (an organization,
// a token, a workspace) or address: it trims spaces and wants minLen to
// maxLen characters of valid UTF-8 without control characters. A control
// character has no place in a name, and a NUL in particular reaches SQLite,
// whose length() stops at it, as a different string than Go counted. A
// problem is recorded in fields under field; the trimmed text is returned.
func Name(fields map[string]string, field, v string, minLen, maxLen int) string {
	v = strings.TrimSpace(v)
	if problem := controlProblem(v); problem != "" {
		fields[field] = problem
		return v
	}
	switch n := utf8.RuneCountInString(v); {
	case n >= minLen && n <= maxLen:
	case minLen == 0:
		fields[field] = fmt.Sprintf("must be at most %d characters", maxLen)
	case minLen == 1 && n == 0:
		fields[field] = "is required"
	default:
		fields[field] = fmt.Sprintf("must be %d-%d characters", minLen, maxLen)
	}
	return v
}

// controlProblem says what is wrong with v's characters, or "".
func controlProblem(v string) string {
	if !utf8.ValidString(v) {
		return "must be valid UTF-8 text"
	}
	if strings.IndexFunc(v, unicode.IsControl) >= 0 {
		return "must not contain control characters (such as NUL, tab or newline)"
	}
	return ""
}
