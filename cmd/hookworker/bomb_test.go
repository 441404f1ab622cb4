package main

// Bomb tests: the template bombs of issue 12 against a real `hookworker
// run` process whose address space is capped (ulimit -v), so a value built
// past the engine's budgets would kill it with a fatal out-of-memory that
// no recover catches. Each bomb must fail only its own event, with the
// class issue 12 gives (render for a bound exceeded in a request template,
// a condition or a mapper, too_large for a response nested too deeply), and
// the next event must succeed in the same process. A bomb definition put
// straight into the KV registry is refused and the previous revision
// keeps serving.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hookworker/hookworker/internal/config"
	"github.com/hookworker/hookworker/internal/jstest"
	"github.com/hookworker/hookworker/internal/workertest"
	"github.com/hookworker/hookworker/render"
	"github.com/hookworker/hookworker/trigger"
	"github.com/hookworker/hookworker/trigger/webhook"
)

// bombMemoryKB caps the worker's address space (as the before-stop hook
// does): below what the bombs build unbounded (batch alone: 4.8 GB), with
// room for the Go runtime, whose idle virtual size is already 1.5-2.3 GB
// here (1.5 GB was too tight: a 12 MB block failed with 57 MB in use).
const bombMemoryKB = 3_000_000

type bomb struct {
	name  string
	def   webhook.Definition // URL is the path on the target
	cond  string
	class trigger.Class
	msg   string // in the Result's error message
}

func bombs() []bomb {
	post := func(body string) webhook.Definition {
		return webhook.Definition{Method: "POST", URL: "/ok", Body: body, Headers: map[string]string{"Content-Type": "text/plain"}}
	}
	return []bomb{
		{name: "batch", def: post("{{ [1] | batch(100000000, 'x') | first | length }}"), class: trigger.ClassRender, msg: "render.max_memory"},
		{name: "join of range with a huge string", def: post("{{ range(10000) | join('a' * 1000000) }}"), class: trigger.ClassRender, msg: "render.max_"},
		{name: "slice", def: post("{{ range(3) | slice(100000000, 'x') | list | length }}"), class: trigger.ClassRender, msg: "render.max_"},
		{name: "zfill 2e9", def: post("{{ 'ab'.zfill(2000000000) }}"), class: trigger.ClassRender, msg: "render.max_memory"},
		{name: "replace", def: post("{{ ('a' * 1000).replace('a', 'a' * 1000).replace('a', 'a' * 1000) }}"), class: trigger.ClassRender, msg: "render.max_memory"},
		{name: "64 KB of {{", def: post(strings.Repeat("{{", 32000)), class: trigger.ClassRender, msg: "render.max_depth"},
		{name: "budget variable", def: post("{% set __hookworker_budget = 0 %}{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"), class: trigger.ClassRender, msg: "render.max_steps"},
		{name: "format width", def: post("{{ '{:>100000000}'.format(1) }}"), class: trigger.ClassRender, msg: "render.max_memory"},
		{name: "4000-step attribute chain", def: post("{{ x" + strings.Repeat(".a", 4000) + " }}"), class: trigger.ClassRender, msg: "render.max_depth"},
		{name: "string method width in the URL", def: webhook.Definition{URL: "/ok?{{ 'x'.center(1000000000) }}"}, class: trigger.ClassRender, msg: "render.max_memory"},
		{name: "condition", def: webhook.Definition{URL: "/ok"}, cond: "range(100000) | join('a' * 100000) | length > 0", class: trigger.ClassRender, msg: "render.max_"},
		{name: "mapper", def: webhook.Definition{URL: "/ok", CVars: []webhook.Mapping{{Name: "v", Mapper: "{{ ('x' * 100000) * 100000 }}"}}}, class: trigger.ClassRender, msg: "render.max_memory"},
		{name: "1 MB of nested [ to a response.body mapper", def: webhook.Definition{URL: "/deep", CVars: []webhook.Mapping{{Name: "v", Mapper: "{{ response.body }}"}}}, class: trigger.ClassTooLarge, msg: "nested"},
	}
}

func TestBombsInMemoryLimitedWorker(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildBinary(t)
	srv := jstest.Server(t)
	nc, _ := jstest.Connect(t, srv)
	deep := strings.Repeat("[", 1<<20)
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/deep" {
			_, _ = w.Write([]byte(deep))
			return
		}
		fmt.Fprintf(w, `{"path": %q}`, r.URL.Path)
	}))
	t.Cleanup(target.Close)

	const bucket = "bomb-webhooks"
	kv, err := webhookBucket(context.Background(), nc, testBucket(bucket))
	if err != nil {
		t.Fatal(err)
	}
	putDef := func(d webhook.Definition) uint64 {
		t.Helper()
		data, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		rev, err := kv.Put(context.Background(), d.ID, data)
		if err != nil {
			t.Fatal(err)
		}
		return rev
	}
	good := webhook.Definition{ID: "kv-hook", URL: target.URL + "/kv-v1", CVars: []webhook.Mapping{{Name: "path", Mapper: "{{ path }}"}}}
	putDef(good)

	w := startProc(t, "/bin/sh", "bombs", []string{"-c", fmt.Sprintf(`ulimit -v %d && exec "$0" "$@"`, bombMemoryKB), bin, "run", "--nats-url", srv.ClientURL()},
		"HOOKWORKER_WEBHOOKS_BUCKET="+bucket, "HOOKWORKER_RETRY_MAX_ATTEMPTS=1")
	w.waitStarted(60 * time.Second)
	t.Cleanup(func() {
		select {
		case <-w.exited:
			t.Logf("the worker exited: %v\n%s", w.err, crashHead(w.stderr()))
		default:
		}
	})
	results := workertest.CollectResults(t, nc, trigger.DefaultResultPrefix+".>")
	client, err := trigger.NewClient(nc)
	if err != nil {
		t.Fatal(err)
	}
	seq := 0
	run := func(def *webhook.Definition, ref *trigger.WebhookRef, cond string) trigger.Result {
		t.Helper()
		seq++
		ev := &trigger.Event{ID: fmt.Sprintf("bomb-%03d", seq), BotID: "bot-1", ConversationID: "c", Webhook: def, WebhookRef: ref, Condition: cond}
		if _, err := publish(client, ev, 20*time.Second); err != nil {
			t.Fatal(err)
		}
		select {
		case <-w.exited:
			t.Fatalf("the worker exited running %s: %v\n%s", ev.ID, w.err, crashHead(w.stderr()))
		default:
		}
		return results.WaitNth(t, 1, 60*time.Second, ev.ID)[ev.ID]
	}
	alive := func(after string) {
		t.Helper()
		select {
		case <-w.exited:
			t.Fatalf("the worker exited after %s: %v\n%s", after, w.err, crashHead(w.stderr()))
		default:
		}
	}
	healthy := func(after string) {
		t.Helper()
		alive(after)
		res := run(&webhook.Definition{URL: target.URL + "/after", CVars: []webhook.Mapping{{Name: "path", Mapper: "{{ path }}"}}}, nil, "")
		if res.Status != trigger.StatusSucceeded || res.CVars["path"] != "/after" {
			t.Fatalf("the event after %s: %s %+v, cvars %v", after, res.Status, res.Error, res.CVars)
		}
	}

	for _, b := range bombs() {
		def := b.def
		def.URL = target.URL + def.URL
		start := time.Now()
		res := run(&def, nil, b.cond)
		took := time.Since(start)
		if res.Status == trigger.StatusSucceeded || res.Error == nil {
			t.Errorf("%s: %s, want a failure of class %s", b.name, res.Status, b.class)
		} else {
			if res.Error.Class != b.class || !strings.Contains(res.Error.Message, b.msg) {
				t.Errorf("%s: class %s, message %q; want class %s naming %q", b.name, res.Error.Class, res.Error.Message, b.class, b.msg)
			}
			t.Logf("%-45s %-10s %6s  %.120s", b.name, res.Error.Class, took.Round(time.Millisecond), res.Error.Message)
		}
		healthy(b.name)
	}

	// The registry: v1 serves; a bomb put straight into the bucket (not
	// through `hookworker webhook put`, which would check it) is refused
	// and v1 keeps serving.
	if res := run(nil, &trigger.WebhookRef{ID: good.ID}, ""); res.Status != trigger.StatusSucceeded || res.CVars["path"] != "/kv-v1" {
		t.Fatalf("kv v1: %s %+v %v", res.Status, res.Error, res.CVars)
	}
	for i, body := range []string{
		strings.Repeat("{{", 32000),
		"{{ x" + strings.Repeat(".a", 4000) + " }}",
		strings.Repeat("{% if x %}", 5000),
	} {
		bad := good
		bad.URL = target.URL + "/kv-bomb"
		bad.Method, bad.Body = "POST", body
		rev := putDef(bad)
		w.waitLog(fmt.Sprintf(`"revision": %d`, rev), 30*time.Second)
		if n := w.count("webhook in the bucket refused"); n != i+1 {
			t.Fatalf("bomb revision %d: %d refusals logged, want %d\n%s", rev, n, i+1, w.tail(10))
		}
		alive(fmt.Sprintf("bomb revision %d in the bucket", rev))
		if res := run(nil, &trigger.WebhookRef{ID: good.ID}, ""); res.Status != trigger.StatusSucceeded || res.CVars["path"] != "/kv-v1" {
			t.Fatalf("after bomb revision %d: %s %+v %v, want v1 serving", rev, res.Status, res.Error, res.CVars)
		}
	}
	healthy("the registry bombs")
}

// crashHead is the start of a Go crash report in stderr (the fatal error
// and the stack of the goroutine that hit it), or its last lines.
func crashHead(stderr string) string {
	lines := strings.Split(stderr, "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "fatal error") || strings.HasPrefix(l, "panic:") || strings.HasPrefix(l, "runtime:") {
			return strings.Join(lines[i:min(i+40, len(lines))], "\n")
		}
	}
	return strings.Join(lines[max(0, len(lines)-30):], "\n")
}

// TestRenderDefaults: the render section's defaults are the engine's.
func TestRenderDefaults(t *testing.T) {
	got := renderLimits(config.Default().Render)
	want := render.DefaultLimits
	want.MaxCacheEntries = 0 // not a setting
	if got != want {
		t.Errorf("config render defaults %+v, engine's %+v", got, want)
	}
}

// TestRenderLimitsFromConfig: a bound set in the configuration is the one
// the engine enforces and names (here with `hookworker render`, which
// compiles as run does).
func TestRenderLimitsFromConfig(t *testing.T) {
	dir := t.TempDir()
	hook := filepath.Join(dir, "h.yaml")
	def := "id: h\nurl: http://127.0.0.1:1/x\nmethod: POST\nheaders:\n  Content-Type: text/plain\nbody: \"{{ 'x' * 5000 }}\"\n"
	if err := os.WriteFile(hook, []byte(def), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		env  map[string]string
		code int
		err  string
	}{
		{"default", nil, 0, ""},
		{"memory", map[string]string{"HOOKWORKER_RENDER_MAX_MEMORY": "4096"}, 1, "render.max_memory"},
		{"output", map[string]string{"HOOKWORKER_RENDER_MAX_OUTPUT": "100"}, 1, "render.max_output"},
		{"depth out of range", map[string]string{"HOOKWORKER_RENDER_MAX_DEPTH": "100000"}, 1, "render.max_depth"},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, _, errOut := runCLI(t, context.Background(), c.env, "render", hook)
			if code != c.code || !strings.Contains(errOut, c.err) {
				t.Errorf("exit %d, stderr %q; want exit %d naming %q", code, errOut, c.code, c.err)
			}
		})
	}
}
