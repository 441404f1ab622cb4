package worker_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/nats-io/nats.go"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/hookworker/hookworker/internal/config"
	"github.com/hookworker/hookworker/internal/fault"
	"github.com/hookworker/hookworker/internal/jstest"
	"github.com/hookworker/hookworker/internal/metrics"
	"github.com/hookworker/hookworker/internal/workertest"
	"github.com/hookworker/hookworker/trigger"
	"github.com/hookworker/hookworker/trigger/webhook"
	"github.com/hookworker/hookworker/worker"
)

// faultCounts is the Prometheus metrics with the self-healing series
// also counted where a test can read them.
type faultCounts struct {
	*metrics.Metrics
	stale, recreated, writeRetries, gaveUp, pullStalls atomic.Int32
}

func newFaultCounts() *faultCounts { return &faultCounts{Metrics: metrics.New(metrics.Options{})} }

func (f *faultCounts) StaleDelivery() { f.stale.Add(1); f.Metrics.StaleDelivery() }
func (f *faultCounts) TopologyRecreated(kind, name string) {
	f.recreated.Add(1)
	f.Metrics.TopologyRecreated(kind, name)
}
func (f *faultCounts) WriteRetried(fault string) {
	f.writeRetries.Add(1)
	f.Metrics.WriteRetried(fault)
}
func (f *faultCounts) BackstopGaveUp() { f.gaveUp.Add(1); f.Metrics.BackstopGaveUp() }
func (f *faultCounts) PullStalled()    { f.pullStalls.Add(1); f.Metrics.PullStalled() }

// waitFor polls cond every 10 ms for up to d.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, d)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestStaleDeliveryNotRun: a worker that stood still longer than ack_wait
// in the middle of a delivery (here its clock jumps, as a frozen and
// resumed process sees it) does not make the quick retry it was waiting
// for: it may no longer hold the delivery. It leaves the message alone
// (no Nak, no InProgress, which would act on another process's
// delivery); JetStream redelivers it at its deadline, and that delivery
// runs.
func TestStaleDeliveryNotRun(t *testing.T) {
	srv := jstest.Server(t)
	nc, _ := jstest.Connect(t, srv)
	ft := fault.NewServer(t)
	ft.On("/flaky", fault.Status(500, "boom"), fault.OK(`{"ok": true}`))
	clk := clockwork.NewFakeClockAt(time.Now())
	m := newFaultCounts()
	startWorker(t, nc, func(c *config.Config) {
		c.Retry.QuickAttempts = 3
		c.Retry.QuickInitial = 400 * time.Millisecond
		c.Retry.QuickMaxWait = time.Second
		c.Worker.AckWait = 4 * time.Second // the server's, on real time
	}, worker.Deps{Clock: clk, Metrics: m})

	ev := &trigger.Event{ID: "frozen", BotID: "b", ConversationID: "c",
		Webhook: &webhook.Definition{URL: ft.URL() + "/flaky"}}
	sub := publishEvent(t, nc, ev)
	waitFor(t, 5*time.Second, "first attempt", func() bool { return ft.Count("/flaky") == 1 })
	time.Sleep(50 * time.Millisecond) // the worker is in its quick-retry wait
	clk.Advance(5 * time.Second)      // frozen past ack_wait, then resumed
	waitFor(t, 3*time.Second, "stale delivery counted", func() bool { return m.stale.Load() == 1 })
	if n := ft.Count("/flaky"); n != 1 {
		t.Fatalf("the target saw %d requests after the freeze, want 1: the stale delivery's retry ran", n)
	}
	// Time goes on past the pause (in small steps: no new pause); the
	// server redelivers at the deadline of the first delivery.
	for range 40 {
		clk.Advance(100 * time.Millisecond)
		time.Sleep(5 * time.Millisecond)
	}
	res := nextResult(t, sub, 10*time.Second)
	if res.Status != trigger.StatusSucceeded {
		t.Fatalf("result %s (%+v), want succeeded on the redelivery", res.Status, res.Error)
	}
	if n := ft.Count("/flaky"); n != 2 {
		t.Errorf("the target saw %d requests, want 2 (one per delivery)", n)
	}
}

// TestShutdownLetsRequestsOnTheWireFinish: SIGTERM (a cancelled Run) with
// a grace period shorter than a request already sent: the request is not
// abandoned (another process would send it again); it finishes, its
// Result is published and the event acked, and Run returns then.
func TestShutdownLetsRequestsOnTheWireFinish(t *testing.T) {
	srv := jstest.Server(t)
	nc, js := jstest.Connect(t, srv)
	ft := fault.NewServer(t)
	ft.On("/slow", fault.Hang(2500*time.Millisecond), fault.OK(`{"ok": true}`))
	cfg := config.Default()
	cfg.Worker.Concurrency = 4
	cfg.Worker.ShutdownGrace = 500 * time.Millisecond
	cfg.Worker.StreamRefresh = 200 * time.Millisecond
	cfg.HTTP.Allow = loopback
	_, stop := workertest.Run(t, nc, cfg, worker.Deps{})

	ev := &trigger.Event{ID: "on-the-wire", BotID: "b", ConversationID: "c",
		Webhook: &webhook.Definition{URL: ft.URL() + "/slow", Timeout: webhook.Duration(5 * time.Second)}}
	sub := publishEvent(t, nc, ev)
	waitFor(t, 5*time.Second, "request sent", func() bool { return ft.Count("/slow") == 1 })
	start := time.Now()
	stop()
	took := time.Since(start)
	if took < 2*time.Second {
		t.Errorf("Run returned after %s, before the 2.5 s request could finish", took)
	}
	res := nextResult(t, sub, 2*time.Second)
	if res.Status != trigger.StatusSucceeded || res.Attempts != 1 {
		t.Fatalf("result %s after %d attempts (%+v), want succeeded after 1", res.Status, res.Attempts, res.Error)
	}
	if n := ft.Count("/slow"); n != 1 {
		t.Errorf("the target saw %d requests, want 1", n)
	}
	assertDrained(t, js, "CONNECTIONS", "hookworker")
}

// TestTopologyRecreated: the consumer, then the trigger stream (and with
// it every consumer on it), then the attempt bucket and the advisory
// stream are deleted under a running worker: each is recreated within
// seconds, with the settings it last had (an operator's change to the
// stream included), /readyz says what is missing meanwhile, and events run
// again without a restart.
func TestTopologyRecreated(t *testing.T) {
	srv := jstest.Server(t)
	nc, js := jstest.Connect(t, srv)
	tg := newTarget(t, func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, `{"ok": true}`) })
	m := newFaultCounts()
	core, logs := observer.New(zapcore.WarnLevel)
	w := startWorker(t, nc, func(c *config.Config) {
		c.Worker.TopologyCheck = 300 * time.Millisecond
		c.Ordering.Partitions = 2
	}, worker.Deps{Metrics: m, Logger: zap.New(core)})
	ctx := context.Background()
	n := 0
	fireOK := func(why string) {
		t.Helper()
		n++
		ev := &trigger.Event{ID: fmt.Sprintf("topo-%d", n), BotID: "b", ConversationID: "c", Webhook: &webhook.Definition{URL: tg.URL}}
		sub := publishEventWithin(t, nc, ev, 15*time.Second)
		if res := nextResult(t, sub, 15*time.Second); res.Status != trigger.StatusSucceeded {
			t.Fatalf("%s: result %s %+v", why, res.Status, res.Error)
		}
	}
	notReady := func(want string) {
		t.Helper()
		var last error
		waitFor(t, 3*time.Second, "readiness naming "+want, func() bool {
			last = w.Ready(ctx)
			return last != nil && strings.Contains(last.Error(), want)
		})
	}
	fireOK("before any fault")

	// An operator's change, which the recreated stream must keep.
	s, err := js.Stream(ctx, "CONNECTIONS")
	if err != nil {
		t.Fatal(err)
	}
	sc := s.CachedInfo().Config
	sc.MaxMsgs = 123_456
	if _, err := js.UpdateStream(ctx, sc); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second) // seen by a check

	for _, tt := range []struct {
		name    string
		del     func() error
		missing string
		kinds   []string // recreated, in the log
	}{
		{"consumer", func() error { return js.DeleteConsumer(ctx, "CONNECTIONS", "hookworker") }, "hookworker on CONNECTIONS", []string{"consumer"}},
		{"trigger stream", func() error { return js.DeleteStream(ctx, "CONNECTIONS") }, "stream CONNECTIONS", []string{"stream", "consumer"}},
		{"attempt bucket", func() error { return js.DeleteKeyValue(ctx, "hookworker-attempts") }, "bucket hookworker-attempts", []string{"bucket"}},
		{"advisory stream", func() error { return js.DeleteStream(ctx, "CONNECTIONS_ADVISORIES") }, "CONNECTIONS_ADVISORIES", []string{"stream"}},
	} {
		before := m.recreated.Load()
		logs.TakeAll()
		if err := tt.del(); err != nil {
			t.Fatalf("delete %s: %v", tt.name, err)
		}
		start := time.Now()
		notReady(tt.missing)
		waitFor(t, 10*time.Second, tt.name+" recreated", func() bool { return m.recreated.Load() > before && w.Ready(ctx) == nil })
		t.Logf("%s deleted: recreated and ready again in %s (%d objects)", tt.name, time.Since(start).Round(time.Millisecond), m.recreated.Load()-before)
		for _, k := range tt.kinds {
			if logs.FilterMessage("missing from the server: recreated").FilterField(zap.String("kind", k)).Len() == 0 {
				t.Errorf("%s: no warning that a %s was recreated", tt.name, k)
			}
		}
		fireOK("after deleting the " + tt.name)
	}
	s, err = js.Stream(ctx, "CONNECTIONS")
	if err != nil {
		t.Fatal(err)
	}
	if got := s.CachedInfo().Config.MaxMsgs; got != 123_456 {
		t.Errorf("recreated stream has max_msgs %d, want the operator's 123456", got)
	}
	for _, name := range []string{"hookworker", "hookworker-ordered-0", "hookworker-ordered-1"} {
		if _, err := js.Consumer(ctx, "CONNECTIONS", name); err != nil {
			t.Errorf("consumer %s after the stream was recreated: %v", name, err)
		}
	}
	if _, err := js.Consumer(ctx, "CONNECTIONS_ADVISORIES", "hookworker-backstop"); err != nil {
		t.Errorf("backstop consumer: %v", err)
	}
}

// publishEventWithin is publishEvent, trying again for up to d while no
// stream takes the event (the trigger stream not yet recreated).
func publishEventWithin(t *testing.T, nc *nats.Conn, ev *trigger.Event, d time.Duration) *nats.Subscription {
	t.Helper()
	sub, err := nc.SubscribeSync(trigger.ResultSubject(ev, ""))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sub.Unsubscribe() })
	c, err := trigger.NewClient(nc)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(d)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_, err := c.Publish(ctx, ev)
		cancel()
		if err == nil {
			return sub
		}
		if time.Now().After(deadline) {
			t.Fatalf("publish %s: %v", ev.ID, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestPullWatchdogEndsAStall: the server holds no pull request of the
// worker while events wait (here the consumer refuses the worker's pulls
// for a while: max_request_batch below the pull batch, so each pull is
// answered with an error and nats.go waits for its heartbeat check, which
// with pull_expiry 60s is a minute away). The pull watchdog sees it within
// seconds, pulls again, and once the server takes pulls again the events
// run, well before pull_expiry.
func TestPullWatchdogEndsAStall(t *testing.T) {
	srv := jstest.Server(t)
	nc, js := jstest.Connect(t, srv)
	tg := newTarget(t, func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, `{"ok": true}`) })
	m := newFaultCounts()
	core, logs := observer.New(zapcore.WarnLevel)
	startWorker(t, nc, func(c *config.Config) {
		c.Worker.PullExpiry = time.Minute
		c.Ordering.Partitions = 0
	}, worker.Deps{Metrics: m, Logger: zap.New(core)})
	ctx := context.Background()
	setBatch := func(n int) {
		t.Helper()
		c, err := js.Consumer(ctx, "CONNECTIONS", "hookworker")
		if err != nil {
			t.Fatal(err)
		}
		cc := c.CachedInfo().Config
		cc.MaxRequestBatch = n
		if _, err := js.UpdateConsumer(ctx, "CONNECTIONS", cc); err != nil {
			t.Fatal(err)
		}
	}
	setBatch(1) // the worker pulls 16 at a time (twice its concurrency)
	// The pull outstanding from before takes the first 16; the pulls
	// after it are refused.
	var subs []*nats.Subscription
	for i := range 20 {
		subs = append(subs, publishEvent(t, nc, &trigger.Event{ID: fmt.Sprintf("stall-%d", i), BotID: "b", ConversationID: "c", Webhook: &webhook.Definition{URL: tg.URL}}))
	}
	waitFor(t, 10*time.Second, "pull stall seen", func() bool { return m.pullStalls.Load() > 0 })
	if logs.FilterMessageSnippet("pull stalled").Len() == 0 {
		t.Errorf("no warning about the stalled pull")
	}
	setBatch(0)
	start := time.Now()
	for _, s := range subs {
		if res := nextResult(t, s, 15*time.Second); res.Status != trigger.StatusSucceeded {
			t.Errorf("result %s %+v", res.Status, res.Error)
		}
	}
	t.Logf("stalls ended %d times; events ran %s after the server took pulls again (pull_expiry 1m)", m.pullStalls.Load(), time.Since(start).Round(time.Millisecond))
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("events ran %s after the stall's cause ended, want within seconds", d)
	}
}
