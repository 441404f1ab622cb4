package worker

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookworker/hookworker/internal/jstest"
)

// fakeLink is a NATS connection that can be told it is down, or that its
// flushes fail, while it stays connected for real.
type fakeLink struct {
	nc        *nats.Conn
	down      atomic.Bool
	flushFail atomic.Bool
}

func (l *fakeLink) IsConnected() bool { return !l.down.Load() && l.nc.IsConnected() }

func (l *fakeLink) FlushTimeout(d time.Duration) error {
	if l.flushFail.Load() {
		return errors.New("flush timed out")
	}
	return l.nc.FlushTimeout(d)
}

// TestHeartbeatsCountOnlyWhenTheyArrive: with an ack_wait of 600 ms, a
// delivery kept 1.5 s is still this process's only while the heartbeats
// reach the server. While the connection is down none is sent (the client
// would buffer it for later) and while flushes fail none counts: the
// delivery is no longer held, as the server's redelivery shows.
func TestHeartbeatsCountOnlyWhenTheyArrive(t *testing.T) {
	for _, tc := range []struct {
		name                  string
		down, flushFail       bool
		wantHeld, redelivered bool
	}{
		{"connected", false, false, true, false},
		{"connection down", true, false, false, true},
		// The first heartbeats arrive unconfirmed; once the process takes
		// the delivery for lost it sends no more, and the server
		// redelivers.
		{"flushes fail", false, true, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := jstest.Server(t)
			nc, js := jstest.Connect(t, srv)
			ctx := context.Background()
			if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "HB", Subjects: []string{"hb.>"}}); err != nil {
				t.Fatal(err)
			}
			const ackWait = 600 * time.Millisecond
			cons, err := js.CreateConsumer(ctx, "HB", jetstream.ConsumerConfig{Durable: "hb", AckPolicy: jetstream.AckExplicitPolicy, AckWait: ackWait})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := js.Publish(ctx, "hb.1", []byte("x")); err != nil {
				t.Fatal(err)
			}
			batch, err := cons.Fetch(1, jetstream.FetchMaxWait(2*time.Second))
			if err != nil {
				t.Fatal(err)
			}
			var m jetstream.Msg
			for msg := range batch.Messages() {
				m = msg
			}
			if m == nil {
				t.Fatal("no delivery")
			}
			link := &fakeLink{nc: nc}
			link.down.Store(tc.down)
			link.flushFail.Store(tc.flushFail)
			f := newInflight(clockwork.NewRealClock(), ackWait)
			f.link = link
			f.add(m, time.Now())
			rctx, cancel := context.WithCancel(ctx)
			done := make(chan struct{})
			go func() { defer close(done); f.run(rctx) }()
			t.Cleanup(func() { cancel(); <-done })

			time.Sleep(1500 * time.Millisecond)
			if got := f.held(m); got != tc.wantHeld {
				t.Errorf("held after 1.5 s: %v, want %v", got, tc.wantHeld)
			}
			again, err := cons.Fetch(1, jetstream.FetchMaxWait(300*time.Millisecond))
			if err != nil {
				t.Fatal(err)
			}
			redelivered := false
			for range again.Messages() {
				redelivered = true
			}
			if redelivered != tc.redelivered {
				t.Errorf("redelivered by the server: %v, want %v", redelivered, tc.redelivered)
			}
		})
	}
}
