package cli

import (
	"context"
	"fmt"
	"os"

	"lore/app"
	"lore/storage"
)

func backup(ctx context.Context, env Env, args []string) error {
	flags := newFlagSet("backup", " PATH",
		"Writes a consistent copy of the database to PATH, safe while the server runs.\nPATH must not exist. The copy is checked with PRAGMA integrity_check.")
	var c commonFlags
	c.register(flags, env, "warn")
	rest, err := parse(flags, env, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usagef("backup needs exactly one PATH to write to")
	}
	dest := rest[0]
	logger, err := c.logger(env)
	if err != nil {
		return err
	}
	cfg := app.Config{DataDir: c.dataDir}
	store, err := openExisting(ctx, env, cfg.DatabasePath(), logger, storage.SkipMigrations())
	if err != nil {
		return err
	}
	defer store.Close()
	if err := store.Backup(ctx, dest); err != nil {
		return err
	}
	info, err := os.Stat(dest)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "backed up %s to %s (%d bytes, integrity ok)\n", cfg.DatabasePath(), dest, info.Size())
	return nil
}
