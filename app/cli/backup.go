package cli

import (
	"context"
	"fmt"
	"os"

	"lore/app"
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
	a, done, err := open(ctx, env, cfg, logger, "backup")
	if err != nil {
		return err
	}
	defer done()
	if err := a.Store.Backup(ctx, dest); err != nil {
		return err
	}
	info, err := os.Stat(dest)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "backed up %s to %s (%d bytes, integrity ok)\n", cfg.DatabasePath(), dest, info.Size())
	return nil
}
