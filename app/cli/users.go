package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"lore/app"
	"lore/app/accounts"
	"lore/storage"
)

// users adds and lists users, for installs without a browser at hand.
func users(ctx context.Context, env Env, args []string) error {
	flags := newFlagSet("users", " add|list|reset-password",
		"Adds a user to an organization (add), creating the organization if no organization has that name,\n"+
			"lists every user with their organizations and roles (list), or sets a user's password and signs\n"+
			"them out everywhere (reset-password). The first user becomes the instance owner. The password\n"+
			"is read from the first line of standard input, never from a flag.")
	var c commonFlags
	c.register(flags, env, "warn")
	email := flags.String("email", "", "the user's email (add, reset-password)")
	passwordStdin := flags.Bool("password-stdin", false, "read the password from standard input (add, reset-password; required)")
	org := flags.String("org", "", "the organization's name, created if missing (add)")
	role := flags.String("role", "member", "owner, admin or member (add)")
	sub, err := subcommand(flags, env, args, "add", "list", "reset-password")
	if err != nil {
		return err
	}
	var password string
	switch sub {
	case "add":
		if *email == "" || *org == "" {
			return usagef("users add needs --email and --org")
		}
	case "reset-password":
		if *email == "" {
			return usagef("users reset-password needs --email")
		}
	}
	if sub != "list" {
		if !*passwordStdin {
			return usagef("users %s needs --password-stdin, with the password on standard input", sub)
		}
		if password, err = readPassword(env.Stdin); err != nil {
			return err
		}
	}
	cfg, logger, err := c.setup(env)
	if err != nil {
		return err
	}
	a, done, err := open(ctx, env, cfg, logger, "users "+sub)
	if err != nil {
		return err
	}
	defer done()

	switch sub {
	case "list":
		return listUsers(ctx, env, a)
	case "reset-password":
		return resetPassword(ctx, env, a, *email, password)
	}
	u, o, err := a.Accounts.AddUser(ctx, accounts.NewUser{Email: *email, Password: password, OrgName: *org, Role: *role}, "cli")
	var ve *accounts.ValidationError
	switch {
	case errors.As(err, &ve):
		return usagef("%v", strings.TrimPrefix(err.Error(), "accounts: "))
	case errors.Is(err, storage.ErrConflict):
		return fmt.Errorf("a user with email %s already exists", *email)
	case err != nil:
		return err
	}
	owner := ""
	if u.InstanceOwner {
		owner = ", instance owner"
	}
	fmt.Fprintf(env.Stdout, "added user %d %s as %s of organization %d %q%s\n", u.ID, u.Email, *role, o.ID, o.Name, owner)
	return nil
}

func resetPassword(ctx context.Context, env Env, a *app.App, email, password string) error {
	u, revoked, err := a.Accounts.ResetPassword(ctx, email, password, "cli")
	var ve *accounts.ValidationError
	switch {
	case errors.As(err, &ve):
		return usagef("%v", strings.TrimPrefix(err.Error(), "accounts: "))
	case errors.Is(err, storage.ErrNotFound):
		return fmt.Errorf("no user with email %s", strings.TrimSpace(email))
	case err != nil:
		return err
	}
	fmt.Fprintf(env.Stdout, "set a new password for user %d %s and ended %s\n", u.ID, u.Email, plural(revoked, "session"))
	return nil
}

func plural(n int64, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// readPassword reads the first line of r, without its line ending.
func readPassword(r io.Reader) (string, error) {
	if r == nil {
		return "", usagef("--password-stdin: no standard input")
	}
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password from standard input: %w", err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", usagef("--password-stdin: standard input is empty")
	}
	return line, nil
}

func listUsers(ctx context.Context, env Env, a *app.App) error {
	list, err := a.Store.ListUsers(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tEMAIL\tINSTANCE OWNER\tORGANIZATIONS")
	for _, u := range list {
		orgs, err := a.Store.ListUserOrganizations(ctx, u.ID)
		if err != nil {
			return err
		}
		names := make([]string, len(orgs))
		for i, o := range orgs {
			names[i] = fmt.Sprintf("%s (%d, %s)", o.Name, o.ID, o.Role)
		}
		yes := "no"
		if u.InstanceOwner {
			yes = "yes"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", u.ID, u.Email, yes, strings.Join(names, ", "))
	}
	return tw.Flush()
}
