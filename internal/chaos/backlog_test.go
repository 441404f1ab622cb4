package chaos

import (
	"fmt"
	"testing"
	"time"
)

// TestChaosSlowTargetBacklog: one worker (concurrency 16), a target that
// takes 2s, a burst of events: the messages pulled into the client's
// buffer wait there for a free slot, with their ack_wait (3s) running.
// No fault but the load: nothing may run twice.
//
// Found by this row (150-160 of 180 ran twice on the worker of 2026-12-03
// morning): a message waits in nats.go's buffer (PullMaxMessages =
// worker.pull_batch) before the stale-delivery guard sees it, with its
// ack_wait running, so the server redelivers it, often to this same
// process, which ran both copies. The worker now knows the messages it
// runs or settled (worker/copies.go) and runs no second copy of one.
func TestChaosSlowTargetBacklog(t *testing.T) {
	t.Parallel()
	nd := startNATS(t, natsOptions{})
	g := newRig(t, nd.url(), 1, 2*time.Second)
	g.worker("w1")
	n := scale(180)
	pub := publish(t, g.c, okEvents("backlog", n, g.tg.url()), 200)
	g.r.bound = 0
	tl, ids := g.finish(pub, expect{}, 90*time.Second)
	g.r.heal = tl.healedBy(ids, time.Now().Add(-time.Hour))
	g.checkDups()
	g.r.heal = 0
	g.r.note = fmt.Sprintf("1 worker, concurrency 16, 2s target, a burst of %d events at 200/s, ack_wait 3s; %d requests", n, g.tg.requests())
}
