package sync

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"syscall"
	"testing"
	"time"

	"lore/app/testshared"
)

// BenchmarkImportExport is issue 9's speed target: Lore's import of the
// generated 1M-message export (../shared/bench/gen_export.py OUT.zip 1000000
// 40 7) against the anchor, C SQLite's sqlite3 doing the same work on one
// core (../shared/bench/import-anchor.sh), in the same run, once before and
// once after Lore's import, against their mean. Target: at most
// 1.5x the anchor's time, peak RSS at most 300 MB. LORE_BENCH_MESSAGES
// changes the count; LORE_BENCH_EXPORT reuses an export already generated.
//
//	go test ./app/sync -run '^$' -bench ImportExport -benchtime 1x
func BenchmarkImportExport(b *testing.B) {
	messages := 1_000_000
	if v := os.Getenv("LORE_BENCH_MESSAGES"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			b.Fatalf("LORE_BENCH_MESSAGES=%q: %v", v, err)
		}
		messages = n
	}
	for _, tool := range []string{"python3", "sqlite3"} {
		if _, err := exec.LookPath(tool); err != nil {
			b.Fatalf("the anchor needs %s: install it (apt-get install -y %s)", tool, tool)
		}
	}
	benchDir := filepath.Join(testshared.Dir(), "bench")
	zip := os.Getenv("LORE_BENCH_EXPORT")
	if zip == "" {
		zip = filepath.Join(b.TempDir(), "export.zip")
		gen := exec.Command("python3", filepath.Join(benchDir, "gen_export.py"), zip, strconv.Itoa(messages), "40", "7")
		if out, err := gen.CombinedOutput(); err != nil {
			b.Fatalf("gen_export.py: %v\n%s", err, out)
		}
	}

	for b.Loop() {
		// The anchor runs before and after Lore, and Lore is compared with
		// the mean: the machine is shared, and its speed drifts within a run.
		anchorMessages, before := runAnchor(b, benchDir, zip)

		e := newEnv(b, "TBENCH", Limits{BatchSize: benchBatch(), IndexBatch: benchIndexBatch()})
		var usage syscall.Rusage
		syscall.Getrusage(syscall.RUSAGE_SELF, &usage)
		start := time.Now()
		sum, err := e.svc.ImportExport(context.Background(), zip, ImportTarget{WorkspaceID: "TBENCH"}, &memRun{})
		if err != nil {
			b.Fatal(err)
		}
		lore := time.Since(start).Seconds()
		_, after := runAnchor(b, benchDir, zip)
		anchorSecs := (before + after) / 2
		var ru syscall.Rusage
		syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		rssMB := float64(ru.Maxrss) / 1024 // kilobytes on Linux
		cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano() - usage.Utime.Nano() - usage.Stime.Nano()).Seconds()
		b.ReportMetric(anchorSecs, "anchor-s")
		b.ReportMetric(lore, "lore-s")
		b.ReportMetric(lore/anchorSecs, "ratio")
		b.ReportMetric(rssMB, "peak-RSS-MB")
		b.ReportMetric(cpu, "lore-cpu-s")
		b.ReportMetric(float64(sum.New)/lore, "messages/s")
		// A load's commits do not checkpoint: the WAL's peak is the disk it
		// takes beside the database.
		walMB := float64(e.store.WAL().MaxBytes) / (1 << 20)
		var dbMB float64
		if info, err := os.Stat(e.dbPath); err == nil {
			dbMB = float64(info.Size()) / (1 << 20)
		}
		b.ReportMetric(walMB, "peak-WAL-MB")
		fmt.Fprintf(os.Stderr, "anchor %s messages in %.2f s (%.2f before, %.2f after); lore %d new in %.2f s (%.0f/s, %.2f s of CPU on %d cores); ratio %.2f (target <= 1.5); peak RSS %.0f MB (target <= 300); database %.0f MB, peak WAL %.0f MB\n",
			anchorMessages, anchorSecs, before, after, sum.New, lore, float64(sum.New)/lore, cpu, runtime.NumCPU(), lore/anchorSecs, rssMB, dbMB, walMB)
	}
}

// runAnchor runs import-anchor.sh over zip: the messages it stored and its
// seconds.
func runAnchor(b *testing.B, benchDir, zip string) (string, float64) {
	b.Helper()
	out, err := exec.Command("bash", filepath.Join(benchDir, "import-anchor.sh"), zip).CombinedOutput()
	if err != nil {
		b.Fatalf("import-anchor.sh: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`anchor: (\d+) messages in ([0-9.]+) s`).FindSubmatch(out)
	if m == nil {
		b.Fatalf("import-anchor.sh said: %s", out)
	}
	secs, _ := strconv.ParseFloat(string(m[2]), 64)
	return string(m[1]), secs
}

func benchBatch() int {
	n, _ := strconv.Atoi(os.Getenv("LORE_BENCH_BATCH"))
	return n
}

func benchIndexBatch() int {
	n, _ := strconv.Atoi(os.Getenv("LORE_BENCH_INDEXBATCH"))
	return n
}
