package settings

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/robfig/cron/v3"
)

// Kind is what a setting holds, and so how it is read from JSON, checked,
// stored and shown.
type Kind string

// The kinds of settings. Values in Go are string (Enum, Schedule, Text),
// int64 (Integer), bool (Boolean), and nil for an unset Text.
const (
	Enum     Kind = "enum"     // one of Field.Values
	Integer  Kind = "integer"  // a whole number from Field.Min to Field.Max
	Boolean  Kind = "boolean"  // true or false
	Text     Kind = "text"     // up to Field.MaxLength characters, or null (blank is null)
	Schedule Kind = "schedule" // a 5-field cron expression in UTC
)

// Field is one setting: its name (the JSON key and the org_settings
// column), kind, default, limits and a line of help for the settings page.
// The migration that creates the column holds the same default and limits
// as its DEFAULT and CHECK; a test keeps the two in step.
type Field struct {
	Name      string
	Kind      Kind
	Default   any      // in the kind's Go type
	Values    []string // Enum: the allowed values, in the order to offer them
	Min, Max  int64    // Integer: the range; Max 0 is no upper bound
	MaxLength int      // Text: the longest value, in characters
	Group     Group    // the section of the settings page it is shown in
	Help      string
}

// Group is a section of the settings page, as the original system grouped
// its settings.
type Group string

// The groups, in the order the settings page shows them.
const (
	GroupAI            Group = "AI"
	GroupBackfill      Group = "Backfill"
	GroupFeatures      Group = "Features"
	GroupNotifications Group = "Notifications"
	GroupRetention     Group = "Retention"
)

// Limits of the fields.
const (
	MaxPromptLength   = 4000
	maxScheduleLength = 200
	// maxJSONInteger is the largest integer a JSON number carries exactly.
	maxJSONInteger = 1 << 53
)

// fields is the field table: the original system's 14 settings, in the
// order the API and the settings page show them, each group's together.
var fields = []Field{
	{Name: "ai_tone", Group: GroupAI, Kind: Enum, Default: "professional", Values: []string{"professional", "casual", "technical"},
		Help: "How answers sound."},
	{Name: "ai_response_length", Group: GroupAI, Kind: Enum, Default: "balanced", Values: []string{"concise", "balanced", "detailed"},
		Help: "How long answers are."},
	{Name: "confidence_threshold", Group: GroupAI, Kind: Integer, Default: int64(40), Min: 0, Max: 100,
		Help: "Below this confidence (0-100) Lore says it does not know, and shows the nearest sources."},
	{Name: "custom_system_prompt", Group: GroupAI, Kind: Text, Default: nil, MaxLength: MaxPromptLength,
		Help: "Instructions added to every prompt when a language model is configured; empty for none."},
	{Name: "backfill_schedule", Group: GroupBackfill, Kind: Schedule, Default: "0 2 * * *",
		Help: "When to fetch new Slack history: a 5-field cron expression in UTC (minute hour day-of-month month day-of-week)."},
	{Name: "backfill_days_back", Group: GroupBackfill, Kind: Integer, Default: int64(90), Min: 1, Max: 365,
		Help: "How many days of history the first backfill of a channel fetches."},
	{Name: "auto_backfill_enabled", Group: GroupBackfill, Kind: Boolean, Default: true,
		Help: "Fetch new history on the schedule."},
	{Name: "slack_commands_enabled", Group: GroupFeatures, Kind: Boolean, Default: true,
		Help: "Answer /ask and /askall in Slack."},
	{Name: "web_qa_enabled", Group: GroupFeatures, Kind: Boolean, Default: true,
		Help: "Answer questions on the web page."},
	{Name: "document_upload_enabled", Group: GroupFeatures, Kind: Boolean, Default: true,
		Help: "Let members upload documents to answer from."},
	{Name: "email_notifications_enabled", Group: GroupNotifications, Kind: Boolean, Default: true,
		Help: "Send email notifications at all."},
	{Name: "notify_on_failed_backfill", Group: GroupNotifications, Kind: Boolean, Default: true,
		Help: "Email the admins when a backfill fails."},
	{Name: "weekly_digest_enabled", Group: GroupNotifications, Kind: Boolean, Default: false,
		Help: "Email a weekly digest of questions and answers."},
	// At most a century: a cutoff further back than time.Duration reaches
	// (292 years) would wrap into the future and delete everything.
	{Name: "message_retention_days", Group: GroupRetention, Kind: Integer, Default: int64(365), Min: 30, Max: 36500,
		Help: "Messages older than this many days (30 to 36500) are deleted."},
}

// Table returns the field table, in the order the API and the settings
// page show the settings. The caller may change its copy.
func Table() []Field {
	out := slices.Clone(fields)
	for i := range out {
		out[i].Values = slices.Clone(out[i].Values)
	}
	return out
}

// Lookup returns the named setting's entry of the table, for a service
// that takes the same value elsewhere (a backfill's days_back) and must
// hold it to the same range.
func Lookup(name string) (Field, bool) { return field(name) }

// field returns the named setting.
func field(name string) (Field, bool) {
	i := slices.IndexFunc(fields, func(f Field) bool { return f.Name == name })
	if i < 0 {
		return Field{}, false
	}
	return fields[i], true
}

// hi is the largest value an Integer field accepts.
func (f Field) hi() int64 {
	if f.Max == 0 {
		return maxJSONInteger
	}
	return f.Max
}

// rangeMessage says what an Integer field accepts.
func (f Field) rangeMessage() string {
	if f.Max == 0 {
		return fmt.Sprintf("must be at least %d", f.Min)
	}
	return fmt.Sprintf("must be %d-%d", f.Min, f.Max)
}

// parse reads and checks a JSON value for the field, returning the value
// in the kind's Go type, or a message saying what is wanted.
func (f Field) parse(raw json.RawMessage) (any, string) {
	switch f.Kind {
	case Enum:
		msg := "must be one of " + strings.Join(f.Values, ", ")
		var s string
		if isNull(raw) || json.Unmarshal(raw, &s) != nil || !slices.Contains(f.Values, s) {
			return nil, msg
		}
		return s, ""
	case Integer:
		msg := f.rangeMessage()
		i, ok := jsonInteger(raw)
		if !ok {
			return nil, "must be an integer; " + msg
		}
		if i < f.Min || i > f.hi() {
			return nil, msg
		}
		return i, ""
	case Boolean:
		var b bool
		if isNull(raw) || json.Unmarshal(raw, &b) != nil {
			return nil, "must be true or false"
		}
		return b, ""
	case Text:
		if isNull(raw) {
			return nil, ""
		}
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return nil, "must be a string or null"
		}
		if utf8.RuneCountInString(s) > f.MaxLength {
			return nil, fmt.Sprintf("must be at most %d characters", f.MaxLength)
		}
		if strings.TrimSpace(s) == "" {
			return nil, ""
		}
		return s, ""
	case Schedule:
		return schedule(raw)
	}
	return nil, "is not a setting"
}

// fromColumn turns a column's value as storage returns it (int64, string
// or nil) into the kind's Go type.
func (f Field) fromColumn(v any) (any, error) {
	switch f.Kind {
	case Boolean:
		if i, ok := v.(int64); ok {
			return i != 0, nil
		}
	case Integer:
		if i, ok := v.(int64); ok {
			return i, nil
		}
	case Text:
		if v == nil {
			return nil, nil
		}
		if s, ok := v.(string); ok {
			return s, nil
		}
	case Enum, Schedule:
		if s, ok := v.(string); ok {
			return s, nil
		}
	}
	return nil, fmt.Errorf("settings: column %s holds %T %v, not a %s", f.Name, v, v, f.Kind)
}

// decode reads a value the API wrote for the field (the reverse of
// Settings' MarshalJSON), without checking its range.
func (f Field) decode(raw json.RawMessage) (any, error) {
	var err error
	switch f.Kind {
	case Boolean:
		var b bool
		err = json.Unmarshal(raw, &b)
		return b, err
	case Integer:
		var i int64
		err = json.Unmarshal(raw, &i)
		return i, err
	case Text:
		if isNull(raw) {
			return nil, nil
		}
		fallthrough
	default:
		var s string
		err = json.Unmarshal(raw, &s)
		return s, err
	}
}

func isNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

// jsonInteger reads a JSON number that is a whole int64; not a float, a
// string or null.
func jsonInteger(raw json.RawMessage) (int64, bool) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return 0, false
	}
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	i, err := n.Int64()
	return i, err == nil
}

// schedule is a 5-field cron expression in UTC, checked with the parser the
// scheduler (gocron, over robfig/cron) uses for 5-field crontabs, as it
// will run it (CRON_TZ=UTC); descriptors such as @daily and time zone
// prefixes are refused, since the schedule is always UTC. The parser lets
// through what cannot be meant, which is refused first: "?" (a 6-field
// Quartz habit it reads as "*"), steps past the field's range (it reads
// 0/99999999999 as 0), and schedules that never come round (0 0 31 2 *):
// the next run must fall within a year.
func schedule(raw json.RawMessage) (any, string) {
	const msg = "must be a 5-field cron expression (minute hour day-of-month month day-of-week), e.g. 0 2 * * *"
	var s string
	if isNull(raw) || json.Unmarshal(raw, &s) != nil {
		return nil, msg
	}
	f := strings.Fields(s)
	if len(f) != 5 || len(s) > maxScheduleLength {
		return nil, msg
	}
	if problem := cronFieldProblem(f); problem != "" {
		return nil, msg + ": " + problem
	}
	normal := strings.Join(f, " ")
	sched, err := cron.ParseStandard("CRON_TZ=UTC " + normal)
	if err != nil {
		return nil, msg + ": " + err.Error()
	}
	now := time.Now().UTC()
	if next := sched.Next(now); next.IsZero() || next.After(now.AddDate(1, 0, 0)) {
		return nil, "never runs within a year: " + normal
	}
	return normal, ""
}

// cronFields are the five fields' names and largest values, in order.
var cronFields = [5]struct {
	name string
	max  int
}{{"minute", 59}, {"hour", 23}, {"day-of-month", 31}, {"month", 12}, {"day-of-week", 6}}

// cronFieldProblem names what the parser would accept in f but should not.
func cronFieldProblem(f []string) string {
	for i, field := range f {
		spec := cronFields[i]
		if strings.Contains(field, "?") {
			return fmt.Sprintf("? is not a 5-field cron value (%s); use *", spec.name)
		}
		for part := range strings.SplitSeq(field, ",") {
			_, step, ok := strings.Cut(part, "/")
			if !ok {
				continue
			}
			n, err := strconv.Atoi(step)
			if err != nil || n < 1 || n > spec.max {
				return fmt.Sprintf("the %s step %q must be a whole number from 1 to %d", spec.name, step, spec.max)
			}
		}
	}
	return ""
}
