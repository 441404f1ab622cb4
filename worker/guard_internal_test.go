package worker

import (
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookworker/hookworker/internal/config"
)

// TestPausesHeld: the guard's judgement of whether a delivery is still
// held, with ack_wait 30 s (held up to 22.5 s after the last sign of it)
// and a 2.5 s heartbeat tick.
func TestPausesHeld(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	for _, tt := range []struct {
		name  string
		ticks []float64 // ticks seen, in seconds after t0
		since float64   // received or last heartbeat
		now   float64
		want  bool
	}{
		{"fresh", []float64{2.5, 5}, 4, 6, true},
		{"within the margin", []float64{2.5, 5, 7.5, 10, 12.5, 15, 17.5, 20, 22.5}, 1, 22, true},
		{"ack_wait all but passed", []float64{2.5, 5, 7.5, 10, 12.5, 15, 17.5, 20, 22.5}, 0, 23, false},
		{"paused, the ticker not caught up", []float64{2.5}, 2, 40, false},
		{"paused, the ticker caught up", []float64{2.5, 40}, 2, 40.1, false},
		{"received in a buffer through a pause", []float64{2.5, 40}, 40.5, 41, false},
		{"received after the pause window", []float64{2.5, 40, 42.5, 45}, 44, 45, true},
		{"a short pause", []float64{2.5, 14}, 13, 14, true},
		{"received after a pause, the ticker not caught up", []float64{2.5}, 30, 30.1, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := newPauses(30*time.Second, 2500*time.Millisecond, t0)
			for _, s := range tt.ticks {
				p.ticked(at(s))
			}
			if got := p.held(at(tt.since), at(tt.now)); got != tt.want {
				t.Errorf("held(%v, %v) = %v, want %v (pause %v..%v)", tt.since, tt.now, got, tt.want, p.start, p.end)
			}
		})
	}
}

// TestDeliveredBeforePause: after a pause, a message the server had
// delivered on its consumer before it was asked (its consumer sequence
// up to what the server reported) is stale once the hold has passed
// since the pause began, however late it reaches the pool; one delivered
// after is not.
func TestDeliveredBeforePause(t *testing.T) {
	clk := clockwork.NewFakeClock()
	w := &Worker{cfg: config.Default(), clock: clk} // ack_wait 30s: hold 22.5s
	from := clk.Now()
	w.pausedSeqs.Store("hookworker", pausedSeq{seq: 10, from: from})
	meta := func(consumer string, seq uint64) *jetstream.MsgMetadata {
		return &jetstream.MsgMetadata{Consumer: consumer, Sequence: jetstream.SequencePair{Consumer: seq}}
	}
	clk.Advance(20 * time.Second)
	if w.deliveredBeforePause(meta("hookworker", 9)) {
		t.Errorf("stale before the hold passed since the pause began")
	}
	clk.Advance(5 * time.Second)
	for _, tt := range []struct {
		meta *jetstream.MsgMetadata
		want bool
	}{
		{meta("hookworker", 9), true},
		{meta("hookworker", 10), true},
		{meta("hookworker", 11), false},
		{meta("hookworker-ordered-0", 3), false},
		{nil, false},
	} {
		if got := w.deliveredBeforePause(tt.meta); got != tt.want {
			t.Errorf("deliveredBeforePause(%+v) = %v, want %v", tt.meta, got, tt.want)
		}
	}
}
