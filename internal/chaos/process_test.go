package chaos

import (
	"fmt"
	"syscall"
	"testing"
	"time"
)

// TestChaosWorkerKillLoop: two workers under load; one is SIGKILLed three
// times and started again each time. What the killed process held comes
// back after ack_wait; only what it had on the wire may run twice.
func TestChaosWorkerKillLoop(t *testing.T) {
	t.Parallel()
	nd := startNATS(t, natsOptions{})
	g := newRig(t, nd.url(), 1, 20*time.Millisecond)
	g.worker("w1")
	victim := g.worker("w2-0")
	n := scale(1500)
	pub := publish(t, g.c, okEvents("kill", n, g.tg.url()), 150)
	var kills []time.Time
	for k := 1; k <= 3; k++ {
		pub.waitCount(t, k*n/4, 60*time.Second)
		at := time.Now()
		if k == 1 {
			g.zero = at
		}
		victim.signal(syscall.SIGKILL)
		victim.wait(10 * time.Second)
		kills = append(kills, at)
		time.Sleep(300 * time.Millisecond)
		g.r.bound += g.tg.onWire(victim.ua, at, 300*time.Millisecond)
		g.ws = g.ws[:1]
		victim = g.worker(fmt.Sprintf("w2-%d", k))
	}
	tl, ids := g.finish(pub, expect{}, 60*time.Second)
	for _, at := range kills {
		g.r.heal = max(g.r.heal, tl.healedBy(ids, at))
	}
	g.checkDups()
	g.r.note = "3 SIGKILLs of one of 2 workers at 150 events/s, ack_wait 3s"
}

// TestChaosSigstopPastAckWait: one of two workers is frozen (SIGSTOP)
// for three times ack_wait while it holds events, then resumed. The
// other worker takes over what it held; the resumed one must not run an
// event whose delivery it no longer holds: only the requests it already
// had on the wire may run twice.
func TestChaosSigstopPastAckWait(t *testing.T) {
	t.Parallel()
	nd := startNATS(t, natsOptions{})
	g := newRig(t, nd.url(), 1, 400*time.Millisecond)
	g.worker("w1")
	victim := g.worker("w2")
	n := scale(600)
	pub := publish(t, g.c, okEvents("sigstop", n, g.tg.url()), 60)
	pub.waitCount(t, n/3, 60*time.Second)
	at := time.Now()
	g.zero = at
	victim.signal(syscall.SIGSTOP)
	time.Sleep(9 * time.Second)
	victim.signal(syscall.SIGCONT)
	resumed := time.Now()
	g.r.bound = g.tg.onWire(victim.ua, at, 300*time.Millisecond)
	tl, ids := g.finish(pub, expect{}, 60*time.Second)
	g.r.heal = tl.healedBy(ids, at)
	g.checkDups()
	g.r.note = fmt.Sprintf("2 workers, 400ms target, 60 events/s; one SIGSTOPped for 9s (ack_wait 3s) then SIGCONT; it ran %d requests after resuming and handed back %v deliveries unrun (hookworker_stale_deliveries_total); heal from SIGSTOP",
		g.tg.executedAfter(victim.ua, resumed), victim.metric("hookworker_stale_deliveries_total"))
}

// TestChaosSigtermLongRequests: one of two workers gets SIGTERM while its
// requests take longer than its shutdown grace (2s requests, 500ms
// grace, webhook timeout 10s; the load within what one worker can do). A request already on the wire finishes and its
// event is settled by that worker: nothing is sent again by the other.
func TestChaosSigtermLongRequests(t *testing.T) {
	t.Parallel()
	nd := startNATS(t, natsOptions{})
	g := newRig(t, nd.url(), 1, 2*time.Second)
	g.worker("w1")
	victim := g.worker("w2", "HOOKWORKER_SHUTDOWN_GRACE=500ms")
	n := scale(60)
	pub := publish(t, g.c, okEvents("sigterm", n, g.tg.url()), 5)
	pub.waitCount(t, n/3, 60*time.Second)
	at := time.Now()
	g.zero = at
	onWire := g.tg.onWire(victim.ua, at, 0)
	victim.signal(syscall.SIGTERM)
	if !victim.wait(20 * time.Second) {
		t.Fatalf("worker %s still running 20s after SIGTERM", victim.name)
	}
	exited := time.Since(at)
	if victim.err != nil {
		t.Errorf("worker %s exited with %v after SIGTERM, want status 0", victim.name, victim.err)
	}
	g.ws = g.ws[:1]
	g.r.bound = 0 // the contract: a request on the wire finishes rather than being sent again
	tl, ids := g.finish(pub, expect{}, 90*time.Second)
	g.r.heal = tl.healedBy(ids, at)
	g.checkDups()
	g.r.note = fmt.Sprintf("2 workers, 2s requests, 5 events/s; SIGTERM to one with 500ms grace while %d of its requests were on the wire; it exited after %s",
		onWire, exited.Round(100*time.Millisecond))
}
