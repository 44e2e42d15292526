package cli

import (
	"context"
	"fmt"
	"time"

	"lore/app"
	"lore/storage"
)

func restore(ctx context.Context, env Env, args []string) error {
	flags := newFlagSet("restore", " PATH",
		"Puts the backup at PATH in place of the database (stop the server first).\n"+
			"The backup is checked first (a Lore database that passes PRAGMA integrity_check);\n"+
			"the database it replaces is kept in the data directory's backups/ folder.\n"+
			"The key is not in a backup: start Lore with the key the backup's secrets were encrypted with.")
	var c commonFlags
	c.register(flags, env, "warn")
	rest, err := parse(flags, env, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usagef("restore needs exactly one PATH of a backup to restore")
	}
	cfg := app.Config{DataDir: c.dataDir}
	// The table of needs: the data directory's lock (no server runs), and no
	// database opened, since the file is about to be replaced.
	_, done, err := open(ctx, env, cfg, nil, "restore")
	if err != nil {
		return err
	}
	defer done()
	latest, err := storage.LatestMigration(env.Migrations)
	if err != nil {
		return err
	}
	aside, err := storage.Restore(ctx, rest[0], cfg.DatabasePath(), latest, time.Now())
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "restored %s from %s (integrity ok)\n", cfg.DatabasePath(), rest[0])
	if aside != "" {
		fmt.Fprintf(env.Stdout, "the database it replaced is kept at %s\n", aside)
	}
	return nil
}
