package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"

	"lore/app"
	"lore/app/credentials"
	"lore/app/slack"
	"lore/storage"
	"lore/storage/secret"
)

// slackEnv are the variables a Slack app written with Bolt reads its
// credentials from, by credential field.
var slackEnv = []struct{ name, field string }{
	{"SLACK_BOT_TOKEN", "bot_token"},
	{"SLACK_APP_TOKEN", "app_token"},
	{"SLACK_SIGNING_SECRET", "signing_secret"},
}

// slackAPIFlag registers --slack-api-url (env LORE_SLACK_API_URL).
func slackAPIFlag(fs *flag.FlagSet, env Env) *string {
	return fs.String("slack-api-url", envOr(env, "LORE_SLACK_API_URL", slack.DefaultAPIURL),
		"Slack Web API base URL, for a proxy or a test server (env LORE_SLACK_API_URL)")
}

func credentialsCommand(ctx context.Context, env Env, args []string) error {
	flags := newFlagSet("credentials", " migrate|import-env",
		"migrate: encrypts the Slack credentials still stored in plaintext (from the original system) and\n"+
			"  clears the plaintext, for every workspace or the one named by --workspace.\n"+
			"import-env: stores SLACK_BOT_TOKEN, SLACK_APP_TOKEN and SLACK_SIGNING_SECRET encrypted for the\n"+
			"  workspace they belong to (asking Slack which), connecting it to --org if it is new, and verifies them.")
	var c commonFlags
	c.register(flags, env, "warn")
	slackAPI := slackAPIFlag(flags, env)
	workspace := flags.String("workspace", "", "migrate: only this workspace (its Slack team id, e.g. T0123ABCD)")
	org := flags.Int64("org", 0, "import-env: id of the organization the workspace belongs to")
	sub, err := subcommand(flags, env, args, "migrate", "import-env")
	if err != nil {
		return err
	}
	var creds secret.Slack
	switch sub {
	case "migrate":
		if *org != 0 {
			return usagef("--org is for import-env; migrate takes --workspace")
		}
	case "import-env":
		if *workspace != "" {
			return usagef("--workspace is for migrate; import-env finds the workspace from the bot token")
		}
		if *org <= 0 {
			return usagef("import-env needs --org ID, the organization to connect the workspace to")
		}
		if creds, err = slackCredentialsFromEnv(env); err != nil {
			return err
		}
	}
	if _, err := slack.NormalizeAPIURL(*slackAPI); err != nil {
		return usagef("--slack-api-url: %v", err)
	}
	cfg, logger, err := c.setup(env)
	if err != nil {
		return err
	}
	cfg.SlackAPIURL = *slackAPI
	a, done, err := open(ctx, env, cfg, logger, "credentials "+sub)
	if err != nil {
		return err
	}
	defer done()
	if sub == "migrate" {
		return migrateCredentials(ctx, env, a, *workspace)
	}
	return importEnvCredentials(ctx, env, a, *org, creds)
}

func migrateCredentials(ctx context.Context, env Env, a *app.App, workspace string) error {
	res, err := a.Credentials.Migrate(ctx, "cli", workspace)
	if errors.Is(err, storage.ErrNotFound) {
		return fmt.Errorf("no workspace %s in %s", workspace, a.Config.DatabasePath())
	}
	fmt.Fprintf(env.Stdout, "migrated %d, skipped %d, failed %d\n", res.Migrated, res.Skipped, res.Failed)
	for _, e := range res.Errors {
		fmt.Fprintf(env.Stdout, "  %s: %s\n", e.WorkspaceID, e.Err)
	}
	if err != nil {
		return err
	}
	if res.Failed > 0 {
		return fmt.Errorf("%d workspace(s) could not be migrated and still hold plaintext credentials", res.Failed)
	}
	return nil
}

// slackCredentialsFromEnv reads and validates the three variables, naming
// each one missing or malformed and never a value.
func slackCredentialsFromEnv(env Env) (secret.Slack, error) {
	var missing []string
	values := map[string]string{}
	for _, v := range slackEnv {
		values[v.field] = env.Getenv(v.name)
		if strings.TrimSpace(values[v.field]) == "" {
			missing = append(missing, v.name)
		}
	}
	if len(missing) > 0 {
		return secret.Slack{}, usagef("import-env needs SLACK_BOT_TOKEN, SLACK_APP_TOKEN and SLACK_SIGNING_SECRET; not set: %s",
			strings.Join(missing, ", "))
	}
	creds := credentials.Normalize(secret.Slack{
		BotToken: values["bot_token"], AppToken: values["app_token"], SigningSecret: values["signing_secret"],
	})
	var ve *credentials.ValidationError
	if err := credentials.Validate(creds); errors.As(err, &ve) {
		var parts []string
		for _, v := range slackEnv {
			if msg, ok := ve.Fields[v.field]; ok {
				parts = append(parts, v.name+" "+msg)
			}
		}
		return secret.Slack{}, fmt.Errorf("nothing was stored: %s", strings.Join(parts, "; "))
	}
	return creds, nil
}

func importEnvCredentials(ctx context.Context, env Env, a *app.App, orgID int64, creds secret.Slack) error {
	if _, err := a.Store.Organization(ctx, orgID); errors.Is(err, storage.ErrNotFound) {
		return fmt.Errorf("no organization %d in %s", orgID, a.Config.DatabasePath())
	} else if err != nil {
		return err
	}
	// Slack says which workspace the bot token belongs to.
	r, err := a.Credentials.Identify(ctx, creds.BotToken)
	if err != nil {
		return fmt.Errorf("%w; nothing was stored", err)
	}
	if !r.Valid {
		return fmt.Errorf("%s; nothing was stored", envReason(r.Error))
	}
	owner, err := a.Store.WorkspaceOrg(ctx, r.TeamID)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		if _, err := a.Store.CreateWorkspace(ctx, orgID, r.TeamID, r.Team); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "connected workspace %s (%s) to organization %d\n", r.Team, r.TeamID, orgID)
	case err != nil:
		return err
	case owner != orgID:
		return fmt.Errorf("workspace %s (%s) belongs to organization %d, not %d; nothing was stored", r.Team, r.TeamID, owner, orgID)
	}
	view, err := a.Credentials.Store(ctx, "cli", orgID, r.TeamID, creds, credentials.WithBotUserID(r.BotUserID))
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "stored the Slack credentials of %s encrypted (key version %d): bot token %s, app token %s, signing secret %s\n",
		r.TeamID, view.EncryptionVersion, view.BotToken, view.AppToken, view.SigningSecret)
	v, err := a.Credentials.Verify(ctx, "cli", orgID, r.TeamID)
	if err != nil {
		return fmt.Errorf("stored, but not verified: %w", err)
	}
	if !v.Valid {
		return fmt.Errorf("stored, but on verification %s", envReason(v.Error))
	}
	fmt.Fprintf(env.Stdout, "verified with Slack: team %s, bot user %s\n", v.Team, v.BotUserID)
	fmt.Fprintln(env.Stdout, "SLACK_BOT_TOKEN, SLACK_APP_TOKEN and SLACK_SIGNING_SECRET can now be removed from the environment: Lore reads them from its database.")
	return nil
}

// envReason says which variable Slack rejected, and why.
func envReason(reason string) string {
	if r, ok := strings.CutPrefix(reason, "app_token: "); ok {
		return "Slack rejected SLACK_APP_TOKEN: " + r
	}
	if reason == "wrong_workspace" {
		return "SLACK_BOT_TOKEN belongs to another workspace"
	}
	return "Slack rejected SLACK_BOT_TOKEN: " + reason
}

// offerEnvImport points out Slack credentials in the environment, which Lore
// does not read at run time, and how to store them encrypted instead.
func offerEnvImport(env Env) {
	var set []string
	for _, v := range slackEnv {
		if env.Getenv(v.name) != "" {
			set = append(set, v.name)
		}
	}
	if len(set) == 0 {
		return
	}
	fmt.Fprintf(env.Stdout, "%s %s set in the environment. Lore keeps Slack credentials encrypted in its database:\n"+
		"run 'lore credentials import-env --org ID' to store them there, then remove the variables.\n",
		strings.Join(set, ", "), map[bool]string{true: "is", false: "are"}[len(set) == 1])
}
