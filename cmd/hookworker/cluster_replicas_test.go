package main

import (
	"context"
	"testing"
	"time"

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
