package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookworker/hookworker/internal/config"
	"github.com/hookworker/hookworker/internal/deadletter"
	"github.com/hookworker/hookworker/internal/jstest"
	"github.com/hookworker/hookworker/internal/natsd"
	"github.com/hookworker/hookworker/internal/registry"
	"github.com/hookworker/hookworker/internal/streams"
	"github.com/hookworker/hookworker/internal/workertest"
	"github.com/hookworker/hookworker/trigger"
	"github.com/hookworker/hookworker/worker"
	"github.com/nats-io/nats.go/jetstream"
)

// countingTransport records the path of every request one worker sends.
type countingTransport struct {
	mu    sync.Mutex
	paths []string
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.mu.Lock()
	c.paths = append(c.paths, r.URL.Path)
	c.mu.Unlock()
	return http.DefaultTransport.RoundTrip(r)
}

// since returns the paths requested from the n-th on.
func (c *countingTransport) since(n int) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.paths[min(n, len(c.paths)):]...)
}

func (c *countingTransport) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.paths)
}

// liveWorker is one in-process worker with its own connection, registry
// and HTTP client, as a separate `hookworker run` process would have.
type liveWorker struct {
	reg *registry.Registry
	rt  *countingTransport
}

func startLiveWorker(t *testing.T, srv *natsd.Server, bucket string) *liveWorker {
	t.Helper()
	nc, _ := jstest.Connect(t, srv)
	// The bucket watch ends with the test.
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	reg := registry.New(nil, nil, nil)
	if err := watchBucket(ctx, nc, testBucket(bucket), reg); err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.Worker.Concurrency = 1
	cfg.Worker.ShutdownGrace = 5 * time.Second
	cfg.Worker.StreamRefresh = 200 * time.Millisecond
	cfg.Retry.MaxAttempts = 1
	lw := &liveWorker{reg: reg, rt: &countingTransport{}}
	workertest.Run(t, nc, cfg, worker.Deps{Registry: reg, HTTP: &http.Client{Transport: lw.rt}})
	return lw
}

// path returns the URL path the worker's registry has for id, or "".
func (lw *liveWorker) path(id string) string {
	e, err := lw.reg.Lookup(context.Background(), id, 0)
	if err != nil {
		return ""
	}
	return e.Def.URL[strings.LastIndex(e.Def.URL, "/"):]
}

// TestRegistryLiveUpdate: two worker processes (in-process here, each with
// its own connection, registry and HTTP client) watch the same webhook
// bucket. A definition put with `hookworker webhook put` is live in both
// without a restart, an update reaches both, a pinned revision keeps the
// old definition, and an event for a webhook not yet defined fails with
// unknown_webhook, is dead-lettered, and succeeds when replayed once the
// definition is put.
func TestRegistryLiveUpdate(t *testing.T) {
	srv := jstest.Server(t)
	nc, js := jstest.Connect(t, srv)
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(20 * time.Millisecond) // so both workers take some events
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"v": %q}`, r.URL.Path)
	}))
	t.Cleanup(target.Close)

	const bucket = "hookworker-webhooks"
	dir := t.TempDir()
	env := map[string]string{
		"HOOKWORKER_NATS_URL":        srv.ClientURL(),
		"HOOKWORKER_WEBHOOKS_DIR":    filepath.Join(dir, "webhooks"),
		"HOOKWORKER_TEMPLATES_DIR":   filepath.Join(dir, "templates"),
		"HOOKWORKER_WEBHOOKS_BUCKET": bucket,
	}
	// put runs `hookworker webhook put` and returns the revision.
	put := func(id, path string) uint64 {
		t.Helper()
		file := filepath.Join(dir, id+"-"+strings.Trim(path, "/")+".yaml")
		def := fmt.Sprintf("id: %s\nurl: %s%s\ncvars:\n  - name: v\n    mapper: \"{{ v }}\"\n", id, target.URL, path)
		if err := os.WriteFile(file, []byte(def), 0o644); err != nil {
			t.Fatal(err)
		}
		code, out, errOut := runCLI(t, context.Background(), env, "webhook", "put", file)
		if code != 0 {
			t.Fatalf("webhook put: exit %d: %s", code, errOut)
		}
		var gotID string
		var rev uint64
		if _, err := fmt.Sscanf(out, "%s revision %d", &gotID, &rev); err != nil || gotID != id {
			t.Fatalf("webhook put printed %q", out)
		}
		return rev
	}
	// The bucket exists before the workers watch it, as run creates it.
	if _, err := webhookBucket(context.Background(), nc, testBucket(bucket)); err != nil {
		t.Fatal(err)
	}
	workers := []*liveWorker{startLiveWorker(t, srv, bucket), startLiveWorker(t, srv, bucket)}
	results := workertest.CollectResults(t, nc, "connections.result.>")
	client, err := trigger.NewClient(nc)
	if err != nil {
		t.Fatal(err)
	}
	seq := 0
	publish := func(prefix, id string, rev uint64, n int) []string {
		t.Helper()
		var ids []string
		for range n {
			seq++
			ev := &trigger.Event{ID: prefix + "-" + strconv.Itoa(seq), BotID: "live-bot", ConversationID: "c",
				WebhookRef: &trigger.WebhookRef{ID: id, Revision: rev}}
			if _, err := client.Publish(context.Background(), ev); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, ev.ID)
		}
		return ids
	}
	live := func(what, id, path string) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for workers[0].path(id) != path || workers[1].path(id) != path {
			if time.Now().After(deadline) {
				t.Fatalf("%s: %s is %q and %q, want %q in both", what, id, workers[0].path(id), workers[1].path(id), path)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	// runUntilBoth publishes batches of 10 events until each worker has
	// sent at least one request; every Result must have mapped want.
	runUntilBoth := func(prefix string, rev uint64, want string) {
		t.Helper()
		mark := []int{workers[0].rt.count(), workers[1].rt.count()}
		for batch := 0; ; batch++ {
			ids := publish(prefix, "live", rev, 10)
			for id, res := range results.WaitNth(t, 1, 15*time.Second, ids...) {
				if res.Status != trigger.StatusSucceeded || res.CVars["v"] != want {
					t.Fatalf("%s: %s: status %s, cvars %v, error %+v; want %s", prefix, id, res.Status, res.CVars, res.Error, want)
				}
			}
			a, b := workers[0].rt.since(mark[0]), workers[1].rt.since(mark[1])
			for _, p := range append(a, b...) {
				if p != want {
					t.Fatalf("%s: a request went to %s, want %s", prefix, p, want)
				}
			}
			if len(a) > 0 && len(b) > 0 {
				t.Logf("%s: %d and %d requests", prefix, len(a), len(b))
				return
			}
			if batch == 9 {
				t.Fatalf("%s: after 100 events one worker took none (%d, %d)", prefix, len(a), len(b))
			}
		}
	}

	// v1, put while both run: live in both without a restart.
	rev1 := put("live", "/v1")
	live("after put v1", "live", "/v1")
	runUntilBoth("v1", 0, "/v1")

	// v2 replaces it in both.
	rev2 := put("live", "/v2")
	if rev2 <= rev1 {
		t.Fatalf("revisions %d then %d", rev1, rev2)
	}
	live("after put v2", "live", "/v2")
	runUntilBoth("v2", 0, "/v2")

	// A ref pinned to the first revision still gets v1.
	ids := publish("pinned", "live", rev1, 4)
	for id, res := range results.WaitNth(t, 1, 15*time.Second, ids...) {
		if res.Status != trigger.StatusSucceeded || res.CVars["v"] != "/v1" {
			t.Errorf("pinned %s: status %s, cvars %v, error %+v", id, res.Status, res.CVars, res.Error)
		}
	}

	// A webhook no one defined yet: failed, unknown_webhook, dead-lettered.
	ids = publish("unknown", "later", 0, 1)
	unknown := ids[0]
	res := results.WaitNth(t, 1, 15*time.Second, unknown)[unknown]
	if res.Status != trigger.StatusFailed || res.Error == nil || res.Error.Class != trigger.ClassUnknownWebhook {
		t.Fatalf("unknown webhook: %+v", res)
	}
	store := deadletter.NewStore(js, config.Default())
	deadline := time.Now().Add(5 * time.Second)
	for {
		ls, err := store.List(context.Background(), deadletter.Filter{EventID: unknown})
		if err != nil {
			t.Fatal(err)
		}
		if len(ls) == 1 && ls[0].Error.Class == trigger.ClassUnknownWebhook {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("dead letters for %s: %+v", unknown, ls)
		}
		time.Sleep(20 * time.Millisecond)
	}

	// Define it, then replay the dead letter: it succeeds.
	put("later", "/later")
	live("after put later", "later", "/later")
	code, out, errOut := runCLI(t, context.Background(), env, "replay", "--id", unknown, "--rate", "0")
	if code != 0 {
		t.Fatalf("replay: exit %d: %s%s", code, out, errOut)
	}
	res = results.WaitNth(t, 2, 15*time.Second, unknown)[unknown]
	if res.Status != trigger.StatusSucceeded || !res.Replayed || res.CVars["v"] != "/later" {
		t.Errorf("replayed: %+v", res)
	}
	if ls, err := store.List(context.Background(), deadletter.Filter{EventID: unknown}); err != nil || len(ls) != 0 {
		t.Errorf("dead letters after the replay: %d, %v", len(ls), err)
	}
}

// testBucket is the webhook bucket's configuration under another name.
func testBucket(name string) jetstream.KeyValueConfig {
	cfg := config.Default()
	cfg.Webhooks.Bucket = name
	return streams.NewTopology(cfg).Webhooks()
}
