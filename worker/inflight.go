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
// in-worker backoff is not redelivered under the worker's feet.
type inflight struct {
	clock clockwork.Clock
	mu    sync.Mutex
	msgs  map[jetstream.Msg]time.Time
	every time.Duration
}

func newInflight(clock clockwork.Clock, ackWait time.Duration) *inflight {
	return &inflight{clock: clock, msgs: map[jetstream.Msg]time.Time{}, every: ackWait / 3}
}

func (f *inflight) add(m jetstream.Msg) {
	f.mu.Lock()
	f.msgs[m] = f.clock.Now()
	f.mu.Unlock()
}

func (f *inflight) remove(m jetstream.Msg) {
	f.mu.Lock()
	delete(f.msgs, m)
	f.mu.Unlock()
}

// run sends heartbeats until ctx is cancelled.
func (f *inflight) run(ctx context.Context) {
	t := f.clock.NewTicker(f.every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.Chan():
			var due []jetstream.Msg
			f.mu.Lock()
			for m, since := range f.msgs {
				if now.Sub(since) >= f.every {
					due = append(due, m)
					f.msgs[m] = now
				}
			}
			f.mu.Unlock()
			for _, m := range due {
				_ = m.InProgress()
			}
		}
	}
}
