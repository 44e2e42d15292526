// Package cli is Lore's command line: it parses each command's flags (with
// environment defaults), builds what the command needs and runs it.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"sort"
	"strings"

	"github.com/jonboulle/clockwork"

	"lore/app"
	"lore/app/jobs/importjob"
	"lore/app/keys"
	"lore/app/notify"
)

// Env is everything a command may read or write: main passes the process's
// own, tests pass their own.
type Env struct {
	Args       []string // without the program name
	Getenv     func(string) string
	Stdin      io.Reader
	Stdout     io.Writer
	Stderr     io.Writer
	Migrations fs.FS
	Version    string
	// NewHandler builds the HTTP handler of a running App. It comes from main
	// because the ui package depends on app, not the other way round.
	NewHandler func(*app.App) http.Handler
	// Importer, when set, runs Slack export imports in place of the
	// message path's: tests pass a fake.
	Importer importjob.Importer
	// OpenBrowser, when set, opens a URL in place of the system's default
	// browser (see serve's --open-browser): tests pass a recorder.
	OpenBrowser func(url string) error
	// Clock, when set, is the scheduler's time: tests pass a clockwork fake.
	Clock clockwork.Clock
}

// UsageError is a mistake in the command line: main prints it with the usage
// and exits 2.
type UsageError struct{ msg string }

func (e *UsageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &UsageError{msg: fmt.Sprintf(format, args...)}
}

type command struct {
	summary string
	run     func(ctx context.Context, env Env, args []string) error
}

func commands() map[string]command {
	return map[string]command{
		"serve":       {"run the server (the default with no command)", serve},
		"migrate":     {"show or change the database schema version: status|up|down", migrate},
		"backup":      {"write a consistent copy of the database to PATH while it runs", backup},
		"restore":     {"put a backup in place of the database (server stopped): PATH", restore},
		"notify":      {"send a test mail through the configured SMTP server: test --to ADDR", notifyCommand},
		"version":     {"print the version", printVersion},
		"credentials": {"encrypt plaintext Slack credentials, or import them from SLACK_*: migrate|import-env", credentialsCommand},
		"keys":        {"show encryption key versions, or rotate to a new key: status|rotate", keysCommand},
		"vault":       {"encrypt or decrypt one value from stdin with the configured key: encrypt|decrypt", vaultCommand},
		"users":       {"add a user to an organization, or list users: add|list", users},
		"slack":       {"print the Slack app manifest to create Lore's app from: manifest [--http --public-url URL --workspace ID]", slackCommand},
		"import":      {"import a Slack export ZIP into a workspace: slack-export FILE.zip --workspace ID|--org ID", importCommand},
		"ask":         {"answer a question from an organization's Slack history: --org ID \"QUESTION\"", ask},
	}
}

// Run runs the command named by env.Args. Bad usage returns a *UsageError,
// a help request flag.ErrHelp (after printing the help to stdout).
func Run(ctx context.Context, env Env) error {
	cmds := commands()
	args := env.Args
	if len(args) > 0 && isHelp(args[0]) {
		usage(env.Stdout, cmds)
		return flag.ErrHelp
	}
	name := "serve" // a double-clicked binary gets no arguments
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		name, args = args[0], args[1:]
	}
	cmd, ok := cmds[name]
	if !ok {
		cmd, ok = hiddenCommands()[name]
	}
	if !ok {
		usage(env.Stderr, cmds)
		return usagef("unknown command %q", name)
	}
	return cmd.run(ctx, env, args)
}

func isHelp(arg string) bool {
	switch arg {
	case "help", "-h", "-help", "--help":
		return true
	}
	return false
}

func usage(w io.Writer, cmds map[string]command) {
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	fmt.Fprintln(w, "Lore answers questions from your Slack history.\n\nUsage: lore [command] [flags]\n\nCommands:")
	for _, n := range names {
		fmt.Fprintf(w, "  %-12s %s\n", n, cmds[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'lore COMMAND --help' for a command's flags.")
}

// commonFlags are the flags every command that touches the data has.
type commonFlags struct {
	dataDir   string
	logLevel  string
	logFormat string
}

func newFlagSet(name, args, summary string) *flag.FlagSet {
	fs := flag.NewFlagSet("lore "+name, flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: lore %s [flags]%s\n\n%s\n\nFlags:\n", name, args, summary)
		fs.PrintDefaults()
	}
	return fs
}

// register adds the common flags; defaultLevel is "info" for the server and
// "warn" for one-shot commands, whose own output says what they did.
func (c *commonFlags) register(fs *flag.FlagSet, env Env, defaultLevel string) {
	fs.StringVar(&c.dataDir, "data", envOr(env, "LORE_DATA_DIR", app.DefaultDataDir(env.Getenv)),
		"data directory holding lore.db (env LORE_DATA_DIR)")
	fs.StringVar(&c.logLevel, "log-level", envOr(env, "LORE_LOG_LEVEL", defaultLevel),
		"debug, info, warn or error (env LORE_LOG_LEVEL)")
	fs.StringVar(&c.logFormat, "log-format", envOr(env, "LORE_LOG_FORMAT", "text"),
		"text or json (env LORE_LOG_FORMAT)")
}

// setup builds the logger and the app configuration these flags and the
// environment name: what every command that opens the data starts with.
func (c *commonFlags) setup(env Env) (app.Config, *slog.Logger, error) {
	logger, err := c.logger(env)
	if err != nil {
		return app.Config{}, nil, err
	}
	cfg, err := c.config(env)
	return cfg, logger, err
}

// config builds the app configuration these flags and the environment name.
func (c *commonFlags) config(env Env) (app.Config, error) {
	src, err := keys.SourceFromEnv(env.Getenv, c.dataDir)
	if err != nil {
		return app.Config{}, err
	}
	cfg := app.Config{DataDir: c.dataDir, LogLevel: c.logLevel, LogFormat: c.logFormat, Keys: src}
	smtp, ok, err := notify.ConfigFromEnv(env.Getenv)
	if err != nil {
		return app.Config{}, usagef("%v", err)
	}
	if ok {
		cfg.SMTP = &smtp
	}
	return cfg, nil
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

func (c *commonFlags) logger(env Env) (*slog.Logger, error) {
	l, err := app.NewLogger(env.Stderr, c.logLevel, c.logFormat)
	if err != nil {
		return nil, usagef("%v", err)
	}
	return l, nil
}

// parse parses args, taking flags wherever they stand among the arguments
// (Go's flag package stops at the first argument), so that
// `lore backup PATH --data D` and `lore backup --data D PATH` agree; "--"
// ends the flags. It returns the arguments in order. Every command parses
// with it. --help prints the flags to stdout and returns flag.ErrHelp, a bad
// flag prints them to stderr and returns a usage error.
func parse(fs *flag.FlagSet, env Env, args []string) ([]string, error) {
	fs.SetOutput(io.Discard)
	var rest []string
	for {
		err := fs.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(env.Stdout)
			fs.Usage()
			return nil, flag.ErrHelp
		}
		if err != nil {
			fs.SetOutput(env.Stderr)
			fs.Usage()
			return nil, usagef("%v", err)
		}
		left := fs.Args()
		if len(left) == 0 {
			return rest, nil
		}
		if consumed := len(args) - len(left); consumed > 0 && args[consumed-1] == "--" {
			return append(rest, left...), nil // after "--" everything is an argument
		}
		rest, args = append(rest, left[0]), left[1:]
	}
}

func envOr(env Env, key, def string) string {
	if v := env.Getenv(key); v != "" {
		return v
	}
	return def
}
