package worker_test

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/hookworker/hookworker/internal/config"
	"github.com/hookworker/hookworker/internal/fault"
	"github.com/hookworker/hookworker/internal/jstest"
	"github.com/hookworker/hookworker/trigger"
	"github.com/hookworker/hookworker/trigger/webhook"
	"github.com/hookworker/hookworker/worker"
)

// TestIsolationKeepsHealthyTargetFlowing: with one target hanging past
// its timeout and another healthy, at full concurrency, the healthy
// target's events all complete well before the hanging ones time out.
func TestIsolationKeepsHealthyTargetFlowing(t *testing.T) {
	srv := jstest.Server(t)
	nc, _ := jstest.Connect(t, srv)
	hanging, healthy := fault.NewServer(t), fault.NewServer(t)
	hanging.On("/x", fault.Hang(10*time.Second))
	healthy.On("/x", fault.OK(`{}`))
	startWorker(t, nc, func(c *config.Config) {
		c.Worker.Concurrency = 8
		c.Worker.BotShare = 1 // one bot: per-host isolation alone is under test
		c.Isolation.PerHostConcurrency = 4
		c.Retry.MaxAttempts = 1
	}, worker.Deps{})
	client, err := trigger.NewClient(nc)
	if err != nil {
		t.Fatal(err)
	}
	const timeout = 3 * time.Second
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// Fill the pool with events for the hanging target first.
	for i := range 12 {
		ev := &trigger.Event{ID: "hang-" + strconv.Itoa(i), BotID: "b", ConversationID: "c",
			Webhook: &webhook.Definition{URL: hanging.URL() + "/x", Timeout: webhook.Duration(timeout)}}
		if _, err := client.Publish(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for hanging.Count("/x") < 4 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan string, 20)
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := client.Fire(ctx, &trigger.Event{ID: "healthy-" + strconv.Itoa(i), BotID: "b", ConversationID: "c",
				Webhook: &webhook.Definition{URL: healthy.URL() + "/x"}})
			if err != nil {
				errs <- err.Error()
			} else if res.Status != trigger.StatusSucceeded {
				errs <- string(res.Status)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Errorf("healthy event: %s", e)
	}
	if took := time.Since(start); took > timeout*2/3 {
		t.Errorf("healthy events took %s, not well before the hanging ones time out (%s)", took, timeout)
	}
	if n := hanging.Count("/x"); n > 4 {
		t.Errorf("the hanging target got %d requests at once, over the per-host limit of 4", n)
	}
}

// TestCircuitBreaker: a failing target opens its breaker; while open, its
// events are handed back with a delay (no request reaches it); after
// breaker_open_for a probe goes through, succeeds and closes the breaker.
func TestCircuitBreaker(t *testing.T) {
	srv := jstest.Server(t)
	nc, _ := jstest.Connect(t, srv)
	ft := fault.NewServer(t)
	ft.On("/api", fault.Status(503, ""), fault.Status(503, ""), fault.Status(503, ""), fault.Status(503, ""), fault.OK(`{"ok": 1}`))
	startWorker(t, nc, func(c *config.Config) {
		c.Retry.QuickAttempts = 0
		c.Retry.Schedule = []time.Duration{100 * time.Millisecond}
		c.Retry.MaxAttempts = 10
		c.Isolation.BreakerFailureRatio = 0.5
		c.Isolation.BreakerMinRequests = 4
		c.Isolation.BreakerWindow = 10 * time.Second
		c.Isolation.BreakerOpenFor = 1500 * time.Millisecond
		c.Isolation.BreakerProbes = 1
	}, worker.Deps{})
	res := fire(t, nc, &trigger.Event{ID: "breaker", BotID: "b", ConversationID: "c",
		Webhook: &webhook.Definition{URL: ft.URL() + "/api"}})
	if res.Status != trigger.StatusSucceeded || res.Attempts != 5 {
		t.Fatalf("result %+v %+v; want succeeded after 5 attempts", res, res.Error)
	}
	reqs := ft.Requests("/api")
	if len(reqs) != 5 {
		t.Fatalf("target saw %d requests, want 5 (4 failures, then the probe)", len(reqs))
	}
	for i, g := range gaps(reqs) {
		if i < 3 && g > time.Second {
			t.Errorf("gap %d before the breaker opened: %s", i, g)
		}
		if i == 3 && g < 1300*time.Millisecond {
			t.Errorf("the probe came %s after the 4th failure, before the breaker's 1.5s", g)
		}
	}
}
