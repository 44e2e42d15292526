package cli

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"lore/app/keys"
	"lore/storage"
)

func keysCommand(ctx context.Context, env Env, args []string) error {
	flags := newFlagSet("keys", " status|rotate",
		"status: lists the encryption key versions, which is active, how many rows use each and their age.\n"+
			"rotate: re-encrypts every secret with a new key in one transaction and makes it the active version.\n"+
			"  The current key comes from ENCRYPTION_KEY or ENCRYPTION_KEY_FILE (or the development key file);\n"+
			"  the new one from ENCRYPTION_KEY_NEW or --new-key-file. Stop the server first.")
	var c commonFlags
	c.register(flags, env, "warn")
	newKeyFile := flags.String("new-key-file", "", "rotate: file holding the new key (or set ENCRYPTION_KEY_NEW)")
	sub, err := subcommand(flags, env, args, "status", "rotate")
	if err != nil {
		return err
	}
	cfg, logger, err := c.setup(env)
	if err != nil {
		return err
	}
	if sub == "status" {
		a, done, err := open(ctx, env, cfg, logger, "keys status")
		if err != nil {
			return err
		}
		defer done()
		return printKeyStatus(ctx, env, a.Store)
	}

	newKey := env.Getenv("ENCRYPTION_KEY_NEW")
	if *newKeyFile != "" {
		if newKey != "" {
			return usagef("both ENCRYPTION_KEY_NEW and --new-key-file are set: keep one")
		}
		var err error
		if newKey, err = keys.ReadKeyFile(*newKeyFile); err != nil {
			return fmt.Errorf("new key file: %w", err)
		}
	}
	if newKey == "" {
		return usagef("rotate needs the new key: set ENCRYPTION_KEY_NEW or pass --new-key-file")
	}
	a, done, err := open(ctx, env, cfg, logger, "keys rotate")
	if err != nil {
		return err
	}
	defer done()
	res, err := keys.Rotate(ctx, a.Store, cfg.Keys, newKey, logger)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "rotated the encryption key from version %d to version %d\n", res.From, res.To)
	tables := make([]string, 0, len(res.Counts))
	for t := range res.Counts {
		tables = append(tables, t)
	}
	sort.Strings(tables)
	for _, t := range tables {
		fmt.Fprintf(env.Stdout, "  %s: %d values re-encrypted\n", t, res.Counts[t])
	}
	if res.KeyFile != "" {
		fmt.Fprintf(env.Stdout, "the development key file %s now holds the new key\n", res.KeyFile)
	} else {
		fmt.Fprintln(env.Stdout, "now set ENCRYPTION_KEY (or ENCRYPTION_KEY_FILE) to the new key before starting lore: the old key opens nothing any more")
	}
	return nil
}

func printKeyStatus(ctx context.Context, env Env, store *storage.Store) error {
	list, err := keys.Status(ctx, store, time.Now())
	if err != nil {
		return err
	}
	if len(list) == 0 {
		fmt.Fprintln(env.Stdout, "no key versions yet: the first start of lore serve records the key as version 1")
		return nil
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "VERSION\tACTIVE\tKDF\tROWS\tAGE\tCREATED")
	var stale []keys.VersionStatus
	for _, v := range list {
		active := ""
		if v.Active {
			active = "yes"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", v.Version, active, v.KDF, describeRows(v.Rows),
			days(v.Age), v.CreatedAt.UTC().Format("2006-01-02"))
		if v.Stale {
			stale = append(stale, v)
		}
	}
	tw.Flush()
	for _, v := range stale {
		fmt.Fprintf(env.Stdout, "warning: the active key (version %d) is %s old; rotate it with 'lore keys rotate' (advised every %s)\n",
			v.Version, days(v.Age), days(keys.RotationAdvice))
	}
	return nil
}

func describeRows(rows map[string]int) string {
	if len(rows) == 0 {
		return "0"
	}
	parts := make([]string, 0, len(rows))
	for t, n := range rows {
		parts = append(parts, fmt.Sprintf("%s=%d", t, n))
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

func days(d time.Duration) string {
	return fmt.Sprintf("%d days", int(d.Hours()/24))
}
