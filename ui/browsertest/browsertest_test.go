package browsertest

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// recorder is a testing.TB that keeps the errors the harness reports, so
// that a test can check the harness finds what it must.
type recorder struct {
	testing.TB
	errors []string
}

func (r *recorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

// TestCheckPageFindsProblems: CheckPage reports a field without a label and
// a page wider than a phone, and passes a page without either.
func TestCheckPageFindsProblems(t *testing.T) {
	t.Parallel()
	pages := map[string]string{
		"/bad": `<!doctype html><meta name="viewport" content="width=device-width"><body>
			<input id="nolabel" name="q"><div style="width:600px">wide</div></body>`,
		"/good": `<!doctype html><meta name="viewport" content="width=device-width"><body>
			<label for="q">Question</label><input id="q" name="q"><input type="hidden" name="x"></body>`,
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, pages[r.URL.Path])
	}))
	defer srv.Close()
	rec := &recorder{TB: t}
	b := New(rec, srv.URL)

	b.Open("/bad")
	b.CheckPage()
	joined := strings.Join(rec.errors, "\n")
	if len(rec.errors) != 2 || !strings.Contains(joined, `id="nolabel"`) || !strings.Contains(joined, "scrolls sideways at 390 px") {
		t.Fatalf("CheckPage on a bad page reported:\n%s", joined)
	}
	rec.errors = nil
	b.Open("/good")
	b.CheckPage()
	if len(rec.errors) != 0 {
		t.Fatalf("CheckPage on a good page reported: %v", rec.errors)
	}
	if b.Text("label") != "Question" || b.Path() != "/good" {
		t.Fatalf("text %q at %q", b.Text("label"), b.Path())
	}
}
