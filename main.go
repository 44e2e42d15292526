// Lore is a self-hosted Slack knowledge assistant: one binary that keeps a
// team's Slack history in an embedded SQLite file and answers questions from it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"syscall"

	"lore/app"
	"lore/app/cli"
	"lore/ui"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args, os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(exitCode(err, os.Stderr))
}

// run is main without the process: tests call it with their own arguments,
// environment and streams.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	return cli.Run(ctx, cli.Env{
		Args:       args[1:],
		Getenv:     getenv,
		Stdin:      stdin,
		Stdout:     stdout,
		Stderr:     stderr,
		Migrations: migrations(),
		Version:    version,
		NewHandler: func(a *app.App) http.Handler { return ui.New(a, static(), templates()) },
	})
}

// exitCode prints err as one line and maps it to the exit status: 0 for
// success or --help, 2 for bad usage, 1 for everything else.
func exitCode(err error, stderr io.Writer) int {
	var usage *cli.UsageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &usage):
		fmt.Fprintf(stderr, "lore: %v\n", err)
		return 2
	default:
		fmt.Fprintf(stderr, "lore: %v\n", err)
		return 1
	}
}
