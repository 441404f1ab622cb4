package worker_test

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/hookworker/hookworker/internal/config"
	"github.com/hookworker/hookworker/internal/fault"
	"github.com/hookworker/hookworker/internal/jstest"
	"github.com/hookworker/hookworker/trigger"
	"github.com/hookworker/hookworker/trigger/webhook"
	"github.com/hookworker/hookworker/worker"
)

// TestDelayedRetryHoldsNoAckPending: with an ack-pending budget of two,
// two events waiting for a delayed retry leave the budget free: a third
// event is delivered and succeeds long before their retries are due, and
// they succeed when they are. (TestDelayedRetryHoldsNoSlot shows only
// that the worker's goroutine is free: a NakWithDelay frees it but holds
// the budget.)
func TestDelayedRetryHoldsNoAckPending(t *testing.T) {
	srv := jstest.Server(t)
	nc, js := jstest.Connect(t, srv)
	ft := fault.NewServer(t)
	ft.On("/down", fault.Status(503, ""), fault.Status(503, ""), fault.OK(`{}`))
	ft.On("/up", fault.OK(`{}`))
	startWorker(t, nc, func(c *config.Config) {
		c.Worker.Concurrency, c.Worker.MaxAckPending = 2, 2
		c.Retry.QuickAttempts = 0
		c.Retry.Schedule = []time.Duration{4 * time.Second}
	}, worker.Deps{})

	a := publishEvent(t, nc, &trigger.Event{ID: "wait-a", BotID: "slotbot", ConversationID: "c", Webhook: &webhook.Definition{URL: ft.URL() + "/down"}})
	b := publishEvent(t, nc, &trigger.Event{ID: "wait-b", BotID: "slotbot", ConversationID: "c", Webhook: &webhook.Definition{URL: ft.URL() + "/down"}})
	deadline := time.Now().Add(5 * time.Second)
	for ft.Count("/down") < 2 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond) // both handed back
	cons, err := js.Consumer(context.Background(), "CONNECTIONS", "hookworker")
	if err != nil {
		t.Fatal(err)
	}
	info, err := cons.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if info.NumAckPending != 0 {
		t.Errorf("%d messages ack-pending while their retries wait, want 0", info.NumAckPending)
	}
	start := time.Now()
	res := fire(t, nc, &trigger.Event{ID: "third", BotID: "other", ConversationID: "c", Webhook: &webhook.Definition{URL: ft.URL() + "/up"}})
	if took := time.Since(start); res.Status != trigger.StatusSucceeded || took > 2*time.Second {
		t.Errorf("third event: %s after %s; want succeeded well before the 4s retries", res.Status, took)
	}
	for name, sub := range map[string]*nats.Subscription{"wait-a": a, "wait-b": b} {
		r := nextResult(t, sub, 10*time.Second)
		if r.Status != trigger.StatusSucceeded || r.Attempts != 2 {
			t.Errorf("%s: %s after %d attempts, want succeeded after 2", name, r.Status, r.Attempts)
		}
	}
}
