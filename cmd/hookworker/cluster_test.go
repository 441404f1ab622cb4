package main

// Fleet tests: several real `hookworker run` processes share the durable
// consumer. TestFleetSharesWork has three processes split a burst on one
// NATS server and SIGKILLs one of them midway; TestClusterLeaderLoss runs
// two processes against a 3-node JetStream cluster whose streams have three
// replicas and shuts down the trigger stream's leader under load. Results
// are captured by a RESULTS stream, so the workers publish them with
// JetStream and a duplicate Result is absorbed by its Nats-Msg-Id: the
// stream tells whether every event got exactly one; a core subscription
// counts the duplicates.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookworker/hookworker/internal/fault"
	"github.com/hookworker/hookworker/internal/jstest"
	"github.com/hookworker/hookworker/internal/natsd"
	"github.com/hookworker/hookworker/trigger"
)

// clusterStreams are the streams the workers use, with three replicas,
// created before any worker starts (a worker uses an existing stream as
// it is).
func clusterStreams() []jetstream.StreamConfig {
	return []jetstream.StreamConfig{
		{
			Name:       trigger.DefaultStream,
			Subjects:   []string{trigger.DefaultFiredPrefix + ".>"},
			Retention:  jetstream.WorkQueuePolicy,
			Storage:    jetstream.FileStorage,
			Duplicates: 2 * time.Minute,
			Replicas:   3,
		},
		{
			Name:       trigger.DefaultDLQStream,
			Subjects:   []string{trigger.DefaultDLQPrefix + ".>"},
			Storage:    jetstream.FileStorage,
			Retention:  jetstream.LimitsPolicy,
			Duplicates: 10 * time.Minute,
			Replicas:   3,
		},
		{
			Name:      "CONNECTIONS_ADVISORIES",
			Subjects:  []string{"$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES." + trigger.DefaultStream + ".hookworker"},
			Storage:   jetstream.FileStorage,
			Retention: jetstream.WorkQueuePolicy,
			MaxAge:    7 * 24 * time.Hour,
			Replicas:  3,
		},
	}
}

// leaderOf is the name of the server leading stream, or "".
func leaderOf(js jetstream.JetStream, stream string) string {
	info, err := streamInfo(js, stream, 5*time.Second)
	if err != nil || info.Cluster == nil {
		return ""
	}
	return info.Cluster.Leader
}

// replicasOf describes the replica count of stream and its peers.
func replicasOf(js jetstream.JetStream, stream string) (int, string) {
	info, err := streamInfo(js, stream, 5*time.Second)
	if err != nil {
		return 0, err.Error()
	}
	peers := []string{}
	if info.Cluster != nil {
		peers = append(peers, info.Cluster.Leader+"*")
		for _, r := range info.Cluster.Replicas {
			peers = append(peers, fmt.Sprintf("%s(current %v)", r.Name, r.Current))
		}
	}
	return info.Config.Replicas, strings.Join(peers, " ")
}

// waitReplicas waits until stream has a leader and want-1 current replicas.
func waitReplicas(t *testing.T, js jetstream.JetStream, stream string, want int, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		info, err := streamInfo(js, stream, 5*time.Second)
		if err == nil && info.Cluster != nil && info.Cluster.Leader != "" && info.Config.Replicas == want {
			current := 0
			for _, r := range info.Cluster.Replicas {
				if r.Current {
					current++
				}
			}
			if current == want-1 {
				return
			}
		}
		if time.Now().After(deadline) {
			n, peers := replicasOf(js, stream)
			t.Fatalf("stream %s: %d replicas [%s] after %s, want %d current", stream, n, peers, d, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// consumerLeader is the name of the server leading the consumer, or "".
func consumerLeader(js jetstream.JetStream, stream, consumer string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := js.Consumer(ctx, stream, consumer)
	if err != nil {
		return ""
	}
	ci := c.CachedInfo()
	if ci.Cluster == nil {
		return ""
	}
	return ci.Cluster.Leader
}

// waitConsumerReplicas waits until the consumer (created by the workers
// with the stream's replica count) has a leader and want-1 current
// replicas. It returns the consumer's leader.
func waitConsumerReplicas(t *testing.T, js jetstream.JetStream, stream, consumer string, want int, d time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(d)
	var last string
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		c, err := js.Consumer(ctx, stream, consumer)
		cancel()
		if err == nil {
			ci := c.CachedInfo()
			current := 0
			var peers []string
			if ci.Cluster != nil {
				peers = append(peers, ci.Cluster.Leader+"*")
				for _, r := range ci.Cluster.Replicas {
					peers = append(peers, fmt.Sprintf("%s(current %v)", r.Name, r.Current))
					if r.Current {
						current++
					}
				}
			}
			last = fmt.Sprintf("replicas config %d [%s]", ci.Config.Replicas, strings.Join(peers, " "))
			if ci.Cluster != nil && ci.Cluster.Leader != "" && current == want-1 {
				t.Logf("consumer %s: %s", consumer, last)
				return ci.Cluster.Leader
			}
		} else {
			last = err.Error()
		}
		if time.Now().After(deadline) {
			t.Fatalf("consumer %s: %s after %s, want %d current", consumer, last, d, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// clientsByNode lists, per node, the clients whose connection name starts
// with prefix.
func clientsByNode(nodes []*natsd.Server, prefix string) string {
	var out []string
	for _, s := range nodes {
		cz, err := s.Raw().Connz(&server.ConnzOptions{})
		if err != nil {
			out = append(out, fmt.Sprintf("%s: %v", s.Raw().Name(), err))
			continue
		}
		var names []string
		for _, c := range cz.Conns {
			if strings.HasPrefix(c.Name, prefix) {
				names = append(names, c.Name)
			}
		}
		sort.Strings(names)
		out = append(out, fmt.Sprintf("%s: %v", s.Raw().Name(), names))
	}
	return strings.Join(out, ", ")
}

// TestClusterLeaderLoss: two processes consume from a 3-node JetStream
// cluster whose streams have three replicas; the trigger stream's leader
// node is shut down under load. Every event gets a succeeded Result stored
// exactly once, the trigger stream drains, the workers exit 0 on SIGTERM.
func TestClusterLeaderLoss(t *testing.T) {
	const (
		n    = 2_000
		conc = 16
	)
	start := time.Now()
	bin := buildBinary(t)
	t.Logf("binary built in %s", time.Since(start).Round(time.Millisecond))
	clusterAt := time.Now()
	nodes := jstest.Cluster(t, 3)
	url := jstest.ClientURLs(nodes)
	t.Logf("3-node cluster ready in %s: %s", time.Since(clusterAt).Round(time.Millisecond), url)
	nc, js, client := connect(t, url)
	res := subscribeResults(t, nc)

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	want := clusterStreams()
	for _, cfg := range want {
		if _, err := js.CreateStream(ctx, cfg); err != nil {
			t.Fatalf("create stream %s: %v", cfg.Name, err)
		}
	}
	want = append(want, createResultsStream(t, js, 3))
	if _, err := js.CreateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:   "hookworker-attempts",
		TTL:      48 * time.Hour, // the worker's: retry.max_age + 24h
		Storage:  jetstream.FileStorage,
		Replicas: 3,
	}); err != nil {
		t.Fatalf("create bucket hookworker-attempts: %v", err)
	}
	kvStream := "KV_hookworker-attempts"
	for _, cfg := range want {
		waitReplicas(t, js, cfg.Name, 3, 30*time.Second)
	}
	waitReplicas(t, js, kvStream, 3, 30*time.Second)

	// No webhook bucket: the registry would watch an R1 bucket that the
	// leader loss could take away.
	cfgFile := filepath.Join(t.TempDir(), "hookworker.yaml")
	if err := os.WriteFile(cfgFile, []byte("webhooks:\n  bucket: \"\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	target := fault.NewServer(t)
	target.On("/hook", fault.Hang(5*time.Millisecond))
	env := []string{
		fmt.Sprintf("HOOKWORKER_CONCURRENCY=%d", conc),
		"HOOKWORKER_ACK_WAIT=5s",
		"HOOKWORKER_SHUTDOWN_GRACE=10s",
		// What the workers create themselves (the retry stream) is
		// replicated as the operator's streams are: an R1 retry stream on
		// the node shut down would hold its events until that node returns.
		"HOOKWORKER_NATS_REPLICAS=3",
	}
	args := []string{"run", "--config", cfgFile, "--nats-url", url}
	var procs []*workerProc
	for _, name := range []string{"w1", "w2"} {
		p := startProc(t, bin, name, args, env...) // one after another: see TestFleetSharesWork
		p.waitStarted(30 * time.Second)
		procs = append(procs, p)
	}
	t.Logf("2 workers started %s after the test began", time.Since(start).Round(time.Millisecond))

	// The workers must use the streams as they are.
	var changed []string
	for _, name := range []string{trigger.DefaultStream, trigger.DefaultDLQStream, "CONNECTIONS_ADVISORIES", "RESULTS", kvStream} {
		if r, peers := replicasOf(js, name); r != 3 {
			changed = append(changed, fmt.Sprintf("%s: %d [%s]", name, r, peers))
		}
	}
	if len(changed) > 0 {
		t.Fatalf("starting the workers changed the replicas of streams created with 3: %s", strings.Join(changed, "; "))
	}
	if _, err := js.Stream(ctx, "KV_hookworker-webhooks"); !errors.Is(err, jetstream.ErrStreamNotFound) {
		t.Errorf("webhooks.bucket \"\" in the config file did not turn the webhook bucket off: stream KV_hookworker-webhooks: %v", err)
	}
	waitConsumerReplicas(t, js, trigger.DefaultStream, "hookworker", 3, 30*time.Second)

	ids := eventIDs("cluster", n)
	pubStart := time.Now()
	pub := publishSteadily(client, ids, target.URL()+"/hook", 5*time.Millisecond)
	pub.waitPublished(t, n/2, 60*time.Second)

	leader := leaderOf(js, trigger.DefaultStream)
	var victim *natsd.Server
	for _, s := range nodes {
		if s.Raw().Name() == leader {
			victim = s
		}
	}
	if victim == nil {
		t.Fatalf("no node named %q leads %s", leader, trigger.DefaultStream)
	}
	var metaLeader string
	for _, s := range nodes {
		if s.Raw().JetStreamIsLeader() {
			metaLeader = s.Raw().Name()
		}
	}
	consLeader := consumerLeader(js, trigger.DefaultStream, "hookworker")
	doneBefore := res.distinctSucceeded()
	t.Logf("shutting down %s (leads %s; consumer led by %s, RESULTS by %s, meta leader %s; worker connections %s) after %d published and %d done, %s after publishing began",
		leader, trigger.DefaultStream, consLeader, leaderOf(js, "RESULTS"), metaLeader, clientsByNode(nodes, "hookworker/"),
		pub.published.Load(), doneBefore, time.Since(pubStart).Round(time.Millisecond))
	down := time.Now()
	victim.Shutdown()
	shutdownTook := time.Since(down)
	var newLeader string
	for newLeader == "" || newLeader == leader {
		if time.Since(down) > 30*time.Second {
			t.Fatalf("%s has no new leader 30s after %s went down", trigger.DefaultStream, leader)
		}
		time.Sleep(50 * time.Millisecond)
		newLeader = leaderOf(js, trigger.DefaultStream)
	}
	elected := time.Since(down)
	t.Logf("%s shut down in %s; %s led by %s %s after the shutdown began",
		leader, shutdownTook.Round(time.Millisecond), trigger.DefaultStream, newLeader, elected.Round(time.Millisecond))

	pub.wait(t, 90*time.Second)
	published := time.Since(down)
	waitStored(t, js, "RESULTS", n, 90*time.Second)
	allStored := time.Since(down)
	waitDrained(t, js, 30*time.Second)
	drained := time.Since(down)
	time.Sleep(300 * time.Millisecond) // let any stray Result arrive
	var stops []string
	for _, p := range procs {
		stops = append(stops, fmt.Sprintf("%s %s", p.name, p.stop(20*time.Second).Round(time.Millisecond)))
	}

	stored := checkStored(t, js, "RESULTS", ids)
	c := countDelivery(t, res, target)
	split := byUserAgent(target, "/hook")
	var procLog []string
	for _, p := range procs {
		procLog = append(procLog, fmt.Sprintf("%s: %d requests, %d \"event done\", %d disconnects, %d reconnects, %d warnings (%d result not published, %d ack failed)",
			p.name, split[p.ua], p.count("event done"), p.count("disconnected from NATS"), p.count("reconnected to NATS"),
			p.count("WARN"), p.count("result not published"), p.count("ack failed")))
	}
	sort.Strings(procLog)
	t.Logf("workers: %s", strings.Join(procLog, "; "))
	t.Logf("events %d (publishes retried %d), stored Results %d; on the subscription %d Results for %d events (%d missed), %d with more than one (%d extra) %v",
		n, pub.retried.Load(), stored, c.total, len(c.results), n-len(c.results), c.res.keys, c.res.extra, c.res.worst)
	t.Logf("webhook requests %d over %d keys, keys run more than once %d (%d extra) %v",
		target.Count("/hook"), len(c.requests), c.http.keys, c.http.extra, c.http.worst)
	t.Logf("after the shutdown: publishing ended in %s, all Results stored in %s, stream drained in %s; workers stopped in %s; whole test %s",
		published.Round(time.Millisecond), allStored.Round(time.Millisecond), drained.Round(time.Millisecond),
		strings.Join(stops, ", "), time.Since(start).Round(time.Millisecond))
	if len(c.requests) != n {
		t.Errorf("the target saw %d Idempotency-Keys, want %d", len(c.requests), n)
	}
}
