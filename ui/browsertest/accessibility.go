package browsertest

import (
	_ "embed"
	"fmt"
	"strings"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// axeSource is axe-core (testdata/axe.min.js, MPL-2.0, Deque Systems; its
// licenses beside it), the field's standard rules engine for WCAG checks.
// Embedded here, a package only tests import, it never reaches Lore's binary.
//
//go:embed testdata/axe.min.js
var axeSource string

// maxTabStops bounds the walk through a page's focusable elements: no page
// of Lore has this many, and a focus trap must not loop forever.
const maxTabStops = 200

// violation is one of axe's findings, trimmed to what a failure names.
type violation struct {
	ID      string   `json:"id"`
	Impact  string   `json:"impact"`
	Help    string   `json:"help"`
	HelpURL string   `json:"helpUrl"`
	Targets []string `json:"targets"`
}

// CheckAccessibility checks the page shown against WCAG 2 A and AA and
// axe's best practices: it fails the test on each serious or critical
// violation axe-core finds (rule, impact, where, and the help), on headings
// out of order (the first not an h1, or a level skipped on the way down),
// and on a focusable element that shows no focus ring (an outline or a
// box-shadow) when reached with the Tab key. axe is evaluated through the
// DevTools protocol, which the page's Content-Security-Policy does not
// govern, so the page is checked as it is served.
func (b *Browser) CheckAccessibility() {
	b.t.Helper()
	b.checkAccessibility()
}

// checkAccessibility is CheckAccessibility; it returns the violations it
// reported, for a second look at another width to skip.
func (b *Browser) checkAccessibility() map[string]bool {
	b.t.Helper()
	path := b.Path()
	reported := map[string]bool{}
	failed := b.axe(path, "", reported)
	for _, p := range Get(b, "headings", chromedp.Evaluate[[]string](headingsInOrder)) {
		failed = true
		b.t.Errorf("%s: accessibility: headings out of order: %s", path, p)
	}
	for _, p := range b.focusWithoutRing() {
		failed = true
		b.t.Errorf("%s: accessibility: keyboard focus not visible on %s", path, p)
	}
	if failed {
		b.shot("inaccessible")
	}
	return reported
}

// axe runs axe-core on the page shown and fails the test on each serious
// or critical violation not in reported (by rule and element), adding it
// there; where says at which width, when it matters. The others are
// logged. It tells whether it failed the test.
func (b *Browser) axe(path, where string, reported map[string]bool) bool {
	b.t.Helper()
	if !Get(b, "axe loaded", chromedp.Evaluate[bool](`typeof window.axe === "object"`)) {
		b.Do("inject axe", chromedp.Evaluate[chromedp.Void](axeSource))
	}
	found := Get(b, "axe", chromedp.Evaluate[[]violation](`axe.run(document, {
			runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]},
			resultTypes: ["violations"],
		}).then(r => r.violations.map(v => ({
			id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
			targets: v.nodes.map(n => n.target.join(" ") + " " + n.html.slice(0, 120)),
		})))`, chromedp.EvalAwaitPromise))
	failed := false
	for _, v := range found {
		var targets []string
		for _, target := range v.Targets {
			if key := v.ID + " " + target; !reported[key] {
				reported[key] = true
				targets = append(targets, target)
			}
		}
		if len(targets) == 0 {
			continue
		}
		if v.Impact != "serious" && v.Impact != "critical" {
			b.t.Logf("%s: accessibility%s, not failing: %s (%s): %s\n\t%s", path, where, v.ID, v.Impact, v.Help, strings.Join(targets, "\n\t"))
			continue
		}
		failed = true
		b.t.Errorf("%s: accessibility%s: %s (%s): %s (%s)\n\t%s", path, where, v.ID, v.Impact, v.Help, v.HelpURL, strings.Join(targets, "\n\t"))
	}
	return failed
}

// headingsInOrder lists the headings that break the outline: a page starts
// at h1, and each heading goes at most one level deeper than the one before
// (going back up any number of levels is fine).
const headingsInOrder = `(() => {
	const out = [];
	let prev = 0;
	for (const h of document.querySelectorAll("h1, h2, h3, h4, h5, h6")) {
		if (h.closest("[hidden]") || getComputedStyle(h).display === "none") continue;
		const level = Number(h.tagName[1]);
		const text = h.tagName.toLowerCase() + " " + JSON.stringify(h.textContent.trim().slice(0, 60));
		if (prev === 0 && level !== 1) out.push(text + " comes first; a page starts with an h1");
		else if (level > prev + 1) out.push(text + " follows an h" + prev);
		prev = level;
	}
	if (prev === 0) out.push("the page has no heading");
	return out;
})()`

// focusRing describes the element focused now ("" when nothing but the
// page is), what is wrong with its focus ring ("" when it shows one), and
// whether the walk met it before. A ring is an outline or a box-shadow
// under :focus-visible whose colour stands 3:1 against the background
// around the element (WCAG's non-text contrast); Chromium's own "auto"
// outline is drawn in two colours, one of which always stands out.
const focusRing = `(() => {
	const el = document.activeElement;
	if (!el || el === document.body || el === document.documentElement) return {name: "", problem: "", again: false};
	window.loreTabbed ??= new WeakSet();
	const again = window.loreTabbed.has(el);
	window.loreTabbed.add(el);
	let name = el.tagName.toLowerCase();
	if (el.id) name += "#" + el.id;
	const text = (el.innerText || el.value || el.getAttribute("aria-label") || el.name || "").trim().slice(0, 40);
	if (text) name += " " + JSON.stringify(text);
	if (el.getAttribute("href")) name += " href=" + el.getAttribute("href");

	const rgb = c => {
		const m = /rgba?\(([\d.]+),? ([\d.]+),? ([\d.]+)(?:[,/] ?([\d.]+))?\)/.exec(c || "");
		return m && {r: +m[1], g: +m[2], b: +m[3], a: m[4] === undefined ? 1 : +m[4]};
	};
	const luminance = c => {
		const f = v => (v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
		return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b);
	};
	const contrast = (x, y) => {
		const [hi, lo] = [luminance(x), luminance(y)].sort((p, q) => q - p);
		return (hi + 0.05) / (lo + 0.05);
	};
	let around = {r: 255, g: 255, b: 255, a: 1};
	for (let e = el.parentElement; e; e = e.parentElement) {
		const c = rgb(getComputedStyle(e).backgroundColor);
		if (c && c.a > 0) { around = c; break; }
	}
	const s = getComputedStyle(el);
	const rings = [];
	if (s.outlineStyle !== "none" && parseFloat(s.outlineWidth) > 0) rings.push(s.outlineStyle === "auto" ? "auto" : s.outlineColor);
	if (s.boxShadow && s.boxShadow !== "none") rings.push(s.boxShadow);
	if (!el.matches(":focus-visible") || rings.length === 0) return {name, problem: "no outline or box-shadow", again};
	const box = el.getBoundingClientRect();
	if (box.width < 1 && box.height < 1) return {name, problem: "it has no size on the page", again};
	if (box.right + scrollX <= 0 || box.bottom + scrollY <= 0) return {name, problem: "it is off the page", again};
	let best = 0;
	for (const ring of rings) {
		const c = rgb(ring);
		// "auto", or a colour this cannot read (oklch…): not judged
		best = Math.max(best, c === null ? 21 : c.a > 0 ? contrast(c, around) : 0);
	}
	if (best < 3) return {name, problem: "its ring stands " + best.toFixed(2) + ":1 against the background, less than 3:1", again};
	return {name, problem: "", again};
})()`

// focusWithoutRing tabs through the page from its top and names each
// element the keyboard reaches that shows no focus ring, one too faint to
// see, or that is not on the page to be seen. It leaves the page unfocused.
func (b *Browser) focusWithoutRing() []string {
	b.t.Helper()
	type focused struct {
		Name    string `json:"name"`
		Problem string `json:"problem"`
		Again   bool   `json:"again"`
	}
	b.Do("unfocus", chromedp.Evaluate[chromedp.Void](`document.activeElement?.blur(); window.loreTabbed = new WeakSet(); window.scrollTo(0, 0)`))
	defer b.Do("unfocus", chromedp.Evaluate[chromedp.Void](`document.activeElement?.blur()`))
	var bad []string
	for range maxTabStops {
		b.Do("tab", chromedp.KeyEvent(kb.Tab))
		f := Get(b, "focus ring", chromedp.Evaluate[focused](focusRing))
		if f.Name == "" || f.Again {
			return bad // past the last element, or round to the first again
		}
		if f.Problem != "" {
			bad = append(bad, f.Name+": "+f.Problem)
		}
	}
	return append(bad, fmt.Sprintf("(more than %d tab stops: a focus trap?)", maxTabStops))
}
