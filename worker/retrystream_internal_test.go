package worker

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
	"github.com/hookworker/hookworker/trigger"
)

// lostAck is a delivered message whose ack never reaches the server: a
// worker that died right after storing the retry's schedule.
type lostAck struct{ jetstream.Msg }

func (lostAck) Ack() error { return nil }

// TestMoveSurvivesLostAck: a worker stores an event's retry schedule and
// dies before its ack. Whether the event's redelivery comes before the
// schedule is due (the redelivery confirms the schedule, deduplicated,
// and is acknowledged without running) or after it (the due retry deletes
// the moved message first), the event runs once more, not twice, and is
// not lost: two requests in all, one Result, nothing left in either
// stream.
func TestMoveSurvivesLostAck(t *testing.T) {
	for _, tt := range []struct {
		name  string
		delay time.Duration
	}{
		{"redelivered before due", 4 * time.Second},
		{"due before redelivery", 500 * time.Millisecond},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := jstest.Server(t)
			nc, js := jstest.Connect(t, srv)
			ft := fault.NewServer(t)
			ft.On("/flaky", fault.Status(503, ""), fault.OK(`{}`))
			cfg := config.Default()
			cfg.HTTP.Allow = []string{"127.0.0.0/8"}
			cfg.Worker.AckWait = 2 * time.Second
			cfg.Retry.QuickAttempts = 0
			cfg.Retry.Schedule = []time.Duration{tt.delay}
			w, err := New(cfg, Deps{Conn: nc})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			cons, err := w.Setup(ctx)
			if err != nil {
				t.Fatal(err)
			}
			sub, err := nc.SubscribeSync("connections.result.b1")
			if err != nil {
				t.Fatal(err)
			}
			ev := fmt.Sprintf(`{"id":"lost-1","bot_id":"b1","conversation_id":"c1","webhook":{"url":%q}}`, ft.URL()+"/flaky")
			if _, err := js.Publish(ctx, "connections.fired.b1", []byte(ev)); err != nil {
				t.Fatal(err)
			}
			batch, err := cons.Fetch(1, jetstream.FetchMaxWait(5*time.Second))
			if err != nil {
				t.Fatal(err)
			}
			for m := range batch.Messages() {
				w.handle(ctx, delivery{msg: lostAck{m}, at: time.Now()})
			}
			if n := ft.Count("/flaky"); n != 1 {
				t.Fatalf("%d requests before the crash, want 1", n)
			}
			done := make(chan error, 1)
			go func() { done <- w.Run(ctx) }()
			defer func() { cancel(); <-done }()

			m, err := sub.NextMsg(15 * time.Second)
			if err != nil {
				t.Fatalf("no Result: %v", err)
			}
			var res trigger.Result
			if err := json.Unmarshal(m.Data, &res); err != nil {
				t.Fatal(err)
			}
			if res.Status != trigger.StatusSucceeded || res.Attempts != 2 {
				t.Errorf("Result %s after %d attempts, want succeeded after 2", res.Status, res.Attempts)
			}
			// Past another ack wait and the schedule's time: nothing more.
			if m, err := sub.NextMsg(cfg.Worker.AckWait + tt.delay + time.Second); err == nil {
				t.Errorf("a second Result: %s", m.Data)
			}
			if n := ft.Count("/flaky"); n != 2 {
				t.Errorf("%d requests, want 2", n)
			}
			for _, name := range []string{"CONNECTIONS", "CONNECTIONS_RETRY"} {
				s, err := js.Stream(ctx, name)
				if err != nil {
					t.Fatal(err)
				}
				if info, _ := s.Info(ctx); info.State.Msgs != 0 {
					t.Errorf("%d messages left in %s", info.State.Msgs, name)
				}
			}
		})
	}
}

// TestMoveAfterTheHistoryIsLost: an event moved to the retry stream once
// loses its attempt history (the bucket deleted, or the key), fails again
// and is moved again. The second move starts its count from 1 again; its
// schedule must still be stored (not deduplicated against the first
// move's, which would drop the event while its message is acknowledged):
// the event comes back and succeeds.
func TestMoveAfterTheHistoryIsLost(t *testing.T) {
	srv := jstest.Server(t)
	nc, js := jstest.Connect(t, srv)
	ft := fault.NewServer(t)
	ft.On("/flaky", fault.Status(503, ""), fault.Status(503, ""), fault.OK(`{}`))
	cfg := config.Default()
	cfg.HTTP.Allow = []string{"127.0.0.0/8"}
	cfg.Retry.QuickAttempts = 0
	cfg.Retry.Schedule = []time.Duration{time.Second}
	w, err := New(cfg, Deps{Conn: nc})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if _, err := w.Setup(ctx); err != nil {
		t.Fatal(err)
	}
	sub, err := nc.SubscribeSync("connections.result.b1")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	defer func() { cancel(); <-done }()
	kv, err := js.KeyValue(ctx, cfg.Names.AttemptsBucket)
	if err != nil {
		t.Fatal(err)
	}
	ev := fmt.Sprintf(`{"id":"nohist-1","bot_id":"b1","conversation_id":"c1","webhook":{"url":%q}}`, ft.URL()+"/flaky")
	if _, err := js.Publish(ctx, "connections.fired.b1", []byte(ev)); err != nil {
		t.Fatal(err)
	}
	// Once the first move has stored the history, it is lost.
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, err := kv.Get(ctx, historyKey("nohist-1")); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no attempt history stored by the first move")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := kv.Purge(ctx, historyKey("nohist-1")); err != nil {
		t.Fatal(err)
	}
	m, err := sub.NextMsg(15 * time.Second)
	if err != nil {
		t.Fatalf("no Result (%d requests): %v", ft.Count("/flaky"), err)
	}
	var res trigger.Result
	if err := json.Unmarshal(m.Data, &res); err != nil {
		t.Fatal(err)
	}
	if res.Status != trigger.StatusSucceeded {
		t.Errorf("Result %s, want succeeded", res.Status)
	}
	if n := ft.Count("/flaky"); n != 3 {
		t.Errorf("%d requests, want 3", n)
	}
}
