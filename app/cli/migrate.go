package cli

import (
	"context"
	"flag"
	"fmt"
	"strings"

	"lore/app"
)

func migrate(ctx context.Context, env Env, args []string) error {
	flags := newFlagSet("migrate", " status|up|down",
		"Shows the database's migrations (status), applies the pending ones (up) or rolls back the newest (down).\nup and down refuse to run while a server holds the data directory.")
	var c commonFlags
	c.register(flags, env, "warn")
	sub, err := subcommand(flags, env, args, "status", "up", "down")
	if err != nil {
		return err
	}
	logger, err := c.logger(env)
	if err != nil {
		return err
	}
	a, done, err := open(ctx, env, app.Config{DataDir: c.dataDir}, logger, "migrate "+sub)
	if err != nil {
		return err
	}
	defer done()
	store := a.Store

	switch sub {
	case "status":
		list, err := store.Migrations(ctx)
		if err != nil {
			return err
		}
		for _, m := range list {
			state := "pending"
			if m.Applied {
				state = "applied " + m.AppliedAt.UTC().Format("2006-01-02 15:04:05 UTC")
			}
			fmt.Fprintf(env.Stdout, "%05d  %-40s %s\n", m.Version, m.Name, state)
		}
	case "up": // opening migrated it, under the lock that keeps other openers out
	case "down":
		if _, err := store.MigrateDown(ctx); err != nil {
			return err
		}
	}
	if sub != "status" {
		v, err := store.SchemaVersion(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "schema version %d\n", v)
	}
	return nil
}

// subcommand parses flags, which may stand anywhere, and returns the
// subcommand (the first argument), which must be one of allowed.
func subcommand(flags *flag.FlagSet, env Env, args []string, allowed ...string) (string, error) {
	rest, err := parse(flags, env, args)
	if err != nil {
		return "", err
	}
	var sub string
	if len(rest) > 0 {
		sub, rest = rest[0], rest[1:]
	}
	if len(rest) > 0 {
		return "", usagef("unexpected argument %q", rest[0])
	}
	for _, a := range allowed {
		if sub == a {
			return sub, nil
		}
	}
	if sub == "" {
		return "", usagef("%s needs one of: %s", strings.TrimPrefix(flags.Name(), "lore "), strings.Join(allowed, ", "))
	}
	return "", usagef("unknown %s command %q; want one of: %s", strings.TrimPrefix(flags.Name(), "lore "), sub, strings.Join(allowed, ", "))
}
