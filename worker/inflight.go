package worker

import (
	"context"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/nats-io/nats.go/jetstream"
)

// inflight tracks the messages being handled and sends InProgress for
// those held longer than a third of AckWait, so that a long attempt or an
// in-worker backoff is not redelivered under the worker's feet. It also
// says whether a delivery may still be held (held, see guard.go).
type inflight struct {
	clock clockwork.Clock
	mu    sync.Mutex
	// msgs holds when each delivery was last known held: received, or
	// its last InProgress.
	msgs  map[jetstream.Msg]time.Time
	every time.Duration
	pause pauses
	// paused is told of each pause seen (its start), outside the lock;
	// nil: nobody.
	paused func(start time.Time)
	// link, when set, is the connection the heartbeats go over: none is
	// sent while it is not connected, and a heartbeat counts (the
	// delivery is known held from its time) only once a flush after it
	// came back. nil: every heartbeat counts when sent.
	link link
}

// link is what the heartbeats need of the NATS connection.
type link interface {
	IsConnected() bool
	FlushTimeout(time.Duration) error
}

func newInflight(clock clockwork.Clock, ackWait time.Duration) *inflight {
	f := &inflight{clock: clock, msgs: map[jetstream.Msg]time.Time{}, every: ackWait / 3}
	f.pause = newPauses(ackWait, f.tick(), clock.Now())
	return f
}

// tick is how often run looks: a quarter of the heartbeat interval, so a
// heartbeat is sent at most every + tick after the last one.
func (f *inflight) tick() time.Duration { return max(f.every/4, time.Millisecond) }

// add tracks m, received (or last known held) at at; a later time it is
// tracked with already (a parked delivery's heartbeat) is kept.
func (f *inflight) add(m jetstream.Msg, at time.Time) {
	f.mu.Lock()
	if since, ok := f.msgs[m]; !ok || at.After(since) {
		f.msgs[m] = at
	}
	f.mu.Unlock()
}

func (f *inflight) remove(m jetstream.Msg) {
	f.mu.Lock()
	delete(f.msgs, m)
	f.mu.Unlock()
}

// run sends heartbeats until ctx is cancelled. A delivery that may have
// been lost already (held reports false) gets none: an InProgress from a
// process that no longer holds a message would extend the deadline of the
// process that does. So none is sent while the connection is down (the
// client would buffer it and send it after reconnecting, by which time
// another process may hold the message), and a delivery's time is moved
// on only when the server is known to have had the heartbeat: a flush
// after it came back (beat, in a goroutine of its own so that a slow
// flush does not look like a pause of the process).
func (f *inflight) run(ctx context.Context) {
	t := f.clock.NewTicker(f.tick())
	defer t.Stop()
	batches := make(chan beatBatch, 1)
	done := make(chan struct{})
	go func() { defer close(done); f.beat(ctx, batches) }()
	defer func() { <-done }()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.Chan():
			var due []jetstream.Msg
			f.mu.Lock()
			if f.pause.ticked(now) && f.paused != nil {
				go f.paused(f.pause.start)
			}
			for m, since := range f.msgs {
				if now.Sub(since) >= f.every && f.pause.held(since, now) {
					due = append(due, m)
				}
			}
			f.mu.Unlock()
			if len(due) == 0 {
				continue
			}
			select {
			case batches <- beatBatch{msgs: due, at: now}:
			default: // the last batch is still going: this one is due again next tick
			}
		}
	}
}

// beatBatch is the heartbeats due at one tick.
type beatBatch struct {
	msgs []jetstream.Msg
	at   time.Time
}

// beat sends the batches' heartbeats (see run) until ctx is cancelled.
func (f *inflight) beat(ctx context.Context, batches <-chan beatBatch) {
	for {
		select {
		case <-ctx.Done():
			return
		case b := <-batches:
			if f.link != nil && !f.link.IsConnected() {
				continue
			}
			for _, m := range b.msgs {
				_ = m.InProgress()
			}
			if f.link != nil && f.link.FlushTimeout(max(f.every/2, 10*time.Millisecond)) != nil {
				continue // not known to have arrived: due again
			}
			f.mu.Lock()
			for _, m := range b.msgs {
				if since, ok := f.msgs[m]; ok && since.Before(b.at) {
					f.msgs[m] = b.at
				}
			}
			f.mu.Unlock()
		}
	}
}

// held reports whether m's delivery is still this process's, as far as it
// can tell (see pauses.held); an untracked message is.
func (f *inflight) held(m jetstream.Msg) bool {
	now := f.clock.Now()
	f.mu.Lock()
	defer f.mu.Unlock()
	since, ok := f.msgs[m]
	return !ok || f.pause.held(since, now)
}
