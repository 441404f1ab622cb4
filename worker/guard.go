package worker

import (
	"context"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// The stale-delivery guard. JetStream takes a delivery back when its ack
// deadline passes (ack_wait after the delivery or the last InProgress)
// and gives it to another process; the process that had it is not told.
// A process frozen for longer than that (SIGSTOP, a VM paused, a long
// stop of the world) would, once resumed, run an event that another
// process has run or is running. The server cannot be asked whether a
// delivery is still held (an InProgress is answered the same either way),
// so the worker judges by time: before each attempt, and before each quick
// retry, it checks that the delivery was received or heartbeated less than
// holdFraction of ack_wait ago, and that no pause of the process could
// have hidden a longer gap; if not, the event is handed back unrun (no
// Nak, no InProgress, no history written: those would act on the other
// process's delivery) and JetStream redelivers it when the deadline passes.

// holdFraction of ack_wait is how long after it was received, or last
// heartbeated, a delivery is still taken as held: heartbeats go every
// third of ack_wait (plus a tick), which leaves a margin of a quarter.
const holdFraction = 0.75

// pauseWindow is how long after a pause ends a message received is taken
// as received before it: it may have waited in a buffer all through it.
const pauseWindow = 2 * time.Second

// pauses detects that the process did not run for a while: the heartbeat
// ticker fires every tick, and a gap of several ticks between two of its
// ticks (or since the last one, when it has not yet caught up) is a
// pause. Its methods are called with inflight's lock held.
type pauses struct {
	hold, tick time.Duration
	// lastTick is the last tick seen; start and end bound the last pause
	// (zero: none seen).
	lastTick, start, end time.Time
}

func newPauses(ackWait, tick time.Duration, now time.Time) pauses {
	return pauses{hold: time.Duration(float64(ackWait) * holdFraction), tick: tick, lastTick: now}
}

// gap is a gap between ticks long enough to be a pause.
func (p *pauses) gap(d time.Duration) bool { return d > 4*p.tick }

// ticked notes a tick at now; it reports a pause that ends with it.
func (p *pauses) ticked(now time.Time) bool {
	paused := p.gap(now.Sub(p.lastTick))
	if paused {
		p.start, p.end = p.lastTick, now
	}
	p.lastTick = now
	return paused
}

// pausedSeq is what the server had delivered on one consumer (its last
// consumer sequence) when asked just after a pause that began at from:
// a message with a sequence up to it was delivered before the pause
// ended, so it may have waited in the client's buffer all through it,
// however late it reaches the pool (guard.go's time window alone would
// trust it once the window is over).
type pausedSeq struct {
	seq  uint64
	from time.Time
}

// notePause asks the server, for each consumer consumed, what it has
// delivered so far, for deliveredBeforePause.
func (w *Worker) notePause(from time.Time) {
	w.loopsMu.Lock()
	loops := append([]*consumeLoop(nil), w.loops...)
	w.loopsMu.Unlock()
	for _, l := range loops {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		c, err := w.js.Consumer(ctx, l.stream, l.name)
		cancel()
		if err != nil {
			continue
		}
		w.pausedSeqs.Store(l.name, pausedSeq{seq: c.CachedInfo().Delivered.Consumer, from: from})
	}
}

// deliveredBeforePause reports whether a message (its metadata) was
// delivered before a pause long enough for its delivery to have passed
// the hold.
func (w *Worker) deliveredBeforePause(meta *jetstream.MsgMetadata) bool {
	if meta == nil {
		return false
	}
	v, ok := w.pausedSeqs.Load(meta.Consumer)
	if !ok {
		return false
	}
	p := v.(pausedSeq)
	hold := time.Duration(float64(w.cfg.Worker.AckWait) * holdFraction)
	return meta.Sequence.Consumer <= p.seq && w.clock.Since(p.from) >= hold
}

// held reports whether a delivery last known held at since (received or
// heartbeated) is still held at now.
func (p *pauses) held(since, now time.Time) bool {
	from := since
	// A pause the ticker has not caught up with yet: the process is just
	// resumed.
	if p.gap(now.Sub(p.lastTick)) && p.lastTick.Before(from) {
		from = p.lastTick
	}
	// A message received during or just after the last pause may have
	// been received before it.
	if !p.end.IsZero() && !since.After(p.end.Add(pauseWindow)) && p.start.Before(from) {
		from = p.start
	}
	return now.Sub(from) < p.hold
}
