package cli

import (
	"errors"
	"flag"
	"io"
	"maps"
	"strings"
	"testing"
)

// TestParseTakesFlagsAnywhere: flags may stand before, between or after the
// arguments, and "--" ends the flags.
func TestParseTakesFlagsAnywhere(t *testing.T) {
	t.Parallel()
	cases := []struct {
		args      []string
		data      string
		workspace string
		rest      string
	}{
		{[]string{"PATH"}, "", "", "PATH"},
		{[]string{"--data", "D", "PATH"}, "D", "", "PATH"},
		{[]string{"PATH", "--data", "D"}, "D", "", "PATH"},
		{[]string{"slack-export", "FILE", "--workspace", "T1", "--data=D"}, "D", "T1", "slack-export FILE"},
		{[]string{"a", "--data", "D", "b", "-workspace", "T1", "c"}, "D", "T1", "a b c"},
		{[]string{"--data", "D", "--", "--workspace", "x"}, "D", "", "--workspace x"},
		{[]string{"a", "--", "-b"}, "", "", "a -b"},
		{[]string{"-", "--data", "D"}, "D", "", "-"},
	}
	for _, c := range cases {
		fs := flag.NewFlagSet("test", flag.ContinueOnError)
		data := fs.String("data", "", "")
		workspace := fs.String("workspace", "", "")
		rest, err := parse(fs, Env{Stdout: io.Discard, Stderr: io.Discard}, c.args)
		if err != nil {
			t.Errorf("%q: %v", c.args, err)
			continue
		}
		if *data != c.data || *workspace != c.workspace || strings.Join(rest, " ") != c.rest {
			t.Errorf("%q: data %q workspace %q rest %q; want %q %q %q", c.args, *data, *workspace, rest, c.data, c.workspace, c.rest)
		}
	}
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	var usage *UsageError
	if _, err := parse(fs, Env{Stdout: io.Discard, Stderr: io.Discard}, []string{"PATH", "--frob"}); !errors.As(err, &usage) {
		t.Errorf("an unknown flag after an argument: %v, want a usage error", err)
	}
}

// TestEveryCommandDeclaresItsNeeds: each command has an entry in the table
// of needs, by its name or by its name and a subcommand.
func TestEveryCommandDeclaresItsNeeds(t *testing.T) {
	t.Parallel()
	table := needs()
	all := commands()
	maps.Copy(all, hiddenCommands())
	for name := range all {
		found := false
		for entry := range table {
			if entry == name || strings.HasPrefix(entry, name+" ") {
				found = true
			}
		}
		if !found {
			t.Errorf("command %q has no entry in needs()", name)
		}
	}
}
