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
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookworker/hookworker/internal/fault"
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
