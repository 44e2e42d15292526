package answers_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"lore/app"
	"lore/app/answers"
	"lore/app/jobs"
	"lore/app/sync"
	"lore/app/testshared"
	"lore/storage"
	"lore/ui"
)

// BenchmarkAsk is issue 10's speed target: over the generated 1M-message
// workspace (../shared/bench/gen_export.py OUT.zip 1000000 40 7, imported
// through the one message path), the 200 questions of gen_questions.py
// OUT.zip 200 3: retrieval (plan, search, ranking) p95 at most 15 ms, and
// POST /api/organizations/{id}/ask end to end over HTTP (answer composed and
// logged) p95 at most 30 ms. Each figure is printed for the first pass
// (cold caches) and the second, with the CPU the process used and the p95
// without the time its threads waited for a CPU (runQueueWait): on a shared
// machine, wall time is the CPU times the run queue's length. LORE_BENCH_MESSAGES changes the count;
// LORE_BENCH_EXPORT reuses an export, LORE_BENCH_DATA a data directory
// already imported (it is created and imported when empty).
//
//	go test ./app/answers -run '^$' -bench Ask -benchtime 1x
func BenchmarkAsk(b *testing.B) {
	ctx := context.Background()
	messages := 1_000_000
	if v := os.Getenv("LORE_BENCH_MESSAGES"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			b.Fatalf("LORE_BENCH_MESSAGES=%q: %v", v, err)
		}
		messages = n
	}
	if _, err := exec.LookPath("python3"); err != nil {
		b.Fatal("the generators need python3")
	}
	benchDir := filepath.Join(testshared.Dir(), "bench")
	zip := os.Getenv("LORE_BENCH_EXPORT")
	if zip == "" {
		zip = filepath.Join(b.TempDir(), "export.zip")
		if out, err := exec.Command("python3", filepath.Join(benchDir, "gen_export.py"), zip, strconv.Itoa(messages), "40", "7").CombinedOutput(); err != nil {
			b.Fatalf("gen_export.py: %v\n%s", err, out)
		}
	}
	out, err := exec.Command("python3", filepath.Join(benchDir, "gen_questions.py"), zip, "200", "3").Output()
	if err != nil {
		b.Fatalf("gen_questions.py: %v", err)
	}
	var questions []string
	for sc := bufio.NewScanner(bytes.NewReader(out)); sc.Scan(); {
		if q := strings.TrimSpace(sc.Text()); q != "" {
			questions = append(questions, q)
		}
	}

	dir := os.Getenv("LORE_BENCH_DATA")
	if dir == "" {
		dir = b.TempDir()
	}
	_, statErr := os.Stat(filepath.Join(dir, "lore.db"))
	fresh := os.IsNotExist(statErr)
	a, err := app.Open(ctx, app.Config{DataDir: dir}, os.DirFS(filepath.Join("..", "..", "migrations")), slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	defer a.Close()
	var orgID int64
	if fresh {
		org, err := a.Store.CreateOrganization(ctx, "Bench")
		if err != nil {
			b.Fatal(err)
		}
		orgID = org.ID
		if _, err := a.Store.CreateWorkspace(ctx, orgID, "TBENCH", "Bench"); err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		sum, err := sync.New(a.Store, a.Logger, sync.Options{}).ImportExport(ctx, zip, sync.ImportTarget{WorkspaceID: "TBENCH"}, jobs.Detached())
		if err != nil {
			b.Fatal(err)
		}
		fmt.Fprintf(os.Stderr, "imported %d messages in %.1f s\n", sum.New, time.Since(start).Seconds())
	} else if orgID, err = a.Store.WorkspaceOrg(ctx, "TBENCH"); err != nil {
		b.Fatal(err)
	}
	token := benchToken(b, a, orgID)
	srv := httptest.NewServer(ui.New(a, os.DirFS(filepath.Join("..", "..", "ui", "static")), os.DirFS(filepath.Join("..", "..", "ui", "templates"))))
	defer srv.Close()
	url := fmt.Sprintf("%s/api/organizations/%d/ask", srv.URL, orgID)

	for b.Loop() {
		for pass := 1; pass <= 2; pass++ {
			var retrieval, e2e, retrievalCPU, e2eCPU, retrievalOwn, e2eOwn []time.Duration
			var found, answered int
			// retrieval runs on this goroutine alone: on its own thread, that
			// thread's wait for a CPU is the question's
			runtime.LockOSThread()
			for _, q := range questions {
				wait := threadWait()
				start, cpu := time.Now(), threadCPU()
				n, err := a.Answers.Retrieve(ctx, answers.Request{OrgID: orgID, Question: q})
				took := time.Since(start)
				retrieval = append(retrieval, took)
				retrievalCPU = append(retrievalCPU, threadCPU()-cpu)
				retrievalOwn = append(retrievalOwn, took-(threadWait()-wait))
				if err != nil {
					b.Fatal(err)
				}
				if n > 0 {
					found++
				}
			}
			runtime.UnlockOSThread()
			for _, q := range questions {
				body, _ := json.Marshal(map[string]string{"question": q})
				req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+token)
				req.Header.Set("Content-Type", "application/json")
				wait := runQueueWait()
				start, cpu := time.Now(), cpuTime()
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				var got answers.Answer
				err = json.NewDecoder(resp.Body).Decode(&got)
				resp.Body.Close()
				took := time.Since(start)
				e2e = append(e2e, took)
				e2eCPU = append(e2eCPU, cpuTime()-cpu)
				e2eOwn = append(e2eOwn, took-(runQueueWait()-wait))
				if err != nil || resp.StatusCode != http.StatusOK {
					b.Fatalf("ask %q: %d %v", q, resp.StatusCode, err)
				}
				if got.Answered {
					answered++
				}
			}
			r50, r95, rmax := percentiles(retrieval)
			e50, e95, emax := percentiles(e2e)
			_, rc95, _ := percentiles(retrievalCPU)
			_, ec95, _ := percentiles(e2eCPU)
			_, ro95, _ := percentiles(retrievalOwn)
			_, eo95, _ := percentiles(e2eOwn)
			var load [3]float64
			loadAverage(&load)
			fmt.Fprintf(os.Stderr, "pass %d, %d questions: retrieval p50 %.1f ms, p95 %.1f ms (target <= 15), max %.1f ms, thread CPU p95 %.1f ms, "+
				"p95 without waiting for a CPU %.1f ms; POST ask p50 %.1f ms, p95 %.1f ms (target <= 30), max %.1f ms, CPU p95 %.1f ms, "+
				"p95 without waiting for a CPU %.1f ms; %d found sources, %d answered; load average %.1f on %d cores\n",
				pass, len(questions), ms(r50), ms(r95), ms(rmax), ms(rc95), ms(ro95), ms(e50), ms(e95), ms(emax), ms(ec95), ms(eo95),
				found, answered, load[0], runtime.NumCPU())
			if pass == 2 {
				b.ReportMetric(ms(r95), "retrieval-p95-ms")
				b.ReportMetric(ms(e95), "ask-p95-ms")
				b.ReportMetric(ms(ro95), "retrieval-own-p95-ms")
				b.ReportMetric(ms(eo95), "ask-own-p95-ms")
			} else {
				b.ReportMetric(ms(r95), "cold-retrieval-p95-ms")
				b.ReportMetric(ms(e95), "cold-ask-p95-ms")
			}
		}
	}
}

// threadCPU is the CPU time the calling thread has used, to the nanosecond
// (CLOCK_THREAD_CPUTIME_ID; getrusage counts in scheduler ticks): with the
// retrieval loop locked to its thread, a question's own CPU, the garbage
// collector's workers on other threads left out.
func threadCPU() time.Duration {
	var ts syscall.Timespec
	const clockThreadCPUTime = 3
	if _, _, e := syscall.Syscall(syscall.SYS_CLOCK_GETTIME, clockThreadCPUTime, uintptr(unsafe.Pointer(&ts)), 0); e != 0 {
		return cpuTime()
	}
	return time.Duration(ts.Nano())
}

// cpuTime is the CPU time the process has used: the questions run one at a
// time, so its growth over one is that question's cost, whatever else the
// shared machine runs.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// threadWait is how long the calling thread has waited for a CPU, and
// runQueueWait how long all the process's threads have, in all (the second
// field of /proc/thread-self/schedstat and of each /proc/self/task/*/
// schedstat; 0 where there is none). On a shared machine a question's time
// beyond its CPU is this wait, other programs' load: measured here, a
// question spends under 4 ms (p95) neither running nor waiting for a CPU
// however busy the machine, so what remains without the wait is Lore's own
// time. runQueueWait may count two threads' waits at once: the figure
// without it is then a little low.
func threadWait() time.Duration { return schedWait("/proc/thread-self/schedstat") }

func runQueueWait() time.Duration {
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return 0
	}
	var sum time.Duration
	for _, t := range tasks {
		sum += schedWait(filepath.Join("/proc/self/task", t.Name(), "schedstat"))
	}
	return sum
}

// schedWait is the run-queue wait in a schedstat file; 0 when it is gone
// (the thread ended) or absent.
func schedWait(path string) time.Duration {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	var run, wait int64
	if _, err := fmt.Sscan(string(b), &run, &wait); err != nil {
		return 0
	}
	return time.Duration(wait)
}

// loadAverage reads /proc/loadavg where there is one, so that a figure
// measured on a busy machine says so.
func loadAverage(out *[3]float64) {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return
	}
	fmt.Sscan(string(b), &out[0], &out[1], &out[2])
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func percentiles(ds []time.Duration) (p50, p95, max time.Duration) {
	s := slices.Clone(ds)
	slices.Sort(s)
	at := func(p float64) time.Duration { return s[min(len(s)-1, int(p*float64(len(s))))] }
	return at(0.50), at(0.95), s[len(s)-1]
}

// benchToken makes a member of the organization and returns their API token.
func benchToken(b *testing.B, a *app.App, orgID int64) string {
	ctx := context.Background()
	email := fmt.Sprintf("bench-%d@example.com", time.Now().UnixNano())
	var u storage.User
	err := a.Store.Tx(ctx, func(tx *storage.Tx) (err error) {
		if u, err = tx.CreateUser(ctx, email, "not-a-login", false); err != nil {
			return err
		}
		_, err = tx.AddMembership(ctx, orgID, u.ID, storage.RoleMember)
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	_, secret, err := a.Accounts.CreateToken(ctx, u.ID, "bench")
	if err != nil {
		b.Fatal(err)
	}
	return secret
}
