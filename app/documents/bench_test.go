//go:build linux

package documents

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"lore/storage"
)

// benchPages is the size of the benchmark's PDF, as the issue asks.
const benchPages = 300

// longPDF is a generated PDF of n pages of about 250 words each, a new
// section every ten pages.
func longPDF(b *testing.B, n int) []byte {
	b.Helper()
	vocab := strings.Fields(`ingest worker queue drain restart lag graph deploy rollback incident page on-call engineer
		service latency error budget alert dashboard release branch config secret rotate backup restore schema
		migration index cluster node replica shard failover region traffic certificate renew cache purge`)
	r := rand.New(rand.NewPCG(1, 2))
	p := newFpdf()
	p.SetAutoPageBreak(false, 0)
	for page := range n {
		p.AddPage()
		if page%10 == 0 {
			p.SetFont("Helvetica", "B", 18)
			title := fmt.Sprintf("Section %d: %s %s", page/10+1, vocab[r.IntN(len(vocab))], vocab[r.IntN(len(vocab))])
			p.Bookmark(title, 0, -1)
			p.CellFormat(0, 24, title, "", 1, "L", false, 0, "")
		}
		p.SetFont("Helvetica", "", 10)
		for para := range 5 {
			ws := make([]string, 50)
			for i := range ws {
				ws[i] = vocab[r.IntN(len(vocab))]
			}
			ws[0] = strings.ToUpper(ws[0][:1]) + ws[0][1:]
			p.MultiCell(0, 12, fmt.Sprintf("%s (page %d, paragraph %d).", strings.Join(ws, " "), page+1, para+1), "", "L", false)
			p.Ln(4)
		}
	}
	return outputPDF(b, p)
}

// BenchmarkExtractAndIndexPDF uploads a 300-page PDF and waits for its
// extraction job: the child process reads it, the chunks are stored and
// indexed. It reports pages per second and the peak resident memory of
// this process (reset before the run) and of the child process (goal:
// at least 50 pages/s, at most 200 MB both together).
func BenchmarkExtractAndIndexPDF(b *testing.B) {
	data := longPDF(b, benchPages)
	e := newBenchEnv(b)
	ctx := context.Background()
	runtime.GC()
	debug.FreeOSMemory()
	resetPeakRSS()
	b.ResetTimer()
	var chunks int
	for i := 0; b.Loop(); i++ {
		got, err := e.svc.Receive(ctx, e.orgA, e.user, "long.pdf", strings.NewReader(string(data)))
		if err != nil {
			b.Fatal(err)
		}
		j := waitJob(b, e.store, e.orgA, got.JobID)
		if j.Status != storage.JobSucceeded {
			b.Fatalf("job: %s %s", j.Status, j.Error)
		}
		b.StopTimer()
		docs, err := e.store.ListDocuments(ctx, e.orgA)
		if err != nil || len(docs) != 1 || docs[0].Pages != benchPages {
			b.Fatalf("documents %+v, %v", docs, err)
		}
		chunks = docs[0].Chunks
		if err := e.svc.Delete(ctx, e.orgA, docs[0].ID); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(benchPages*b.N)/b.Elapsed().Seconds(), "pages/s")
	b.ReportMetric(float64(chunks), "chunks")
	b.ReportMetric(float64(len(data))/(1<<20), "pdf_MiB")
	parent, child := peakRSS()
	b.ReportMetric(float64(parent)/1e6, "peak_MB_self")
	b.ReportMetric(float64(child)/1e6, "peak_MB_child")
	b.ReportMetric(float64(parent+child)/1e6, "peak_MB_both")
}

// BenchmarkExtractGluedPDF reads a 300-page PDF whose glyphs are placed
// one by one with no spaces, so that every page's words are rebuilt from
// glyph positions: the slow path (the issue measured 24 s on one file).
func BenchmarkExtractGluedPDF(b *testing.B) {
	r := rand.New(rand.NewPCG(3, 4))
	vocab := strings.Fields("ingest worker queue drain restart lag graph deploy rollback incident engineer service")
	pages := make([][]string, benchPages)
	for i := range pages {
		for range 40 { // 40 lines of 8 words: 320 words a page
			ws := make([]string, 8)
			for k := range ws {
				ws[k] = vocab[r.IntN(len(vocab))]
			}
			pages[i] = append(pages[i], strings.Join(ws, " "))
		}
	}
	data := buildGluedPages(b, pages)
	x := testExtractor(b)
	b.ResetTimer()
	for b.Loop() {
		e, err := x.extract(context.Background(), data, "glued.pdf")
		if err != nil {
			b.Fatal(err)
		}
		if !e.Rebuilt || e.Pages != benchPages || e.Words() != benchPages*320 {
			b.Fatalf("rebuilt %v, %d pages, %d words", e.Rebuilt, e.Pages, e.Words())
		}
	}
	b.ReportMetric(float64(benchPages*b.N)/b.Elapsed().Seconds(), "pages/s")
	b.ReportMetric(float64(len(data))/(1<<20), "pdf_MiB")
	_, child := peakRSS()
	b.ReportMetric(float64(child)/1e6, "peak_MB_child")
}

// resetPeakRSS starts this process's peak resident set size afresh
// (Linux: clear_refs 5), so that building the fixture does not count.
func resetPeakRSS() { os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// peakRSS is this process's peak resident set since resetPeakRSS (VmHWM)
// and the largest peak of its ended child processes, in bytes.
func peakRSS() (self, child int64) {
	if b, err := os.ReadFile("/proc/self/status"); err == nil {
		for line := range strings.SplitSeq(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
				kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
				self = kb << 10
			}
		}
	}
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_CHILDREN, &ru) == nil {
		child = ru.Maxrss << 10 // kilobytes on Linux
	}
	return self, child
}
