// Package app is Lore's domain: configuration, the services (vault,
// credentials, settings, accounts, audit, …) and the wiring that builds them
// over one storage.Store.
package app

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"

	"lore/app/accounts"
	"lore/app/credentials"
	"lore/app/keys"
	"lore/app/settings"
	"lore/app/slack"
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
	// Slack is the one Slack Web API client, whose pacing every caller shares.
	Slack *slack.Client
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
	if a.Slack, err = slack.New(slack.Options{APIURL: cfg.SlackAPIURL, Logger: logger}); err != nil {
		a.Close()
		return nil, err
	}
	if a.Credentials, err = credentials.New(store, loaded.Keyring, logger, credentials.Options{Slack: a.Slack}); err != nil {
		a.Close()
		return nil, err
	}
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

// Close releases what Open acquired.
func (a *App) Close() error {
	a.Keyring.Destroy()
	return a.Store.Close()
}
