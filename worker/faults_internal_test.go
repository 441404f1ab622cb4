package worker

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/nats-io/nats.go"
	"go.uber.org/zap"

	"github.com/hookworker/hookworker/internal/jstest"
	"github.com/hookworker/hookworker/internal/streams"
)

// TestBackstopRetry: the backstop tries an advisory a bounded number of
// times, waiting longer each time, then gives up.
func TestBackstopRetry(t *testing.T) {
	delays := []time.Duration{time.Second, 3 * time.Second}
	for _, tt := range []struct {
		n      uint64
		delay  time.Duration
		giveUp bool
	}{
		{0, 0, true}, // no metadata: no count to bound it by
		{1, time.Second, false},
		{2, 3 * time.Second, false},
		{3, 0, true},
		{50, 0, true},
	} {
		d, g := backstopRetry(tt.n, delays)
		if d != tt.delay || g != tt.giveUp {
			t.Errorf("backstopRetry(%d) = %s, %v; want %s, %v", tt.n, d, g, tt.delay, tt.giveUp)
		}
	}
	if _, g := backstopRetry(uint64(len(backstopDelays))+1, backstopDelays); !g {
		t.Errorf("the default schedule never gives up")
	}
}

// TestResultInProcess: a Result publish answered 409 "duplicate message
// id is in process" (a clustered result stream still storing an earlier
// copy; here a responder on a subject a stream is said to capture) is
// sent again with the same id until stored, counted as retries, never a
// failure.
func TestResultInProcess(t *testing.T) {
	srv := jstest.Server(t)
	nc, js := jstest.Connect(t, srv)
	var copies atomic.Int32
	sub, err := nc.Subscribe("res.409.e1", func(m *nats.Msg) {
		if m.Header.Get(nats.MsgIdHdr) != "result-e1" {
			t.Errorf("copy with id %q", m.Header.Get(nats.MsgIdHdr))
		}
		if copies.Add(1) <= 2 {
			_ = m.Respond([]byte(`{"error":{"code":409,"err_code":10158,"description":"duplicate message id is in process"}}`))
			return
		}
		_ = m.Respond([]byte(`{"stream":"RESULTS","seq":7}`))
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	var retried []streams.Fault
	r := newResultRouter(js, clockwork.NewRealClock(), time.Second)
	r.patterns.Store(&[]string{"res.409.>"})
	r.health = newWriteHealth(clockwork.NewRealClock(), zap.NewNop())
	r.retried = func(f streams.Fault, _ error) { retried = append(retried, f) }
	msg := nats.NewMsg("res.409.e1")
	msg.Header.Set(nats.MsgIdHdr, "result-e1")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := r.publish(ctx, nc, msg); err != nil {
		t.Fatalf("publish: %v, want stored after the 409s", err)
	}
	if n := copies.Load(); n != 3 || len(retried) != 2 || retried[0] != streams.FaultInProcess {
		t.Errorf("%d copies, retries %v; want 3 copies, 2 in-process retries", n, retried)
	}
	if err := r.health.check(); err != nil {
		t.Errorf("a 409 made the worker unhealthy: %v", err)
	}
}
