package worker_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

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

// TestBreakerKeyedByBotAndWebhook: a webhook of bot-a that fails opens
// its own breaker only: bot-a's other webhook on the same host and bot-b's
// requests to it go on at once; the transitions are logged at info and
// the open breaker is reported (hookworker_breaker_open).
func TestBreakerKeyedByBotAndWebhook(t *testing.T) {
	srv := jstest.Server(t)
	nc, _ := jstest.Connect(t, srv)
	ft := fault.NewServer(t)
	ft.On("/broken", fault.Status(503, ""))
	ft.On("/fine", fault.OK(`{}`))
	core, logs := observer.New(zapcore.InfoLevel)
	w := startWorker(t, nc, func(c *config.Config) {
		c.Retry.QuickAttempts = 0
		c.Retry.MaxAttempts = 3
		c.Retry.Schedule = []time.Duration{100 * time.Millisecond}
		c.Isolation.BreakerFailureRatio = 0.5
		c.Isolation.BreakerMinRequests = 2
		c.Isolation.BreakerWindow = 10 * time.Second
		c.Isolation.BreakerOpenFor = 30 * time.Second
	}, worker.Deps{Logger: zap.New(core)})
	publishEvent(t, nc, &trigger.Event{ID: "broken-1", BotID: "bot-a", ConversationID: "c",
		Webhook: &webhook.Definition{ID: "orders", URL: ft.URL() + "/broken"}})
	deadline := time.Now().Add(10 * time.Second)
	for logs.FilterMessage("circuit breaker open").Len() == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	opened := logs.FilterMessage("circuit breaker open").All()
	if len(opened) != 1 {
		t.Fatalf("%d 'circuit breaker open' lines, want 1", len(opened))
	}
	key, _ := opened[0].ContextMap()["breaker"].(string)
	if !strings.Contains(key, "bot-a/orders") {
		t.Errorf("breaker %q, want the key of bot-a's webhook orders", key)
	}
	if open, _ := w.Breakers(); len(open) != 1 || open[0] != key {
		t.Errorf("open breakers %q, want [%s]", open, key)
	}
	for i, ev := range []*trigger.Event{
		{ID: "same-bot-other-webhook", BotID: "bot-a", ConversationID: "c", Webhook: &webhook.Definition{ID: "tickets", URL: ft.URL() + "/fine"}},
		{ID: "other-bot", BotID: "bot-b", ConversationID: "c", Webhook: &webhook.Definition{ID: "orders", URL: ft.URL() + "/fine"}},
	} {
		start := time.Now()
		res := fire(t, nc, ev)
		if took := time.Since(start); res.Status != trigger.StatusSucceeded || res.Attempts != 1 || took > time.Second {
			t.Errorf("event %d: %s after %d attempts in %s; want succeeded at once", i, res.Status, res.Attempts, took)
		}
	}
}

// percentile is the p-th percentile (0-100) of ds.
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(math.Ceil(p/100*float64(len(s)))) - 1
	return s[max(i, 0)]
}

// TestHungTargetHoldsBackNoOne: a third of the events go to a target that
// never answers (2 s timeout), the rest to a healthy one, paced, with an
// ack-pending budget no larger than the pool. Every healthy event
// succeeds with p99 fired->Result under 2 s, and every hung event ends by
// its policy: failed, timeout, after max_attempts or at max_age, or, held
// back from its first delivery on by its open breaker, at max_age.
func TestHungTargetHoldsBackNoOne(t *testing.T) {
	if testing.Short() {
		t.Skip("paced for 10 s")
	}
	srv := jstest.Server(t)
	nc, _ := jstest.Connect(t, srv)
	ft := fault.NewServer(t)
	ft.On("/hang", fault.Hang(time.Minute))
	ft.On("/ok", fault.OK(`{"ok":true}`))
	startWorker(t, nc, func(c *config.Config) {
		c.Worker.Concurrency, c.Worker.MaxAckPending = 64, 64
		c.Retry.QuickAttempts = 0
		c.Retry.MaxAttempts = 3
		c.Retry.MaxAge = 12 * time.Second
		c.Retry.Schedule = []time.Duration{time.Second}
		c.Isolation.BreakerOpenFor = 3 * time.Second
	}, worker.Deps{})

	const n, rate = 300, 30 // events, per second
	// Results are timed as they arrive, while events are still fired.
	type arrival struct {
		data []byte
		at   time.Time
	}
	arrivals := make(chan arrival, 2*n)
	sub, err := nc.Subscribe("connections.result.>", func(m *nats.Msg) { arrivals <- arrival{m.Data, time.Now()} })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sub.Unsubscribe() })
	c, err := trigger.NewClient(nc)
	if err != nil {
		t.Fatal(err)
	}
	fired := map[string]time.Time{}
	hung := map[string]bool{}
	tick := time.NewTicker(time.Second / rate)
	defer tick.Stop()
	for i := range n {
		<-tick.C
		id, path := fmt.Sprintf("ok-%d", i), "/ok"
		if i%3 == 0 {
			id, path = fmt.Sprintf("hang-%d", i), "/hang"
			hung[id] = true
		}
		ev := &trigger.Event{ID: id, BotID: "bot-" + path[1:], ConversationID: "c",
			Webhook: &webhook.Definition{ID: path[1:], URL: ft.URL() + path, Timeout: webhook.Duration(2 * time.Second)}}
		fired[id] = time.Now()
		if _, err := c.Publish(context.Background(), ev); err != nil {
			t.Fatal(err)
		}
	}
	var healthy []time.Duration
	classes := map[trigger.Class]int{}
	deadline := time.Now().Add(25 * time.Second)
	for len(fired) > 0 && time.Now().Before(deadline) {
		var got arrival
		select {
		case got = <-arrivals:
		case <-time.After(time.Until(deadline)):
		}
		if got.data == nil {
			break
		}
		var res trigger.Result
		if err := json.Unmarshal(got.data, &res); err != nil {
			t.Fatal(err)
		}
		at, ok := fired[res.EventID]
		if !ok {
			continue
		}
		delete(fired, res.EventID)
		if hung[res.EventID] {
			if res.Status != trigger.StatusFailed || res.Error == nil {
				t.Errorf("hung event %s: %s", res.EventID, res.Status)
				continue
			}
			classes[res.Error.Class]++
			// Attempted: timed out, to the end of max_attempts or
			// max_age. Never attempted (its breaker open from the first
			// delivery on): failed at max_age, class network.
			switch {
			case res.Error.Class == trigger.ClassTimeout && res.Attempts > 0:
			case res.Error.Class == trigger.ClassNetwork && res.Attempts == 0 &&
				strings.Contains(res.Error.Message, "per-host isolation (breaker_open)") && strings.Contains(res.Error.Message, "max_age"):
			default:
				t.Errorf("hung event %s ended %s after %d attempts: %s", res.EventID, res.Error.Class, res.Attempts, res.Error.Message)
			}
			continue
		}
		if res.Status != trigger.StatusSucceeded {
			t.Errorf("healthy event %s: %s %+v", res.EventID, res.Status, res.Error)
		}
		healthy = append(healthy, got.at.Sub(at))
	}
	if len(fired) > 0 {
		t.Errorf("%d events without a Result", len(fired))
	}
	p50, p99 := percentile(healthy, 50), percentile(healthy, 99)
	t.Logf("healthy: %d events, p50 %s, p99 %s, max %s; hung events ended: %v; hung requests %d", len(healthy), p50, p99, percentile(healthy, 100), classes, ft.Count("/hang"))
	if p99 >= 2*time.Second {
		t.Errorf("healthy p99 fired->Result %s, want < 2s", p99)
	}
	if classes[trigger.ClassTimeout] == 0 {
		t.Errorf("hung events ended %v, want some timed out", classes)
	}
}

// TestBotShare: with a pool of 4 and bot_share 0.5, a bot whose events
// hang holds 3 slots at most while alone (a slot is kept in reserve), the
// rest of its events deferred, and another bot's events run at once.
func TestBotShare(t *testing.T) {
	srv := jstest.Server(t)
	nc, _ := jstest.Connect(t, srv)
	ft := fault.NewServer(t)
	ft.On("/hang", fault.Hang(4*time.Second))
	ft.On("/ok", fault.OK(`{}`))
	startWorker(t, nc, func(c *config.Config) {
		c.Worker.Concurrency, c.Worker.MaxAckPending, c.Worker.BotShare = 4, 4, 0.5
		c.Retry.MaxAttempts = 1
	}, worker.Deps{})
	for i := range 6 {
		publishEvent(t, nc, &trigger.Event{ID: fmt.Sprintf("hog-%d", i), BotID: "hog", ConversationID: "c",
			Webhook: &webhook.Definition{ID: "h", URL: ft.URL() + "/hang", Timeout: webhook.Duration(5 * time.Second)}})
	}
	deadline := time.Now().Add(5 * time.Second)
	for ft.Count("/hang") < 3 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond)
	if n := ft.Count("/hang"); n != 3 {
		t.Errorf("the hog had %d requests in flight, want 3 (all but the reserve)", n)
	}
	for i := range 4 {
		start := time.Now()
		res := fire(t, nc, &trigger.Event{ID: fmt.Sprintf("polite-%d", i), BotID: "polite", ConversationID: "c",
			Webhook: &webhook.Definition{ID: "p", URL: ft.URL() + "/ok"}})
		if took := time.Since(start); res.Status != trigger.StatusSucceeded || took > time.Second {
			t.Errorf("other bot's event %d: %s after %s, want succeeded at once", i, res.Status, took)
		}
	}
}
