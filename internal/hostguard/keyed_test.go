package hostguard

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// TestAcquireForKeysTheBreaker: a breaker keyed apart from its host opens
// for what fails behind its key only; the host's concurrency limit is
// shared by every key; each transition is reported once, in order.
func TestAcquireForKeysTheBreaker(t *testing.T) {
	clk := newFakeClock()
	var changes []string
	g := New(Config{
		MaxConcurrent: 3, FailureRatio: 0.5, MinRequests: 2, Window: time.Minute, OpenFor: 10 * time.Second, HalfOpenProbes: 1,
		OnChange: func(key string, from, to State) { changes = append(changes, key+" "+string(from)+">"+string(to)) },
	}, clk)
	const host = "api.example:443"
	bad, good := host+" bot-a/orders", host+" bot-b/tickets"
	for range 2 {
		release, deny := g.AcquireFor(host, bad)
		if deny != nil {
			t.Fatalf("denied before failing: %v", deny)
		}
		release(true)
	}
	if s := g.State(bad); s != StateOpen {
		t.Fatalf("failing key: %s, want open", s)
	}
	if _, deny := g.AcquireFor(host, bad); deny == nil || deny.Reason != ReasonBreakerOpen {
		t.Errorf("failing key allowed while open: %v", deny)
	}
	for range 5 {
		release, deny := g.AcquireFor(host, good)
		if deny != nil {
			t.Fatalf("healthy key of the same host denied: %v", deny)
		}
		release(false)
	}
	if s := g.State(host); s != StateClosed {
		t.Errorf("the host's own breaker: %s", s)
	}
	// Concurrency is the host's, whatever the key.
	var held []func(bool)
	for _, k := range []string{good, good + "x", good + "y"} {
		r, deny := g.AcquireFor(host, k)
		if deny != nil {
			t.Fatalf("%s: %v", k, deny)
		}
		held = append(held, r)
	}
	if _, deny := g.AcquireFor(host, good+"z"); deny == nil || deny.Reason != ReasonConcurrency {
		t.Errorf("fourth attempt to the host: %v, want a concurrency denial", deny)
	}
	for _, r := range held {
		r(false)
	}
	open, _ := g.Breakers()
	if !slices.Equal(open, []string{bad}) {
		t.Errorf("open breakers %q, want [%s]", open, bad)
	}
	clk.Advance(11 * time.Second)
	release, deny := g.AcquireFor(host, bad)
	if deny != nil {
		t.Fatalf("half-open probe denied: %v", deny)
	}
	release(false)
	want := []string{bad + " closed>open", bad + " open>half_open", bad + " half_open>closed"}
	if strings.Join(changes, "; ") != strings.Join(want, "; ") {
		t.Errorf("changes:\n%s\nwant\n%s", strings.Join(changes, "\n"), strings.Join(want, "\n"))
	}
}
