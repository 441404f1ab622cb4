package worker

import (
	"context"
	"time"

	"github.com/jonboulle/clockwork"
)

// The worker has one clock (Deps.Clock, a clockwork.Clock): every instant
// it decides on (a Result's times, attempt records, expires_at, retry
// delays and max_age, the host guard's windows and buckets, dead-letter
// timestamps) and every wait it makes (in-worker retry waits, heartbeats,
// stream-list refreshes, the shutdown grace period, pauses between tries)
// reads it, so a test drives them all with one clockwork.FakeClock.
//
// Deadlines of network calls (an attempt's timeout, a NATS request's) stay
// on the real clock: the network they bound runs on real time, and a fake
// clock would leave a hung call waiting until a test moved it.

// sleep waits d on clk. It reports false when ctx ended first.
func sleep(ctx context.Context, clk clockwork.Clock, d time.Duration) bool {
	t := clk.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.Chan():
		return true
	}
}
