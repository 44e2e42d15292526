package cli

import (
	"context"
	"fmt"
	"net/mail"
)

func notifyCommand(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 || args[0] != "test" {
		return usagef("notify needs a subcommand: test --to ADDR")
	}
	flags := newFlagSet("notify test", " --to ADDR",
		"Sends a test mail through the SMTP server in force (LORE_SMTP_URL, or the one stored with PUT /api/instance/smtp)\nand prints what the server said.")
	var c commonFlags
	c.register(flags, env, "warn")
	to := flags.String("to", "", "the address to send the test mail to")
	rest, err := parse(flags, env, args[1:])
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("notify test takes no arguments, got %q", rest[0])
	}
	if a, err := mail.ParseAddress(*to); err != nil || a.Name != "" {
		return usagef("notify test needs --to with an email address, such as admin@example.com")
	}
	cfg, logger, err := c.setup(env)
	if err != nil {
		return err
	}
	a, done, err := open(ctx, env, cfg, logger, "notify test")
	if err != nil {
		return err
	}
	defer done()
	sent, err := a.Notify.Test(ctx, *to)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "sent a test mail to %s through %s (%s settings, %d attempt(s)); the server said: %s\n",
		*to, sent.Server, sent.Source, sent.Attempts, sent.Reply)
	return nil
}
