package main

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookworker/hookworker/internal/fault"
	"github.com/hookworker/hookworker/internal/jstest"
	"github.com/hookworker/hookworker/trigger"
	"github.com/hookworker/hookworker/trigger/webhook"
)

// TestClusterCreatesReplicatedStreams: a worker started against an empty
// 3-node cluster with nats.replicas 3 (HOOKWORKER_NATS_REPLICAS, as the
// docker-compose cluster profile sets it) creates every stream and bucket
// with three replicas, its consumers (the ordered lanes' included) follow
// their stream, and both an unordered and an ordered event get their
// Result.
func TestClusterCreatesReplicatedStreams(t *testing.T) {
	bin := buildBinary(t)
	nodes := jstest.Cluster(t, 3)
	url := jstest.ClientURLs(nodes)
	nc, js, _ := connect(t, url)
	target := fault.NewServer(t)
	target.On("/hook", fault.OK(`{"ok": true}`))

	p := startWorker(t, bin, "r1", url, "HOOKWORKER_NATS_REPLICAS=3", "HOOKWORKER_ORDERING_PARTITIONS=2")
	for _, name := range []string{trigger.DefaultStream, trigger.DefaultDLQStream, "CONNECTIONS_ADVISORIES",
		"KV_hookworker-attempts", "KV_hookworker-webhooks"} {
		waitReplicas(t, js, name, 3, 30*time.Second)
	}
	for _, c := range []string{"hookworker", "hookworker-ordered-0", "hookworker-ordered-1"} {
		waitConsumerReplicas(t, js, trigger.DefaultStream, c, 3, 30*time.Second)
	}

	client, err := trigger.NewClient(nc, trigger.WithJetStream(js), trigger.WithOrderedBots("bot-ordered"))
	if err != nil {
		t.Fatal(err)
	}
	for _, bot := range []string{"bot-plain", "bot-ordered"} {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		res, err := client.Fire(ctx, &trigger.Event{ID: "evt-" + bot, BotID: bot, ConversationID: "conv-1",
			Webhook: &webhook.Definition{URL: target.URL() + "/hook", CVars: []webhook.Mapping{{Name: "ok", Mapper: "{{ ok }}"}}}})
		cancel()
		if err != nil {
			t.Fatalf("%s: %v", bot, err)
		}
		if res.Status != trigger.StatusSucceeded || res.CVars["ok"] != true {
			t.Errorf("%s: Result %s %v %+v", bot, res.Status, res.CVars, res.Error)
		}
	}
	if n := target.Count("/hook"); n != 2 {
		t.Errorf("the target saw %d requests, want 2", n)
	}
	p.stop(20 * time.Second)
}

// TestClusterInheritsTriggerReplicas: an operator created the trigger
// stream with three replicas and left nats.replicas at its default (1):
// what the worker creates beside it (retry and dead-letter streams,
// advisories, buckets) gets three replicas too, not one copy on a node
// that may fail, and an event still gets its Result.
func TestClusterInheritsTriggerReplicas(t *testing.T) {
	bin := buildBinary(t)
	nodes := jstest.Cluster(t, 3)
	url := jstest.ClientURLs(nodes)
	nc, js, _ := connect(t, url)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: trigger.DefaultStream,
		Subjects:  []string{"connections.fired.>", "connections.replay.>"},
		Retention: jetstream.WorkQueuePolicy, Replicas: 3}); err != nil {
		t.Fatal(err)
	}
	target := fault.NewServer(t)
	target.On("/hook", fault.OK(`{"ok": true}`))
	p := startWorker(t, bin, "inherit", url)
	p.waitLog("what this worker creates gets the trigger stream's replicas", 30*time.Second)
	for _, name := range []string{trigger.DefaultRetryStream, trigger.DefaultDLQStream, "CONNECTIONS_ADVISORIES",
		"KV_hookworker-attempts", "KV_hookworker-webhooks"} {
		waitReplicas(t, js, name, 3, 30*time.Second)
	}
	client, err := trigger.NewClient(nc, trigger.WithJetStream(js))
	if err != nil {
		t.Fatal(err)
	}
	res, err := client.Fire(ctx, &trigger.Event{ID: "evt-inherit", BotID: "bot-a", ConversationID: "conv-1",
		Webhook: &webhook.Definition{URL: target.URL() + "/hook", CVars: []webhook.Mapping{{Name: "ok", Mapper: "{{ ok }}"}}}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != trigger.StatusSucceeded {
		t.Errorf("Result %s %+v", res.Status, res.Error)
	}
	p.stop(20 * time.Second)
}
