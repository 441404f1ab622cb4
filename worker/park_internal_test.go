package worker

import (
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/nats-io/nats.go/jetstream"
)

// payload is a message of a given payload, for the park's bookkeeping
// (the park reads nothing else of a message).
type payload struct {
	jetstream.Msg
	data []byte
	name string
}

func (p payload) Data() []byte { return p.data }

func parkedNames(ds []delivery) []string {
	var out []string
	for _, d := range ds {
		out = append(out, d.msg.(payload).name)
	}
	return out
}

// TestParkOrderAndSlots: a bot at its share is parked in arrival order;
// its later events never run ahead of its parked ones; a slot that comes
// free passes to its first parked event; another bot runs at once.
func TestParkOrderAndSlots(t *testing.T) {
	clock := clockwork.NewFakeClock()
	share := newBotShare(clock, 4, 0.5) // limit 2, alone 3
	var gauge int
	var heldNames []string // tracked for heartbeats as they are parked
	held := func(m jetstream.Msg, _ time.Time) { heldNames = append(heldNames, m.(payload).name) }
	p := newPark(share, clock, parkLimits{max: 100, maxBytes: 1 << 20, wait: 10 * time.Second}, held, func(d int) { gauge += d })
	msg := func(name string) delivery {
		return delivery{msg: payload{data: make([]byte, 10), name: name}, bot: name[:1]}
	}
	// b is active, so a holds at most its limit (2).
	if got := p.admit(msg("b1")); got != admitRun {
		t.Fatalf("b1: %v, want run", got)
	}
	for _, name := range []string{"a1", "a2"} {
		if got := p.admit(msg(name)); got != admitRun {
			t.Fatalf("%s: %v, want run", name, got)
		}
	}
	for _, name := range []string{"a3", "a4", "a5"} {
		if got := p.admit(msg(name)); got != admitParked {
			t.Fatalf("%s: %v, want parked", name, got)
		}
	}
	if gauge != 3 {
		t.Errorf("gauge %d, want 3 parked", gauge)
	}
	if len(heldNames) != 3 || heldNames[0] != "a3" || heldNames[2] != "a5" {
		t.Errorf("heartbeats started for %v, want [a3 a4 a5]", heldNames)
	}
	if _, ok := p.next("a"); ok {
		t.Fatal("next gave a parked event while a holds its share")
	}
	// A slot of a comes free: it passes to a3, the first parked.
	share.release("a")
	d, ok := p.next("a")
	if !ok || d.msg.(payload).name != "a3" || !d.slot {
		t.Fatalf("after a release: %v %v, want a3 with its slot", ok, d)
	}
	if share.n["a"] != 2 {
		t.Errorf("a holds %d slots, want 2 (the slot passed on)", share.n["a"])
	}
	// Another bot is not held back by a's parked events.
	if got := p.admit(msg("b2")); got != admitRun {
		t.Errorf("b2: %v, want run", got)
	}
	// Shutdown returns what is parked, in order, and parks no more.
	if got := parkedNames(p.close()); len(got) != 2 || got[0] != "a4" || got[1] != "a5" {
		t.Errorf("close returned %v, want [a4 a5]", got)
	}
	if gauge != 0 || p.n != 0 || p.bytes != 0 {
		t.Errorf("after close: gauge %d, n %d, bytes %d", gauge, p.n, p.bytes)
	}
	if got := p.admit(msg("a6")); got != admitPool {
		t.Errorf("a6 after close: %v, want pool", got)
	}
}

// TestParkBounds: the count and byte bounds hold; an event behind a full
// park's parked events of its bot may not wait for a slot (admitDefer);
// a bot whose events do not end within the wait is parked no more, and
// what it has parked comes out once overdue.
func TestParkBounds(t *testing.T) {
	clock := clockwork.NewFakeClock()
	share := newBotShare(clock, 4, 0.5) // limit 2
	msg := func(bot string, size int) delivery { return delivery{msg: payload{data: make([]byte, size)}, bot: bot} }
	held := func(jetstream.Msg, time.Time) {}
	share.acquire("b") // another bot is active
	// Bytes: two events of 100 fill it.
	p := newPark(share, clock, parkLimits{max: 100, maxBytes: 2 * (100 + parkOverhead), wait: 10 * time.Second}, held, func(int) {})
	p.admit(msg("a", 1))
	p.admit(msg("a", 1)) // a holds its share (2)
	if got := p.admit(msg("a", 2*(100+parkOverhead))); got != admitPool {
		t.Errorf("an event over the byte bound with none parked: %v, want pool", got)
	}
	for i := range 2 {
		if got := p.admit(msg("a", 100)); got != admitParked {
			t.Fatalf("event %d: %v, want parked", i, got)
		}
	}
	if got := p.admit(msg("a", 1)); got != admitDefer {
		t.Errorf("behind a park full of bytes: %v, want defer", got)
	}
	// Count: three fill it.
	pc := newPark(share, clock, parkLimits{max: 3, maxBytes: 1 << 20, wait: 10 * time.Second}, held, func(int) {})
	for i := range 3 {
		if got := pc.admit(msg("a", 1)); got != admitParked {
			t.Fatalf("event %d: %v, want parked", i, got)
		}
	}
	if got := pc.admit(msg("a", 1)); got != admitDefer {
		t.Errorf("behind a full park: %v, want defer", got)
	}
	if got := pc.admit(msg("c", 1)); got != admitRun {
		t.Errorf("another bot with a slot free: %v, want run", got)
	}

	// Nothing of a ended: past the wait, a is refused and its parked
	// events come out to be deferred.
	p2 := newPark(share, clock, parkLimits{max: 100, maxBytes: 1 << 20, wait: 10 * time.Second}, held, func(int) {})
	clock.Advance(5 * time.Second)
	if got := p2.admit(msg("a", 1)); got != admitParked {
		t.Fatalf("5 s after a's first slot: %v, want parked", got)
	}
	clock.Advance(6 * time.Second)
	if got := p2.admit(msg("a", 1)); got != admitDefer {
		t.Errorf("11 s after a's first slot, none ended: %v, want defer", got)
	}
	if out := p2.overdue(); len(out) != 0 {
		t.Errorf("%d overdue after 6 s parked, want 0", len(out))
	}
	clock.Advance(4 * time.Second)
	if out := p2.overdue(); len(out) != 1 || out[0].slot {
		t.Errorf("overdue after 10 s parked: %v, want the one, without a slot", out)
	}
}

// TestBotShareSoonFree: the rate of a bot's ends decides how deep it may
// be parked within the wait.
func TestBotShareSoonFree(t *testing.T) {
	clock := clockwork.NewFakeClock()
	s := newBotShare(clock, 64, 0.5)
	for range 32 {
		s.acquire("a")
	}
	// 100 ends in 100 ms: 1,000/s.
	for range 100 {
		clock.Advance(time.Millisecond)
		s.release("a")
		s.acquire("a")
	}
	for _, tc := range []struct {
		k    int
		wait time.Duration
		want bool
	}{
		{900, time.Second, true},
		{1100, time.Second, false},
		{9000, 10 * time.Second, true},
		{12000, 10 * time.Second, false},
	} {
		if got := s.soonFree("a", tc.k, tc.wait); got != tc.want {
			t.Errorf("k %d within %s at 1,000/s: %v, want %v", tc.k, tc.wait, got, tc.want)
		}
	}
	if s.soonFree("nobody", 1, time.Second) {
		t.Error("a bot that holds no slot is never parked (it gets one)")
	}
}
