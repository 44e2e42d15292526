package documents

import (
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"testing"
	"time"
)

// childEnv, in a test binary's environment, makes it the PDF reader's
// child process instead of running tests: "serve" as lore extract-pdf
// does, or a misbehaving child ("hang", "hog", "crash") to show that the
// parent contains it.
const childEnv = "LORE_TEST_PDF_CHILD"

func TestMain(m *testing.M) {
	if mode := os.Getenv(childEnv); mode != "" {
		os.Exit(runTestChild(mode, os.Args[1:]))
	}
	os.Exit(m.Run())
}

func runTestChild(mode string, args []string) int {
	var maxPages int
	var memory int64
	for i := 0; i+1 < len(args); i++ {
		switch args[i] {
		case "--max-pages":
			maxPages, _ = strconv.Atoi(args[i+1])
		case "--memory-limit":
			memory, _ = strconv.ParseInt(args[i+1], 10, 64)
		}
	}
	switch mode {
	case "hang":
		time.Sleep(time.Hour)
	case "hog":
		limitMemory(memory)
		var keep [][]byte
		for {
			keep = append(keep, make([]byte, 1<<20))
			for _, b := range keep[len(keep)-1:] {
				for i := range b {
					b[i] = 1
				}
			}
		}
	case "crash":
		panic("the PDF reader crashed") // as an unrecovered library panic ends the process
	}
	if err := ServeChild(os.Stdin, os.Stdout, maxPages, memory); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// testChild runs this test binary as the PDF reader's child, in mode.
func testChild(t testing.TB, mode string) Child {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return Child{Path: exe, Env: []string{childEnv + "=" + mode}}
}

// testExtractor extracts with a well-behaved child.
func testExtractor(t testing.TB) extractor {
	return extractor{pdf: pdfReader{child: testChild(t, "serve"), limits: PDFLimits{}.withDefaults(), logger: slog.New(slog.DiscardHandler)}}
}
