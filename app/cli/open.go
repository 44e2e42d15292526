package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"

	"lore/app"
	"lore/app/lockfile"
)

// need is what a command opens before it runs.
type need struct {
	// db: the command opens the database, and schema says what it may do to it.
	db     bool
	schema app.Schema
	// create: a missing database is created; otherwise it is an error
	// naming the path.
	create bool
	// keys: the command encrypts or decrypts, so it loads the encryption
	// keys (on a first run, generating and recording one).
	keys bool
	// lock, when set, is why the command takes the data directory's lock,
	// told to someone whose server holds it.
	lock string
}

// needs is the one place that decides what each command opens: the
// database or not, what it may do to the schema (only commands holding the
// lock upgrade one; commands that only read never change it), the key or
// not (a command that encrypts nothing never creates or records a key), and
// the data directory's lock. Commands are named with their subcommand.
func needs() map[string]need {
	return map[string]need{
		"serve":                  {db: true, schema: app.Migrate, create: true, keys: true, lock: "starting another: two would split Slack's events"},
		"users add":              {db: true, schema: app.NoUpgrade, create: true}, // the first step of a headless install
		"users reset-password":   {db: true, schema: app.NoUpgrade},
		"users list":             {db: true, schema: app.ReadOnly},
		"credentials migrate":    {db: true, schema: app.NoUpgrade, keys: true},
		"credentials import-env": {db: true, schema: app.NoUpgrade, keys: true},
		"keys status":            {db: true, schema: app.ReadOnly},
		// keys.Rotate loads the current key itself, to check that it opens
		// every secret before anything changes.
		"keys rotate":    {db: true, schema: app.Migrate, lock: "rotating keys: it would keep using the old one"},
		"migrate status": {db: true, schema: app.AnySchema},
		"migrate up":     {db: true, schema: app.Migrate, create: true, lock: "migrating up"},
		"migrate down":   {db: true, schema: app.AnySchema, lock: "migrating down"},
		"backup":         {db: true, schema: app.AnySchema},
		// restore replaces the database file: no server may hold it open, and
		// it opens none itself; a fresh data directory may receive one.
		"restore": {create: true, lock: "restoring a backup: it would go on with the replaced database open"},
		// The import takes the lock itself when no server holds it, and
		// otherwise queues the job for the server's runner.
		"import slack-export": {db: true, schema: app.NoUpgrade},
		// vault reads the key material itself; it opens the database only
		// for a passphrase's salt, and only when there is one (activeKDF).
		"vault":   {db: true, schema: app.AnySchema},
		"version": {},
		// ask logs the question, so it writes, but never upgrades the schema
		// under a running server; it decrypts nothing (a stored model key
		// stays unread: it answers extractively then).
		"ask": {db: true, schema: app.NoUpgrade},
		// the stored SMTP password is encrypted: it needs the key, never
		// upgrades the schema beside a server
		"notify test": {db: true, schema: app.NoUpgrade, keys: true},
		// The manifest needs nothing stored; with --workspace (HTTP mode's
		// URLs carry it) it checks that the workspace is connected.
		"slack manifest":             {},
		"slack manifest --workspace": {db: true, schema: app.ReadOnly},
		// the PDF reader's child process opens nothing: stdin to stdout
		"extract-pdf": {},
	}
}

// needOf returns the table's entry for cmd; a command missing from the table
// is a bug, not a user's mistake.
func needOf(cmd string) need {
	n, ok := needs()[cmd]
	if !ok {
		panic(fmt.Sprintf("cli: %q is not in the table of needs", cmd))
	}
	return n
}

// open opens what cmd needs and returns the App (nil for a command that
// needs no database) and a function that releases everything.
func open(ctx context.Context, env Env, cfg app.Config, logger *slog.Logger, cmd string) (*app.App, func(), error) {
	lock, err := lockFor(cfg, cmd)
	if err != nil {
		return nil, nil, err
	}
	a, err := openWith(ctx, env, cfg, logger, needOf(cmd))
	if err != nil {
		lock.Release()
		return nil, nil, err
	}
	return a, func() {
		if a != nil {
			a.Close()
		}
		lock.Release()
	}, nil
}

// lockFor takes the data directory's lock if cmd needs it; the lock is nil
// (and releasing it does nothing) otherwise.
func lockFor(cfg app.Config, cmd string) (*lockfile.Lock, error) {
	n := needOf(cmd)
	if n.lock == "" {
		return nil, nil
	}
	if !n.create {
		if err := mustExist(cfg.DatabasePath()); err != nil {
			return nil, err
		}
	}
	if err := app.EnsureDataDir(cfg.DataDir); err != nil {
		return nil, err
	}
	return lockDataDir(cfg.DataDir, n.lock)
}

// openWith opens the database and the keys as n says.
func openWith(ctx context.Context, env Env, cfg app.Config, logger *slog.Logger, n need) (*app.App, error) {
	if !n.db {
		return nil, nil
	}
	if !n.create {
		if err := mustExist(cfg.DatabasePath()); err != nil {
			return nil, err
		}
	}
	opts := []app.Option{app.WithSchema(n.schema)}
	if env.Clock != nil {
		opts = append(opts, app.WithClock(env.Clock))
	}
	if !n.keys {
		opts = append(opts, app.WithoutKeys())
	}
	return app.Open(ctx, cfg, env.Migrations, logger, opts...)
}

// lockDataDir takes the data directory's lock; when a server holds it, the
// error names that server and why this command needs it stopped.
func lockDataDir(dir, why string) (*lockfile.Lock, error) {
	lock, err := lockfile.Acquire(filepath.Join(dir, "lore.lock"))
	var held *lockfile.HeldError
	if errors.As(err, &held) {
		who := "another lore"
		if held.PID != 0 {
			who = fmt.Sprintf("another lore (pid %d)", held.PID)
		}
		return nil, fmt.Errorf("%s is using %s; stop it before %s", who, dir, why)
	}
	return lock, err
}

// mustExist reports a missing database by its path rather than creating an
// empty one.
func mustExist(path string) error {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("no database at %s (check --data or LORE_DATA_DIR)", path)
	} else if err != nil {
		return err
	}
	return nil
}
