package worker_test

import (
	"context"
	"encoding/json"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookworker/hookworker/internal/jstest"
	"github.com/hookworker/hookworker/trigger"
	"github.com/hookworker/hookworker/trigger/webhook"
	"github.com/hookworker/hookworker/worker"
)

// TestMaxDeliveriesBackstopRetry: a due retry (an event the retry stream
// handed back) that runs out of deliveries on the retry consumer without
// the worker finishing it is dead-lettered and gets its failed Result,
// like one of the trigger consumer: the backstop watches the retry
// consumer's MAX_DELIVERIES advisories too.
func TestMaxDeliveriesBackstopRetry(t *testing.T) {
	srv := jstest.Server(t)
	nc, js := jstest.Connect(t, srv)
	cfg := twoDeliveries
	setUpOnly(t, nc, cfg)
	ev := &trigger.Event{ID: "poison-due", BotID: "pb", ConversationID: "c", Webhook: &webhook.Definition{URL: "http://127.0.0.1:1/never"}}
	sub, err := nc.SubscribeSync(trigger.ResultSubject(ev, ""))
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	// As the server publishes a due schedule.
	if _, err := js.Publish(ctx, trigger.DefaultRetryPrefix+".due.0123abcd.connections.fired.pb", data); err != nil {
		t.Fatal(err)
	}
	cons, err := js.Consumer(ctx, trigger.DefaultRetryStream, "hookworker-retry")
	if err != nil {
		t.Fatal(err)
	}
	var deliveries atomic.Int32
	cc, err := cons.Consume(func(m jetstream.Msg) { deliveries.Add(1) }) // takes it, never answers
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "two deliveries", func() bool { return deliveries.Load() >= 2 })
	time.Sleep(1500 * time.Millisecond) // the last delivery's AckWait runs out
	cc.Stop()

	startWorker(t, nc, cfg, worker.Deps{})
	res := nextResult(t, sub, 15*time.Second)
	if res.Status != trigger.StatusFailed || res.Error.Class != trigger.ClassTimeout || res.EventID != ev.ID {
		t.Fatalf("result %+v %+v", res, res.Error)
	}
	if ls := letters(t, nc); len(ls) != 1 || ls[0].EventID != ev.ID {
		t.Fatalf("dead letters %+v", ls)
	}
	// The backstop deletes the message right after the Result.
	if n := eventuallyEmpty(t, js, trigger.DefaultRetryStream, 5*time.Second); n != 0 {
		t.Errorf("the retry stream still holds %d messages 5 s after the Result", n)
	}
}

// eventuallyEmpty is how many messages stream holds once it holds none,
// or when within is over.
func eventuallyEmpty(t *testing.T, js jetstream.JetStream, stream string, within time.Duration) uint64 {
	t.Helper()
	st, err := js.Stream(context.Background(), stream)
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(within); ; time.Sleep(20 * time.Millisecond) {
		info, err := st.Info(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if info.State.Msgs == 0 || time.Now().After(deadline) {
			return info.State.Msgs
		}
	}
}
