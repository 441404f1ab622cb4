package hostguard

import (
	"slices"
	"testing"
	"time"
)

func TestBreakersListsOpenAndHalfOpen(t *testing.T) {
	clk := newFakeClock()
	g := New(breakerConfig, clk)
	for range 5 {
		run(t, g, "b:443", true)
	}
	run(t, g, "ok:443", false)
	open, half := g.Breakers()
	if !slices.Equal(open, []string{"b:443"}) || len(half) != 0 {
		t.Fatalf("open %v, half-open %v", open, half)
	}
	clk.Advance(31 * time.Second) // past OpenFor: half-open
	for range 5 {
		run(t, g, "a:443", true)
	}
	open, half = g.Breakers()
	if !slices.Equal(open, []string{"a:443"}) || !slices.Equal(half, []string{"b:443"}) {
		t.Fatalf("open %v, half-open %v", open, half)
	}
	if o, h := New(Config{}, clk).Breakers(); o != nil || h != nil {
		t.Errorf("breaker off: %v %v", o, h)
	}
}
