package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"regexp"
	"strings"
	"time"

	"lore/app/settings"
	"lore/storage"
	"lore/storage/secret"
)

// Test sends a test mail to one address and returns what the server said.
func (s *Service) Test(ctx context.Context, to string) (Sent, error) {
	return s.Send(ctx, Mail{Kind: KindTest, To: []string{to}, Subject: "Lore: test mail",
		Text: "This is a test mail from Lore. If you read it, Lore can send its notifications.\n"})
}

// tokenLike matches what looks like a Slack token or secret, so that no
// mail ever carries one, whatever an error message held.
var tokenLike = regexp.MustCompile(`\b(xox[a-z]-|xapp-)[A-Za-z0-9-]+`)

func scrub(s string) string {
	return tokenLike.ReplaceAllStringFunc(s, secret.Mask)
}

// link makes an absolute link to path when the public URL is known.
func (s *Service) link(path string) string { return s.opts.PublicURL + path }

// admins returns the organization's admins when its settings want mail of
// this kind (email_notifications_enabled and want), else nil.
func (s *Service) admins(ctx context.Context, orgID int64, want func(settings.Settings) bool) ([]string, settings.Settings, error) {
	set, err := settings.New(s.store).Get(ctx, orgID)
	if err != nil {
		return nil, settings.Settings{}, err
	}
	if !set.Bool("email_notifications_enabled") || !want(set) {
		return nil, set, nil
	}
	to, err := s.store.ListAdminEmails(ctx, orgID)
	return to, set, err
}

// BackfillEnded mails the organization's admins about a backfill that
// ended failed or partial, when email_notifications_enabled and
// notify_on_failed_backfill are on, at most once a day (UTC) per workspace.
// It is the job runner's observer of the backfill kind: whatever happens
// here, the job has ended as it did.
func (s *Service) BackfillEnded(ctx context.Context, j storage.Job) {
	if j.Status != storage.JobFailed && j.Status != storage.JobPartial {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Minute)
	defer cancel()
	logger := s.logger.With("org_id", j.OrgID, "workspace_id", j.WorkspaceID, "job_id", j.ID)
	to, _, err := s.admins(ctx, j.OrgID, func(o settings.Settings) bool { return o.Bool("notify_on_failed_backfill") })
	if err != nil || len(to) == 0 {
		if err != nil {
			logger.Warn("failed-backfill mail: no recipients", slog.Any("error", err))
		}
		return
	}
	now := s.opts.Clock.Now().UTC()
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	if n, err := s.store.CountMail(ctx, j.WorkspaceID, KindBackfillFailed, day); err != nil || n > 0 {
		if err == nil {
			logger.Info("failed-backfill mail not sent: one was sent about this workspace today")
		}
		return
	}
	m, err := s.backfillMail(ctx, j, to)
	if err != nil {
		logger.Warn("failed-backfill mail not written", slog.Any("error", err))
		return
	}
	if _, err := s.Send(ctx, m); err != nil && !errors.Is(err, ErrNotConfigured) {
		logger.Warn("failed-backfill mail not sent", slog.Any("error", err))
	}
}

func (s *Service) backfillMail(ctx context.Context, j storage.Job, to []string) (Mail, error) {
	org, err := s.store.Organization(ctx, j.OrgID)
	if err != nil {
		return Mail{}, err
	}
	ws, err := s.store.Workspace(ctx, j.OrgID, j.WorkspaceID)
	if err != nil {
		return Mail{}, err
	}
	name := ws.TeamName
	if name == "" {
		name = ws.ID
	}
	how := "failed"
	what := j.Error
	if j.Status == storage.JobPartial {
		how, what = "partly failed", j.Summary
		if len(j.Result) > 0 && string(j.Result) != "null" {
			what += "\nDetail: " + string(j.Result)
		}
	}
	if strings.TrimSpace(what) == "" {
		what = "no reason was recorded; see the server log"
	}
	what = scrub(what)
	var b strings.Builder
	fmt.Fprintf(&b, "The backfill of the Slack workspace %q (%s) in the organization %q %s at %s.\n\n",
		name, ws.ID, org.Name, how, j.FinishedAt.UTC().Format("2006-01-02 15:04 UTC"))
	fmt.Fprintf(&b, "What failed: %s\n\n", what)
	fmt.Fprintf(&b, "What to do: %s\n\n", s.advice(ws.ID, what))
	fmt.Fprintf(&b, "The job: %s (job %d)\n\n", s.link(fmt.Sprintf("/api/jobs/%d", j.ID)), j.ID)
	fmt.Fprintf(&b, "You get this mail as an admin of %q, because its settings have email_notifications_enabled and "+
		"notify_on_failed_backfill on. Lore sends at most one such mail a day per workspace.\n", org.Name)
	return Mail{OrgID: j.OrgID, WorkspaceID: j.WorkspaceID, Kind: KindBackfillFailed, To: to,
		Subject: fmt.Sprintf("Lore: the backfill of %s %s", name, how), Text: b.String()}, nil
}

// advice says what an admin can do about a backfill's failure.
func (s *Service) advice(workspaceID, what string) string {
	creds := s.link("/api/workspaces/" + workspaceID + "/credentials")
	for _, code := range []string{"token_revoked", "invalid_auth", "account_inactive", "not_authed", "wrong_workspace", "no_credentials"} {
		if strings.Contains(what, code) {
			return "the bot token was revoked or is no longer accepted by Slack: paste a new one at " + creds +
				" (store the credentials again, then verify them); the next backfill picks it up."
		}
	}
	switch {
	case strings.Contains(what, "missing_scope"):
		return "the Slack app lacks a permission Lore needs: reinstall it from the manifest Lore prints, then store its new bot token at " + creds + "."
	case strings.Contains(what, "not_in_channel"), strings.Contains(what, "channel_not_found"):
		return "invite the Lore bot to the channels it should read (/invite @Lore); the next backfill takes them in."
	case strings.Contains(what, "rate") || strings.Contains(what, "Slack did not answer") || strings.Contains(what, "unavailable"):
		return "nothing: Slack was slow or unreachable, and the next scheduled backfill goes on from where this one stopped."
	}
	return "the next scheduled backfill tries again from where this one stopped; if it fails again, the job's detail and the server log say more."
}

// CredentialsInvalid mails the organization's admins that Slack no longer
// accepts a workspace's credentials (the daily check found them turned
// invalid), when email_notifications_enabled is on.
func (s *Service) CredentialsInvalid(ctx context.Context, orgID int64, workspaceID, reason string) {
	logger := s.logger.With("org_id", orgID, "workspace_id", workspaceID)
	to, _, err := s.admins(ctx, orgID, func(settings.Settings) bool { return true })
	if err != nil || len(to) == 0 {
		if err != nil {
			logger.Warn("credentials mail: no recipients", slog.Any("error", err))
		}
		return
	}
	org, err := s.store.Organization(ctx, orgID)
	if err != nil {
		logger.Warn("credentials mail not written", slog.Any("error", err))
		return
	}
	ws, err := s.store.Workspace(ctx, orgID, workspaceID)
	if err != nil {
		logger.Warn("credentials mail not written", slog.Any("error", err))
		return
	}
	name := ws.TeamName
	if name == "" {
		name = ws.ID
	}
	reason = scrub(reason)
	text := fmt.Sprintf("Slack no longer accepts the credentials Lore holds for the workspace %q (%s) in the organization %q: %s.\n\n"+
		"Until they are replaced Lore cannot backfill it nor answer in it.\n\nWhat to do: %s\n",
		name, ws.ID, org.Name, reason, s.advice(ws.ID, reason))
	m := Mail{OrgID: orgID, WorkspaceID: workspaceID, Kind: KindCredentialsInvalid, To: to,
		Subject: fmt.Sprintf("Lore: Slack rejected the credentials of %s", name), Text: text}
	if _, err := s.Send(ctx, m); err != nil && !errors.Is(err, ErrNotConfigured) {
		logger.Warn("credentials mail not sent", slog.Any("error", err))
	}
}

// maxUnanswered is how many unanswered questions a digest quotes.
const maxUnanswered = 20

// digestData is what the digest's two bodies show.
type digestData struct {
	Org               string
	From, To          string
	Channels          []storage.ChannelCount
	Messages          int64
	Asked, Answered   int
	AnsweredPercent   int
	Unanswered        []string
	UnansweredMore    int // beyond maxUnanswered
	UnansweredPrivate int // not quoted: asked in private channels or DMs
}

var digestHTML = template.Must(template.New("digest").Parse(`<!doctype html>
<html><body style="font-family: sans-serif">
<h1>Lore's week in {{.Org}}</h1>
<p>{{.From}} – {{.To}} (UTC)</p>
<h2>Messages indexed</h2>
{{if .Channels}}<table>{{range .Channels}}<tr><td>#{{.Name}}</td><td>{{.Messages}}</td></tr>{{end}}</table>
<p>{{.Messages}} in all, in public channels.</p>{{else}}<p>None in public channels this week.</p>{{end}}
<h2>Questions</h2>
<p>{{.Asked}} asked, {{.Answered}} answered ({{.AnsweredPercent}}%).</p>
{{if or .Unanswered .UnansweredPrivate}}<h2>Questions Lore could not answer</h2>
<p>Write the missing answers down where Lore can find them (a channel it reads, or a document).</p>
<ul>{{range .Unanswered}}<li>{{.}}</li>{{end}}</ul>
{{if .UnansweredMore}}<p>and {{.UnansweredMore}} more.</p>{{end}}
{{if .UnansweredPrivate}}<p>{{.UnansweredPrivate}} more were asked in private channels or direct messages; they are not quoted here.</p>{{end}}{{end}}
</body></html>
`))

// Digest sends the organization's weekly digest for the seven days before
// now to its admins, when weekly_digest_enabled and
// email_notifications_enabled are on, and returns one line on it.
func (s *Service) Digest(ctx context.Context, orgID int64, now time.Time) (string, error) {
	to, _, err := s.admins(ctx, orgID, func(o settings.Settings) bool { return o.Bool("weekly_digest_enabled") })
	if err != nil {
		return "", err
	}
	if len(to) == 0 {
		return "not sent: the digest or email is off, or the organization has no admin", nil
	}
	m, err := s.DigestMail(ctx, orgID, now, to)
	if err != nil {
		return "", err
	}
	sent, err := s.Send(ctx, m)
	if err != nil {
		// Recorded and logged by Send: the run is done, not failed.
		return "not sent: " + err.Error(), nil
	}
	return fmt.Sprintf("sent to %d admin(s) in %d attempt(s)", len(to), sent.Attempts), nil
}

// DigestMail writes the weekly digest of the seven days before now.
func (s *Service) DigestMail(ctx context.Context, orgID int64, now time.Time, to []string) (Mail, error) {
	org, err := s.store.Organization(ctx, orgID)
	if err != nil {
		return Mail{}, err
	}
	end := now.UTC()
	start := end.AddDate(0, 0, -7)
	week, err := s.store.DigestOf(ctx, orgID, start, end)
	if err != nil {
		return Mail{}, err
	}
	d := digestData{Org: org.Name, From: start.Format("Mon 2 Jan 2006"), To: end.Format("Mon 2 Jan 2006"), Channels: week.Channels}
	for _, c := range week.Channels {
		d.Messages += c.Messages
	}
	for _, q := range week.Questions {
		d.Asked++
		switch {
		case q.Answered:
			d.Answered++
		case q.Private:
			d.UnansweredPrivate++
		case len(d.Unanswered) < maxUnanswered:
			d.Unanswered = append(d.Unanswered, q.Question)
		default:
			d.UnansweredMore++
		}
	}
	if d.Asked > 0 {
		d.AnsweredPercent = d.Answered * 100 / d.Asked
	}
	var text strings.Builder
	fmt.Fprintf(&text, "Lore's week in %s: %s – %s (UTC)\n\n", d.Org, d.From, d.To)
	fmt.Fprintf(&text, "Messages indexed\n")
	if len(d.Channels) == 0 {
		fmt.Fprintf(&text, "  none in public channels this week\n")
	}
	for _, c := range d.Channels {
		fmt.Fprintf(&text, "  #%s: %d\n", c.Name, c.Messages)
	}
	if len(d.Channels) > 0 {
		fmt.Fprintf(&text, "  %d in all, in public channels\n", d.Messages)
	}
	fmt.Fprintf(&text, "\nQuestions\n  %d asked, %d answered (%d%%)\n", d.Asked, d.Answered, d.AnsweredPercent)
	if len(d.Unanswered) > 0 || d.UnansweredPrivate > 0 {
		fmt.Fprintf(&text, "\nQuestions Lore could not answer: write the missing answers down where Lore can find them\n")
		for _, q := range d.Unanswered {
			fmt.Fprintf(&text, "  - %s\n", oneLine(q))
		}
		if d.UnansweredMore > 0 {
			fmt.Fprintf(&text, "  and %d more\n", d.UnansweredMore)
		}
		if d.UnansweredPrivate > 0 {
			fmt.Fprintf(&text, "  %d more were asked in private channels or direct messages; they are not quoted here\n", d.UnansweredPrivate)
		}
	}
	var html bytes.Buffer
	if err := digestHTML.Execute(&html, d); err != nil {
		return Mail{}, fmt.Errorf("notify: digest: %w", err)
	}
	return Mail{OrgID: orgID, Kind: KindDigest, To: to, Subject: fmt.Sprintf("Lore weekly digest for %s: %s – %s", d.Org, d.From, d.To),
		Text: text.String(), HTML: html.String()}, nil
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
