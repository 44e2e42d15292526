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

// TestCheckPageFindsProblems: CheckPage reports a field without a label, a
// page wider than a phone, and a table that scrolls only at a phone's width
// with no way to reach it by keyboard, once each; it passes a page without
// them.
func TestCheckPageFindsProblems(t *testing.T) {
	t.Parallel()
	pages := map[string]string{
		"/bad": `<!doctype html><html lang="en"><title>Bad</title><meta name="viewport" content="width=device-width"><body>
			<main><h1>Bad</h1><input id="nolabel" name="q"><div style="width:600px">wide</div></main></body>`,
		"/good": `<!doctype html><html lang="en"><title>Good</title><meta name="viewport" content="width=device-width"><body>
			<main><h1>Good</h1><label for="q">Question</label><input id="q" name="q"><input type="hidden" name="x"></main></body>`,
		"/narrow": page(``, `<h1>Narrow</h1><div class="wrap" style="overflow-x: auto"><table><tr><td style="min-width: 600px">near</td><td>far cell</td></tr></table></div>`),
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
	// The field without a label is found twice: by the check of labels and
	// by axe's rule "label".
	if len(rec.errors) != 3 || !strings.Contains(joined, `a field without a label: <input id="nolabel"`) ||
		!strings.Contains(joined, "label (critical)") || !strings.Contains(joined, "scrolls sideways at 390 px") {
		t.Fatalf("CheckPage on a bad page reported:\n%s", joined)
	}
	rec.errors = nil
	b.Open("/narrow")
	b.CheckPage()
	if joined := strings.Join(rec.errors, "\n"); len(rec.errors) != 1 || !strings.Contains(joined, "/narrow: accessibility at 390 px: scrollable-region-focusable (serious)") ||
		!strings.Contains(joined, `<div class="wrap"`) {
		t.Fatalf("CheckPage on a page whose table scrolls at a phone's width reported:\n%s", joined)
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

// page is a small well-formed page around body, for the checks to judge.
func page(head, body string) string {
	return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Page</title>
		<meta name="viewport" content="width=device-width">` + head + `</head><body><main>` + body + `</main></body></html>`
}

// TestCheckAccessibilityFindsProblems: CheckAccessibility names axe's
// serious and critical violations (low contrast, an image without a text, a
// button without a name), headings out of order, and a focus ring taken
// away; it passes a page without them, also under a Content-Security-Policy
// that allows no script at all.
func TestCheckAccessibilityFindsProblems(t *testing.T) {
	t.Parallel()
	pages := map[string]string{
		"/contrast": page(``, `<h1>Pale</h1><p style="color:#bbb">hard to read</p>`),
		"/names":    page(``, `<h1>Unnamed</h1><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="><button></button>`),
		"/headings": page(``, `<h2>Starts low</h2><h1>Title</h1><h3>Skips h2</h3><h2>Back up</h2><h3>Fine</h3>`),
		"/focus": page(`<style>a:focus { outline: none } .pale:focus-visible { outline: 2px solid #eee }
				.shadow:focus-visible { box-shadow: 0 0 0 3px rgba(11, 87, 208, 0) }
				.away { position: absolute; left: -9999px } .away:focus-visible { outline: 2px solid #0b57d0 }</style>`,
			`<h1>Links</h1><p><a href="#one">one</a> <a href="#two" style="box-shadow: none">two</a></p><button>fine</button>
			<p><a href="#three" class="pale">three</a> <a href="#four" class="shadow">four</a></p>
			<p><a href="#five" class="away">five</a></p>`),
		"/good": page(`<link rel="stylesheet" href="/good.css">`,
			`<h1>Good</h1><h2>Part</h2><label for="q">Question</label><input id="q" name="q"><a href="#x">a link</a><button type="button">Go</button>`),
		"/good.css": `a:focus { outline: none } a:focus-visible { box-shadow: 0 0 0 3px #0b57d0 }`,
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, ".css") {
			w.Header().Set("Content-Type", "text/css")
		} else {
			w.Header().Set("Content-Type", "text/html")
		}
		w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src data:")
		fmt.Fprint(w, pages[r.URL.Path])
	}))
	defer srv.Close()
	rec := &recorder{TB: t}
	b := New(rec, srv.URL)

	for _, tc := range []struct {
		path   string
		errors int
		want   []string
	}{
		{"/contrast", 1, []string{"/contrast: accessibility: color-contrast (serious)", `<p style="color:#bbb">hard to read</p>`, "dequeuniversity.com/rules/axe"}},
		{"/names", 2, []string{"image-alt (critical)", "button-name (critical)"}},
		{"/headings", 2, []string{`h2 "Starts low" comes first`, `h3 "Skips h2" follows an h1`}},
		{"/focus", 5, []string{`keyboard focus not visible on a "one" href=#one: no outline or box-shadow`,
			`keyboard focus not visible on a "two" href=#two: no outline or box-shadow`,
			`on a "three" href=#three: its ring stands 1.16:1 against the background, less than 3:1`,
			`on a "four" href=#four: its ring stands 0.00:1`, `on a "five" href=#five: it is off the page`}},
	} {
		rec.errors = nil
		b.Open(tc.path)
		b.CheckAccessibility()
		joined := strings.Join(rec.errors, "\n")
		if len(rec.errors) != tc.errors {
			t.Errorf("%s: %d errors, want %d:\n%s", tc.path, len(rec.errors), tc.errors, joined)
		}
		for _, w := range tc.want {
			if !strings.Contains(joined, w) {
				t.Errorf("%s: no %q among:\n%s", tc.path, w, joined)
			}
		}
	}
	rec.errors = nil
	b.Open("/good")
	b.CheckAccessibility()
	if len(rec.errors) != 0 {
		t.Fatalf("CheckAccessibility on a good page reported: %v", rec.errors)
	}
}
