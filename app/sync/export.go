package sync

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"sort"
	"strings"
	gosync "sync"
	"time"
	"unicode"
	"unicode/utf8"

	"lore/app/jobs"
	"lore/app/settings"
	"lore/storage"
)

// Limits bound what an export may hold, so that a hostile or broken file
// stops with a clear error before it fills the disk, the memory or the day.
type Limits struct {
	MaxEntries   int   // entries in the ZIP's directory
	MaxEntrySize int64 // uncompressed bytes of one entry
	MaxTotalSize int64 // uncompressed bytes of all entries
	// MaxRatio is the highest uncompressed/compressed ratio of an entry larger
	// than 1 MiB: JSON compresses 5-20 times, a zip bomb thousands of times.
	MaxRatio int64
	// BatchSize is how many messages one transaction stores: short enough that
	// logins and other writers never wait long for the single writer.
	BatchSize int
	// IndexBatch is how many stored messages one indexing transaction adds to
	// the full-text index at least, at the end of a channel (at most four
	// times as many in a very long one): FTS5 writes a segment per
	// transaction and merges them later, so fewer, larger ones cost far less
	// (measured: a third of the import's CPU time at 5,000 against 20,000).
	IndexBatch int
}

// DefaultLimits are the limits of an import where Options leave them zero:
// far above a real export (the 1M-message benchmark export is 1,802 entries
// of under 200 KB each), far below what would hurt the machine.
func DefaultLimits() Limits {
	return Limits{
		MaxEntries:   1_000_000,
		MaxEntrySize: 1 << 30,
		MaxTotalSize: 64 << 30,
		MaxRatio:     200,
		BatchSize:    5000,
		IndexBatch:   20000,
	}
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.MaxEntries > 0 {
		d.MaxEntries = l.MaxEntries
	}
	if l.MaxEntrySize > 0 {
		d.MaxEntrySize = l.MaxEntrySize
	}
	if l.MaxTotalSize > 0 {
		d.MaxTotalSize = l.MaxTotalSize
	}
	if l.MaxRatio > 0 {
		d.MaxRatio = l.MaxRatio
	}
	if l.BatchSize > 0 {
		d.BatchSize = l.BatchSize
	}
	if l.IndexBatch > 0 {
		d.IndexBatch = l.IndexBatch
	}
	return d
}

// ErrBadExport is wrapped by every error that says the file itself is not a
// usable Slack export (not a ZIP, damaged, unsafe, over a limit): the caller's
// input, not Lore, is at fault (HTTP 422, CLI exit 2).
var ErrBadExport = errors.New("not a usable Slack export")

// ExportError names what is wrong with an export file.
type ExportError struct {
	File    string // the export's file name
	Entry   string // the entry inside it at fault, if one is
	Problem string
}

// Error names the file, the entry and the problem.
func (e *ExportError) Error() string { return fmt.Sprintf("sync: export %s: %s", e.File, e.Reason()) }

// Reason names the entry and the problem, without the file's name: for an
// answer to whoever sent the file (an upload's name on the server is
// Lore's own).
func (e *ExportError) Reason() string {
	if e.Entry != "" {
		return e.Entry + ": " + e.Problem
	}
	return e.Problem
}

// Unwrap makes every ExportError an ErrBadExport.
func (e *ExportError) Unwrap() error { return ErrBadExport }

// ImportTarget names where an export goes: a connected workspace
// (WorkspaceID), or, with only OrgID, a workspace of that organization created
// from the export (its team id from users.json), or found if it exists.
type ImportTarget struct {
	WorkspaceID string
	OrgID       int64
}

// FailedDay is a channel-day that was not imported, and why.
type FailedDay struct {
	Channel string `json:"channel"`
	Date    string `json:"date"` // YYYY-MM-DD, as the export names its day file
	File    string `json:"file"`
	Reason  string `json:"reason"`
}

// ImportSummary is what an import did. It is the import job's result detail,
// so its JSON names are part of the API.
type ImportSummary struct {
	WorkspaceID      string `json:"workspace_id"`
	CreatedWorkspace bool   `json:"created_workspace"`
	Channels         int    `json:"channels"` // channels with messages in the export
	Users            int    `json:"users"`
	New              int64  `json:"messages_new"`
	Updated          int64  `json:"messages_updated"`
	Unchanged        int64  `json:"messages_unchanged"` // stored as they are by an earlier import
	Skipped          int64  `json:"messages_skipped"`   // refused: no valid ts
	DMFoldersSkipped int    `json:"dm_folders_skipped"`
	// UnknownFolders are folders naming no channel of the export.
	UnknownFolders []string `json:"unknown_folders"`
	// OlderThanRetention counts the imported messages older than the
	// organization's message_retention_days (RetentionDays), which the next
	// retention run removes.
	RetentionDays      int64         `json:"retention_days"`
	OlderThanRetention int64         `json:"older_than_retention"`
	FailedDays         []FailedDay   `json:"failed_days"`
	Resumed            bool          `json:"resumed"`
	Duration           time.Duration `json:"duration_ns"`
}

// Partial tells whether some channel-days failed.
func (s ImportSummary) Partial() bool { return len(s.FailedDays) > 0 }

// String is the counts in one line, the job row's summary.
func (s ImportSummary) String() string {
	line := fmt.Sprintf("%d channels, %d messages new, %d updated, %d unchanged, %d skipped",
		s.Channels, s.New, s.Updated, s.Unchanged, s.Skipped)
	if len(s.FailedDays) > 0 {
		line += fmt.Sprintf("; %d channel-days failed", len(s.FailedDays))
	}
	return line
}

// Notes are what people should know beyond the counts: folders left out,
// and the messages the next retention run removes and how to keep them.
func (s ImportSummary) Notes() []string {
	var notes []string
	if s.DMFoldersSkipped > 0 {
		notes = append(notes, fmt.Sprintf("%d direct-message and group-DM folders were not imported: Lore answers from channels", s.DMFoldersSkipped))
	}
	if len(s.UnknownFolders) > 0 {
		notes = append(notes, fmt.Sprintf("%d folders name no channel of the export's channels.json and were not imported: %s",
			len(s.UnknownFolders), strings.Join(s.UnknownFolders, ", ")))
	}
	if s.OlderThanRetention > 0 {
		notes = append(notes, fmt.Sprintf("%d imported messages are older than message_retention_days (%d) and will be removed at the next retention run; "+
			"to keep them, raise message_retention_days first", s.OlderThanRetention, s.RetentionDays))
	}
	return notes
}

// While imports run, the garbage collector runs half as often, unless GOGC
// says otherwise: decoding allocates fast, and each collection takes a
// core from the writer (measured on a 1M-message import: a second of 25, for
// 30 to 50 MB more peak memory).
var gc struct {
	gosync.Mutex
	imports int
	before  int
}

// lessGC raises the collector's target percentage for the first import that
// runs, and returns what puts it back when the last one ends.
func lessGC() (restore func()) {
	gc.Lock()
	defer gc.Unlock()
	if gc.imports++; gc.imports == 1 {
		if gc.before = debug.SetGCPercent(200); gc.before != 100 {
			debug.SetGCPercent(gc.before) // GOGC was set: it stands
		}
	}
	return func() {
		gc.Lock()
		defer gc.Unlock()
		if gc.imports--; gc.imports == 0 {
			debug.SetGCPercent(gc.before)
		}
	}
}

// checkpoint is how far an import got, saved after each commit.
type checkpoint struct {
	Export      string      `json:"export"` // fingerprint of the ZIP's directory
	WorkspaceID string      `json:"workspace_id"`
	Created     bool        `json:"created_workspace"`
	DaysDone    int         `json:"days_done"`
	Counts      jsonCounts  `json:"counts"`
	Older       int64       `json:"older"`
	Failed      []FailedDay `json:"failed,omitempty"`
	// TeamURL is the workspace's address as the export's file links name
	// it, "" until one does (workspaceURL).
	TeamURL string `json:"team_url,omitempty"`
}

type jsonCounts struct {
	New       int64 `json:"new"`
	Updated   int64 `json:"updated"`
	Unchanged int64 `json:"unchanged"`
	Skipped   int64 `json:"skipped"`
}

// dayFile is one <channel>/<YYYY-MM-DD>.json of the export.
type dayFile struct {
	file      *zip.File
	folder    string
	channelID string
	date      string
}

// dayPattern is a day file's name.
var dayPattern = regexp.MustCompile(`^([^/]+)/(\d{4}-\d{2}-\d{2})\.json$`)

// dmFolder matches the folders of direct messages (D…) and group DMs (mpdm-…).
var dmFolder = regexp.MustCompile(`^(D[A-Z0-9]{6,}|mpdm-.+)$`)

// export is an opened, checked export: its metadata decoded, its day files listed.
type export struct {
	name        string
	zip         *zip.Reader
	fingerprint string
	dir         *Directory
	channels    []Channel
	users       []User
	teamID      string
	days        []dayFile
	dmFolders   int
	unknown     []string
}

// ImportExport imports the Slack export ZIP at path into the target
// workspace, resuming from run's checkpoint (a resumed job's), and returns what it did.
// The file is checked whole before anything is written; each day file is then
// decoded as a stream (several at once, on the other cores) and stored in
// transactions of Limits.BatchSize messages, the checkpoint saved after each.
// A malformed day file is skipped whole and named in FailedDays. On
// cancellation it returns what it stored so far with ctx's error.
func (s *Service) ImportExport(ctx context.Context, path string, target ImportTarget, run jobs.Run) (ImportSummary, error) {
	start := time.Now()
	defer lessGC()()
	f, err := os.Open(path)
	if err != nil {
		return ImportSummary{}, fmt.Errorf("sync: import: %w", err)
	}
	defer f.Close()
	ex, err := s.openExport(f, filepath.Base(path))
	if err != nil {
		return ImportSummary{}, err
	}

	var cp checkpoint
	if data := run.Checkpoint(); len(data) > 0 {
		if err := json.Unmarshal(data, &cp); err != nil || cp.Export != ex.fingerprint ||
			target.WorkspaceID != "" && cp.WorkspaceID != target.WorkspaceID {
			s.logger.Warn("import checkpoint does not match this export; starting over", "file", ex.name)
			cp = checkpoint{}
		}
	}
	resumed := cp.Export != ""
	cp.Export = ex.fingerprint
	if cp.WorkspaceID == "" {
		if cp.WorkspaceID, cp.Created, err = s.resolveTarget(ctx, ex, target); err != nil {
			return ImportSummary{}, err
		}
	}
	ws := cp.WorkspaceID
	orgID, err := s.store.WorkspaceOrg(ctx, ws)
	if err != nil {
		return ImportSummary{}, fmt.Errorf("sync: import into %s: %w", ws, err)
	}
	orgSettings, err := settings.New(s.store).Get(ctx, orgID)
	if err != nil {
		return ImportSummary{}, fmt.Errorf("sync: import into %s: %w", ws, err)
	}
	retentionDays := orgSettings.Int("message_retention_days")
	cutoff := s.now().Add(-time.Duration(retentionDays) * 24 * time.Hour)

	if err := s.StoreChannelsAndUsers(ctx, ws, ex.channels, ex.users); err != nil {
		return ImportSummary{}, err
	}

	sum := ImportSummary{WorkspaceID: ws, CreatedWorkspace: cp.Created, Users: len(ex.users),
		DMFoldersSkipped: ex.dmFolders, UnknownFolders: ex.unknown, RetentionDays: retentionDays,
		Resumed: resumed}
	folders := map[string]bool{}
	for _, d := range ex.days {
		folders[d.folder] = true
	}
	sum.Channels = len(folders)

	if err := s.store.BulkIndexing(ctx, true); err != nil {
		// what it had switched, switched back
		return ImportSummary{}, errors.Join(err, s.store.BulkIndexing(context.WithoutCancel(ctx), false))
	}
	err = s.importDays(ctx, ex, ws, cutoff, &cp, run)
	// Without ctx's cancellation: what was stored is indexed, and the merge
	// policy goes back, also when the import was cancelled.
	after := context.WithoutCancel(ctx)
	if err != nil {
		if ierr := s.store.IndexPending(after, storage.BulkLoad()); ierr != nil {
			err = errors.Join(err, fmt.Errorf("sync: import: %w", ierr))
		}
	}
	if berr := s.store.BulkIndexing(after, false); berr != nil {
		err = errors.Join(err, berr)
	}
	if cp.TeamURL != "" {
		// permalinks need the workspace's address before an app is connected
		if uerr := s.store.NoteWorkspaceURL(after, ws, cp.TeamURL); uerr != nil {
			err = errors.Join(err, uerr)
		}
	}
	sum.New, sum.Updated, sum.Unchanged, sum.Skipped = cp.Counts.New, cp.Counts.Updated, cp.Counts.Unchanged, cp.Counts.Skipped
	sum.OlderThanRetention, sum.FailedDays = cp.Older, cp.Failed
	sum.Duration = time.Since(start)
	if err != nil {
		return sum, err
	}
	// One merge of the index's segments after a large load; a small import
	// only refreshes the document frequencies.
	if cp.Counts.New >= 50_000 {
		err = s.store.OptimizeIndex(ctx)
	} else if cp.Counts.New+cp.Counts.Updated > 0 {
		err = s.store.RefreshTermStats(ctx)
	}
	sum.Duration = time.Since(start)
	if err != nil {
		return sum, fmt.Errorf("sync: import: %w", err)
	}
	run.Report(jobs.Progress{Percent: 100, ChannelsDone: sum.Channels, ChannelsTotal: sum.Channels, Messages: sum.New + sum.Updated})
	return sum, nil
}

// CheckExport checks what ImportExport checks before it writes anything:
// that the file at path is a Slack export within the limits, safe to read,
// and, for a target naming no workspace, that it names its team. It is
// quick (the ZIP's directory and metadata files), so that a bad file is
// refused before an import is queued. Its errors about the file are
// *ExportError (ErrBadExport).
func (s *Service) CheckExport(path string, target ImportTarget) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("sync: check export: %w", err)
	}
	defer f.Close()
	ex, err := s.openExport(f, filepath.Base(path))
	if err != nil {
		return err
	}
	if target.WorkspaceID == "" {
		return ex.namesTeam()
	}
	return nil
}

// namesTeam says why no workspace can be created from the export, nil when
// one can.
func (ex *export) namesTeam() error {
	if ex.teamID == "" {
		return &ExportError{File: ex.name, Problem: "users.json names no team_id, so no workspace can be created from it: connect the workspace first and import into it"}
	}
	return nil
}

// dayResult is one decoded day file: its rows, or why it failed.
type dayResult struct {
	rows     []storage.Prepared
	profiles []storage.SlackUser
	teamURL  string // the first a file link names
	older    int64
	skipped  int64
	err      error
}

// importDays decodes the day files after cp.DaysDone on worker goroutines, in
// order, and stores them in batches, saving the checkpoint after each commit.
func (s *Service) importDays(ctx context.Context, ex *export, ws string, cutoff time.Time, cp *checkpoint, run jobs.Run) error {
	todo := ex.days[min(cp.DaysDone, len(ex.days)):]
	var totalBytes, doneBytes uint64
	for i, d := range ex.days {
		totalBytes += d.file.UncompressedSize64
		if i < cp.DaysDone {
			doneBytes += d.file.UncompressedSize64
		}
	}
	channelsTotal := 0
	channelsDone := 0
	for i, d := range ex.days {
		if i == 0 || d.folder != ex.days[i-1].folder {
			channelsTotal++
			if i < cp.DaysDone {
				channelsDone++
			}
		}
	}
	if cp.DaysDone > 0 && cp.DaysDone < len(ex.days) && ex.days[cp.DaysDone].folder == ex.days[cp.DaysDone-1].folder {
		channelsDone-- // the channel under way is not done
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// The writer is the bottleneck (SQLite has one writer): it keeps a core to
	// itself, and decoding, a fifth of the work, takes the others. Decoded days
	// queue up to lookahead ahead of it so that it never waits on a decoder.
	workers := max(1, min(runtime.GOMAXPROCS(0)-1, 4))
	const lookahead = 64
	type item struct {
		day dayFile
		out chan dayResult
	}
	order := make(chan chan dayResult, lookahead)
	work := make(chan item, workers)
	var wg gosync.WaitGroup
	wg.Go(func() {
		defer close(order)
		defer close(work)
		for _, d := range todo {
			out := make(chan dayResult, 1)
			select {
			case order <- out:
			case <-ctx.Done():
				return
			}
			select {
			case work <- item{d, out}:
			case <-ctx.Done():
				return
			}
		}
	})
	for range workers {
		wg.Go(func() {
			for it := range work {
				it.out <- s.decodeDay(ctx, ex.dir, ws, it.day, cutoff)
			}
		})
	}
	defer wg.Wait()

	var batch []storage.Prepared
	var profiles []storage.SlackUser
	var pending checkpoint // what the uncommitted batch adds
	var unindexed int64    // messages committed since the last IndexPending
	next := cp.DaysDone
	// A channel's threads are whole once its last day file is stored: indexed
	// then, each message's row is written once, with its final context. Indexed
	// before (its parents' first replies still to come), a parent's row is
	// written again later, and the older one stays in the index as a tombstone
	// that every merge checks until optimize. So the index waits for the end of
	// a channel, up to four batches of a very long one.
	channelEnds := func() bool { return next == len(ex.days) || ex.days[next].folder != ex.days[next-1].folder }
	indexDue := func(n int64) bool {
		return n >= int64(s.limits.IndexBatch) && channelEnds() || n >= 4*int64(s.limits.IndexBatch) || next == len(ex.days)
	}
	flush := func() error {
		if next == cp.DaysDone {
			// Nothing new since the last checkpoint; a resumed import may
			// still find the rows a crash left before their index.
			return s.store.IndexPending(ctx, storage.BulkLoad())
		}
		var c Counts
		err := s.store.WriteMessages(ctx, func(w *storage.MessageWriter) error {
			c = Counts{}
			for _, u := range profiles {
				if err := w.AddSlackUser(ctx, u); err != nil {
					return err
				}
			}
			results, err := w.PutAll(ctx, batch)
			for _, res := range results {
				c.add(res)
			}
			return err
		}, storage.BulkLoad(), storage.DeferIndex())
		if err != nil {
			return fmt.Errorf("sync: import: %w", err)
		}
		// The checkpoint follows the commit at once: the index rows may take
		// seconds, and a cancel or crash then would replay days already
		// stored, counted as unchanged. What is not indexed yet waits above
		// the index's watermark for the next IndexPending, here or at the
		// resumed import's end.
		cp.DaysDone = next
		cp.Counts.New += c.New
		cp.Counts.Updated += c.Updated
		cp.Counts.Unchanged += c.Unchanged
		cp.Counts.Skipped += pending.Counts.Skipped
		cp.Older += pending.Older
		cp.Failed = append(cp.Failed, pending.Failed...)
		pending = checkpoint{}
		batch, profiles = batch[:0], profiles[:0]
		data, err := json.Marshal(cp)
		if err != nil {
			return fmt.Errorf("sync: import: %w", err)
		}
		if err := run.SaveCheckpoint(ctx, data); err != nil {
			return fmt.Errorf("sync: import: save checkpoint: %w", err)
		}
		if unindexed += c.New + c.Updated; indexDue(unindexed) {
			if err := s.store.IndexPending(ctx, storage.BulkLoad()); err != nil {
				return fmt.Errorf("sync: import: %w", err)
			}
			unindexed = 0
		}
		return nil
	}

	for out := range order {
		var res dayResult
		select {
		case res = <-out:
		case <-ctx.Done():
			return ctx.Err()
		}
		d := ex.days[next]
		if err := ctx.Err(); err != nil {
			return err
		}
		if res.err != nil {
			pending.Failed = append(pending.Failed, FailedDay{Channel: d.folder, Date: d.date, File: d.file.Name, Reason: res.err.Error()})
			s.logger.Warn("import: day file skipped", "file", d.file.Name, slog.Any("reason", res.err))
		} else {
			batch = append(batch, res.rows...)
			profiles = append(profiles, res.profiles...)
			if cp.TeamURL == "" {
				cp.TeamURL = res.teamURL
			}
			pending.Counts.Skipped += res.skipped
			pending.Older += res.older
		}
		next++
		doneBytes += d.file.UncompressedSize64
		if next == len(ex.days) || ex.days[next].folder != d.folder {
			channelsDone++
		}
		if len(batch) >= s.limits.BatchSize || len(batch) > 0 && indexDue(unindexed+int64(len(batch))) {
			if err := flush(); err != nil {
				return err
			}
			pct := 100
			if totalBytes > 0 {
				pct = int(doneBytes * 99 / totalBytes)
			}
			run.Report(jobs.Progress{Percent: pct, ChannelsDone: channelsDone, ChannelsTotal: channelsTotal,
				Messages: cp.Counts.New + cp.Counts.Updated, Current: "#" + d.folder + " " + d.date})
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if next != len(ex.days) {
		return fmt.Errorf("sync: import: stopped after %d of %d day files", next, len(ex.days))
	}
	return flush()
}

// decodeDay decodes one day file as a stream of messages, without writing
// anything: a malformed file fails whole, named with the JSON error's position.
func (s *Service) decodeDay(ctx context.Context, dir *Directory, ws string, d dayFile, cutoff time.Time) dayResult {
	if ctx.Err() != nil {
		return dayResult{err: ctx.Err()}
	}
	rc, err := d.file.Open()
	if err != nil {
		return dayResult{err: fmt.Errorf("cannot open: %w", err)}
	}
	defer rc.Close()
	var res dayResult
	seen := map[string]bool{}
	err = decodeArray(rc, func(dec *json.Decoder) error {
		var m Message
		if err := dec.Decode(&m); err != nil {
			return err
		}
		row, err := dir.row(ws, d.channelID, &m)
		if err != nil {
			res.skipped++
			return nil
		}
		if t, _ := ParseTS(m.TS); t.Before(cutoff) {
			res.older++
		}
		for i := 0; i < len(m.Files) && res.teamURL == ""; i++ {
			res.teamURL = workspaceURL(m.Files[i].Permalink)
		}
		if m.User != "" && m.UserProfile != nil && !seen[m.User] && dir.UserName(m.User) == "" {
			seen[m.User] = true
			p := m.UserProfile
			res.profiles = append(res.profiles, storage.SlackUser{WorkspaceID: ws, ID: m.User, Name: p.Name,
				DisplayName: p.DisplayName, RealName: p.RealName})
		}
		res.rows = append(res.rows, storage.Prepare(row))
		return nil
	})
	if errors.Is(err, zip.ErrFormat) || errors.Is(err, zip.ErrChecksum) {
		// archive/zip stops at the size the directory declares: a lying entry
		// (a zip bomb) or a damaged one ends here, with that day.
		return dayResult{err: errors.New("the entry is damaged or inflates past its declared size (a zip bomb?)")}
	}
	if err != nil {
		return dayResult{err: err}
	}
	return res
}

// workspaceURL is the workspace's address a Slack link names,
// "https://acme.slack.com" for https://acme.slack.com/files/… (or
// acme.enterprise.slack.com), "" for any other link, Slack's shared hosts
// (files.slack.com, app.slack.com) among them.
func workspaceURL(link string) string {
	u, err := url.Parse(link)
	if err != nil || u.Scheme != "https" {
		return ""
	}
	host := strings.ToLower(u.Hostname())
	sub, ok := strings.CutSuffix(host, ".slack.com")
	sub = strings.TrimSuffix(sub, ".enterprise")
	if !ok || sub == "" || strings.Contains(sub, ".") {
		return ""
	}
	switch sub {
	case "files", "app", "api", "hooks", "status", "slack-files", "downloads", "edgeapi", "wss-primary":
		return ""
	}
	return "https://" + host
}

// decodeArray reads a JSON array from r element by element, calling each for
// every element with the decoder positioned on it. Errors carry the byte
// offset where the JSON went wrong.
func decodeArray(r io.Reader, each func(dec *json.Decoder) error) error {
	dec := json.NewDecoder(r)
	at := func(err error) error {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			return fmt.Errorf("invalid JSON at byte %d: %w", se.Offset, err)
		case errors.As(err, &te):
			return fmt.Errorf("unexpected JSON at byte %d: %w", te.Offset, err)
		case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
			return fmt.Errorf("JSON ends early, at byte %d", dec.InputOffset())
		default:
			return fmt.Errorf("at byte %d: %w", dec.InputOffset(), err)
		}
	}
	tok, err := dec.Token()
	if err != nil {
		return at(err)
	}
	if tok == nil {
		return nil // null: an empty list, as Slack writes for some files
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return fmt.Errorf("not a JSON array (at byte %d)", dec.InputOffset())
	}
	for dec.More() {
		if err := each(dec); err != nil {
			return at(err)
		}
	}
	if _, err := dec.Token(); err != nil {
		return at(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("data after the JSON array, at byte %d", dec.InputOffset())
	}
	return nil
}

// openExport checks the ZIP whole (type, directory, names, limits) and decodes
// its metadata files; nothing is written until it returns.
func (s *Service) openExport(f *os.File, name string) (*export, error) {
	bad := func(entry, format string, args ...any) error {
		return &ExportError{File: name, Entry: entry, Problem: fmt.Sprintf(format, args...)}
	}
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("sync: import: %w", err)
	}
	head := make([]byte, 8)
	n, _ := io.ReadFull(f, head)
	if problem := ZipProblem(head[:n]); problem != "" {
		return nil, bad("", "%s", problem)
	}
	zr, err := zip.NewReader(f, info.Size())
	if err != nil {
		return nil, bad("", "the ZIP archive is truncated or damaged (%v)", err)
	}
	l := s.limits
	if len(zr.File) > l.MaxEntries {
		return nil, bad("", "it has %d entries, more than the limit of %d", len(zr.File), l.MaxEntries)
	}
	var total uint64
	byName := map[string]*zip.File{}
	h := sha256.New()
	for _, zf := range zr.File {
		if problem := unsafeName(zf.Name); problem != "" {
			return nil, bad(zf.Name, "refused: %s", problem)
		}
		size := zf.UncompressedSize64
		if size > uint64(l.MaxEntrySize) {
			return nil, bad(zf.Name, "%d bytes uncompressed, more than the limit of %d per entry", size, l.MaxEntrySize)
		}
		if size > 1<<20 && (zf.CompressedSize64 == 0 || size/zf.CompressedSize64 > uint64(l.MaxRatio)) {
			return nil, bad(zf.Name, "compressed %d:1, more than the limit of %d:1 (a zip bomb?)", size/max(zf.CompressedSize64, 1), l.MaxRatio)
		}
		total += size
		if total > uint64(l.MaxTotalSize) {
			return nil, bad("", "more than %d bytes uncompressed in all, the limit", l.MaxTotalSize)
		}
		if _, dup := byName[zf.Name]; dup {
			return nil, bad(zf.Name, "refused: the name appears twice")
		}
		byName[zf.Name] = zf
		var meta [20]byte
		binary.LittleEndian.PutUint32(meta[:], zf.CRC32)
		binary.LittleEndian.PutUint64(meta[4:], size)
		binary.LittleEndian.PutUint64(meta[12:], uint64(len(zf.Name)))
		h.Write(meta[:])
		h.Write([]byte(zf.Name))
	}

	ex := &export{name: name, zip: zr, fingerprint: hex.EncodeToString(h.Sum(nil)[:16]), dir: NewDirectory()}
	readMeta := func(file string, each func(dec *json.Decoder) error) (bool, error) {
		zf := byName[file]
		if zf == nil {
			return false, nil
		}
		rc, err := zf.Open()
		if err != nil {
			return true, bad(file, "cannot be read: %v", err)
		}
		defer rc.Close()
		if err := decodeArray(rc, each); err != nil {
			return true, bad(file, "%v", err)
		}
		return true, nil
	}

	// users.json, and org_users.json in Enterprise Grid exports
	teams := map[string]int{}
	seenUser := map[string]bool{}
	for _, file := range []string{"users.json", "org_users.json"} {
		if _, err := readMeta(file, func(dec *json.Decoder) error {
			var u exportUser
			if err := dec.Decode(&u); err != nil {
				return err
			}
			if u.ID == "" || seenUser[u.ID] {
				return nil
			}
			seenUser[u.ID] = true
			real := firstNonEmpty(u.Profile.RealName, u.RealName)
			ex.users = append(ex.users, User{ID: u.ID, Name: u.Name, DisplayName: u.Profile.DisplayName,
				RealName: real, Bot: u.IsBot, Deleted: u.Deleted})
			ex.dir.AddUser(u.ID, real, u.Profile.DisplayName, u.Name)
			if u.TeamID != "" {
				teams[u.TeamID]++
			}
			return nil
		}); err != nil {
			return nil, err
		}
	}
	for t, n := range teams {
		if n > teams[ex.teamID] || n == teams[ex.teamID] && t < ex.teamID {
			ex.teamID = t
		}
	}

	// channels.json (public), groups.json (private); mpims.json and dms.json
	// only to know which folders to leave out
	folderChannel := map[string]string{}
	listed := false
	for _, file := range []string{"channels.json", "groups.json"} {
		private := file == "groups.json"
		found, err := readMeta(file, func(dec *json.Decoder) error {
			var c exportChannel
			if err := dec.Decode(&c); err != nil {
				return err
			}
			if c.ID == "" {
				return nil
			}
			ex.channels = append(ex.channels, Channel{ID: c.ID, Name: c.Name, Private: private || c.IsPrivate, Archived: c.IsArchived})
			ex.dir.AddChannel(c.ID, c.Name)
			if c.Name != "" {
				folderChannel[c.Name] = c.ID
			}
			folderChannel[c.ID] = c.ID
			return nil
		})
		if err != nil {
			return nil, err
		}
		listed = listed || found
	}
	if !listed {
		return nil, bad("", "not a Slack export: it has no channels.json")
	}
	dmFolders := map[string]bool{}
	for _, file := range []string{"mpims.json", "dms.json"} {
		if _, err := readMeta(file, func(dec *json.Decoder) error {
			var c exportChannel
			if err := dec.Decode(&c); err != nil {
				return err
			}
			dmFolders[c.ID], dmFolders[c.Name] = true, true
			return nil
		}); err != nil {
			return nil, err
		}
	}
	delete(dmFolders, "")

	skippedDM := map[string]bool{}
	unknown := map[string]bool{}
	for _, zf := range zr.File {
		m := dayPattern.FindStringSubmatch(zf.Name)
		if m == nil {
			continue // users.json, integration_logs.json, folders, canvases…
		}
		folder, date := m[1], m[2]
		if id, ok := folderChannel[folder]; ok && !dmFolders[folder] {
			ex.days = append(ex.days, dayFile{file: zf, folder: folder, channelID: id, date: date})
			continue
		}
		if dmFolders[folder] || dmFolder.MatchString(folder) {
			skippedDM[folder] = true
		} else {
			unknown[folder] = true
		}
	}
	sort.Slice(ex.days, func(i, j int) bool {
		a, b := ex.days[i], ex.days[j]
		if a.folder != b.folder {
			return a.folder < b.folder
		}
		return a.date < b.date
	})
	ex.dmFolders = len(skippedDM)
	for f := range unknown {
		ex.unknown = append(ex.unknown, f)
	}
	sort.Strings(ex.unknown)
	return ex, nil
}

type exportUser struct {
	ID       string `json:"id"`
	TeamID   string `json:"team_id"`
	Name     string `json:"name"`
	RealName string `json:"real_name"`
	Deleted  bool   `json:"deleted"`
	IsBot    bool   `json:"is_bot"`
	Profile  struct {
		RealName    string `json:"real_name"`
		DisplayName string `json:"display_name"`
	} `json:"profile"`
}

type exportChannel struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	IsArchived bool   `json:"is_archived"`
	IsPrivate  bool   `json:"is_private"`
}

// unsafeName says what is wrong with an entry name that could escape a
// folder or mislead ("" when it is fine): Lore never writes entries to disk,
// but an export holding such names was not made by Slack.
func unsafeName(name string) string {
	switch {
	case name == "":
		return "an empty name"
	case !utf8.ValidString(name):
		return "the name is not UTF-8"
	case strings.ContainsRune(name, '\\'):
		return "a backslash in the name"
	case strings.HasPrefix(name, "/"), len(name) > 1 && name[1] == ':' && unicode.IsLetter(rune(name[0])):
		return "an absolute path"
	case len(name) > 1024:
		return "a name longer than 1024 bytes"
	}
	for _, r := range name {
		if unicode.IsControl(r) {
			return "a control character in the name"
		}
	}
	parts := strings.Split(strings.TrimSuffix(name, "/"), "/")
	for _, p := range parts {
		switch p {
		case "..":
			return "a '..' path element"
		case ".", "":
			return "an empty or '.' path element"
		}
	}
	return ""
}

// ZipProblem says why a file that starts with head (its first bytes, 8 are
// enough) is not a ZIP archive, naming what it looks like instead; "" when it
// starts like one. An upload is refused with it before it is stored.
func ZipProblem(head []byte) string {
	if bytes.HasPrefix(head, []byte("PK\x03\x04")) || bytes.HasPrefix(head, []byte("PK\x05\x06")) {
		return ""
	}
	return fmt.Sprintf("not a ZIP archive (%s); a Slack export is the .zip file Slack's Export data gives", sniff(head))
}

// sniff names what a non-ZIP file looks like, for the error.
func sniff(head []byte) string {
	t := bytes.TrimLeft(head, " \t\r\n\xef\xbb\xbf")
	switch {
	case len(head) == 0:
		return "the file is empty"
	case bytes.HasPrefix(head, []byte{0x1f, 0x8b}):
		return "it is gzip data"
	case bytes.HasPrefix(head, []byte("%PDF")):
		return "it is a PDF"
	case bytes.HasPrefix(head, []byte("Rar!")):
		return "it is a RAR archive"
	case bytes.HasPrefix(head, []byte("7z\xbc\xaf")):
		return "it is a 7-Zip archive"
	case bytes.HasPrefix(head, []byte("SQLite f")):
		return "it is a SQLite database"
	case len(t) > 0 && (t[0] == '[' || t[0] == '{'):
		return "it is JSON; upload the whole export .zip"
	default:
		return "it does not start like one"
	}
}

// resolveTarget returns the workspace an import goes into, creating it from
// the export when the target names only an organization.
func (s *Service) resolveTarget(ctx context.Context, ex *export, t ImportTarget) (string, bool, error) {
	if t.WorkspaceID != "" {
		org, err := s.store.WorkspaceOrg(ctx, t.WorkspaceID)
		if err != nil {
			return "", false, fmt.Errorf("sync: import into %s: %w", t.WorkspaceID, err)
		}
		if t.OrgID != 0 && org != t.OrgID {
			return "", false, fmt.Errorf("sync: import into %s: %w", t.WorkspaceID, storage.ErrNotFound)
		}
		return t.WorkspaceID, false, nil
	}
	if t.OrgID == 0 {
		return "", false, errors.New("sync: import: no workspace or organization given")
	}
	if err := ex.namesTeam(); err != nil {
		return "", false, err
	}
	if _, err := s.store.Workspace(ctx, t.OrgID, ex.teamID); err == nil {
		return ex.teamID, false, nil
	} else if !errors.Is(err, storage.ErrNotFound) {
		return "", false, err
	}
	if _, err := s.store.CreateWorkspace(ctx, t.OrgID, ex.teamID, teamName(ex.name, ex.teamID)); err != nil {
		return "", false, fmt.Errorf("sync: import: %w", err)
	}
	return ex.teamID, true, nil
}

// teamName takes the workspace's name from the export's file name, which
// Slack writes as "<Workspace> Slack export <dates>.zip".
func teamName(file, teamID string) string {
	n := strings.TrimSuffix(file, filepath.Ext(file))
	if i := strings.Index(n, " Slack export"); i > 0 {
		return strings.TrimSpace(n[:i])
	}
	return teamID
}
