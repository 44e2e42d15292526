package validation

import "testing"

func TestName(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in, want, problem string
		minLen, maxLen    int
	}{
		{"  Acme ", "Acme", "", 1, 200},
		{"Åsa Öberg", "Åsa Öberg", "", 1, 9},
		{"Åsa Öberg!", "Åsa Öberg!", "must be 1-9 characters", 1, 9},
		{"   ", "", "is required", 1, 200},
		{"", "", "", 0, 200},
		{"abc", "abc", "must be at most 2 characters", 0, 2},
		{"\x00Acme", "", "must not contain control characters (such as NUL, tab or newline)", 1, 200},
		{"a\x00b", "", "must not contain control characters (such as NUL, tab or newline)", 1, 200},
		{"a\tb", "", "must not contain control characters (such as NUL, tab or newline)", 1, 200},
		{"a\u0085b", "", "must not contain control characters (such as NUL, tab or newline)", 1, 200},
		{"a\xffb", "", "must be valid UTF-8 text", 1, 200},
	} {
		fields := map[string]string{}
		got := Name(fields, "name", tc.in, tc.minLen, tc.maxLen)
		if fields["name"] != tc.problem || (tc.problem == "" && got != tc.want) {
			t.Errorf("Name(%q, %d, %d) = %q, problem %q; want %q, problem %q", tc.in, tc.minLen, tc.maxLen, got, fields["name"], tc.want, tc.problem)
		}
	}
}
