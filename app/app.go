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
	"time"

	"lore/app/accounts"
	"lore/app/credentials"
	"lore/app/jobs"
	"lore/app/jobs/importjob"
	"lore/app/keys"
	"lore/app/settings"
	"lore/app/vault"
	"lore/storage"
)

// App is a running Lore's dependencies, built once by Open and handed to the
// HTTP layer and the commands.
type App struct {
	Config Config
	Logger *slog.Logger
	Store  *storage.Store
	// Keyring holds the key of every key version in use, derived once.
	Keyring *vault.Keyring
	// Warnings are problems found at startup that leave Lore running but
	// degraded, such as a key that does not open some stored secrets.
	Warnings []string
	// Accounts signs people in and manages organizations and members.
	Accounts *accounts.Service
	// Settings reads and changes organizations' settings.
	Settings *settings.Service
	// Credentials stores, reads and verifies workspaces' Slack secrets.
	Credentials *credentials.Service
	// Jobs is the job runner, with every kind registered. Anyone may queue
	// through it; only the process holding the data directory's lock
	// starts it.
	Jobs *jobs.Runner
}

// Open creates the data directory if needed, opens and migrates the database.
func Open(ctx context.Context, cfg Config, migrations fs.FS, logger *slog.Logger) (*App, error) {
	if err := EnsureDataDir(cfg.DataDir); err != nil {
		return nil, err
	}
	if cfg.Keys.DataDir == "" {
		cfg.Keys.DataDir = cfg.DataDir
	}
	store, err := storage.Open(ctx, cfg.DatabasePath(), migrations, logger)
	if err != nil {
		return nil, err
	}
	loaded, err := keys.Load(ctx, store, cfg.Keys, logger)
	if err != nil {
		store.Close()
		return nil, err
	}
	a := &App{Config: cfg, Logger: logger, Store: store, Keyring: loaded.Keyring, Warnings: loaded.Problems}
	a.Accounts = accounts.New(store, logger)
	a.Settings = settings.New(store)
	if a.Credentials, err = credentials.New(store, loaded.Keyring, logger, credentials.Options{SlackAPIURL: cfg.SlackAPIURL}); err != nil {
		a.Close()
		return nil, err
	}
	a.Jobs = jobs.New(store, logger, jobs.Options{})
	importjob.Register(a.Jobs, importNotConnected{})
	if err := a.warnAboutPlaintext(ctx); err != nil {
		a.Close()
		return nil, err
	}
	return a, nil
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

// importNotConnected stands for the message path's export import until it
// is connected here (issue 9: app/sync's ImportExport, through an adapter).
type importNotConnected struct{}

func (importNotConnected) ImportExport(context.Context, string, importjob.Target, jobs.Run) (importjob.Summary, error) {
	return importjob.Summary{}, errors.New("this lore cannot import Slack exports yet")
}

// Close releases what Open acquired. A started job runner is stopped
// first, so that no job writes to a closed database.
func (a *App) Close() error {
	if a.Jobs != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		if err := a.Jobs.Stop(ctx); err != nil {
			a.Logger.Warn("jobs still running when the database closed", slog.Any("error", err))
		}
	}
	a.Keyring.Destroy()
	return a.Store.Close()
}
