package main

// Delivery tests: the real binary against a NATS server run by the test
// process (so killing the worker does not kill NATS) and a fault target.
// They check the Delivery section of the contract: a SIGKILLed worker loses
// nothing, a SIGTERMed one finishes what it holds without running anything
// twice, and a NATS restart under load loses nothing.

import (
	"context"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookworker/hookworker/internal/fault"
	"github.com/hookworker/hookworker/internal/jstest"
	"github.com/hookworker/hookworker/trigger"
)

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
