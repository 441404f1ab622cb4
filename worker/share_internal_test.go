package worker

import (
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
)

// TestBotShareWaitsForMovingEvents: at its limit, a bot whose events are
// moving (its count changed within shareWait) gets the next slot that
// comes free instead of a deferral; a bot whose events are stuck is
// refused at once; a bot that waits in vain is refused after shareWait.
func TestBotShareWaitsForMovingEvents(t *testing.T) {
	clock := clockwork.NewRealClock()
	s := newBotShare(clock, 8, 0.5) // limit 4, alone 7
	for range 7 {
		if !s.acquire("a") {
			t.Fatal("a bot alone was refused below the pool less the reserve")
		}
	}
	// Moving: a slot comes free 5 ms later.
	go func() { time.Sleep(5 * time.Millisecond); s.release("a") }()
	start := time.Now()
	if !s.acquire("a") {
		t.Fatalf("refused although a slot came free after %s", time.Since(start))
	}
	if took := time.Since(start); took > shareWait {
		t.Errorf("took %s to get the freed slot", took)
	}
	// Waiting in vain: nothing ends; refused after about shareWait.
	start = time.Now()
	if s.acquire("a") {
		t.Fatal("took an eighth slot of 8: the reserve is gone")
	}
	if took := time.Since(start); took < shareWait/2 || took > 10*shareWait {
		t.Errorf("refused after %s, want about %s", took, shareWait)
	}
	// Stuck: nothing changed for longer than shareWait: refused at once.
	time.Sleep(2 * shareWait)
	start = time.Now()
	if s.acquire("a") {
		t.Fatal("took a slot over the limit")
	}
	if took := time.Since(start); took > shareWait/2 {
		t.Errorf("a stuck bot waited %s before its deferral", took)
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
	if s.acquire("a") {
		t.Error("a took a fifth slot over its share of 4 while b is active")
	}
	for range 4 {
		s.release("a")
	}
	if len(s.moves) != 1 || s.moves["a"] != nil {
		t.Errorf("moves %v, want only b's", s.moves)
	}
}
