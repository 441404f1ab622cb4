package main

// Delivery tests: the real binary against a NATS server run by the test
// process (so killing the worker does not kill NATS) and a fault target.
// They check the Delivery section of the contract: a SIGKILLed worker loses
// nothing, a SIGTERMed one finishes what it holds without running anything
// twice, and a NATS restart under load loses nothing.

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookworker/hookworker/internal/fault"
	"github.com/hookworker/hookworker/internal/jstest"
	"github.com/hookworker/hookworker/trigger"
	"github.com/hookworker/hookworker/trigger/webhook"
)

// results counts the Results seen on connections.result.> by a core
// subscription, per event id.
type results struct {
	mu        sync.Mutex
	total     int
	all       map[string]int // event id -> Results
	succeeded map[string]int // event id -> succeeded Results
	bad       []string       // Results that are not succeeded, or malformed
	changed   chan struct{}
}

func subscribeResults(t *testing.T, nc *nats.Conn) *results {
	t.Helper()
	r := &results{all: map[string]int{}, succeeded: map[string]int{}, changed: make(chan struct{}, 1)}
	sub, err := nc.Subscribe(trigger.DefaultResultPrefix+".>", func(m *nats.Msg) {
		var res trigger.Result
		err := json.Unmarshal(m.Data, &res)
		r.mu.Lock()
		defer r.mu.Unlock()
		r.total++
		switch {
		case err != nil:
			r.bad = append(r.bad, fmt.Sprintf("undecodable Result %q: %v", m.Data, err))
		case m.Header.Get(trigger.HeaderMsgID) != trigger.ResultMsgID(res.EventID, 0):
			r.bad = append(r.bad, fmt.Sprintf("Result of %s has Nats-Msg-Id %q", res.EventID, m.Header.Get(trigger.HeaderMsgID)))
		case res.Status != trigger.StatusSucceeded:
			r.bad = append(r.bad, fmt.Sprintf("Result of %s: %s %+v", res.EventID, res.Status, res.Error))
		}
		if err == nil {
			r.all[res.EventID]++
			if res.Status == trigger.StatusSucceeded {
				r.succeeded[res.EventID]++
			}
		}
		select {
		case r.changed <- struct{}{}:
		default:
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	sub.SetPendingLimits(-1, -1)
	t.Cleanup(func() { _ = sub.Unsubscribe() })
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	return r
}

// distinctSucceeded is how many events have at least one succeeded Result.
func (r *results) distinctSucceeded() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.succeeded)
}

// snapshot copies the counts.
func (r *results) snapshot() (total int, all map[string]int, bad []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	all = make(map[string]int, len(r.all))
	for k, v := range r.all {
		all[k] = v
	}
	return r.total, all, append([]string(nil), r.bad...)
}

// waitSucceeded waits until at least n events have a succeeded Result.
func (r *results) waitSucceeded(t *testing.T, n int, d time.Duration) {
	t.Helper()
	deadline := time.After(d)
	for r.distinctSucceeded() < n {
		select {
		case <-r.changed:
		case <-time.After(200 * time.Millisecond):
		case <-deadline:
			t.Fatalf("only %d of %d events have a succeeded Result after %s", r.distinctSucceeded(), n, d)
		}
	}
}

// missing lists the ids without a succeeded Result.
func (r *results) missing(ids []string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, id := range ids {
		if r.succeeded[id] == 0 {
			out = append(out, id)
		}
	}
	return out
}

// dups summarises a per-key count: how many keys were seen more than once
// and how many extra times in all.
// dupCount is how many keys came more than once, how many extra copies
// came in all, and the worst keys (see dups).
type dupCount struct {
	keys, extra int
	worst       []string
}

// deliveryCount is what a delivery test tallies at its end: the Results on
// the subscription and the webhook requests per Idempotency-Key.
type deliveryCount struct {
	total     int            // Results on the subscription
	results   map[string]int // Results per event
	requests  map[string]int // webhook requests per Idempotency-Key
	res, http dupCount       // events with more than one Result; keys run more than once
}

// countDelivery tallies res and target; an unexpected Result (undecodable,
// wrong Nats-Msg-Id, not succeeded) fails the test.
func countDelivery(t *testing.T, res *results, target *fault.Server) deliveryCount {
	t.Helper()
	total, all, bad := res.snapshot()
	if len(bad) > 0 {
		t.Errorf("%d unexpected Results on the subscription: %s", len(bad), firstOf(bad, 20))
	}
	c := deliveryCount{total: total, results: all, requests: target.CountByKey()}
	c.res.keys, c.res.extra, c.res.worst = dups(all)
	c.http.keys, c.http.extra, c.http.worst = dups(c.requests)
	return c
}

func dups(m map[string]int) (keys, extra int, worst []string) {
	for k, n := range m {
		if n > 1 {
			keys++
			extra += n - 1
			worst = append(worst, fmt.Sprintf("%s×%d", k, n))
		}
	}
	sort.Strings(worst)
	if len(worst) > 20 {
		worst = append(worst[:20], "…")
	}
	return keys, extra, worst
}

// event is a ConnectionFired event whose inline webhook GETs url; reply_to
// is unset so its Result goes to connections.result.bot-1.
func event(id, url string) *trigger.Event {
	return &trigger.Event{
		ID:             id,
		BotID:          "bot-1",
		ConversationID: "conv-" + id,
		Webhook:        &webhook.Definition{URL: url},
	}
}

func eventIDs(prefix string, n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("%s-%04d", prefix, i)
	}
	return ids
}

// publish publishes ev, retrying until JetStream stores it (or reports it
// a duplicate: an earlier try got through) or d has passed. Republishing is
// safe: the event id is the JetStream dedup id.
func publish(c *trigger.Client, ev *trigger.Event, d time.Duration) (tries int, err error) {
	deadline := time.Now().Add(d)
	for {
		tries++
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_, err = c.Publish(ctx, ev)
		cancel()
		if err == nil || time.Now().After(deadline) {
			return tries, err
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// publisher publishes events at a steady pace from a goroutine.
type publisher struct {
	published atomic.Int64
	retried   atomic.Int64 // publishes that needed more than one try
	done      chan struct{}
	err       error
}

func publishSteadily(c *trigger.Client, ids []string, url string, every time.Duration) *publisher {
	p := &publisher{done: make(chan struct{})}
	go func() {
		defer close(p.done)
		tick := time.NewTicker(every)
		defer tick.Stop()
		for _, id := range ids {
			<-tick.C
			tries, err := publish(c, event(id, url), 30*time.Second)
			if err != nil {
				p.err = fmt.Errorf("publish %s: %w (%d tries)", id, err, tries)
				return
			}
			if tries > 1 {
				p.retried.Add(1)
			}
			p.published.Add(1)
		}
	}()
	return p
}

func (p *publisher) waitPublished(t *testing.T, n int64, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for p.published.Load() < n {
		select {
		case <-p.done:
			if p.err != nil {
				t.Fatal(p.err)
			}
			if p.published.Load() < n {
				t.Fatalf("publisher stopped after %d events, want %d", p.published.Load(), n)
			}
			return
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d events published after %s, want %d", p.published.Load(), d, n)
		}
	}
}

func (p *publisher) wait(t *testing.T, d time.Duration) {
	t.Helper()
	select {
	case <-p.done:
		if p.err != nil {
			t.Fatal(p.err)
		}
	case <-time.After(d):
		t.Fatalf("publisher not done after %s (%d published)", d, p.published.Load())
	}
}

// waitDrained waits until the trigger stream is empty (every event acked
// or terminated: a WorkQueue stream deletes them) and the consumer has
// nothing pending or unacknowledged, so nothing can be redelivered later.
func waitDrained(t *testing.T, js jetstream.JetStream, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	var last string
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		si, serr := js.Stream(ctx, trigger.DefaultStream)
		var ci *jetstream.ConsumerInfo
		var cerr error
		if serr == nil {
			var c jetstream.Consumer
			if c, cerr = si.Consumer(ctx, "hookworker"); cerr == nil {
				ci, cerr = c.Info(ctx)
			}
		}
		cancel()
		if serr == nil && cerr == nil {
			st := si.CachedInfo().State
			if st.Msgs == 0 && ci.NumPending == 0 && ci.NumAckPending == 0 {
				return
			}
			last = fmt.Sprintf("stream msgs %d, consumer pending %d, ack pending %d, redelivered %d",
				st.Msgs, ci.NumPending, ci.NumAckPending, ci.NumRedelivered)
		} else {
			last = fmt.Sprintf("stream: %v, consumer: %v", serr, cerr)
		}
		if time.Now().After(deadline) {
			t.Fatalf("trigger stream not drained after %s: %s", d, last)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func connect(t *testing.T, url string) (*nats.Conn, jetstream.JetStream, *trigger.Client) {
	t.Helper()
	nc, err := nats.Connect(url, nats.MaxReconnects(-1), nats.ReconnectWait(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	c, err := trigger.NewClient(nc, trigger.WithJetStream(js))
	if err != nil {
		t.Fatal(err)
	}
	return nc, js, c
}

// TestCrashLosesNothing: a worker SIGKILLed while it holds events loses
// none of them (JetStream redelivers them to the next worker after
// AckWait), and the work it repeats is bounded by what it could hold.
func TestCrashLosesNothing(t *testing.T) {
	const (
		n    = 200
		conc = 8
		// A holds at most conc events in its handlers and PullMaxMessages
		// (= conc) in its client buffer.
		held = 2 * conc
	)
	start := time.Now()
	bin := buildBinary(t)
	t.Logf("binary built in %s", time.Since(start).Round(time.Millisecond))
	srv := jstest.Server(t) // file store in the test's temporary directory
	url := srv.ClientURL()
	nc, js, client := connect(t, url)
	res := subscribeResults(t, nc)
	target := fault.NewServer(t)
	target.On("/hook", fault.Hang(300*time.Millisecond))
	env := []string{
		fmt.Sprintf("HOOKWORKER_CONCURRENCY=%d", conc),
		"HOOKWORKER_ACK_WAIT=2s",
	}

	a := startWorker(t, bin, "A", url, env...)
	ids := eventIDs("crash", n)
	for _, id := range ids {
		if _, err := publish(client, event(id, target.URL()+"/hook"), 20*time.Second); err != nil {
			t.Fatal(err)
		}
	}
	res.waitSucceeded(t, 20, 30*time.Second)
	// Results come in bursts as the pool's requests end together: kill A
	// halfway through the next requests, when its pool is full.
	time.Sleep(150 * time.Millisecond)
	a.signal(syscall.SIGKILL)
	killedAt := time.Now()
	_ = a.wait(10 * time.Second)
	doneByA := res.distinctSucceeded()
	startedByA := len(target.CountByKey())
	t.Logf("A killed after %d Results; the target had seen %d keys: %d events were running in A (%s after start)",
		doneByA, startedByA, startedByA-doneByA, time.Since(start).Round(time.Millisecond))
	if startedByA <= doneByA {
		t.Errorf("A held no in-flight webhook when it was killed (%d started, %d done): the crash tested nothing", startedByA, doneByA)
	}

	b := startWorker(t, bin, "B", url, env...)
	res.waitSucceeded(t, n, 45*time.Second)
	waitDrained(t, js, 20*time.Second)
	tookB := time.Since(killedAt)
	stopTook := b.stop(15 * time.Second)

	if m := res.missing(ids); len(m) > 0 {
		t.Errorf("%d events lost: %v", len(m), m)
	}
	c := countDelivery(t, res, target)
	t.Logf("events %d, Results %d (distinct %d), events with >1 Result %d (%d extra) %v",
		n, c.total, len(c.results), c.res.keys, c.res.extra, c.res.worst)
	t.Logf("webhook requests %d over %d keys, keys run >1 time %d (%d extra) %v",
		target.Count("/hook"), len(c.requests), c.http.keys, c.http.extra, c.http.worst)
	t.Logf("B finished the rest in %s, stopped in %s; whole test %s",
		tookB.Round(time.Millisecond), stopTook.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
	if len(c.requests) != n {
		t.Errorf("the target saw %d Idempotency-Keys, want %d", len(c.requests), n)
	}
	// Only what A held can run twice: its events in the handlers (their
	// Result may even have been published before the ack) and those
	// buffered in its client. A transport retry could add one more request
	// per held event, never a new key.
	if c.res.keys > held || c.res.extra > held {
		t.Errorf("%d events have more than one Result (%d extra), more than A could hold (%d)", c.res.keys, c.res.extra, held)
	}
	if c.http.keys > held || c.http.extra > 2*held {
		t.Errorf("%d keys ran more than once (%d extra requests), more than A could hold (%d keys, %d requests with transport retries)",
			c.http.keys, c.http.extra, held, 2*held)
	}
	if c := b.count("ack failed") + b.count("result not published"); c > 0 {
		t.Errorf("B logged %d ack/result failures", c)
	}
}

// TestSigtermFinishesInFlight: a worker stopped with SIGTERM under load
// exits 0 within its grace period having finished what it held; a second
// worker does the rest; no webhook runs twice and every event gets exactly
// one Result.
func TestSigtermFinishesInFlight(t *testing.T) {
	const (
		n    = 300
		conc = 16
	)
	start := time.Now()
	bin := buildBinary(t)
	t.Logf("binary built in %s", time.Since(start).Round(time.Millisecond))
	srv := jstest.Server(t)
	url := srv.ClientURL()
	nc, js, client := connect(t, url)
	res := subscribeResults(t, nc)
	target := fault.NewServer(t)
	target.On("/hook", fault.Hang(50*time.Millisecond))
	env := []string{
		fmt.Sprintf("HOOKWORKER_CONCURRENCY=%d", conc),
		"HOOKWORKER_SHUTDOWN_GRACE=10s",
		// Anything left unacknowledged comes back after 5s, not 30s: a
		// duplicate would show within the test.
		"HOOKWORKER_ACK_WAIT=5s",
	}

	first := startWorker(t, bin, "first", url, env...)
	ids := eventIDs("term", n)
	pub := publishSteadily(client, ids, target.URL()+"/hook", 10*time.Millisecond)
	pub.waitPublished(t, n/2, 30*time.Second)
	doneBefore := res.distinctSucceeded()
	stopTook := first.stop(10*time.Second + 5*time.Second)
	doneByFirst := res.distinctSucceeded()
	t.Logf("SIGTERM after %d events published and %d done; first worker exited 0 in %s with %d done",
		n/2, doneBefore, stopTook.Round(time.Millisecond), doneByFirst)
	if stopTook > 10*time.Second {
		t.Errorf("the first worker took %s to stop, longer than its 10s grace", stopTook)
	}
	if first.count("worker stopped") == 0 {
		t.Errorf("the first worker did not log \"worker stopped\"")
	}
	if c := first.count("grace period over"); c > 0 {
		t.Errorf("the first worker ran out of grace with 50ms webhooks")
	}

	second := startWorker(t, bin, "second", url, env...)
	secondAt := time.Now()
	pub.wait(t, 30*time.Second)
	published := time.Since(secondAt)
	res.waitSucceeded(t, n, 40*time.Second)
	allDone := time.Since(secondAt)
	waitDrained(t, js, 20*time.Second)
	t.Logf("second worker: publishing ended %s after its start, last Result %s, stream drained %s",
		published.Round(time.Millisecond), allDone.Round(time.Millisecond), time.Since(secondAt).Round(time.Millisecond))
	time.Sleep(300 * time.Millisecond) // let any stray Result arrive
	secondStop := second.stop(15 * time.Second)

	if m := res.missing(ids); len(m) > 0 {
		t.Errorf("%d events lost: %v", len(m), m)
	}
	c := countDelivery(t, res, target)
	t.Logf("events %d (publish retries %d), Results %d (distinct %d), duplicated Results %d (%d extra) %v",
		n, pub.retried.Load(), c.total, len(c.results), c.res.keys, c.res.extra, c.res.worst)
	t.Logf("webhook requests %d over %d keys, keys run >1 time %d (%d extra) %v; hand-backs logged %d",
		target.Count("/hook"), len(c.requests), c.http.keys, c.http.extra, c.http.worst, first.count("hand back"))
	t.Logf("second worker stopped in %s; whole test %s", secondStop.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
	if c.total != n || c.res.keys > 0 {
		t.Errorf("%d Results for %d events, %d events with more than one: want exactly one each", c.total, n, c.res.keys)
	}
	if len(c.requests) != n || c.http.keys > 0 {
		t.Errorf("the target saw %d keys, %d of them more than once: want each of the %d exactly once", len(c.requests), c.http.keys, n)
	}
}

// TestNatsRestartDuringLoad: the NATS server is shut down under load and
// a new one started on the same port and store; the worker reconnects and
// every event gets a succeeded Result.
//
// Results are captured by a stream here (so the worker publishes them with
// JetStream and waits for the PubAck): a Result published with core NATS
// while the worker is disconnected is buffered and flushed when it
// reconnects, or routed by the old server while it shuts down: it is lost
// if the test's subscriber is not connected at that moment (1 Result of
// 500 in 1 run of 6 without the stream), although the worker acks the
// event. The stream is what tells whether every event got its Result; the
// core subscription still counts duplicates.
func TestNatsRestartDuringLoad(t *testing.T) {
	const (
		n    = 500
		conc = 16
	)
	start := time.Now()
	bin := buildBinary(t)
	t.Logf("binary built in %s", time.Since(start).Round(time.Millisecond))
	port := freePort(t)
	store := t.TempDir()
	srv := jstest.ServerAt(t, port, store)
	url := srv.ClientURL()
	nc, js, client := connect(t, url)
	res := subscribeResults(t, nc)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{
		Name:     "RESULTS",
		Subjects: []string{trigger.DefaultResultPrefix + ".>"},
		Storage:  jetstream.FileStorage,
	}); err != nil {
		t.Fatal(err)
	}
	target := fault.NewServer(t)
	target.On("/hook", fault.Hang(20*time.Millisecond))

	w := startWorker(t, bin, "worker", url,
		fmt.Sprintf("HOOKWORKER_CONCURRENCY=%d", conc),
		// An ack lost with the server comes back after 3s, not 30s.
		"HOOKWORKER_ACK_WAIT=3s",
	)
	ids := eventIDs("restart", n)
	pub := publishSteadily(client, ids, target.URL()+"/hook", 8*time.Millisecond)
	pub.waitPublished(t, n/2, 30*time.Second)
	doneBefore := res.distinctSucceeded()
	down := time.Now()
	srv.Shutdown()
	time.Sleep(time.Second)
	jstest.ServerAt(t, port, store) // recovers the streams and consumers from store
	t.Logf("server restarted (down %s) after %d events published and %d done",
		time.Since(down).Round(time.Millisecond), n/2, doneBefore)
	w.waitLog("reconnected to NATS", 20*time.Second)
	reconnectedIn := time.Since(down)

	pub.wait(t, 40*time.Second)
	published := time.Since(down)
	waitDrained(t, js, 40*time.Second)
	t.Logf("after the shutdown: publishing ended in %s, stream drained in %s",
		published.Round(time.Millisecond), time.Since(down).Round(time.Millisecond))
	warns := 0
	for _, l := range strings.Split(w.stderr(), "\n") {
		if strings.Contains(l, "WARN") {
			if warns++; warns <= 10 {
				t.Logf("worker: %s", l)
			}
		}
	}
	time.Sleep(300 * time.Millisecond) // let any stray Result arrive
	stopTook := w.stop(15 * time.Second)

	// Every event has its Result in the stream (duplicates are absorbed
	// there by the Result's Nats-Msg-Id).
	stored, storedAt, storedBad, want := readStored(t, js, "RESULTS")
	var lost []string
	for _, id := range ids {
		if stored[id] == 0 {
			lost = append(lost, id)
		}
	}
	if len(lost) > 0 {
		t.Errorf("%d events without a stored Result: %v", len(lost), lost)
	}
	if len(storedBad) > 0 {
		t.Errorf("%d unexpected stored Results: %v", len(storedBad), storedBad)
	}

	c := countDelivery(t, res, target)
	t.Logf("events %d (publishes retried %d), stored Results %d (distinct %d); on the subscription %d Results for %d events (%d missed while disconnected), duplicated %d (%d extra) %v",
		n, pub.retried.Load(), want, len(stored), c.total, len(c.results), n-len(c.results), c.res.keys, c.res.extra, c.res.worst)
	t.Logf("webhook requests %d over %d keys, keys run >1 time %d (%d extra) %v",
		target.Count("/hook"), len(c.requests), c.http.keys, c.http.extra, c.http.worst)
	for k, times := range c.requests {
		if times > 1 {
			var at []string
			for _, r := range target.Requests("/hook") {
				if r.Header.Get("Idempotency-Key") == k {
					at = append(at, r.At.Sub(down).Round(time.Millisecond).String())
				}
			}
			t.Logf("%s: requests at %v from the shutdown; the stored Result completed at %s",
				k, at, storedAt[k].Sub(down).Round(time.Millisecond))
		}
	}
	t.Logf("worker reconnected %s after the shutdown; logged %d disconnects, %d pull failures, %d result-not-published, %d ack failures; stopped in %s; whole test %s",
		reconnectedIn.Round(time.Millisecond), w.count("disconnected from NATS"), w.count("pull failed"),
		w.count("result not published"), w.count("ack failed"), stopTook.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
	if len(c.requests) != n {
		t.Errorf("the target saw %d Idempotency-Keys, want %d", len(c.requests), n)
	}
}
