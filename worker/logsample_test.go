package worker_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/hookworker/hookworker/internal/config"
	"github.com/hookworker/hookworker/internal/fault"
	"github.com/hookworker/hookworker/internal/jstest"
	"github.com/hookworker/hookworker/internal/workertest"
	"github.com/hookworker/hookworker/trigger"
	"github.com/hookworker/hookworker/trigger/webhook"
	"github.com/hookworker/hookworker/worker"
)

// TestOutcomeLinesSampled: with log.success_sample, the "event done"
// lines of succeeded events are sampled while every failed event has its
// line; with 0, every succeeded event has one too.
func TestOutcomeLinesSampled(t *testing.T) {
	const ok, bad = 30, 6
	for _, c := range []struct {
		sample       int
		minOK, maxOK int
	}{
		{sample: 5, minOK: 5, maxOK: ok - 1},
		{sample: 0, minOK: ok, maxOK: ok},
	} {
		t.Run(fmt.Sprintf("sample %d", c.sample), func(t *testing.T) {
			srv := jstest.Server(t)
			nc, js := jstest.Connect(t, srv)
			target := fault.NewServer(t)
			target.On("/ok", fault.OK(`{}`))
			target.On("/gone", fault.Status(404, `{}`))
			core, logs := observer.New(zapcore.InfoLevel)
			startWorker(t, nc, func(cfg *config.Config) { cfg.Log.SuccessSample = c.sample }, worker.Deps{Logger: zap.New(core)})
			results := workertest.CollectResults(t, nc, "res.sample")
			var ids []string
			for i := range ok + bad {
				path := "/ok"
				if i%((ok+bad)/bad) == 0 {
					path = "/gone"
				}
				id := fmt.Sprintf("s-%d", i)
				ids = append(ids, id)
				ev := &trigger.Event{ID: id, BotID: "bot-1", ConversationID: "conv-1", ReplyTo: "res.sample",
					Webhook: &webhook.Definition{ID: "w", URL: target.URL() + path}}
				data, err := json.Marshal(ev)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := js.Publish(context.Background(), "connections.fired.bot-1", data, jetstream.WithMsgID(id)); err != nil {
					t.Fatal(err)
				}
			}
			results.WaitNth(t, 1, 20*time.Second, ids...)
			time.Sleep(100 * time.Millisecond) // the last lines follow the Results
			count := map[string]int{}
			for _, e := range logs.FilterMessage("event done").All() {
				count[fmt.Sprint(e.ContextMap()["status"])]++
			}
			if count["failed"] != bad {
				t.Errorf("%d lines of failed events, want all %d", count["failed"], bad)
			}
			if n := count["succeeded"]; n < c.minOK || n > c.maxOK {
				t.Errorf("%d lines of %d succeeded events, want %d..%d", n, ok, c.minOK, c.maxOK)
			}
		})
	}
}
