package streams_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookworker/hookworker/internal/jstest"
	"github.com/hookworker/hookworker/internal/streams"
)

// inProcessThenStored answers JetStream publishes on subject the way a
// clustered stream does while it is still storing an earlier copy: 409
// "duplicate message id is in process" n times, then the PubAck. It
// records the Nats-Msg-Id of every copy.
func inProcessThenStored(t *testing.T, nc *nats.Conn, subject string, n int32) (ids chan string) {
	t.Helper()
	ids = make(chan string, 64)
	var seen atomic.Int32
	sub, err := nc.Subscribe(subject, func(m *nats.Msg) {
		ids <- m.Header.Get(nats.MsgIdHdr)
		if seen.Add(1) <= n {
			_ = m.Respond([]byte(`{"error":{"code":409,"err_code":10158,"description":"duplicate message id is in process"}}`))
			return
		}
		_ = m.Respond([]byte(`{"stream":"RESULTS","seq":1}`))
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sub.Unsubscribe() })
	return ids
}

// TestPublishInProcess: a 409 "in process" is sent again with the same
// message id until the server stores it, each retry reported; it is
// never an error while the context lasts.
func TestPublishInProcess(t *testing.T) {
	srv := jstest.Server(t)
	nc, js := jstest.Connect(t, srv)
	ids := inProcessThenStored(t, nc, "res.409", 3)
	msg := nats.NewMsg("res.409")
	msg.Header.Set(nats.MsgIdHdr, "result-e1")
	msg.Data = []byte(`{}`)
	var retried []streams.Fault
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ack, err := streams.Publish(ctx, js, msg, streams.PublishOptions{Retried: func(f streams.Fault, _ error) { retried = append(retried, f) }})
	if err != nil || ack == nil || ack.Sequence != 1 {
		t.Fatalf("Publish: %v, %+v; want stored after the 409s", err, ack)
	}
	if len(retried) != 3 || retried[0] != streams.FaultInProcess {
		t.Errorf("retries reported %v, want 3 in process", retried)
	}
	close(ids)
	n := 0
	for id := range ids {
		n++
		if id != "result-e1" {
			t.Errorf("copy %d sent with id %q, want the same id each time", n, id)
		}
	}
	if n != 4 {
		t.Errorf("%d copies sent, want 4", n)
	}

	// Still in process when the context ends: the error says both.
	inProcessThenStored(t, nc, "res.forever", 1_000_000)
	msg.Subject = "res.forever"
	ctx, cancel = context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	if _, err := streams.Publish(ctx, js, msg, streams.PublishOptions{}); err == nil || !errors.Is(err, context.DeadlineExceeded) ||
		streams.WriteFault(err) != streams.FaultInProcess {
		t.Errorf("Publish past its context: %v, want the 409 and the deadline", err)
	}
}

// TestPublishRefusedAtOnce: a stream that refuses the message (sealed;
// full with discard new) answers at once, with an error readiness
// reports; a message over the size limit is refused but says nothing of
// the stream's health.
func TestPublishRefusedAtOnce(t *testing.T) {
	srv := jstest.Server(t)
	_, js := jstest.Connect(t, srv)
	ctx := context.Background()
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "FULL", Subjects: []string{"full.>"}, MaxMsgs: 1,
		Discard: jetstream.DiscardNew, MaxMsgSize: 1024}); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name      string
		size      int
		unhealthy bool
	}{
		{"stored", 10, false},
		{"full, discard new", 10, true},
		{"too large", 2048, false},
	} {
		msg := nats.NewMsg("full.x")
		msg.Data = make([]byte, tt.size)
		msg.Header.Set(nats.MsgIdHdr, tt.name)
		start := time.Now()
		_, err := streams.Publish(ctx, js, msg, streams.PublishOptions{})
		if d := time.Since(start); d > time.Second {
			t.Errorf("%s: answered after %s, want at once", tt.name, d)
		}
		if (tt.name == "stored") != (err == nil) {
			t.Errorf("%s: %v", tt.name, err)
		}
		if got := streams.Unhealthy(err); got != tt.unhealthy {
			t.Errorf("%s: Unhealthy(%v) = %v, want %v", tt.name, err, got, tt.unhealthy)
		}
	}
}
