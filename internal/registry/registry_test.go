package registry_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/hookworker/hookworker/internal/jstest"
	"github.com/hookworker/hookworker/internal/marketplace"
	"github.com/hookworker/hookworker/internal/registry"
	"github.com/hookworker/hookworker/trigger/webhook"
)

// write creates files (name -> content) under dir.
func write(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

const ticketTemplate = `id: ticket-lookup
params:
  - name: subdomain
    required: true
  - name: ticket_id
    required: true
  - name: lang
    default: en
webhook:
  name: Ticket lookup
  url: "https://{{ params.subdomain }}.example.com/tickets/{{ params.ticket_id }}"
  cvars:
    - name: ticket_status
      mapper: "{{ ticket.status }}"
`

func testMarket(t *testing.T) *marketplace.Marketplace {
	t.Helper()
	tpl, err := marketplace.Decode([]byte(ticketTemplate))
	if err != nil {
		t.Fatal(err)
	}
	m, err := marketplace.New(tpl)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func lookup(t *testing.T, r *registry.Registry, id string, rev uint64) *webhook.Definition {
	t.Helper()
	e, err := r.Lookup(context.Background(), id, rev)
	if err != nil {
		t.Fatalf("Lookup(%q, %d): %v", id, rev, err)
	}
	return e.Def
}

func TestLoadDir(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, map[string]string{
		"a.yaml": "id: a\nurl: https://example.com/a\n",
		"b.json": `{"id": "b", "method": "POST", "url": "https://example.com/b", "body": "{\"x\": 1}"}`,
		"c.yml": `id: c
uses: ticket-lookup
with:
  subdomain: acme
  ticket_id: "{{ ticket_id }}"
cvars:
  - name: extra
    mapper: "{{ ticket.extra }}"
`,
		"README.md":        "not a definition",
		"sub/ignored.yaml": "this: is not read",
	})
	r, err := registry.LoadDir(dir, testMarket(t), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(r.IDs(), ","); got != "a,b,c" {
		t.Errorf("IDs %s, want a,b,c", got)
	}
	if d := lookup(t, r, "a", 0); d.URL != "https://example.com/a" {
		t.Errorf("a: %+v", d)
	}
	if d := lookup(t, r, "b", 0); d.EffectiveMethod() != "POST" || d.Body != `{"x": 1}` {
		t.Errorf("b: %+v", d)
	}
	// c is resolved through its template: the template's url and
	// mapper, its own mapper added, parameters with defaults.
	c := lookup(t, r, "c", 0)
	if c.Template != "ticket-lookup" || c.Uses != "" || !strings.Contains(c.URL, "params.subdomain") {
		t.Errorf("c not resolved: %+v", c)
	}
	if c.Params["subdomain"] != "acme" || c.Params["lang"] != "en" || c.Params["ticket_id"] != "{{ ticket_id }}" {
		t.Errorf("c params %v", c.Params)
	}
	if len(c.CVars) != 2 || c.CVars[0].Name != "ticket_status" || c.CVars[1].Name != "extra" {
		t.Errorf("c cvars %+v", c.CVars)
	}
	if c.Name != "Ticket lookup" {
		t.Errorf("c name %q", c.Name)
	}

	// A missing directory is an empty registry.
	r, err = registry.LoadDir(filepath.Join(dir, "nope"), nil, nil, nil)
	if err != nil || len(r.IDs()) != 0 {
		t.Errorf("missing dir: %v, %v", r.IDs(), err)
	}
}

func TestLoadDirDuplicates(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, map[string]string{
		"one.yaml": "id: same\nurl: https://example.com/1\n",
		"two.json": `{"id": "same", "url": "https://example.com/2"}`,
	})
	_, err := registry.LoadDir(dir, nil, nil, nil)
	if err == nil {
		t.Fatal("duplicate ids loaded")
	}
	for _, want := range []string{"one.yaml", "two.json", `"same"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
}

func TestLoadDirBadFile(t *testing.T) {
	tests := []struct {
		name, file, content string
		want                []string
	}{
		{"unknown field", "x.yaml", "id: x\nurl: https://e.com/\nretries: 3\n", []string{"x.yaml", "retries"}},
		{"no id", "x.yaml", "url: https://e.com/\n", []string{"x.yaml", "id: required"}},
		{"no url", "x.json", `{"id": "x"}`, []string{"x.json", "url: required"}},
		{"bad method", "x.yaml", "id: x\nurl: https://e.com/\nmethod: FETCH\n", []string{"x.yaml", "method", "FETCH"}},
		{"yaml syntax", "x.yaml", "id: x\nurl: https://e.com/\n  method: GET\n", []string{"x.yaml", "line 3"}},
		{"unknown template", "x.yaml", "id: x\nuses: nope\n", []string{"x.yaml", "uses", `"nope"`}},
		{"missing param", "x.yaml", "id: x\nuses: ticket-lookup\nwith: {subdomain: a}\n", []string{"x.yaml", "with", "ticket_id"}},
		// Templates are compiled at load time: a definition that could
		// never run does not load.
		{"bad header template", "x.yaml", "id: x\nurl: https://e.com/\nheaders:\n  X-Token: \"{{ x \"\n", []string{"x.yaml", "headers.X-Token", "parse"}},
		{"bad mapper", "x.yaml", "id: x\nurl: https://e.com/\ncvars:\n  - name: a\n    mapper: \"{{ a | }}\"\n", []string{"x.yaml", "cvars[0].mapper", "parse"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			write(t, dir, map[string]string{"ok.yaml": "id: ok\nurl: https://e.com/\n", tt.file: tt.content})
			_, err := registry.LoadDir(dir, testMarket(t), nil, nil)
			if err == nil {
				t.Fatal("loaded")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

// bucket creates the webhook bucket as `hookworker run` does.
func bucket(t *testing.T) jetstream.KeyValue {
	t.Helper()
	srv := jstest.Server(t)
	_, js := jstest.Connect(t, srv)
	kv, err := js.CreateKeyValue(context.Background(), jetstream.KeyValueConfig{Bucket: "hookworker-webhooks", History: 64})
	if err != nil {
		t.Fatal(err)
	}
	return kv
}

func put(t *testing.T, kv jetstream.KeyValue, id string, v any) uint64 {
	t.Helper()
	var b []byte
	switch v := v.(type) {
	case string:
		b = []byte(v)
	default:
		var err error
		if b, err = json.Marshal(v); err != nil {
			t.Fatal(err)
		}
	}
	rev, err := kv.Put(context.Background(), id, b)
	if err != nil {
		t.Fatal(err)
	}
	return rev
}

// eventually polls cond until it holds, for at most 5s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 5s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// urlOf returns the URL Lookup gives for id, or "" on error.
func urlOf(r *registry.Registry, id string) string {
	e, err := r.Lookup(context.Background(), id, 0)
	if err != nil {
		return ""
	}
	return e.Def.URL
}

func TestWatch(t *testing.T) {
	kv := bucket(t)
	dir := t.TempDir()
	write(t, dir, map[string]string{"hook.yaml": "id: hook\nurl: https://example.com/file\n"})
	core, logs := observer.New(zapcore.InfoLevel)
	r, err := registry.LoadDir(dir, testMarket(t), zap.New(core), nil)
	if err != nil {
		t.Fatal(err)
	}
	// An entry put before Watch is there once Watch returns.
	put(t, kv, "early", webhook.Definition{ID: "early", URL: "https://example.com/early"})
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	if err := r.Watch(ctx, kv); err != nil {
		t.Fatal(err)
	}
	if got := urlOf(r, "early"); got != "https://example.com/early" {
		t.Fatalf("early: %q", got)
	}
	if got := urlOf(r, "hook"); got != "https://example.com/file" {
		t.Fatalf("before any put, hook is the file's: %q", got)
	}

	// Put: the bucket wins over the file.
	rev1 := put(t, kv, "hook", webhook.Definition{ID: "hook", URL: "https://example.com/v1"})
	eventually(t, "v1 live", func() bool { return urlOf(r, "hook") == "https://example.com/v1" })

	// Update.
	rev2 := put(t, kv, "hook", webhook.Definition{ID: "hook", URL: "https://example.com/v2"})
	eventually(t, "v2 live", func() bool { return urlOf(r, "hook") == "https://example.com/v2" })

	// Pinned revisions.
	if d := lookup(t, r, "hook", rev1); d.URL != "https://example.com/v1" {
		t.Errorf("revision %d: %s", rev1, d.URL)
	}
	if d := lookup(t, r, "hook", rev2); d.URL != "https://example.com/v2" {
		t.Errorf("revision %d: %s", rev2, d.URL)
	}

	// A template-using entry is resolved (stored as given, with uses).
	put(t, kv, "tpl", `{"id": "tpl", "uses": "ticket-lookup", "with": {"subdomain": "acme", "ticket_id": 388}}`)
	eventually(t, "tpl live", func() bool { return urlOf(r, "tpl") != "" })
	if d := lookup(t, r, "tpl", 0); d.Template != "ticket-lookup" || d.Params["ticket_id"] != int64(388) {
		t.Errorf("tpl: template %q params %v", d.Template, d.Params)
	}

	// Bad entries are refused; the previous definition stays. A marker
	// put after them shows the watcher has seen them.
	bad := []string{
		`{"id": "hook", "url": "https://example.com/bad", "retries": 3}`, // unknown field
		`{"id": "hook"}`, // no url
		`{"id": "hook", "url": "https://example.com/{{ x "}`,  // url does not parse
		`{"id": "other", "url": "https://example.com/other"}`, // id is not the key
		`{"id": "hook", "uses": "nope"}`,                      // unknown template
		`not json`,
	}
	var badRevs []uint64
	for _, b := range bad {
		badRevs = append(badRevs, put(t, kv, "hook", b))
	}
	put(t, kv, "marker", webhook.Definition{ID: "marker", URL: "https://example.com/m"})
	eventually(t, "marker live", func() bool { return urlOf(r, "marker") != "" })
	if got := urlOf(r, "hook"); got != "https://example.com/v2" {
		t.Errorf("after bad entries hook is %q, want v2 kept", got)
	}
	if n := logs.FilterMessage("webhook in the bucket refused; the previous definition stays").Len(); n != len(bad) {
		t.Errorf("%d refusals logged, want %d", n, len(bad))
	}
	// A bad revision, pinned, is an error, but not an unknown one.
	if _, err := r.Lookup(context.Background(), "hook", badRevs[0]); err == nil || errors.Is(err, registry.ErrUnknown) {
		t.Errorf("pinned bad revision: %v", err)
	}

	// Delete: back to the file; pinned revisions stay readable.
	if err := kv.Delete(context.Background(), "hook"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "fall back to the file", func() bool { return urlOf(r, "hook") == "https://example.com/file" })
	if d := lookup(t, r, "hook", rev1); d.URL != "https://example.com/v1" {
		t.Errorf("revision %d after delete: %s", rev1, d.URL)
	}
	// Deleting a bucket-only id makes it unknown.
	if err := kv.Delete(context.Background(), "early"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "early gone", func() bool { return urlOf(r, "early") == "" })
	if got := strings.Join(r.IDs(), ","); got != "hook,marker,tpl" {
		t.Errorf("IDs %s", got)
	}

	// A registry started now reads pinned revisions from the bucket's
	// history (not from what it has watched).
	fresh := registry.New(testMarket(t), nil, nil)
	if err := fresh.Watch(ctx, kv); err != nil {
		t.Fatal(err)
	}
	if d := lookup(t, fresh, "hook", rev1); d.URL != "https://example.com/v1" {
		t.Errorf("fresh registry, revision %d: %s", rev1, d.URL)
	}
	if _, err := fresh.Lookup(context.Background(), "hook", 0); !errors.Is(err, registry.ErrUnknown) {
		t.Errorf("fresh registry without the file, deleted hook: %v", err)
	}
}
