package workertest

import (
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/hookworker/hookworker/trigger"
)

// Results gathers the Results published to a subject, by event id, for
// the rest of a test.
type Results struct {
	mu   sync.Mutex
	byID map[string][]trigger.Result
}

// CollectResults subscribes to subject (wildcards allowed) on nc until the
// test ends. An undecodable Result fails the test.
func CollectResults(t testing.TB, nc *nats.Conn, subject string) *Results {
	t.Helper()
	r := &Results{byID: map[string][]trigger.Result{}}
	sub, err := nc.Subscribe(subject, func(m *nats.Msg) {
		var res trigger.Result
		if err := json.Unmarshal(m.Data, &res); err != nil {
			t.Errorf("undecodable Result %q: %v", m.Data, err)
			return
		}
		r.mu.Lock()
		r.byID[res.EventID] = append(r.byID[res.EventID], res)
		r.mu.Unlock()
	})
	if err != nil {
		t.Fatalf("subscribe to %s: %v", subject, err)
	}
	sub.SetPendingLimits(-1, -1)
	t.Cleanup(func() { _ = sub.Unsubscribe() })
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	return r
}

// All returns every Result so far, by event id, in arrival order.
func (r *Results) All() map[string][]trigger.Result {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string][]trigger.Result, len(r.byID))
	for k, v := range r.byID {
		out[k] = append([]trigger.Result(nil), v...)
	}
	return out
}

// WaitEvents waits until n events have a Result, within d, then a moment
// more for strays, and returns All.
func (r *Results) WaitEvents(t testing.TB, n int, d time.Duration) map[string][]trigger.Result {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		r.mu.Lock()
		have := len(r.byID)
		r.mu.Unlock()
		if have >= n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Results for %d events after %s, want %d", have, d, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond)
	return r.All()
}

// WaitNth waits, within d, until each of ids has at least n Results and
// returns the n-th (1-based) of each.
func (r *Results) WaitNth(t testing.TB, n int, d time.Duration, ids ...string) map[string]trigger.Result {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		r.mu.Lock()
		out := map[string]trigger.Result{}
		for _, id := range ids {
			if rs := r.byID[id]; len(rs) >= n {
				out[id] = rs[n-1]
			}
		}
		r.mu.Unlock()
		if len(out) == len(ids) {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d events have a Result number %d after %s", len(out), len(ids), n, d)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
