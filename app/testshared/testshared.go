// Package testshared finds the shared test data that lives beside the
// repository as ../shared: Slack's own API samples, real exports from other
// projects' test suites and the benchmark anchors. Their licenses are not
// Lore's, so tests read them in place and never copy them in. It imports
// nothing of Lore, so that any package's tests can use it.
package testshared

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// Dir is the shared folder: LORE_SHARED_DIR when set, else ../shared beside
// the repository.
func Dir() string {
	if d := os.Getenv("LORE_SHARED_DIR"); d != "" {
		return d
	}
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		panic("testshared: cannot locate the repository")
	}
	return filepath.Join(filepath.Dir(file), "..", "..", "..", "shared")
}

// Path returns the path of rel (slash-separated, e.g.
// "testdata/brightloom-export.zip") inside the shared folder; a missing file
// fails the test with a message that says where it was looked for.
func Path(t testing.TB, rel string) string {
	t.Helper()
	p := filepath.Join(Dir(), filepath.FromSlash(rel))
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("testshared: the shared test data lives beside the repository as ../shared (or set LORE_SHARED_DIR): %v", err)
	}
	return p
}
