package hostguard

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
)

// newFakeClock is a clock that moves only when told to.
func newFakeClock() *clockwork.FakeClock {
	return clockwork.NewFakeClockAt(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
}

// mustAllow acquires an attempt to host and fails the test if it is denied.
func mustAllow(t *testing.T, g *Guard, host string) func(bool) {
	t.Helper()
	release, deny := g.Acquire(host)
	if deny != nil {
		t.Fatalf("Acquire(%q) denied: %v", host, deny)
	}
	if release == nil {
		t.Fatalf("Acquire(%q) allowed with a nil release", host)
	}
	return release
}

// mustDeny acquires an attempt to host, fails the test unless it is denied
// for reason, and returns the denial.
func mustDeny(t *testing.T, g *Guard, host, reason string) *Deny {
	t.Helper()
	release, deny := g.Acquire(host)
	if deny == nil {
		release(false)
		t.Fatalf("Acquire(%q) allowed, want denied (%s)", host, reason)
	}
	if release != nil {
		t.Errorf("Acquire(%q) denied with a non-nil release", host)
	}
	if deny.Reason != reason {
		t.Fatalf("Acquire(%q) denied (%s), want (%s)", host, deny.Reason, reason)
	}
	if deny.RetryAfter < 0 {
		t.Errorf("Acquire(%q): RetryAfter %v < 0", host, deny.RetryAfter)
	}
	return deny
}

// run makes one attempt to host with the given outcome.
func run(t *testing.T, g *Guard, host string, failed bool) {
	t.Helper()
	mustAllow(t, g, host)(failed)
}

// tracked reports whether g holds state for host.
func tracked(g *Guard, host string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	_, ok := g.hosts[host]
	return ok
}

func wantState(t *testing.T, g *Guard, host string, want State) {
	t.Helper()
	if got := g.State(host); got != want {
		t.Fatalf("State(%q) = %q, want %q", host, got, want)
	}
}

func TestZeroConfigLimitsNothing(t *testing.T) {
	clk := newFakeClock()
	g := New(Config{}, clk)
	var releases []func(bool)
	for i := range 1000 {
		releases = append(releases, mustAllow(t, g, fmt.Sprintf("h%d:443", i%3)))
	}
	for _, r := range releases {
		r(true) // all failures: no breaker to open
	}
	for i := range 3 {
		wantState(t, g, fmt.Sprintf("h%d:443", i), StateClosed)
	}
	mustAllow(t, g, "h0:443")(true)
	if n := g.Hosts(); n != 0 {
		t.Errorf("Hosts() = %d with zero Config, want 0", n)
	}
}

func TestConcurrency(t *testing.T) {
	clk := newFakeClock()
	g := New(Config{MaxConcurrent: 2}, clk)

	r1 := mustAllow(t, g, "a:443")
	r2 := mustAllow(t, g, "a:443")
	d := mustDeny(t, g, "a:443", ReasonConcurrency)
	if d.RetryAfter != DefaultBusyDelay {
		t.Errorf("RetryAfter = %v, want %v", d.RetryAfter, DefaultBusyDelay)
	}

	// Another host has slots of its own.
	rb1 := mustAllow(t, g, "b:443")
	rb2 := mustAllow(t, g, "b:443")
	mustDeny(t, g, "b:443", ReasonConcurrency)

	// A release frees one slot, and only one even when repeated.
	r1(false)
	r1(false)
	r3 := mustAllow(t, g, "a:443")
	mustDeny(t, g, "a:443", ReasonConcurrency)

	// Failures free slots too.
	r2(true)
	r3(true)
	mustAllow(t, g, "a:443")
	mustAllow(t, g, "a:443")
	mustDeny(t, g, "a:443", ReasonConcurrency)
	rb1(false)
	rb2(false)
}

func TestBusyDelay(t *testing.T) {
	g := New(Config{MaxConcurrent: 1, BusyDelay: 7 * time.Second}, newFakeClock())
	mustAllow(t, g, "a:443")
	if d := mustDeny(t, g, "a:443", ReasonConcurrency); d.RetryAfter != 7*time.Second {
		t.Errorf("RetryAfter = %v, want 7s", d.RetryAfter)
	}
}

func TestRate(t *testing.T) {
	tests := []struct {
		rate  float64
		burst int
		want  time.Duration // RetryAfter once the burst is spent
	}{
		{rate: 10, burst: 2, want: 100 * time.Millisecond},
		{rate: 1, burst: 1, want: time.Second},
		{rate: 4, burst: 0, want: 250 * time.Millisecond}, // burst 0 means 1
		{rate: 0.5, burst: 3, want: 2 * time.Second},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("rate=%v,burst=%d", tt.rate, tt.burst), func(t *testing.T) {
			clk := newFakeClock()
			g := New(Config{Rate: tt.rate, Burst: tt.burst}, clk)
			burst := max(tt.burst, 1)
			for range burst {
				run(t, g, "a:443", false)
			}
			d := mustDeny(t, g, "a:443", ReasonRate)
			if diff := d.RetryAfter - tt.want; diff < 0 || diff > time.Microsecond {
				t.Fatalf("RetryAfter = %v, want %v", d.RetryAfter, tt.want)
			}
			// Another host has a bucket of its own.
			for range burst {
				run(t, g, "b:443", false)
			}
			// A denial takes no token: the wait does not grow.
			if d2 := mustDeny(t, g, "a:443", ReasonRate); d2.RetryAfter != d.RetryAfter {
				t.Fatalf("second RetryAfter = %v, want %v", d2.RetryAfter, d.RetryAfter)
			}
			clk.Advance(d.RetryAfter - time.Millisecond)
			mustDeny(t, g, "a:443", ReasonRate)
			clk.Advance(time.Millisecond)
			run(t, g, "a:443", false)
			mustDeny(t, g, "a:443", ReasonRate)
		})
	}
}

func TestDenialsConsumeNothing(t *testing.T) {
	clk := newFakeClock()
	g := New(Config{MaxConcurrent: 1, Rate: 1, Burst: 1}, clk)

	// A concurrency denial takes no token.
	r := mustAllow(t, g, "a:443")
	mustDeny(t, g, "a:443", ReasonConcurrency)
	r(false)
	clk.Advance(time.Second)
	mustAllow(t, g, "a:443")(false)

	// A rate denial takes no slot.
	d := mustDeny(t, g, "a:443", ReasonRate)
	clk.Advance(d.RetryAfter)
	mustAllow(t, g, "a:443")(false)
}

// breakerConfig is a breaker on host "a:443" with a 10s window.
var breakerConfig = Config{
	Window:         10 * time.Second,
	MinRequests:    5,
	FailureRatio:   0.5,
	OpenFor:        30 * time.Second,
	HalfOpenProbes: 2,
}

func TestBreakerOpens(t *testing.T) {
	tests := []struct {
		name     string
		outcomes string // f: failure, s: success, +: one second passes
		want     State
	}{
		{"5 failures", "fffff", StateOpen},
		{"4 failures, below MinRequests", "ffff", StateClosed},
		{"3 of 5 failed", "sfsff", StateOpen},
		{"ratio reached on a success", "ffffs", StateOpen},
		{"2 of 5 failed", "fsfss", StateClosed},
		{"exactly half failed", "sssssffff+f", StateOpen},
		{"just below half failed", "sssssffff", StateClosed},
		{"successes keep it closed", strings.Repeat("sssf", 50), StateClosed},
		{"failures spread within the window", "f+f+f+f+f", StateOpen},
		{"failures outside the window", "ffff" + strings.Repeat("+", 11) + "f", StateClosed},
		{"old failures slide out", "ff" + strings.Repeat("+", 6) + "ff" + strings.Repeat("+", 5) + "ff", StateClosed},
		{"old successes slide out", "ssssss" + strings.Repeat("+", 11) + "fffff", StateOpen},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := newFakeClock()
			g := New(breakerConfig, clk)
			for _, c := range tt.outcomes {
				switch c {
				case '+':
					clk.Advance(time.Second)
				case 'f', 's':
					run(t, g, "a:443", c == 'f')
				}
			}
			wantState(t, g, "a:443", tt.want)
			wantState(t, g, "b:443", StateClosed)
		})
	}
}

func TestBreakerOpenDenies(t *testing.T) {
	clk := newFakeClock()
	g := New(breakerConfig, clk)

	// An attempt still running when the breaker opens.
	late := mustAllow(t, g, "a:443")
	for range 5 {
		run(t, g, "a:443", true)
	}
	wantState(t, g, "a:443", StateOpen)
	if d := mustDeny(t, g, "a:443", ReasonBreakerOpen); d.RetryAfter != 30*time.Second {
		t.Fatalf("RetryAfter = %v, want 30s", d.RetryAfter)
	}
	// Other hosts are not affected.
	run(t, g, "b:443", false)

	clk.Advance(10 * time.Second)
	// Its failure does not push the reopening back.
	late(true)
	if d := mustDeny(t, g, "a:443", ReasonBreakerOpen); d.RetryAfter != 20*time.Second {
		t.Fatalf("RetryAfter = %v, want 20s", d.RetryAfter)
	}
	clk.Advance(20*time.Second - time.Nanosecond)
	wantState(t, g, "a:443", StateOpen)
	if d := mustDeny(t, g, "a:443", ReasonBreakerOpen); d.RetryAfter != time.Nanosecond {
		t.Fatalf("RetryAfter = %v, want 1ns", d.RetryAfter)
	}
	clk.Advance(time.Nanosecond)
	wantState(t, g, "a:443", StateHalfOpen)
}

// openThenHalfOpen opens the breaker of host and waits it out.
func openThenHalfOpen(t *testing.T, g *Guard, clk *clockwork.FakeClock, host string) {
	t.Helper()
	for range 5 {
		run(t, g, host, true)
	}
	wantState(t, g, host, StateOpen)
	clk.Advance(breakerConfig.OpenFor)
	wantState(t, g, host, StateHalfOpen)
}

func TestHalfOpenProbesClose(t *testing.T) {
	clk := newFakeClock()
	g := New(breakerConfig, clk)
	openThenHalfOpen(t, g, clk, "a:443")

	p1 := mustAllow(t, g, "a:443")
	p2 := mustAllow(t, g, "a:443")
	if d := mustDeny(t, g, "a:443", ReasonBreakerOpen); d.RetryAfter != DefaultBusyDelay {
		t.Errorf("RetryAfter = %v, want %v", d.RetryAfter, DefaultBusyDelay)
	}
	p1(false)
	wantState(t, g, "a:443", StateHalfOpen)
	mustDeny(t, g, "a:443", ReasonBreakerOpen) // a probe's end lets no new one in
	p2(false)
	wantState(t, g, "a:443", StateClosed)

	// Closed with an empty window: four failures are not enough.
	for range 4 {
		run(t, g, "a:443", true)
	}
	wantState(t, g, "a:443", StateClosed)
	run(t, g, "a:443", true)
	wantState(t, g, "a:443", StateOpen)
}
