package chaos

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookworker/hookworker/trigger"
)

// readyWatch polls the workers' /readyz until stopped and keeps the
// first not-ready answer of each.
type readyWatch struct {
	mu     sync.Mutex
	first  map[string]string // worker -> first 503 body
	stop   chan struct{}
	done   chan struct{}
	closed sync.Once
}

func watchReady(t *testing.T, ws ...*worker) *readyWatch {
	t.Helper()
	rw := &readyWatch{first: map[string]string{}, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(rw.done)
		for {
			for _, w := range ws {
				if code, body := w.ready(); code == http.StatusServiceUnavailable {
					rw.mu.Lock()
					if _, ok := rw.first[w.name]; !ok {
						rw.first[w.name] = body
					}
					rw.mu.Unlock()
				}
			}
			select {
			case <-rw.stop:
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	}()
	t.Cleanup(rw.end)
	return rw
}

func (rw *readyWatch) end() {
	rw.closed.Do(func() { close(rw.stop) })
	<-rw.done
}

// notReady is the first 503 body each worker gave, by worker.
func (rw *readyWatch) notReady() map[string]string {
	rw.end()
	rw.mu.Lock()
	defer rw.mu.Unlock()
	return rw.first
}

// summary is the first not-ready reason seen, shortened for the table,
// and how many workers gave one.
func (rw *readyWatch) summary() string {
	nr := rw.notReady()
	var some string
	for _, body := range nr {
		if some == "" || body < some {
			some = body
		}
	}
	if len(some) > 110 {
		some = some[:110] + "…"
	}
	return fmt.Sprintf("%d workers said `%s`", len(nr), some)
}

// waitFor polls f every 100ms until it is true; it returns when, or fails
// the test after d.
func waitFor(t *testing.T, what string, d time.Duration, f func(ctx context.Context) bool) time.Time {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		ok := f(ctx)
		cancel()
		if ok {
			return time.Now()
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not after %s", what, d)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// recreatedTotal sums hookworker_topology_recreated_total over workers.
func recreatedTotal(ws []*worker) float64 {
	sum := 0.0
	for _, w := range ws {
		sum += max(0, w.metric("hookworker_topology_recreated_total"))
	}
	return sum
}

// TestChaosDeleteConsumer: the shared consumer is deleted under load.
// The workers' watchdog recreates it; the events it had not delivered
// are still in the stream, those it had are delivered again.
func TestChaosDeleteConsumer(t *testing.T) {
	t.Parallel()
	nd := startNATS(t, natsOptions{})
	g := newRig(t, nd.url(), 1, 20*time.Millisecond)
	g.worker("w1")
	g.worker("w2")
	n := scale(1200)
	pub := publish(t, g.c, okEvents("delcons", n, g.tg.url()), 150)
	pub.waitCount(t, n/3, 60*time.Second)
	rw := watchReady(t, g.ws...)
	del := time.Now()
	g.zero = del
	if err := retry(10*time.Second, func(ctx context.Context) error {
		return g.c.js.DeleteConsumer(ctx, trigger.DefaultStream, "hookworker")
	}); err != nil {
		t.Fatalf("delete consumer: %v", err)
	}
	back := waitFor(t, "consumer hookworker recreated", 40*time.Second, func(ctx context.Context) bool {
		_, err := g.c.js.Consumer(ctx, trigger.DefaultStream, "hookworker")
		return err == nil
	})
	time.Sleep(time.Second)
	g.r.bound = g.tg.onWireDuring("", del, back.Add(time.Second), 300*time.Millisecond)
	tl, ids := g.finish(pub, expect{}, 60*time.Second)
	g.r.heal = max(back.Sub(del), tl.healedBy(ids, del))
	g.checkDups()
	if got := recreatedTotal(g.ws); got < 1 {
		t.Errorf("hookworker_topology_recreated_total sums to %v over the workers, want at least 1", got)
	}
	g.r.note = fmt.Sprintf("2 workers, 150 events/s; consumer deleted, recreated after %s; /readyz meanwhile: %s",
		back.Sub(del).Round(100*time.Millisecond), rw.summary())
}

// TestChaosDeleteStream: the trigger and dead-letter streams are deleted
// while the workers run (the engine pauses meanwhile: what a deleted
// stream held is gone with it, by the operator's hand). The watchdog
// recreates both with their consumers; the events published after it
// succeed, and poison ones are dead-lettered in the recreated stream.
func TestChaosDeleteStream(t *testing.T) {
	t.Parallel()
	nd := startNATS(t, natsOptions{})
	g := newRig(t, nd.url(), 1, 20*time.Millisecond)
	g.worker("w1")
	g.worker("w2")
	n := scale(900)
	msgs := okEvents("delstream", n, g.tg.url())
	want := map[string]string{}
	// Poison ones only well after the pause: a letter stored before the
	// deletion would go with the dead-letter stream.
	for i := n/2 + 10; i < n; i += 50 {
		id := fmt.Sprintf("delstream-bad-%05d", i)
		msgs[i] = eventWith(id, bot, renderFailing(g.tg.url()))
		want[id] = string(trigger.ClassRender)
	}
	pub := publish(t, g.c, msgs, 150)
	pub.waitCount(t, n/2-1, 60*time.Second)
	pub.paused.Store(true)
	time.Sleep(200 * time.Millisecond)
	settle(t, g.c, pub.count(), 30*time.Second)
	rw := watchReady(t, g.ws...)
	del := time.Now()
	g.zero = del
	for _, s := range []string{trigger.DefaultStream, trigger.DefaultDLQStream} {
		if err := retry(10*time.Second, func(ctx context.Context) error { return g.c.js.DeleteStream(ctx, s) }); err != nil {
			t.Fatalf("delete stream %s: %v", s, err)
		}
	}
	pub.paused.Store(false)
	back := waitFor(t, "streams and consumer recreated", 40*time.Second, func(ctx context.Context) bool {
		_, err := g.c.js.Consumer(ctx, trigger.DefaultStream, "hookworker")
		_, derr := g.c.js.Stream(ctx, trigger.DefaultDLQStream)
		return err == nil && derr == nil
	})
	tl, ids := g.finish(pub, expect{failClass: want}, 60*time.Second)
	g.r.heal = tl.firstAfter(ids, del)
	g.checkDups()
	g.r.note = fmt.Sprintf("2 workers, 150 events/s; %s and %s deleted with the engine paused, recreated after %s; /readyz meanwhile: %s; heal = deletion to the first Result of an event published after",
		trigger.DefaultStream, trigger.DefaultDLQStream, back.Sub(del).Round(100*time.Millisecond), rw.summary())
}

// TestChaosStorageFull: the server's JetStream store (max_file_store
// 64MB) is filled by another stream under load; the workers cannot store
// Results or dead letters. /readyz says so; once the space is freed they
// resume by themselves.
func TestChaosStorageFull(t *testing.T) {
	t.Parallel()
	nd := startNATS(t, natsOptions{maxFileStore: "64MB"})
	g := newRig(t, nd.url(), 1, 20*time.Millisecond)
	g.worker("w1")
	g.worker("w2")
	n := scale(900)
	pub := publish(t, g.c, okEvents("full", n, g.tg.url()), 100)
	pub.waitCount(t, n/3, 60*time.Second)
	rw := watchReady(t, g.ws...)
	full := time.Now()
	g.zero = full
	fill(t, g.c)
	time.Sleep(6 * time.Second)
	if err := retry(10*time.Second, func(ctx context.Context) error { return g.c.js.DeleteStream(ctx, "FILLER") }); err != nil {
		t.Fatalf("delete stream FILLER: %v", err)
	}
	freed := time.Now()
	time.Sleep(time.Second)
	g.r.bound = g.tg.onWireDuring("", full, freed.Add(time.Second), 300*time.Millisecond)
	tl, ids := g.finish(pub, expect{}, 60*time.Second)
	g.r.heal = tl.healedBy(ids, freed)
	g.checkDups()
	// A worker knows the store is full when one of its writes fails:
	// at least one of the two wrote meanwhile.
	if nr := rw.notReady(); len(nr) == 0 {
		t.Errorf("no worker's /readyz said not ready while the store was full")
	}
	g.r.note = fmt.Sprintf("2 workers, 100 events/s; store full for 6s (a FILLER stream up to max_file_store); /readyz meanwhile: %s; heal from freeing", rw.summary())
}

// fill publishes 256 KB messages to a FILLER stream until the server
// refuses them for want of storage.
func fill(t *testing.T, c *client) {
	t.Helper()
	if err := retry(10*time.Second, func(ctx context.Context) error {
		_, err := c.js.CreateStream(ctx, jetstream.StreamConfig{Name: "FILLER", Subjects: []string{"filler.>"}, Storage: jetstream.FileStorage})
		return err
	}); err != nil {
		t.Fatalf("create FILLER: %v", err)
	}
	chunk := make([]byte, 256<<10)
	for i := 0; i < 1024; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		_, err := c.js.Publish(ctx, "filler.x", chunk)
		cancel()
		var apiErr *jetstream.APIError
		switch {
		case err == nil:
		case errors.As(err, &apiErr) && (strings.Contains(apiErr.Description, "resource") || strings.Contains(apiErr.Description, "storage")):
			t.Logf("store full after %d MB of FILLER: %v", i/4, err)
			return
		default:
			t.Logf("FILLER publish %d: %v", i, err)
			return
		}
	}
	t.Fatalf("256 MB stored in FILLER: max_file_store did not bind")
}
