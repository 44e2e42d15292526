package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"lore/app/answers"
	"lore/app/instance"
	"lore/app/validation"
	"lore/storage"
)

// ask answers one question from an organization's public channels, as the
// web page would, for a quick check on a server. It is logged with source
// cli. A model set in the environment (LORE_LLM_*) is used; one stored
// through the API needs the key, which this command does not load, so it
// answers extractively then.
func ask(ctx context.Context, env Env, args []string) error {
	fs := newFlagSet("ask", ` "QUESTION"`, "Answers a question from an organization's Slack history, as the web page would.")
	var c commonFlags
	c.register(fs, env, "warn")
	org := fs.String("org", "", "the organization's id (required)")
	workspace := fs.String("workspace", "", "only this workspace's channels (a Slack team id)")
	channel := fs.String("channel", "", "only this public channel (a Slack channel id)")
	asJSON := fs.Bool("json", false, "print the answer as JSON, as the API returns it")
	rest, err := parse(fs, env, args)
	if err != nil {
		return err
	}
	orgID, err := strconv.ParseInt(*org, 10, 64)
	if err != nil || orgID <= 0 {
		return usagef("ask needs --org ID, the organization's number (lore users list shows it)")
	}
	if len(rest) != 1 {
		return usagef(`ask takes one question, in quotes: lore ask --org %d "where are the runbooks?"`, orgID)
	}
	cfg, logger, err := c.setup(env)
	if err != nil {
		return err
	}
	if cfg.LLM, err = instance.EnvFrom(env.Getenv); err != nil {
		return usagef("%v", err)
	}
	a, done, err := open(ctx, env, cfg, logger, "ask")
	if err != nil {
		return err
	}
	defer done()
	ans, err := a.Answers.Ask(ctx, answers.Request{OrgID: orgID, Question: rest[0], Scope: answers.Web,
		WorkspaceID: *workspace, ChannelID: *channel, Source: answers.SourceCLI, AskedBy: "cli"})
	var ve *validation.Error
	switch {
	case errors.As(err, &ve):
		return usagef("%s", strings.Join(fieldProblems(ve), "; "))
	case errors.Is(err, storage.ErrNotFound):
		return fmt.Errorf("no organization %d", orgID)
	case err != nil:
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(ans)
	}
	fmt.Fprintln(env.Stdout, ans.Text)
	status := "answered"
	if !ans.Answered {
		status = "not answered"
	}
	fmt.Fprintf(env.Stdout, "\n%s, confidence %d/100, question %d\n", status, ans.Confidence, ans.QuestionID)
	return nil
}

// fieldProblems lists a validation error's fields as "question is required".
func fieldProblems(ve *validation.Error) []string {
	var out []string
	for f, p := range ve.Fields {
		out = append(out, f+" "+p)
	}
	sort.Strings(out)
	return out
}
