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
