package main

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// BenchmarkColdStart measures what a person waits for after starting Lore:
// from exec of the real binary to the first healthy /healthz, on a database
// holding 1M messages (LORE_BENCH_MESSAGES overrides the count). It reports
// the binary's size too. Target: under 500 ms on a 2-core machine.
func BenchmarkColdStart(b *testing.B) {
	messages := 1_000_000
	if v := os.Getenv("LORE_BENCH_MESSAGES"); v != "" {
		fmt.Sscan(v, &messages)
	}
	dir := b.TempDir()
	bin := filepath.Join(dir, "lore")
	build := exec.Command("go", "build", "-trimpath", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("build: %v\n%s", err, out)
	}
	info, err := os.Stat(bin)
	if err != nil {
		b.Fatal(err)
	}

	dataDir := filepath.Join(dir, "data")
	env := append(os.Environ(), "LORE_DATA_DIR="+dataDir, "ENCRYPTION_KEY=1xW1QVDCOoNJBxGQxBtmG9hKYhH1BNivADY17ekNeGA=")
	if out, err := exec.Command(bin, "migrate", "up", "--data", dataDir).CombinedOutput(); err != nil {
		b.Fatalf("migrate: %v\n%s", err, out)
	}
	seedStart := time.Now()
	seedMessages(b, filepath.Join(dataDir, "lore.db"), messages)
	b.Logf("seeded %d messages in %v", messages, time.Since(seedStart).Round(time.Millisecond))

	urlPattern := regexp.MustCompile(`http://127\.0\.0\.1:\d+`)
	for b.Loop() {
		start := time.Now()
		cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--log-level", "warn")
		cmd.Env = env
		stdout, _ := cmd.StdoutPipe()
		cmd.Stderr = io.Discard
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		line, err := bufio.NewReader(stdout).ReadString('\n')
		if err != nil {
			b.Fatalf("no URL printed: %v", err)
		}
		url := urlPattern.FindString(line)
		for {
			resp, err := http.Get(url + "/healthz")
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					break
				}
			}
			if time.Since(start) > 30*time.Second {
				b.Fatal("not healthy within 30 s")
			}
			time.Sleep(time.Millisecond)
		}
		b.StopTimer()
		cmd.Process.Signal(syscall.SIGTERM)
		if err := cmd.Wait(); err != nil {
			b.Fatalf("serve did not exit cleanly: %v", err)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(info.Size())/(1<<20), "binary-MiB")
	b.ReportMetric(float64(messages), "messages")
}

// seedMessages fills the database with n messages across 50 channels in
// one transaction, through the same triggers that keep the FTS index.
func seedMessages(b *testing.B, path string, n int) {
	b.Helper()
	ctx := context.Background()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=synchronous(OFF)")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	words := strings.Fields("deploy release incident database migration review onboarding budget roadmap customer latency backup schedule outage design hiring")
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		b.Fatal(err)
	}
	mustExec := func(q string, args ...any) {
		if _, err := tx.Exec(q, args...); err != nil {
			b.Fatal(err)
		}
	}
	mustExec(`INSERT INTO organizations (name) VALUES ('Bench')`)
	mustExec(`INSERT INTO installations (workspace_id, org_id, team_name) VALUES ('TBENCH', 1, 'Bench')`)
	for c := range 50 {
		mustExec(`INSERT INTO channels (workspace_id, channel_id, name) VALUES ('TBENCH', ?, ?)`, fmt.Sprintf("C%03d", c), fmt.Sprintf("channel-%d", c))
	}
	stmt, err := tx.Prepare(`INSERT INTO messages (workspace_id, channel_id, ts, user_id, text) VALUES ('TBENCH', ?, ?, ?, ?)`)
	if err != nil {
		b.Fatal(err)
	}
	for i := range n {
		text := fmt.Sprintf("%s %s %s note %d about the %s", words[i%len(words)], words[(i/3)%len(words)], words[(i/7)%len(words)], i, words[(i/11)%len(words)])
		if _, err := stmt.Exec(fmt.Sprintf("C%03d", i%50), fmt.Sprintf("%d.%06d", 1700000000+i, i%1000000), fmt.Sprintf("U%03d", i%40), text); err != nil {
			b.Fatal(err)
		}
	}
	stmt.Close()
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	if _, err := db.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		b.Fatal(err)
	}
}
