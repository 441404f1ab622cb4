package chaos

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hookworker/hookworker/trigger"
)

// TestChaosNATSRestart: nats-server is SIGKILLed twice under load and
// started again on the same port and store. The workers reconnect by
// themselves; what they held while it was down may run again.
func TestChaosNATSRestart(t *testing.T) {
	t.Parallel()
	nd := startNATS(t, natsOptions{})
	g := newRig(t, nd.url(), 1, 20*time.Millisecond)
	g.worker("w1")
	g.worker("w2")
	n := scale(1200)
	pub := publish(t, g.c, okEvents("natsrestart", n, g.tg.url()), 150)
	var restarts []time.Time
	for k := 1; k <= 2; k++ {
		pub.waitCount(t, k*n/3, 60*time.Second)
		down := time.Now()
		if k == 1 {
			g.zero = down
		}
		nd.kill()
		time.Sleep(1500 * time.Millisecond)
		nd.start()
		up := time.Now()
		restarts = append(restarts, up)
		// Whatever ran while the server was down (and a moment after, while
		// the workers reconnect) could not be acknowledged.
		time.Sleep(time.Second)
		g.r.bound += g.tg.onWireDuring("", down, up.Add(time.Second), 300*time.Millisecond)
	}
	tl, ids := g.finish(pub, expect{}, 60*time.Second)
	for _, at := range restarts {
		g.r.heal = max(g.r.heal, tl.healedBy(ids, at))
	}
	g.checkDups()
	g.r.note = "2 workers, nats-server SIGKILLed twice for 1.5s at 150 events/s; heal from restart"
}

// TestChaosClusterLeaderAndQuorum: a 3-node cluster, streams with three
// replicas; the trigger stream's leader node is SIGKILLed, then a second
// node (the quorum is lost) for some seconds; both come back.
func TestChaosClusterLeaderAndQuorum(t *testing.T) {
	t.Parallel()
	nodes := startCluster(t, 3, natsOptions{})
	g := newRig(t, clusterURL(nodes), 3, 20*time.Millisecond)
	env := []string{"HOOKWORKER_NATS_REPLICAS=3", "HOOKWORKER_WEBHOOKS_BUCKET="}
	g.worker("w1", env...)
	g.worker("w2", env...)
	n := scale(900)
	pub := publish(t, g.c, okEvents("cluster", n, g.tg.url()), 100)
	pub.waitCount(t, n/3, 60*time.Second)

	leader := streamLeader(t, g.c, trigger.DefaultStream)
	var first, second *natsNode
	for _, nd := range nodes {
		switch {
		case nd.name == leader:
			first = nd
		case second == nil:
			second = nd
		}
	}
	if first == nil {
		t.Fatalf("no node named %q leads %s", leader, trigger.DefaultStream)
	}
	down := time.Now()
	g.zero = down
	first.kill()
	t.Logf("SIGKILLed %s, the leader of %s", first.name, trigger.DefaultStream)
	time.Sleep(3 * time.Second)
	second.kill()
	t.Logf("SIGKILLed %s: no quorum", second.name)
	time.Sleep(4 * time.Second)
	first.start()
	second.start()
	up := time.Now()
	time.Sleep(2 * time.Second)
	// Acks a consumer leader took but had not replicated when it died
	// are lost with it: the slack before the first kill is wider.
	g.r.bound = g.tg.onWireDuring("", down, up.Add(2*time.Second), 2*time.Second)
	tl, ids := g.finish(pub, expect{}, 90*time.Second)
	g.r.heal = tl.healedBy(ids, up)
	g.checkDups()
	g.r.note = "2 workers, R3 streams; stream leader SIGKILLed, 3s later a second node (no quorum) for 4s; heal from the nodes' restart"
}

// streamLeader is the name of the node leading stream.
func streamLeader(t *testing.T, c *client, stream string) string {
	t.Helper()
	var leader string
	err := retry(20*time.Second, func(ctx context.Context) error {
		si, err := streamInfo(ctx, c.js, stream)
		if err != nil {
			return err
		}
		if si.Cluster == nil || si.Cluster.Leader == "" {
			return context.DeadlineExceeded
		}
		leader = si.Cluster.Leader
		return nil
	})
	if err != nil {
		t.Fatalf("leader of %s: %v", stream, err)
	}
	return leader
}

// TestChaosStartWithoutNATS: a worker started while no server listens
// waits, says so on /readyz, and starts working once the server is up.
func TestChaosStartWithoutNATS(t *testing.T) {
	t.Parallel()
	port := freePort(t)
	r := &row{}
	record(t, r)
	w := startWorker(t, "w1", "nats://127.0.0.1:"+strconv.Itoa(port), true)
	time.Sleep(6 * time.Second)
	if !w.alive() {
		t.Fatalf("the worker exited (%v) while NATS was down; it should wait and retry", w.err)
	}
	code, body := w.ready()
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "cannot be reached") {
		t.Errorf("/readyz while NATS is down: %d %q, want 503 naming the unreachable server", code, body)
	}
	if n := w.count("NATS cannot be reached"); n < 2 {
		t.Errorf("%d \"NATS cannot be reached\" lines in 6s, want one per attempt", n)
	}
	nd := startNATS(t, natsOptions{port: port})
	up := time.Now()
	if !w.waitLog("worker started", 60*time.Second) {
		t.Fatalf("worker not started 60s after NATS came up")
	}
	r.heal = time.Since(up)
	g := &rig{t: t, url: nd.url(), c: connect(t, nd.url()), tg: newTarget(t, 5*time.Millisecond), r: r, ws: []*worker{w}}
	createResults(t, g.c, 1)
	time.Sleep(2 * time.Second) // the worker's stream_refresh (1s) sees RESULTS
	pub := publish(t, g.c, okEvents("nonats", scale(300), g.tg.url()), 150)
	g.finish(pub, expect{}, 30*time.Second)
	g.checkDups()
	r.note = "worker started 6s before nats-server; heal = server up to worker started"
}
