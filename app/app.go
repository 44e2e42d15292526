// Package app is Lore's domain: configuration, the services (vault,
// credentials, settings, accounts, audit, …) and the wiring that builds them
// over one storage.Store.
package app

import (
	"context"
	"io/fs"
	"log/slog"

	"lore/storage"
)

// App is a running Lore's dependencies, built once by Open and handed to the
// HTTP layer and the commands.
type App struct {
	Config Config
	Logger *slog.Logger
	Store  *storage.Store
}

// Open creates the data directory if needed, opens and migrates the database.
func Open(ctx context.Context, cfg Config, migrations fs.FS, logger *slog.Logger) (*App, error) {
	if err := EnsureDataDir(cfg.DataDir); err != nil {
		return nil, err
	}
	store, err := storage.Open(ctx, cfg.DatabasePath(), migrations, logger)
	if err != nil {
		return nil, err
	}
	return &App{Config: cfg, Logger: logger, Store: store}, nil
}

// Close releases what Open acquired.
func (a *App) Close() error {
	return a.Store.Close()
}
