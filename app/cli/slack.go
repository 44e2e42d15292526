package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"lore/app/slack"
	"lore/storage"
)

func slackCommand(ctx context.Context, env Env, args []string) error {
	flags := newFlagSet("slack", " manifest",
		"manifest: prints the Slack app manifest (JSON) to paste into Slack's \"Create New App → From an app\n"+
			"  manifest\". By default the app uses Socket Mode and needs no public URL; --http writes the\n"+
			"  manifest of an app whose requests Slack posts to Lore, under --public-url, for --workspace.")
	var c commonFlags
	c.register(flags, env, "warn")
	name := flags.String("name", slack.DefaultAppName, "the app's name in Slack (its bot is named after it)")
	httpMode := flags.Bool("http", false, "HTTP mode: Slack posts commands, events and interactions to Lore")
	publicURL := flags.String("public-url", envOr(env, "LORE_PUBLIC_URL", ""),
		"with --http: the https:// URL Slack reaches Lore at (env LORE_PUBLIC_URL)")
	workspace := flags.String("workspace", "", "with --http: the Slack team id (e.g. T0123ABCD) of a workspace connected to this lore")
	if _, err := subcommand(flags, env, args, "manifest"); err != nil {
		return err
	}
	if *workspace != "" && !*httpMode {
		return usagef("--workspace is for --http: a Socket Mode manifest names no URL")
	}
	if *httpMode && *workspace == "" {
		return usagef("--http needs --workspace ID: the request URLs carry the workspace")
	}
	m, err := slack.NewManifest(slack.ManifestOptions{AppName: *name, HTTP: *httpMode, PublicURL: *publicURL, WorkspaceID: *workspace})
	if err != nil {
		return usagef("%v", err)
	}
	if *workspace != "" {
		if err := checkWorkspace(ctx, env, &c, *workspace); err != nil {
			return err
		}
	}
	out, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("slack manifest: %w", err)
	}
	fmt.Fprintf(env.Stdout, "%s\n", out)
	return nil
}

// checkWorkspace makes sure the workspace the URLs name is connected to this
// lore, so that the app is not created against URLs that answer 401, and
// notes on stderr a workspace still in Socket Mode.
func checkWorkspace(ctx context.Context, env Env, c *commonFlags, workspaceID string) error {
	cfg, logger, err := c.setup(env)
	if err != nil {
		return err
	}
	a, done, err := open(ctx, env, cfg, logger, "slack manifest --workspace")
	if err != nil {
		return err
	}
	defer done()
	orgID, err := a.Accounts.WorkspaceOrg(ctx, workspaceID)
	if errors.Is(err, storage.ErrNotFound) {
		return fmt.Errorf("workspace %s is not connected to this lore; connect it first (POST /api/organizations/ORG_ID/workspaces)", workspaceID)
	} else if err != nil {
		return err
	}
	ws, err := a.Accounts.Workspace(ctx, orgID, workspaceID)
	if err != nil {
		return err
	}
	if ws.Transport != storage.TransportHTTP {
		fmt.Fprintf(env.Stderr, "note: workspace %s uses Socket Mode; Lore refuses its HTTP requests until its transport is http "+
			"(PATCH /api/workspaces/%s {\"transport\":\"http\"})\n", workspaceID, workspaceID)
	}
	return nil
}
