package cli

import (
	"context"

	"lore/app/documents"
)

// hiddenCommands are commands Lore runs itself and people never type, so
// the usage does not list them.
func hiddenCommands() map[string]command {
	return map[string]command{
		documents.ChildCommand: {"extract the text of a PDF from stdin to stdout (Lore runs it as a child process)", extractPDF},
	}
}

// extractPDF is the child process of a PDF extraction: a PDF can panic
// the reader library or make it loop, so the server reads it here, in a
// process it can kill, with a page cap and a memory limit.
func extractPDF(_ context.Context, env Env, args []string) error {
	flags := newFlagSet(documents.ChildCommand, "", "Extracts a PDF's text (stdin) as JSON (stdout); Lore runs it as a child process.")
	maxPages := flags.Int("max-pages", 0, "refuse a PDF of more pages")
	memoryLimit := flags.Int64("memory-limit", 0, "memory limit in bytes")
	rest, err := parse(flags, env, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("%s takes no arguments, got %q", documents.ChildCommand, rest[0])
	}
	return documents.ServeChild(env.Stdin, env.Stdout, *maxPages, *memoryLimit)
}
