package registry_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookworker/hookworker/internal/jstest"
	"github.com/hookworker/hookworker/internal/registry"
	"github.com/hookworker/hookworker/trigger/webhook"
)

func TestLookupUnknown(t *testing.T) {
	kv := bucket(t)
	r, err := registry.NewStatic(&webhook.Definition{ID: "static", URL: "https://example.com/"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	// No bucket watched: any pinned revision is unknown.
	if _, err := r.Lookup(ctx, "static", 1); !errors.Is(err, registry.ErrUnknown) {
		t.Errorf("revision without a bucket: %v", err)
	}
	if err := r.Watch(ctx, kv); err != nil {
		t.Fatal(err)
	}
	revA := put(t, kv, "a", webhook.Definition{ID: "a", URL: "https://example.com/a"})
	eventually(t, "a live", func() bool { return urlOf(r, "a") != "" })
	if err := kv.Delete(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "a deleted", func() bool { return urlOf(r, "a") == "" })
	revDel := revA + 1

	for _, tt := range []struct {
		name string
		id   string
		rev  uint64
	}{
		{"unknown id", "nope", 0},
		{"deleted id", "a", 0},
		{"unknown revision", "a", 9999},
		{"another id's revision", "static", revA},
		{"a delete marker's revision", "a", revDel},
		{"a revision of an id never put", "nope", revA},
	} {
		if _, err := r.Lookup(ctx, tt.id, tt.rev); !errors.Is(err, registry.ErrUnknown) {
			t.Errorf("%s: Lookup(%q, %d) = %v, want ErrUnknown", tt.name, tt.id, tt.rev, err)
		}
	}
	if d := lookup(t, r, "static", 0); d.URL != "https://example.com/" {
		t.Errorf("static: %+v", d)
	}
	if d := lookup(t, r, "a", revA); d.URL != "https://example.com/a" {
		t.Errorf("a pinned after delete: %+v", d)
	}
}

// TestWatchStops: a watch whose connection closes while it reads the
// initial values returns instead of waiting for its context. (Whether the
// close lands during the initial read or after it varies; either way Watch
// must return at once.)
func TestWatchStops(t *testing.T) {
	srv := jstest.Server(t)
	_, js := jstest.Connect(t, srv)
	kv, err := js.CreateKeyValue(context.Background(), jetstream.KeyValueConfig{Bucket: "w", History: 64})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2000 {
		if _, err := js.PublishAsync(fmt.Sprintf("$KV.w.k%d", i), []byte(`{"url": "https://example.com/"}`)); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case <-js.PublishAsyncComplete():
	case <-time.After(10 * time.Second):
		t.Fatal("puts not acknowledged")
	}
	nc2, js2 := jstest.Connect(t, srv)
	kv2, err := js2.KeyValue(context.Background(), kv.Bucket())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- registry.New(nil, nil, nil).Watch(ctx, kv2) }()
	time.Sleep(5 * time.Millisecond)
	nc2.Close()
	select {
	case err := <-done:
		t.Logf("Watch returned %v", err)
	case <-time.After(5 * time.Second):
		t.Fatal("Watch still waiting 5s after its connection closed")
	}
}

// TestCompiler: a registry with a Compiler compiles each definition once,
// when it loads it, and keeps the result with it; a definition the
// compiler refuses does not load, with the error that names its field.
func TestCompiler(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, map[string]string{
		"a.yaml": "id: a\nurl: https://example.com/a\n",
		"c.yml":  "id: c\nuses: ticket-lookup\nwith:\n  subdomain: acme\n  ticket_id: \"{{ ticket_id }}\"\n",
	})
	var compiled []string
	compile := func(d *webhook.Definition) (any, error) {
		compiled = append(compiled, d.ID)
		if strings.Contains(d.URL, "{{ x ") {
			return nil, errors.New("the compiler's own error")
		}
		return "program of " + d.URL, nil
	}
	r, err := registry.LoadDir(dir, testMarket(t), nil, compile)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		for id, want := range map[string]string{
			"a": "program of https://example.com/a",
			"c": "program of https://{{ params.subdomain }}.example.com/tickets/{{ params.ticket_id }}", // resolved first
		} {
			e, err := r.Lookup(context.Background(), id, 0)
			if err != nil || e.Compiled != want || e.Def == nil || e.Def.ID != id {
				t.Errorf("Lookup(%q) = %+v, %v; want compiled %q", id, e, err, want)
			}
		}
	}
	slices.Sort(compiled)
	if !slices.Equal(compiled, []string{"a", "c"}) {
		t.Errorf("compiled %v, want each definition once", compiled)
	}

	// Refused by the compiler: the error names the field, as without one.
	write(t, dir, map[string]string{"bad.yaml": "id: bad\nurl: \"https://example.com/{{ x \"\n"})
	_, withCompiler := registry.LoadDir(dir, testMarket(t), nil, compile)
	_, without := registry.LoadDir(dir, testMarket(t), nil, nil)
	if withCompiler == nil || without == nil || withCompiler.Error() != without.Error() || !strings.Contains(without.Error(), "bad.yaml: url:") {
		t.Errorf("with a compiler: %v\nwithout: %v", withCompiler, without)
	}

	// Without a compiler, nothing is kept.
	if e, err := registry.New(nil, nil, nil).Lookup(context.Background(), "a", 0); err == nil || e.Compiled != nil {
		t.Errorf("empty registry: %+v, %v", e, err)
	}
}

// TestCompilerBucket: a bucket entry is compiled once, when the watcher
// takes it; its pinned revision returns the same compiled form.
func TestCompilerBucket(t *testing.T) {
	kv := bucket(t)
	var n atomic.Int32
	r := registry.New(nil, nil, func(d *webhook.Definition) (any, error) {
		n.Add(1)
		return new(int), nil
	})
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	if err := r.Watch(ctx, kv); err != nil {
		t.Fatal(err)
	}
	rev := put(t, kv, "hook", webhook.Definition{ID: "hook", URL: "https://example.com/v1"})
	eventually(t, "hook live", func() bool { return urlOf(r, "hook") != "" })
	latest, err := r.Lookup(ctx, "hook", 0)
	if err != nil {
		t.Fatal(err)
	}
	pinned, err := r.Lookup(ctx, "hook", rev)
	if err != nil {
		t.Fatal(err)
	}
	if latest.Compiled == nil || latest.Compiled != pinned.Compiled || n.Load() != 1 {
		t.Errorf("latest %p, pinned %p, %d compiles; want one compiled form, compiled once", latest.Compiled, pinned.Compiled, n.Load())
	}
}
