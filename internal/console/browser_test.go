package console_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/hookworker/hookworker/internal/fault"
	"github.com/hookworker/hookworker/internal/testtool"
	"github.com/hookworker/hookworker/trigger"
)

// chromiumInstall is what a machine without Chromium needs.
const chromiumInstall = "apt-get install -y chromium"

// chromium finds the browser: HOOKWORKER_CHROMIUM, else chromium or
// chromium-browser on the PATH. Without one the test is skipped, saying
// what to install, on a machine with only Go; under .ci/run (which
// installs Chromium) it fails (internal/testtool).
func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("HOOKWORKER_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	testtool.Missing(t, "the console's browser tests need headless Chromium, which is not installed ("+chromiumInstall+
		" on Debian, or set HOOKWORKER_CHROMIUM to a Chromium or Chrome binary)")
	return ""
}

// browser starts a headless Chromium with a fresh profile and no network
// beyond what the test serves, and returns a tab's context.
func browser(t *testing.T) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium(t)),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1366, 900), // a laptop screen
	)
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancelTab := chromedp.NewContext(actx)
	t.Cleanup(cancelTab)
	ctx, cancelTime := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(cancelTime)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	return ctx
}

// shots is where the screenshots go: HOOKWORKER_SCREENSHOTS (relative to
// the repository root), else the test's temporary directory.
func shots(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("HOOKWORKER_SCREENSHOTS")
	if dir == "" {
		return t.TempDir()
	}
	if !filepath.IsAbs(dir) {
		dir = filepath.Join("..", "..", dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// shot saves a screenshot of the whole page.
func shot(t *testing.T, ctx context.Context, dir, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot %s", path)
}

func run(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// text is the text of the first element sel (a CSS selector) finds, ""
// when there is none.
func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	js := fmt.Sprintf(`(document.querySelector(%q) || {}).innerText || ""`, sel)
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
	if err != nil {
		t.Fatalf("read %s: %v", sel, err)
	}
	return s
}

// clear empties the field with id, as selecting its text and deleting
// it would (without an input event: the keys typed next send theirs).
func clear(id string) chromedp.Action[chromedp.Void] {
	return chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`document.getElementById(%q).value = ""`, id))
}

// toEnd puts the caret at the end of the field with id, as a click
// after its text would.
func toEnd(id string) chromedp.Action[chromedp.Void] {
	return chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(e => { e.focus(); e.setSelectionRange(e.value.length, e.value.length); })(document.getElementById(%q))`, id))
}

// waitText waits until sel's text contains want.
func waitText(t *testing.T, ctx context.Context, sel, want string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	var s string
	for time.Now().Before(deadline) {
		if s = text(t, ctx, sel); strings.Contains(s, want) {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s says %q, want %q", sel, s, want)
}

// a11yJS lists what makes the page hard to use without a mouse or a
// screen: controls without a label, no main landmark or h1, navigation
// without a name, tables without headers, images without text.
const a11yJS = `(() => {
  const out = [];
  document.querySelectorAll("input:not([type=hidden]), select, textarea").forEach(e => {
    if (!(e.labels && e.labels.length) && !e.getAttribute("aria-label")) out.push("no label: " + (e.id || e.name));
  });
  document.querySelectorAll("button").forEach(b => { if (!b.textContent.trim() && !b.getAttribute("aria-label")) out.push("button without text"); });
  document.querySelectorAll("a").forEach(a => { if (!a.textContent.trim() && !a.getAttribute("aria-label")) out.push("link without text: " + a.href); });
  if (document.querySelectorAll("main").length !== 1) out.push("main landmarks: " + document.querySelectorAll("main").length);
  if (!document.querySelector("h1")) out.push("no h1");
  document.querySelectorAll("nav").forEach(n => { if (!n.getAttribute("aria-label")) out.push("nav without a name"); });
  document.querySelectorAll("table").forEach(t => { if (!t.querySelector("th")) out.push("table without headers"); });
  document.querySelectorAll("img").forEach(i => { if (!i.alt) out.push("img without alt"); });
  if (!document.documentElement.lang) out.push("no lang");
  return out;
})()`

// accessible fails the test for what a11yJS finds on the current page.
func accessible(t *testing.T, ctx context.Context, page string) {
	t.Helper()
	problems, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](a11yJS))
	if err != nil {
		t.Fatalf("%s: %v", page, err)
	}
	for _, p := range problems {
		t.Errorf("%s: %s", page, p)
	}
}

// activeElement describes the element that has the keyboard focus.
func activeElement(t *testing.T, ctx context.Context) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(e => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + (e.className ? "." + e.className : ""))(document.activeElement)`))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestConsoleInBrowser drives the console in headless Chromium: log in,
// see the dead letters a real worker produced from a real failing target,
// open one and read its attempts, replay it once the target is back and
// see its Result arrive, and use the Test page as one types.
func TestConsoleInBrowser(t *testing.T) {
	ctx := browser(t)
	dir := shots(t)
	st := newStack(t)
	st.fail(t, "evt-order-1", "shop-bot", "/orders/A-1") // 503 twice: http_status after 2 attempts
	st.fail(t, "evt-order-2", "shop-bot", "/orders/B-1") // 404: at once
	st.fail(t, "evt-order-3", "support-bot", "/orders/B-1")
	st.putDefinition(t, "order-status", `{"id":"order-status","url":"https://shop.example/orders/{{ order_id }}"}`)
	st.putDefinition(t, "order-status", `{"id":"order-status","name":"Order status","url":"https://shop.example/api/orders/{{ order_id }}","headers":{"Accept":"application/json"}}`)

	// Log in: the overview is behind the login form.
	run(t, ctx, "open the console", chromedp.Navigate(st.srv.URL+"/"), chromedp.WaitVisible(chromedp.ID("token")))
	url, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	must(t, strings.Contains(url, "/login"), "not sent to the login form: %s", url)
	accessible(t, ctx, "login")
	shot(t, ctx, dir, "console-login.png")
	run(t, ctx, "wrong token", chromedp.SendKeys(chromedp.ID("token"), "not-the-token-at-all"), chromedp.Submit(chromedp.ID("token")),
		chromedp.WaitVisible(chromedp.ID("login-error")))
	run(t, ctx, "log in", clear("token"), chromedp.SendKeys(chromedp.ID("token"), token),
		chromedp.Submit(chromedp.ID("token")), chromedp.WaitVisible(chromedp.ID("ov-cards")))

	// The overview: three dead letters, by bot and class.
	waitText(t, ctx, `[data-field="dead_total"]`, "3")
	dead := text(t, ctx, "#ov-dead")
	must(t, strings.Contains(dead, "shop-bot") && strings.Contains(dead, "support-bot") && strings.Contains(dead, "http_status"), "dead letters by bot and class: %q", dead)
	waitText(t, ctx, `[data-field="delivered_per_sec"]`, ".") // a rate, after the first refresh
	must(t, strings.Contains(text(t, ctx, "#ov-workers"), "yes"), "no ready worker shown: %q", text(t, ctx, "#ov-workers"))
	accessible(t, ctx, "overview")
	// The keyboard: the first Tab reaches the skip link, Enter follows it
	// to the main content, the next Tab reaches its first link.
	run(t, ctx, "tab to the skip link", chromedp.Evaluate[chromedp.Void](`document.activeElement.blur()`), chromedp.KeyEvent("\t"))
	must(t, activeElement(t, ctx) == "a.skip", "the first Tab focused %s, want the skip link", activeElement(t, ctx))
	run(t, ctx, "follow it", chromedp.KeyEvent("\r"))
	must(t, activeElement(t, ctx) == "main#main", "Enter on the skip link focused %s, want main", activeElement(t, ctx))
	shot(t, ctx, dir, "console-overview.png")

	// The dead letters, filtered to one bot, and one letter's attempts.
	run(t, ctx, "letters", chromedp.Navigate(st.srv.URL+"/letters"), chromedp.WaitVisible(chromedp.CSS("table.letters")))
	waitText(t, ctx, "#letters-count", "3 letters")
	run(t, ctx, "filter", chromedp.SetValue(chromedp.ID("f-bot"), "shop-bot"), chromedp.Submit(chromedp.ID("f-bot")),
		chromedp.WaitVisible(chromedp.CSS("table.letters")))
	waitText(t, ctx, "#letters-count", "2 letters")
	accessible(t, ctx, "letters")
	shot(t, ctx, dir, "console-letters.png")
	// The oldest of the bot's letters: evt-order-1, two attempts.
	run(t, ctx, "open a letter", chromedp.Click(chromedp.CSS(`a[aria-label*="evt-order-1"]`)), chromedp.WaitVisible(chromedp.CSS("ol.timeline")))
	tl := text(t, ctx, "ol.timeline")
	must(t, strings.Count(tl, "HTTP 503") == 2 && strings.Contains(tl, "Attempt 2"), "attempt timeline: %q", tl)
	req := text(t, ctx, "pre.request")
	must(t, strings.Contains(req, "Bearer ****") && !strings.Contains(req, "shop-s3cret-token"), "the letter's request shows the secret: %q", req)
	accessible(t, ctx, "letter")
	shot(t, ctx, dir, "console-letter.png")

	// The target is back: replay the letter and see its Result.
	st.target.On("/orders/A-1", fault.OK(`{"status": "shipped"}`))
	run(t, ctx, "replay", chromedp.Click(chromedp.ID("replay-one")), chromedp.WaitVisible(chromedp.ID("replay")))
	waitText(t, ctx, "#replay-state", "Finished")
	waitText(t, ctx, `[data-field="succeeded"]`, "1")
	must(t, strings.Contains(text(t, ctx, "#replay-rows"), "Result: succeeded"), "replay row: %q", text(t, ctx, "#replay-rows"))
	accessible(t, ctx, "replay")
	shot(t, ctx, dir, "console-replay.png")
	r := st.results.WaitNth(t, 2, 10*time.Second, "evt-order-1")["evt-order-1"]
	must(t, r.Status == trigger.StatusSucceeded && r.Replayed && r.CVars["order_status"] == "shipped", "the replayed event's Result: %+v", r)

	// Replay a filter: support-bot's letter, which fails again (404).
	run(t, ctx, "letters of support-bot", chromedp.Navigate(st.srv.URL+"/letters?bot=support-bot"), chromedp.WaitVisible(chromedp.ID("replay-selected")),
		chromedp.Click(chromedp.ID("replay-selected")), chromedp.WaitVisible(chromedp.ID("replay")))
	waitText(t, ctx, "#replay-state", "Finished")
	waitText(t, ctx, `[data-field="failed"]`, "1")
	must(t, strings.Contains(text(t, ctx, "#replay-rows"), "http_status"), "the failed replay's detail: %q", text(t, ctx, "#replay-rows"))

	// The registry: two revisions of a definition and their diff.
	run(t, ctx, "registry", chromedp.Navigate(st.srv.URL+"/registry"), chromedp.WaitVisible(chromedp.CSS(`a[href="/registry/order-status"]`)),
		chromedp.Click(chromedp.CSS(`a[href="/registry/order-status"]`)), chromedp.WaitVisible(chromedp.CSS("pre.diff")))
	diff := text(t, ctx, "pre.diff")
	must(t, strings.Contains(diff, `+   "name": "Order status"`) && strings.Contains(diff, `-   "url": "https://shop.example/orders/{{ order_id }}"`), "diff: %q", diff)
	accessible(t, ctx, "definition")
	shot(t, ctx, dir, "console-registry.png")

	// The Test page: the preview follows the editor as one types.
	run(t, ctx, "test page", chromedp.Navigate(st.srv.URL+"/test"), chromedp.WaitVisible(chromedp.ID("p-request")))
	must(t, strings.Contains(text(t, ctx, "#p-request"), "https://acme.zendesk.com/api/v2/tickets/388.json"), "first preview: %q", text(t, ctx, "#p-request"))
	must(t, strings.Contains(text(t, ctx, "#p-cvars"), `"open"`), "first CVars: %q", text(t, ctx, "#p-cvars"))
	run(t, ctx, "type a CVar", clear("t-cvars"), chromedp.SendKeys(chromedp.ID("t-cvars"), `{"zendesk_subdomain": "globex", "ticket_id": 1234}`))
	waitText(t, ctx, "#p-request", "https://globex.zendesk.com/api/v2/tickets/1234.json")
	run(t, ctx, "use an undefined variable", toEnd("t-webhook"), chromedp.SendKeys(chromedp.ID("t-webhook"), "query:\n  lang: \"{{ locale }}\"\n"))
	waitText(t, ctx, "#p-warnings", "locale is undefined")
	accessible(t, ctx, "test")
	shot(t, ctx, dir, "console-test.png")
	run(t, ctx, "break the definition", toEnd("t-webhook"), chromedp.SendKeys(chromedp.ID("t-webhook"), "timeout: forever\n"))
	waitText(t, ctx, "#p-errors", "timeout")
}
