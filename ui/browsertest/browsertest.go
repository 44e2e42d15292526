// Package browsertest drives Lore's pages in a real headless Chromium, for
// end-to-end tests of the web UI, through github.com/chromedp/chromedp.
//
// New starts one browser per test (Debian's package chromium, or the binary
// LORE_CHROMIUM names) with the flags CI uses. Without a Chromium the test
// is skipped with a message saying so, except in CI (CI set), where it
// fails: there .ci/run installs one. Each step a test names with Shot
// saves a screenshot into the test's artifact folder (t.ArtifactDir; kept
// with go test -artifacts), and a failing step saves one before the test
// fails, so a broken page can be seen.
package browsertest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// stepTimeout bounds one step: a page load, a click, a wait.
const stepTimeout = 30 * time.Second

// Phone is the width, in CSS pixels, of the phone every page must fit
// without scrolling sideways.
const Phone = 390

// candidates are the names Chromium goes by, Debian's first.
var candidates = []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "headless-shell"}

// Find returns the Chromium binary to drive: LORE_CHROMIUM when set, else
// the first of the usual names on PATH.
func Find() (string, bool) {
	if p := os.Getenv("LORE_CHROMIUM"); p != "" {
		return p, true
	}
	for _, name := range candidates {
		if p, err := exec.LookPath(name); err == nil {
			return p, true
		}
	}
	return "", false
}

// Browser is one headless Chromium tab of a test, at a Lore server's URL.
type Browser struct {
	t       testing.TB
	ctx     context.Context
	baseURL string
	shots   string // where screenshots go
	n       int    // screenshots taken, to number them in order
}

// New starts Chromium for t and opens a tab for the server at baseURL
// (e.g. an httptest.Server's URL); both end with the test.
func New(t testing.TB, baseURL string) *Browser {
	t.Helper()
	path, ok := Find()
	if !ok {
		if os.Getenv("CI") != "" {
			t.Fatal("browsertest: no Chromium found in CI; .ci/run installs package chromium (or set LORE_CHROMIUM)")
		}
		t.Skip("browsertest: no Chromium found (install Debian's package chromium, or set LORE_CHROMIUM to its binary); skipping the browser test")
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("password-store", "basic"),
		chromedp.UserDataDir(t.TempDir()),
		// Chromium puts its singleton socket's folder in TMPDIR and leaves
		// it behind; in the test's own folder it goes with the test.
		chromedp.Env("TMPDIR=" + t.TempDir()),
		chromedp.WindowSize(1280, 900),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	// The first action starts the browser, bound to ctx (not to a step's
	// timeout).
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("browsertest: start %s: %v", path, err)
	}
	return &Browser{t: t, ctx: ctx, baseURL: strings.TrimSuffix(baseURL, "/"), shots: t.ArtifactDir()}
}

// Context is the tab's context, for actions this package has no method
// for: run them with chromedp.Do or chromedp.Run within a timeout.
func (b *Browser) Context() context.Context { return b.ctx }

// Do runs actions in order as one step; on an error it saves a screenshot
// and fails the test, naming the step.
func (b *Browser) Do(step string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.fail(step, err)
	}
}

// Get runs one action that returns a value, as one step.
func Get[T any](b *Browser, step string, action chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, action)
	if err != nil {
		b.fail(step, err)
	}
	return v
}

func (b *Browser) fail(step string, err error) {
	b.t.Helper()
	b.shot("failed-" + step)
	loc, _ := chromedp.Run(b.ctx, chromedp.Location())
	b.t.Fatalf("browsertest: %s (at %s): %v", step, loc, err)
}

// Open loads a path of the server and waits for its body.
func (b *Browser) Open(path string) {
	b.t.Helper()
	b.Do("open "+path, chromedp.Navigate(b.baseURL+path), chromedp.WaitReady(chromedp.CSS("body")))
}

// Fill types value into the field with the given id, replacing what it held.
func (b *Browser) Fill(id, value string) {
	b.t.Helper()
	// Typed key by key, so that the page's input handlers see it as a
	// person's typing.
	b.Do("fill #"+id, chromedp.WaitVisible(chromedp.ID(id)),
		chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`document.getElementById(%q).value = ""`, id)),
		chromedp.SendKeys(chromedp.ID(id), value))
}

// Upload puts a file into the file field with the given id.
func (b *Browser) Upload(id, file string) {
	b.t.Helper()
	b.Do("upload into #"+id, chromedp.SetUploadFiles(chromedp.ID(id), []string{file}))
}

// Click clicks the first element the CSS selector matches, a link or a
// form's button, and waits for the page it leads to (see Tap for a click
// that leads nowhere).
func (b *Browser) Click(css string) {
	b.t.Helper()
	b.Do("click "+css, chromedp.WaitVisible(chromedp.CSS(css)))
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	if _, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(css))); err != nil {
		b.fail("click "+css, err)
	}
	b.Do("after click "+css, chromedp.WaitReady(chromedp.CSS("body")))
}

// Tap clicks the first element the CSS selector matches, for a click that
// leads to no other page (a button of the page's script).
func (b *Browser) Tap(css string) {
	b.t.Helper()
	b.Do("tap "+css, chromedp.WaitVisible(chromedp.CSS(css)), chromedp.Click(chromedp.CSS(css)))
}

// SlowUploads makes the tab send at most bytesPerSecond, as a slow line
// would (DevTools' network throttling), so that a page's progress of an
// upload can be watched; 0 lifts it.
func (b *Browser) SlowUploads(bytesPerSecond float64) {
	b.t.Helper()
	up := bytesPerSecond
	if up == 0 {
		up = -1
	}
	b.Do("throttle uploads", chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
			MatchedNetworkConditions: []*network.Conditions{{DownloadThroughput: -1, UploadThroughput: up}}})
		return err
	}))
}

// Path is the path (and query) of the page shown.
func (b *Browser) Path() string {
	b.t.Helper()
	loc := Get(b, "location", chromedp.Location())
	return strings.TrimPrefix(loc, b.baseURL)
}

// Text is the visible text of the first element the CSS selector matches.
func (b *Browser) Text(css string) string {
	b.t.Helper()
	return Get(b, "text of "+css, chromedp.Text(chromedp.CSS(css)))
}

// WaitFor waits until a JavaScript expression is true.
func (b *Browser) WaitFor(step, expression string) {
	b.t.Helper()
	Get(b, step, chromedp.Poll[chromedp.Void](expression, chromedp.WithPollingTimeout(stepTimeout)))
}

// WaitText waits until the element the CSS selector matches holds want.
func (b *Browser) WaitText(css, want string) {
	b.t.Helper()
	b.WaitFor(fmt.Sprintf("wait for %q in %s", want, css),
		fmt.Sprintf(`(document.querySelector(%q)?.innerText ?? "").includes(%q)`, css, want))
}

// Shot saves a screenshot of the whole page as the next numbered step.
func (b *Browser) Shot(step string) {
	b.t.Helper()
	if path := b.shot(step); path == "" {
		b.t.Fatalf("browsertest: screenshot %s failed", step)
	}
}

func (b *Browser) shot(step string) string {
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // 100 is PNG; less is JPEG
	if err != nil {
		b.t.Logf("browsertest: screenshot %s: %v", step, err)
		return ""
	}
	b.n++
	name := fmt.Sprintf("%02d-%s.png", b.n, safeName(step))
	path := filepath.Join(b.shots, name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Logf("browsertest: screenshot %s: %v", step, err)
		return ""
	}
	b.t.Logf("screenshot %s", path)
	return path
}

func safeName(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' {
			return r
		}
		if r >= 'A' && r <= 'Z' {
			return r + ('a' - 'A')
		}
		return '-'
	}, s)
}

// CheckPage checks what every page must hold, at the page shown: each form
// field has a label, it passes CheckAccessibility, and at a phone's width
// (390 px) it passes axe again (a table that scrolls there must be
// reachable by keyboard) and nothing makes it scroll sideways; it saves a
// screenshot at that width. It leaves the window at its width before.
func (b *Browser) CheckPage() {
	b.t.Helper()
	reported := b.checkAccessibility()
	unlabelled := Get(b, "labels", chromedp.Evaluate[[]string](`[...document.querySelectorAll("input, select, textarea")]
		.filter(el => el.type !== "hidden" && el.type !== "submit" && el.labels.length === 0 && !el.getAttribute("aria-label"))
		.map(el => el.outerHTML)`))
	for _, el := range unlabelled {
		b.t.Errorf("%s: a field without a label: %s", b.Path(), el)
	}
	b.Do("phone width", chromedp.EmulateViewport(Phone, 844))
	defer b.Do("desktop width", chromedp.EmulateViewport(1280, 900))
	if b.axe(b.Path(), fmt.Sprintf(" at %d px", Phone), reported) {
		b.shot("inaccessible-phone")
	}
	wide := Get(b, "sideways scroll", chromedp.Evaluate[[]string](`(() => {
		const out = [];
		if (document.documentElement.scrollWidth > window.innerWidth) {
			for (const el of document.body.querySelectorAll("*")) {
				const r = el.getBoundingClientRect();
				if (r.right > window.innerWidth + 1 && getComputedStyle(el).position !== "fixed") out.push(el.tagName + "." + el.className + " right=" + Math.round(r.right));
			}
			if (out.length === 0) out.push("scrollWidth " + document.documentElement.scrollWidth);
		}
		return out;
	})()`))
	if len(wide) > 0 {
		b.shot("too-wide")
		b.t.Errorf("%s scrolls sideways at %d px: %v", b.Path(), Phone, wide)
		return
	}
	b.shot("phone")
}
