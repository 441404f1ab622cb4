package worker_test

import (
	"context"
	"encoding/json"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookworker/hookworker/internal/config"
	"github.com/hookworker/hookworker/internal/deadletter"
	"github.com/hookworker/hookworker/internal/fault"
	"github.com/hookworker/hookworker/internal/jstest"
	"github.com/hookworker/hookworker/trigger"
	"github.com/hookworker/hookworker/trigger/webhook"
	"github.com/hookworker/hookworker/worker"
)

// publishEvent publishes ev with a core subscription on its result
// subject already in place, and returns that subscription.
func publishEvent(t *testing.T, nc *nats.Conn, ev *trigger.Event) *nats.Subscription {
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
	if _, err := c.Publish(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	return sub
}

func nextResult(t *testing.T, sub *nats.Subscription, wait time.Duration) *trigger.Result {
	t.Helper()
	m, err := sub.NextMsg(wait)
	if err != nil {
		t.Fatalf("no Result within %s: %v", wait, err)
	}
	var res trigger.Result
	if err := json.Unmarshal(m.Data, &res); err != nil {
		t.Fatal(err)
	}
	return &res
}

// TestDelayedRetryHoldsNoSlot: with one worker slot, an event waiting for a
// delayed retry does not keep the next event waiting.
func TestDelayedRetryHoldsNoSlot(t *testing.T) {
	srv := jstest.Server(t)
	nc, _ := jstest.Connect(t, srv)
	ft := fault.NewServer(t)
	ft.On("/down", fault.Status(503, ""), fault.OK(`{}`))
	ft.On("/up", fault.OK(`{}`))
	startWorker(t, nc, func(c *config.Config) {
		c.Worker.Concurrency = 1
		c.Retry.QuickAttempts = 0
		c.Retry.Schedule = []time.Duration{6 * time.Second}
	}, worker.Deps{})

	slowSub := publishEvent(t, nc, &trigger.Event{ID: "slow", BotID: "slotbot", ConversationID: "c", Webhook: &webhook.Definition{URL: ft.URL() + "/down"}})
	// Wait for the first attempt, then fire the second event.
	deadline := time.Now().Add(5 * time.Second)
	for ft.Count("/down") == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	start := time.Now()
	res := fire(t, nc, &trigger.Event{ID: "fast", BotID: "other", ConversationID: "c", Webhook: &webhook.Definition{URL: ft.URL() + "/up"}})
	if took := time.Since(start); res.Status != trigger.StatusSucceeded || took > 4*time.Second {
		t.Errorf("second event: %s after %s; want succeeded well before the first event's 6s retry", res.Status, took)
	}
	slow := nextResult(t, slowSub, 15*time.Second)
	if slow.Status != trigger.StatusSucceeded || slow.Attempts != 2 {
		t.Errorf("first event: %s after %d attempts, want succeeded after 2", slow.Status, slow.Attempts)
	}
}

// TestExpiryStopsRetries: an event whose next attempt would start after
// expires_at fails with class expired, and is dead-lettered. The worker's
// clock is a fake one that stands still, so however slowly the machine
// runs the first attempt is made before expires_at and the next would be
// after it.
func TestExpiryStopsRetries(t *testing.T) {
	srv := jstest.Server(t)
	nc, _ := jstest.Connect(t, srv)
	ft := fault.NewServer(t)
	ft.On("/down", fault.Status(503, ""))
	clk := clockwork.NewFakeClockAt(time.Now())
	startWorker(t, nc, func(c *config.Config) {
		c.Retry.QuickAttempts = 0
		c.Retry.Schedule = []time.Duration{2 * time.Second}
	}, worker.Deps{Clock: clk})
	exp := clk.Now().Add(1500 * time.Millisecond)
	res := fire(t, nc, &trigger.Event{ID: "exp", BotID: "b", ConversationID: "c", ExpiresAt: &exp, Webhook: &webhook.Definition{URL: ft.URL() + "/down"}})
	if res.Status != trigger.StatusFailed || res.Error == nil || res.Error.Class != trigger.ClassExpired || res.Attempts != 1 {
		t.Fatalf("result %+v %+v; want failed, expired, after 1 attempt", res, res.Error)
	}
	if n := ft.Count("/down"); n != 1 {
		t.Errorf("target saw %d requests, want 1", n)
	}
	ls := letters(t, nc)
	if len(ls) != 1 || ls[0].Error.Class != trigger.ClassExpired {
		t.Errorf("dead letters %+v", ls)
	}
}

// TestDeadLetterPublishFailure: when the dead letter cannot be stored, the
// event is not terminated: it comes back and is dead-lettered once the
// store works again.
func TestDeadLetterPublishFailure(t *testing.T) {
	srv := jstest.Server(t)
	nc, js := jstest.Connect(t, srv)
	ft := fault.NewServer(t)
	ft.On("/gone", fault.Status(404, ""))
	// No topology watchdog: it would recreate the deleted stream (within
	// worker.topology_check and a second) and the store would work again
	// before the test looks; recreation has tests of its own.
	startWorker(t, nc, func(c *config.Config) { c.Worker.TopologyCheck = 0 }, worker.Deps{})
	ctx := context.Background()
	if err := js.DeleteStream(ctx, "CONNECTIONS_DLQ"); err != nil {
		t.Fatal(err)
	}
	sub := publishEvent(t, nc, &trigger.Event{ID: "dl", BotID: "b", ConversationID: "c", Webhook: &webhook.Definition{URL: ft.URL() + "/gone"}})
	if m, err := sub.NextMsg(2 * time.Second); err == nil {
		t.Fatalf("a Result came although the dead letter could not be stored: %s", m.Data)
	}
	cons, err := js.Consumer(ctx, "CONNECTIONS", "hookworker")
	if err != nil {
		t.Fatal(err)
	}
	info, err := cons.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if uint64(info.NumAckPending)+info.NumPending != 1 {
		t.Fatalf("the event is not waiting for another delivery: %d pending, %d ack pending", info.NumPending, info.NumAckPending)
	}
	store := deadletter.NewStore(js, config.Default())
	if err := store.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	res := nextResult(t, sub, 15*time.Second)
	if res.Status != trigger.StatusFailed || res.Error.Class != trigger.ClassHTTPStatus {
		t.Errorf("result %+v", res)
	}
	ls := letters(t, nc)
	if len(ls) != 1 || ls[0].EventID != "dl" {
		t.Errorf("dead letters %+v", ls)
	}
	assertDrained(t, js, "CONNECTIONS", "hookworker")
}

// twoDeliveries is the configuration of the backstop tests: two
// deliveries of a second each.
func twoDeliveries(c *config.Config) {
	c.Worker.MaxDeliver = 2
	c.Retry.MaxAttempts = 2
	c.Worker.AckWait = time.Second
}

// setUpOnly creates the streams and consumers as a worker with mutate's
// configuration would, without running it, and returns the trigger
// consumer.
func setUpOnly(t *testing.T, nc *nats.Conn, mutate func(*config.Config)) jetstream.Consumer {
	t.Helper()
	base := config.Default()
	mutate(&base)
	setup, err := worker.New(base, worker.Deps{Conn: nc})
	if err != nil {
		t.Fatal(err)
	}
	cons, err := setup.Setup(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return cons
}

// TestMaxDeliveriesBackstop: an event that runs out of deliveries without
// the worker finishing it (here a process that takes it and never answers,
// as a worker that crashes on it would) is dead-lettered and gets a failed
// Result, from the MAX_DELIVERIES advisory.
func TestMaxDeliveriesBackstop(t *testing.T) {
	srv := jstest.Server(t)
	nc, js := jstest.Connect(t, srv)
	cfg := twoDeliveries
	cons := setUpOnly(t, nc, cfg)
	sub := publishEvent(t, nc, &trigger.Event{ID: "poison", BotID: "pb", ConversationID: "c", Webhook: &webhook.Definition{URL: "http://127.0.0.1:1/never"}})

	// The "crashing worker": takes every delivery and never acks.
	var deliveries atomic.Int32
	cc, err := cons.Consume(func(m jetstream.Msg) { deliveries.Add(1) })
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for deliveries.Load() < 2 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(1500 * time.Millisecond) // the last delivery's AckWait runs out
	cc.Stop()
	if d := deliveries.Load(); d != 2 {
		t.Fatalf("%d deliveries, want 2 (MaxDeliver)", d)
	}

	startWorker(t, nc, cfg, worker.Deps{})
	res := nextResult(t, sub, 15*time.Second)
	if res.Status != trigger.StatusFailed || res.Error.Class != trigger.ClassTimeout || res.EventID != "poison" {
		t.Fatalf("result %+v %+v", res, res.Error)
	}
	ls := letters(t, nc)
	if len(ls) != 1 || ls[0].EventID != "poison" || ls[0].Deliveries != 2 {
		t.Fatalf("dead letters %+v", ls)
	}
	// The backstop deletes the message right after the Result.
	if n := eventuallyEmpty(t, js, "CONNECTIONS", 5*time.Second); n != 0 {
		t.Errorf("the trigger stream still holds %d messages 5 s after the Result", n)
	}
}

// TestHeartbeatsKeepLongAttempts: an attempt longer than AckWait is not
// redelivered under the worker, thanks to InProgress heartbeats.
func TestHeartbeatsKeepLongAttempts(t *testing.T) {
	srv := jstest.Server(t)
	nc, _ := jstest.Connect(t, srv)
	ft := fault.NewServer(t)
	// Hangs past two ack waits; a heartbeat every ack wait / 3 keeps it
	// (the margin, 2/3 of an ack wait, holds on a busy machine).
	ft.On("/slow", fault.Hang(5*time.Second))
	startWorker(t, nc, func(c *config.Config) {
		c.Worker.AckWait = 2 * time.Second
		c.Retry.MaxAttempts = 1
	}, worker.Deps{})
	res := fire(t, nc, &trigger.Event{ID: "long", BotID: "b", ConversationID: "c",
		Webhook: &webhook.Definition{URL: ft.URL() + "/slow", Timeout: webhook.Duration(8 * time.Second)}})
	if res.Status != trigger.StatusSucceeded || res.Attempts != 1 {
		t.Fatalf("result %+v %+v", res, res.Error)
	}
	// Without heartbeats the event would have been redelivered after 2 s
	// and the target would have seen it twice.
	time.Sleep(500 * time.Millisecond)
	if n := ft.Count("/slow"); n != 1 {
		t.Errorf("target saw %d requests for one event, want 1", n)
	}
}

// TestShutdownWhileNATSIsDown: SIGTERM (a cancelled Run) while the server
// is unreachable stops the worker within its grace period instead of
// waiting for the connection to return.
func TestShutdownWhileNATSIsDown(t *testing.T) {
	srv := jstest.Server(t)
	nc, _ := jstest.Connect(t, srv)
	cfg := config.Default()
	cfg.Worker.ShutdownGrace = time.Second
	w, err := worker.New(cfg, worker.Deps{Conn: nc})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	deadline := time.Now().Add(5 * time.Second)
	for w.Ready(context.Background()) != nil && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	srv.Shutdown()
	time.Sleep(200 * time.Millisecond)
	start := time.Now()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("stopped after %s, grace is 1s", d)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the worker did not stop within 10s while NATS was down")
	}
}
