package worker_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookworker/hookworker/internal/config"
	"github.com/hookworker/hookworker/internal/fault"
	"github.com/hookworker/hookworker/internal/jstest"
	"github.com/hookworker/hookworker/internal/workertest"
	"github.com/hookworker/hookworker/trigger"
	"github.com/hookworker/hookworker/trigger/webhook"
	"github.com/hookworker/hookworker/worker"
)

// TestPullBatch: with worker.pull_batch below and above the concurrency,
// every event of a burst runs once and its Result comes back.
func TestPullBatch(t *testing.T) {
	for _, batch := range []int{3, 40} {
		t.Run(fmt.Sprint(batch), func(t *testing.T) {
			srv := jstest.Server(t)
			nc, js := jstest.Connect(t, srv)
			target := fault.NewServer(t)
			target.On("/ok", fault.OK(`{}`))
			startWorker(t, nc, func(cfg *config.Config) { cfg.Worker.PullBatch = batch }, worker.Deps{})
			results := workertest.CollectResults(t, nc, "res.batch")
			var ids []string
			for i := range 100 {
				id := fmt.Sprintf("pb-%d", i)
				ids = append(ids, id)
				data, err := json.Marshal(&trigger.Event{ID: id, BotID: "bot-1", ConversationID: "conv-1", ReplyTo: "res.batch",
					Webhook: &webhook.Definition{ID: "w", URL: target.URL() + "/ok"}})
				if err != nil {
					t.Fatal(err)
				}
				if _, err := js.Publish(context.Background(), "connections.fired.bot-1", data, jetstream.WithMsgID(id)); err != nil {
					t.Fatal(err)
				}
			}
			for id, r := range results.WaitNth(t, 1, 20*time.Second, ids...) {
				if r.Status != trigger.StatusSucceeded {
					t.Errorf("%s: %s %+v", id, r.Status, r.Error)
				}
			}
			if n := target.Count("/ok"); n != 100 {
				t.Errorf("the target saw %d requests, want 100", n)
			}
		})
	}
}
