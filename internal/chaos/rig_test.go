package chaos

import (
	"testing"
	"time"
)

// rig is what most rows share: a test client on the servers, the RESULTS
// stream, a target, the workers and the row's figures.
type rig struct {
	t   *testing.T
	url string
	c   *client
	tg  *target
	ws  []*worker
	r   *row
	// zero is the instant the duplicates' times are described from
	// (the first fault); the row's start if unset.
	zero time.Time
}

func newRig(t *testing.T, url string, replicas int, delay time.Duration) *rig {
	t.Helper()
	g := &rig{t: t, url: url, c: connect(t, url), tg: newTarget(t, delay), r: &row{}, zero: time.Now()}
	createResults(t, g.c, replicas)
	record(t, g.r)
	return g
}

// worker starts a worker and waits for it to start.
func (g *rig) worker(name string, env ...string) *worker {
	g.t.Helper()
	w := startWorker(g.t, name, g.url, false, env...)
	g.ws = append(g.ws, w)
	return w
}

// finish waits for the publisher, settles, accounts and checks that every
// worker still in the rig is alive and ready. It returns the tally and
// when each event was stored.
func (g *rig) finish(pub *publisher, e expect, within time.Duration) (*tally, map[string]time.Time) {
	g.t.Helper()
	pub.wait(g.t, 120*time.Second)
	ids := pub.storedAt()
	tl := settle(g.t, g.c, len(ids), within)
	g.r.events = len(ids)
	g.r.succeeded, g.r.dead, g.r.lost = tl.account(g.t, ids, e)
	g.r.dups, _ = duplicates(g.tg)
	if d := checkHealthy(g.t, g.ws...); d > 0 {
		g.r.readyLate = d
	}
	return tl, ids
}

// checkDups requires the duplicate executions to stay within the bound.
func (g *rig) checkDups() {
	g.t.Helper()
	if extra, keys := duplicates(g.tg); extra > g.r.bound {
		g.t.Errorf("%d extra executions over %d event ids at the target, more than the %d on the wire at the faults; the first: %s",
			extra, keys, g.r.bound, g.tg.describeDups(g.zero, 10))
	}
}

// scale is n, or a third of it under -short.
func scale(n int) int {
	if testing.Short() {
		return max(n/3, 30)
	}
	return n
}
