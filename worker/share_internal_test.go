package worker

import (
	"context"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
)

// TestBotShareWaitsForMovingEvents: at its limit, a bot whose events are
// moving (its count changed within shareWait) gets the next slot that
// comes free instead of a deferral; a bot that waits in vain is refused
// at shareWait; a bot whose events are stuck is refused at once. The
// clock is a fake one: what the test waits for is the share's own timer,
// not the machine's scheduling.
func TestBotShareWaitsForMovingEvents(t *testing.T) {
	clock := clockwork.NewFakeClock()
	s := newBotShare(clock, 8, 0.5) // limit 4, alone 7
	for range 7 {
		if !s.acquire("a") {
			t.Fatal("a bot alone was refused below the pool less the reserve")
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// acquireAsync runs acquire and reports its answer once it returns.
	acquireAsync := func() <-chan bool {
		got := make(chan bool, 1)
		go func() { got <- s.acquire("a") }()
		if err := clock.BlockUntilContext(ctx, 1); err != nil { // waiting on its timer
			t.Fatal("acquire did not wait for a slot: ", err)
		}
		return got
	}
	answer := func(got <-chan bool) bool {
		select {
		case ok := <-got:
			return ok
		case <-ctx.Done():
			t.Fatal("acquire did not return")
			return false
		}
	}

	// Moving: a slot comes free while it waits.
	got := acquireAsync()
	s.release("a")
	if !answer(got) {
		t.Fatal("refused although a slot came free while it waited")
	}
	// Waiting in vain: nothing ends within shareWait.
	got = acquireAsync()
	clock.Advance(shareWait)
	if answer(got) {
		t.Fatal("took an eighth slot of 8: the reserve is gone")
	}
	// Stuck: nothing changed for longer than shareWait: refused at once.
	clock.Advance(shareWait)
	if s.acquire("a") {
		t.Fatal("took a slot over the limit")
	}
	// Another bot active: a is over its share (4 of 7 held) and b gets in.
	if !s.acquire("b") {
		t.Fatal("another bot refused below its share")
	}
	for range 3 {
		s.release("a")
	}
	if held := s.n["a"]; held != 4 {
		t.Fatalf("a holds %d, want 4", held)
	}
	got = acquireAsync() // a's events just moved: it waits
	clock.Advance(shareWait)
	if answer(got) {
		t.Error("a took a fifth slot over its share of 4 while b is active")
	}
	for range 4 {
		s.release("a")
	}
	if len(s.moves) != 1 || s.moves["a"] != nil {
		t.Errorf("moves %v, want only b's", s.moves)
	}
}
