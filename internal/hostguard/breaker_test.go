package hostguard

import (
	"fmt"
	"math/rand/v2"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestClosingEmptiesTheWindow(t *testing.T) {
	clk := newFakeClock()
	cfg := breakerConfig
	cfg.OpenFor = 2 * time.Second // shorter than the window
	g := New(cfg, clk)
	for range 5 {
		run(t, g, "a:443", true)
	}
	clk.Advance(cfg.OpenFor)
	run(t, g, "a:443", false)
	run(t, g, "a:443", false)
	wantState(t, g, "a:443", StateClosed)
	// The five failures, still within Window, no longer count.
	run(t, g, "a:443", true)
	run(t, g, "a:443", true)
	run(t, g, "a:443", true)
	wantState(t, g, "a:443", StateClosed)
}

func TestHalfOpenProbeFailureReopens(t *testing.T) {
	clk := newFakeClock()
	g := New(breakerConfig, clk)
	openThenHalfOpen(t, g, clk, "a:443")

	p1 := mustAllow(t, g, "a:443")
	p2 := mustAllow(t, g, "a:443")
	p1(false)
	clk.Advance(time.Second)
	p2(true)
	wantState(t, g, "a:443", StateOpen)
	if d := mustDeny(t, g, "a:443", ReasonBreakerOpen); d.RetryAfter != 30*time.Second {
		t.Fatalf("RetryAfter = %v, want a new 30s", d.RetryAfter)
	}

	// The first failed probe reopens it; a later success changes nothing.
	clk.Advance(30 * time.Second)
	p1 = mustAllow(t, g, "a:443")
	p2 = mustAllow(t, g, "a:443")
	p1(true)
	wantState(t, g, "a:443", StateOpen)
	p2(false)
	wantState(t, g, "a:443", StateOpen)
	mustDeny(t, g, "a:443", ReasonBreakerOpen)
}

func TestStaleOutcomesIgnoredHalfOpen(t *testing.T) {
	clk := newFakeClock()
	g := New(breakerConfig, clk)
	// Started while closed, still running when the breaker turns half-open.
	lateFail := mustAllow(t, g, "a:443")
	lateOK := mustAllow(t, g, "a:443")
	openThenHalfOpen(t, g, clk, "a:443")

	lateFail(true) // not a probe: does not reopen
	wantState(t, g, "a:443", StateHalfOpen)
	lateOK(false) // not a probe: does not count toward closing
	p1 := mustAllow(t, g, "a:443")
	p1(false)
	wantState(t, g, "a:443", StateHalfOpen)
	run(t, g, "a:443", false)
	wantState(t, g, "a:443", StateClosed)
}

func TestHalfOpenDeniedProbeIsNotSpent(t *testing.T) {
	clk := newFakeClock()
	cfg := breakerConfig
	cfg.MaxConcurrent = 1
	g := New(cfg, clk)
	openThenHalfOpen(t, g, clk, "a:443")

	p1 := mustAllow(t, g, "a:443")
	mustDeny(t, g, "a:443", ReasonConcurrency) // not a probe spent
	p1(false)
	run(t, g, "a:443", false) // the second probe
	wantState(t, g, "a:443", StateClosed)
}

func TestMaxHostsEvictsIdle(t *testing.T) {
	clk := newFakeClock()
	cfg := breakerConfig
	cfg.MaxConcurrent = 1
	cfg.MaxHosts = 3
	g := New(cfg, clk)

	busy := mustAllow(t, g, "busy:443") // oldest, but in flight
	clk.Advance(time.Second)
	run(t, g, "old:443", false)
	clk.Advance(time.Second)
	run(t, g, "new:443", false)
	clk.Advance(time.Second)
	run(t, g, "d:443", false)
	if n := g.Hosts(); n != 3 {
		t.Fatalf("Hosts() = %d, want 3", n)
	}
	// busy:443 was kept: it is still at its limit.
	mustDeny(t, g, "busy:443", ReasonConcurrency)
	busy(false)
	// old:443, the least recently used idle host, went.
	for host, want := range map[string]bool{"busy:443": true, "old:443": false, "new:443": true, "d:443": true} {
		if got := tracked(g, host); got != want {
			t.Errorf("%s tracked = %v, want %v", host, got, want)
		}
	}

	// An open breaker outlives idle closed hosts used after it.
	for range 5 {
		run(t, g, "bad:443", true)
	}
	wantState(t, g, "bad:443", StateOpen)
	for i := range 10 {
		clk.Advance(time.Second)
		run(t, g, fmt.Sprintf("h%d:443", i), false)
	}
	wantState(t, g, "bad:443", StateOpen)
	mustDeny(t, g, "bad:443", ReasonBreakerOpen)
	if n := g.Hosts(); n != 3 {
		t.Fatalf("Hosts() = %d, want 3", n)
	}
}

func TestMaxHostsForgetsState(t *testing.T) {
	clk := newFakeClock()
	g := New(Config{MaxConcurrent: 1, MaxHosts: 2}, clk)

	a := mustAllow(t, g, "a:443")
	a(false)
	clk.Advance(time.Second)
	b := mustAllow(t, g, "b:443") // in flight
	clk.Advance(time.Second)
	c := mustAllow(t, g, "c:443") // evicts a, the only idle host
	mustDeny(t, g, "b:443", ReasonConcurrency)
	mustDeny(t, g, "c:443", ReasonConcurrency)
	if n := g.Hosts(); n != 2 {
		t.Fatalf("Hosts() = %d, want 2", n)
	}
	// All hosts busy: the new one is tracked anyway, over the bound.
	d := mustAllow(t, g, "d:443")
	mustDeny(t, g, "d:443", ReasonConcurrency)
	if n := g.Hosts(); n != 3 {
		t.Fatalf("Hosts() = %d, want 3 with every host busy", n)
	}
	b(false) // back under the bound: b, now idle, goes
	if n := g.Hosts(); n != 2 || tracked(g, "b:443") {
		t.Fatalf("Hosts() = %d, b tracked %v; want 2, false", n, tracked(g, "b:443"))
	}
	c(false)
	d(false)
	mustAllow(t, g, "e:443")(false)
	if n := g.Hosts(); n != 2 {
		t.Fatalf("Hosts() = %d, want back to 2", n)
	}
}

func TestMaxHostsCountsReleaseAsUse(t *testing.T) {
	clk := newFakeClock()
	g := New(Config{MaxConcurrent: 1, MaxHosts: 2}, clk)

	x := mustAllow(t, g, "x:443") // starts first, ends last
	clk.Advance(time.Second)
	run(t, g, "y:443", false)
	clk.Advance(time.Second)
	x(false)
	clk.Advance(time.Second)
	run(t, g, "z:443", false)
	if !tracked(g, "x:443") || tracked(g, "y:443") {
		t.Fatalf("x tracked %v, y tracked %v; want y, the least recently used, evicted",
			tracked(g, "x:443"), tracked(g, "y:443"))
	}
}

func TestStateDoesNotTrack(t *testing.T) {
	g := New(breakerConfig, newFakeClock())
	wantState(t, g, "never:443", StateClosed)
	if n := g.Hosts(); n != 0 {
		t.Fatalf("Hosts() = %d after State, want 0", n)
	}
}

func TestConcurrentUse(t *testing.T) {
	const (
		maxConcurrent = 3
		probes        = 2
		workers       = 32
		iterations    = 400
	)
	hosts := []string{"a:443", "b:443", "c:443", "d:443", "e:443"}
	clk := newFakeClock()
	g := New(Config{
		MaxConcurrent:  maxConcurrent,
		Rate:           1000,
		Burst:          50,
		Window:         time.Second,
		MinRequests:    10,
		FailureRatio:   0.5,
		OpenFor:        20 * time.Millisecond,
		HalfOpenProbes: probes,
		MaxHosts:       4, // fewer than hosts: eviction under load
	}, clk)

	var (
		inflight [5]atomic.Int32
		allowed  atomic.Int64
		denied   sync.Map // reason -> struct{}
		wg       sync.WaitGroup
		stop     = make(chan struct{})
	)
	go func() { // time passes while they work
		for {
			select {
			case <-stop:
				return
			default:
				clk.Advance(time.Millisecond)
				time.Sleep(10 * time.Microsecond)
			}
		}
	}()
	for w := range workers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 1))
			for range iterations {
				i := rng.IntN(len(hosts))
				release, deny := g.Acquire(hosts[i])
				if deny != nil {
					denied.Store(deny.Reason, struct{}{})
					continue
				}
				allowed.Add(1)
				if n := inflight[i].Add(1); n > maxConcurrent {
					t.Errorf("%s: %d attempts in flight, limit %d", hosts[i], n, maxConcurrent)
				}
				_ = g.State(hosts[i])
				_ = g.Hosts()
				time.Sleep(time.Duration(rng.IntN(50)) * time.Microsecond)
				inflight[i].Add(-1)
				release(rng.IntN(3) == 0 || i == 0) // a:443 always fails
			}
		})
	}
	wg.Wait()
	close(stop)

	if allowed.Load() == 0 {
		t.Fatal("no attempt was allowed")
	}
	for _, r := range []string{ReasonConcurrency, ReasonBreakerOpen} {
		if _, ok := denied.Load(r); !ok {
			t.Errorf("no %q denial: the test did not exercise it", r)
		}
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.hosts) > 4 {
		t.Errorf("%d hosts tracked after all released, MaxHosts 4", len(g.hosts))
	}
	for k, h := range g.hosts {
		if h.inflight != 0 {
			t.Errorf("%s: %d attempts in flight after all released", k, h.inflight)
		}
		if h.state == StateHalfOpen && h.probes > probes {
			t.Errorf("%s: %d probes let through, limit %d", k, h.probes, probes)
		}
	}
}

func TestDenyError(t *testing.T) {
	d := &Deny{Reason: ReasonRate, RetryAfter: 100 * time.Millisecond}
	var err error = d
	if got, want := err.Error(), "hostguard: attempt denied (rate), retry after 100ms"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestHostKey(t *testing.T) {
	tests := []struct{ url, want string }{
		{"https://Example.COM/hook", "example.com:443"},
		{"http://example.com/hook", "example.com:80"},
		{"https://example.com:8443/hook", "example.com:8443"},
		{"HTTP://example.com", "example.com:80"},
		{"https://user:pw@example.com/x?y=1", "example.com:443"},
		{"https://[2001:db8::1]/hook", "[2001:db8::1]:443"},
		{"http://[2001:db8::1]:8080/", "[2001:db8::1]:8080"},
		{"https://192.0.2.1/", "192.0.2.1:443"},
		{"ftp://example.com/", "example.com"},
	}
	for _, tt := range tests {
		u, err := url.Parse(tt.url)
		if err != nil {
			t.Fatal(err)
		}
		if got := HostKey(u); got != tt.want {
			t.Errorf("HostKey(%q) = %q, want %q", tt.url, got, tt.want)
		}
	}
}
