// Package importtest is a stand-in for the message path's export import,
// for tests of the import job, its command and its endpoints: it reads a
// real ZIP, counts each <channel>/<day>.json array's elements as messages,
// checkpoints after each day file, and stores nothing.
package importtest

import (
	"archive/zip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path"
	"sort"
	"strconv"
	"strings"
	gosync "sync"
	"time"

	"lore/app/jobs"
	"lore/app/sync"
)

// Fake is an importjob.Importer, as app/sync's Service is. Its zero value imports at once.
type Fake struct {
	// Delay is how long each day file takes.
	Delay time.Duration
	// Gate, when set, is received from before each day file: a test lets
	// the import go on one day at a time, or holds it half-way.
	Gate chan struct{}

	mu    gosync.Mutex
	calls []Call
}

// Call is one ImportExport the fake served.
type Call struct {
	Path       string
	Target     sync.ImportTarget
	Checkpoint string // what the run resumed from; "" on a fresh run
	DaysDone   int
}

// Calls returns the calls so far.
func (f *Fake) Calls() []Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Call(nil), f.calls...)
}

// ImportExport implements importjob.Importer.
func (f *Fake) ImportExport(ctx context.Context, file string, target sync.ImportTarget, run jobs.Run) (sync.ImportSummary, error) {
	zr, err := zip.OpenReader(file)
	if err != nil {
		return sync.ImportSummary{}, fmt.Errorf("import: %s is not a readable ZIP: %w", file, err)
	}
	defer zr.Close()
	var days []*zip.File
	channels := map[string]bool{}
	for _, e := range zr.File {
		dir, name := path.Split(e.Name)
		if dir == "" || !strings.HasSuffix(name, ".json") {
			continue
		}
		days = append(days, e)
		channels[strings.TrimSuffix(dir, "/")] = true
	}
	sort.Slice(days, func(i, j int) bool { return days[i].Name < days[j].Name })

	from := 0
	if cp := run.Checkpoint(); cp != nil {
		from, _ = strconv.Atoi(string(cp))
	}
	call := Call{Path: file, Target: target, Checkpoint: string(run.Checkpoint())}
	defer func() {
		f.mu.Lock()
		f.calls = append(f.calls, call)
		f.mu.Unlock()
	}()
	sum := sync.ImportSummary{WorkspaceID: target.WorkspaceID, Channels: len(channels), RetentionDays: 365,
		Resumed: run.Checkpoint() != nil}
	if sum.WorkspaceID == "" {
		sum.WorkspaceID, sum.CreatedWorkspace = "TNEW", true
	}
	var messages int64
	for i, e := range days {
		if i < from {
			continue
		}
		if f.Gate != nil {
			select {
			case <-ctx.Done():
				return sync.ImportSummary{}, ctx.Err()
			case <-f.Gate:
			}
		}
		if f.Delay > 0 {
			select {
			case <-ctx.Done():
				return sync.ImportSummary{}, ctx.Err()
			case <-time.After(f.Delay):
			}
		}
		if err := ctx.Err(); err != nil {
			return sync.ImportSummary{}, err
		}
		channel, day := path.Split(e.Name)
		n, err := countMessages(e)
		if err != nil {
			sum.FailedDays = append(sum.FailedDays, sync.FailedDay{Channel: strings.TrimSuffix(channel, "/"),
				Date: strings.TrimSuffix(day, ".json"), File: e.Name, Reason: fmt.Sprintf("%s: %v", e.Name, err)})
		} else {
			sum.New += int64(n)
			messages += int64(n)
		}
		call.DaysDone++
		run.Report(jobs.Progress{Percent: (i + 1) * 100 / len(days), ChannelsDone: i + 1, ChannelsTotal: len(days),
			Messages: messages, Current: "#" + strings.TrimSuffix(channel, "/") + " " + strings.TrimSuffix(day, ".json")})
		if err := run.SaveCheckpoint(ctx, []byte(strconv.Itoa(i+1))); err != nil {
			return sync.ImportSummary{}, err
		}
	}
	return sum, nil
}

func countMessages(e *zip.File) (int, error) {
	rc, err := e.Open()
	if err != nil {
		return 0, err
	}
	defer rc.Close()
	var msgs []json.RawMessage
	if err := json.NewDecoder(io.LimitReader(rc, 1<<20)).Decode(&msgs); err != nil {
		return 0, err
	}
	return len(msgs), nil
}

// WriteExport writes a small Slack export ZIP to w, one app/sync imports
// too: for each channel, the given
// number of days with the given number of messages each; padding > 0 adds
// a top-level entry of that many bytes, stored uncompressed, to make the
// file that large.
func WriteExport(w io.Writer, channels []string, days, perDay, padding int) error {
	zw := zip.NewWriter(w)
	if padding > 0 {
		f, err := zw.CreateHeader(&zip.FileHeader{Name: "padding.bin", Method: zip.Store})
		if err != nil {
			return err
		}
		if _, err := f.Write(make([]byte, padding)); err != nil {
			return err
		}
	}
	users, _ := zw.Create("users.json")
	io.WriteString(users, `[{"id":"U1","team_id":"TNEW","name":"maya"}]`)
	list := make([]map[string]string, len(channels))
	for i, c := range channels {
		list[i] = map[string]string{"id": fmt.Sprintf("C%08d", i+1), "name": c}
	}
	cf, _ := zw.Create("channels.json")
	if err := json.NewEncoder(cf).Encode(list); err != nil {
		return err
	}
	for _, c := range channels {
		for d := range days {
			f, err := zw.Create(fmt.Sprintf("%s/2026-03-%02d.json", c, d+1))
			if err != nil {
				return err
			}
			msgs := make([]map[string]string, perDay)
			for i := range msgs {
				msgs[i] = map[string]string{"type": "message", "user": "U1", "text": fmt.Sprintf("message %d", i),
					"ts": fmt.Sprintf("17725%05d.%06d", d, i)}
			}
			if err := json.NewEncoder(f).Encode(msgs); err != nil {
				return err
			}
		}
	}
	return zw.Close()
}
