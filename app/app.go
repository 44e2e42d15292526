// Package app is Lore's domain: configuration, the services (vault,
// credentials, settings, accounts, audit, …) and the wiring that builds them
// over one storage.Store.
package app

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/jonboulle/clockwork"

	"lore/app/accounts"
	"lore/app/answers"
	"lore/app/audit"
	"lore/app/backfill"
	"lore/app/bot"
	"lore/app/credentials"
	"lore/app/documents"
	"lore/app/instance"
	"lore/app/jobs"
	"lore/app/jobs/importjob"
	"lore/app/keys"
	"lore/app/lockfile"
	"lore/app/notify"
	"lore/app/scheduler"
	"lore/app/settings"
	"lore/app/slack"
	"lore/app/sync"
	"lore/app/vault"
	"lore/storage"
)

// App is a running Lore's dependencies, built once by Open and handed to the
// HTTP layer and the commands.
type App struct {
	Config Config
	Logger *slog.Logger
	Store  *storage.Store
	// Keyring holds the key of every key version in use, derived once; nil
	// when opened WithoutKeys.
	Keyring *vault.Keyring
	// Warnings are problems found at startup that leave Lore running but
	// degraded, such as a key that does not open some stored secrets.
	Warnings []string
	// Accounts signs people in and manages organizations and members.
	Accounts *accounts.Service
	// Settings reads and changes organizations' settings.
	Settings *settings.Service
	// Credentials stores, reads and verifies workspaces' Slack secrets; nil
	// when opened WithoutKeys.
	Credentials *credentials.Service
	// Audit reads the audit log.
	Audit *audit.Service
	// Slack is the one Slack Web API client, whose pacing every caller shares.
	Slack *slack.Client
	// Bot answers questions asked in Slack, over either transport.
	Bot *bot.Service
	// Sync is the one message path: export imports, backfills and live
	// events store messages through it.
	Sync *sync.Service
	// Jobs is the job runner, with every kind registered. Anyone may queue
	// through it; only the process holding the data directory's lock
	// starts it.
	Jobs *jobs.Runner
	// Answers answers questions and keeps the questions log.
	Answers *answers.Service
	// Instance reads and changes the instance's own settings (the model).
	Instance *instance.Service
	// Notify sends Lore's mail and keeps the instance's SMTP settings.
	Notify *notify.Service
	// Scheduler runs the scheduled jobs; only lore serve starts it, but any
	// process can show the schedule or queue a retention run through it.
	Scheduler *scheduler.Scheduler
	// Documents stores, extracts (its job kind "extract"), lists and
	// searches uploaded documents.
	Documents *documents.Service
	// Backfill runs backfills through Slack's Web API and holds the
	// channels' sync choices; nil when opened WithoutKeys.
	Backfill *backfill.Service
	// Sockets is the Socket Mode runtime, one connection per workspace with
	// valid credentials (live capture, and the commands through its
	// Handle); lore serve runs it. Nil when opened WithoutKeys.
	Sockets *backfill.Sockets
}

// Schema says what Open may do to the database and its schema.
type Schema int

const (
	// Migrate creates the database if needed and migrates it to the newest
	// schema: for commands that hold the data directory's lock (serve,
	// keys rotate). It is Open's default.
	Migrate Schema = iota
	// NoUpgrade creates and migrates a new database, but refuses to upgrade
	// an existing one: for commands that write beside a running server
	// without its lock (users add, credentials).
	NoUpgrade
	// ReadOnly never creates or migrates the database and refuses a schema
	// other than the binary's: for commands that only read (users list,
	// keys status).
	ReadOnly
	// AnySchema never migrates and accepts any schema this binary can read:
	// for commands that inspect or copy the database (migrate, backup).
	AnySchema
)

// Option changes what Open opens.
type Option func(*options)

type options struct {
	schema Schema
	noKeys bool
	clock  clockwork.Clock
}

// WithSchema says what Open may do to the schema (Migrate by default).
func WithSchema(s Schema) Option { return func(o *options) { o.schema = s } }

// WithoutKeys opens no encryption key, so that a command that encrypts
// nothing never generates or records one: Keyring and Credentials stay nil.
func WithoutKeys() Option { return func(o *options) { o.noKeys = true } }

// WithClock makes the scheduler (and what it runs) read time from clock:
// tests pass a clockwork fake. The default is the real clock.
func WithClock(clock clockwork.Clock) Option { return func(o *options) { o.clock = clock } }

// openWait is how long Open waits for another process that is creating or
// migrating the same database.
const openWait = 2 * time.Minute

// Open opens the database in the data directory and builds the services over
// it; by default it creates the directory and the database if needed,
// migrates the schema and loads the encryption keys (see the options).
// Opening that may create or migrate waits for any other Lore process doing
// the same on this data directory, so two first runs never race.
func Open(ctx context.Context, cfg Config, migrations fs.FS, logger *slog.Logger, opts ...Option) (*App, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if cfg.Keys.DataDir == "" {
		cfg.Keys.DataDir = cfg.DataDir
	}
	store, err := openStore(ctx, cfg, migrations, logger, o.schema)
	if err != nil {
		return nil, err
	}
	a := &App{Config: cfg, Logger: logger, Store: store}
	a.Accounts = accounts.New(store, logger)
	a.Settings = settings.New(store)
	a.Audit = audit.New(store)
	if a.Slack, err = slack.New(slack.Options{APIURL: cfg.SlackAPIURL, Logger: logger, Rates: cfg.slackRates()}); err != nil {
		a.Close()
		return nil, err
	}
	a.Sync = sync.New(store, logger, sync.Options{})
	a.Jobs = jobs.New(store, logger, jobs.Options{})
	importjob.Register(a.Jobs, a.Sync)
	a.Documents = documents.New(store, a.Jobs, logger, documents.Options{UploadDir: documents.UploadDir(cfg.DataDir),
		PDF: cfg.PDFLimits, Child: cfg.PDFChild})
	if !o.noKeys {
		loaded, err := keys.Load(ctx, store, cfg.Keys, logger)
		if err != nil {
			store.Close()
			return nil, err
		}
		a.Keyring, a.Warnings = loaded.Keyring, loaded.Problems
		if a.Credentials, err = credentials.New(store, loaded.Keyring, logger, credentials.Options{Slack: a.Slack}); err != nil {
			a.Close()
			return nil, err
		}
		if err := a.warnAboutPlaintext(ctx); err != nil {
			a.Close()
			return nil, err
		}
		a.Backfill = backfill.New(store, a.Sync, a.Credentials, a.Settings, a.Jobs, logger, backfill.Options{})
		a.Backfill.Register(a.Jobs)
		// A workspace in HTTP mode opens no socket: Slack posts to Lore.
		a.Sockets = a.Backfill.Sockets(backfill.SocketsOptions{Skip: func(ctx context.Context, workspaceID string) bool {
			return a.Accounts.WorkspaceTransport(ctx, workspaceID) == storage.TransportHTTP
		}})
	}
	if a.Keyring != nil {
		a.Instance = instance.New(store, a.Keyring, cfg.LLM)
	} else {
		a.Instance = instance.New(store, nil, cfg.LLM) // a nil *Keyring would be a non-nil interface
	}
	if a.Answers, err = answers.New(ctx, store, logger, answers.Options{Models: a.Instance, Retrievers: []answers.Retriever{a.Documents}}); err != nil {
		a.Close()
		return nil, err
	}
	botOpts := bot.Options{Answerer: a.Answers, Feedback: a.Answers, Settings: a.Settings, Store: store,
		Logger: logger, SlackAPIURL: cfg.SlackAPIURL}
	if a.Backfill != nil {
		botOpts.Live = a.Backfill.Live() // HTTP mode's events take the socket's message path
	}
	a.Bot = bot.New(botOpts)
	if a.Sockets != nil {
		a.Sockets.Handle(a.Bot.SocketHandler())
	}
	var keyring notify.Keyring
	if a.Keyring != nil {
		keyring = a.Keyring
	}
	a.Notify = notify.New(store, keyring, logger, notify.Options{Env: cfg.SMTP, PublicURL: cfg.PublicURL, Clock: o.clock})
	a.Jobs.OnEnd(scheduler.KindBackfill, a.Notify.BackfillEnded)
	a.Scheduler = scheduler.New(store, a.Jobs, logger, a.scheduledTasks(), scheduler.Options{Clock: o.clock})
	a.Settings.OnChange(a.Scheduler.OrgChanged)
	a.Accounts.OnOrganizationCreated(a.Scheduler.OrgChanged)
	return a, nil
}

// scheduledTasks is the scheduler's work that other services do.
func (a *App) scheduledTasks() scheduler.Tasks {
	return scheduler.Tasks{
		Backup: func(ctx context.Context, now time.Time) (string, error) {
			path, size, err := a.Store.NightlyBackup(ctx, now)
			if err != nil {
				return "", err
			}
			return fmt.Sprintf("%s (%d bytes, integrity ok; the newest %d kept)", path, size, storage.KeptNightlyBackups), nil
		},
		CheckCredentials: a.CheckCredentials,
		Digest:           a.Notify.Digest,
	}
}

// openStore opens the database as schema says. Creating or migrating it
// happens under the data directory's open lock (lore.open.lock, apart from
// the server's lore.lock, which a server holds while it runs), so that a
// second process waits for the first instead of colliding with it on the
// switch to WAL or on the same migration.
func openStore(ctx context.Context, cfg Config, migrations fs.FS, logger *slog.Logger, schema Schema) (*storage.Store, error) {
	var opt []storage.Option
	switch schema {
	case NoUpgrade:
		opt = append(opt, storage.NoUpgrade())
	case ReadOnly:
		opt = append(opt, storage.ReadOnly())
	case AnySchema:
		opt = append(opt, storage.SkipMigrations())
	}
	if schema == ReadOnly || schema == AnySchema {
		return storage.Open(ctx, cfg.DatabasePath(), migrations, logger, opt...)
	}
	if err := EnsureDataDir(cfg.DataDir); err != nil {
		return nil, err
	}
	waitCtx, cancel := context.WithTimeout(ctx, openWait)
	defer cancel()
	lock, err := lockfile.Wait(waitCtx, filepath.Join(cfg.DataDir, "lore.open.lock"))
	var held *lockfile.HeldError
	switch {
	case err == nil:
		defer lock.Release()
	case ctx.Err() != nil:
		return nil, fmt.Errorf("open %s: %w", cfg.DatabasePath(), ctx.Err())
	case errors.As(err, &held):
		return nil, fmt.Errorf("another lore (pid %d) has been opening %s for %s; stop it or try again", held.PID, cfg.DatabasePath(), openWait)
	default:
		return nil, err
	}
	return storage.Open(ctx, cfg.DatabasePath(), migrations, logger, opt...)
}

// warnAboutPlaintext reports credentials still stored in the original
// system's plaintext columns, at every start until they are migrated.
func (a *App) warnAboutPlaintext(ctx context.Context) error {
	states, err := a.Store.ListCredentialStates(ctx, 0)
	if err != nil {
		return err
	}
	n := 0
	for _, st := range states {
		if st.HasPlaintext {
			n++
		}
	}
	if n > 0 {
		w := fmt.Sprintf("%d workspace(s) still hold plaintext Slack credentials; run 'lore credentials migrate' to encrypt them", n)
		a.Warnings = append(a.Warnings, w)
		a.Logger.Warn(w)
	}
	return nil
}

// Close releases what Open acquired. Answers in flight in Slack, a started
// scheduler and the job runner are stopped first, so that nothing writes to
// a closed database.
func (a *App) Close() error {
	if a.Bot != nil {
		a.Bot.Close()
	}
	if a.Scheduler != nil {
		if err := a.Scheduler.Stop(); err != nil {
			a.Logger.Warn("scheduler", slog.Any("error", err))
		}
	}
	if a.Jobs != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		if err := a.Jobs.Stop(ctx); err != nil {
			a.Logger.Warn("jobs still running when the database closed", slog.Any("error", err))
		}
	}
	if a.Keyring != nil {
		a.Keyring.Destroy()
	}
	if a.Answers != nil {
		a.Answers.Close()
	}
	if a.Documents != nil {
		a.Documents.Close()
	}
	return a.Store.Close()
}
