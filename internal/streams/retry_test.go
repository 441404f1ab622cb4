package streams_test

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookworker/hookworker/internal/config"
	"github.com/hookworker/hookworker/internal/jstest"
	"github.com/hookworker/hookworker/internal/streams"
)

// TestRetrySchedules verifies, against the real server, what the worker's
// delayed retries rely on (nats-server message schedules):
//   - a schedule ("@at <RFC 3339>", Nats-Schedule-Target in the same
//     stream) publishes its message, headers and body, to the target at
//     that time, not before, and the schedule itself is removed;
//   - a second schedule on the same subject replaces the first (the
//     server rolls the subject up), so one event has one schedule;
//   - a schedule stored again with the same Nats-Msg-Id within the window
//     is a duplicate, before and after it fired;
//   - a schedule in the past fires at once.
func TestRetrySchedules(t *testing.T) {
	srv := jstest.Server(t)
	nc, js := jstest.Connect(t, srv)
	ctx := context.Background()
	topo := streams.NewTopology(config.Default())
	if _, err := streams.Ensure(ctx, js, topo.Retry()); err != nil {
		t.Fatal(err)
	}
	cons, err := js.CreateOrUpdateConsumer(ctx, topo.Retry().Name, topo.RetryConsumer())
	if err != nil {
		t.Fatal(err)
	}
	schedule := func(key, msgID, body string, at time.Time) *jetstream.PubAck {
		t.Helper()
		m := nats.NewMsg(topo.RetryWaitSubject(key))
		m.Header.Set("Nats-Schedule", "@at "+at.UTC().Format(time.RFC3339Nano))
		m.Header.Set("Nats-Schedule-Target", topo.RetryDueSubject(key, "connections.fired.bot-a"))
		m.Header.Set("Hookworker-Origin", "42")
		m.Header.Set(nats.MsgIdHdr, msgID)
		m.Data = []byte(body)
		ack, err := js.PublishMsg(ctx, m)
		if err != nil {
			t.Fatalf("schedule %s: %v", key, err)
		}
		return ack
	}
	next := func(wait time.Duration) jetstream.Msg {
		t.Helper()
		b, err := cons.Fetch(1, jetstream.FetchMaxWait(wait))
		if err != nil {
			t.Fatal(err)
		}
		for m := range b.Messages() {
			return m
		}
		return nil
	}

	start := time.Now()
	schedule("k1", "retry-k1-1", "first", start.Add(4*time.Second))
	schedule("k1", "retry-k1-2", "second", start.Add(1500*time.Millisecond)) // replaces the first
	if ack := schedule("k1", "retry-k1-2", "again", start.Add(time.Second)); !ack.Duplicate {
		t.Error("the same schedule stored twice was not a duplicate")
	}
	if m := next(time.Second); m != nil {
		t.Fatalf("due after %s, before its time: %s", time.Since(start), m.Data())
	}
	m := next(5 * time.Second)
	took := time.Since(start)
	if m == nil {
		t.Fatal("the schedule did not fire")
	}
	if string(m.Data()) != "second" || m.Headers().Get("Hookworker-Origin") != "42" || took < 1400*time.Millisecond {
		t.Errorf("due %q after %s, headers %v; want the second schedule's body after 1.5s with its headers", m.Data(), took, m.Headers())
	}
	key, subj, ok := topo.RetryOrigin(m.Subject())
	if !ok || key != "k1" || subj != "connections.fired.bot-a" {
		t.Errorf("RetryOrigin(%s) = %q %q %v", m.Subject(), key, subj, ok)
	}
	if err := m.Ack(); err != nil {
		t.Fatal(err)
	}
	if m := next(3 * time.Second); m != nil {
		t.Errorf("the replaced schedule fired too: %s", m.Data())
	}
	s, _ := js.Stream(ctx, topo.Retry().Name)
	info, _ := s.Info(ctx)
	if info.State.Msgs != 0 {
		t.Errorf("%d messages left in the retry stream, want 0 (the schedule removed, the due event acked)", info.State.Msgs)
	}
	if ack := schedule("k1", "retry-k1-2", "after", time.Now()); !ack.Duplicate {
		t.Error("a fired schedule stored again within the window was not a duplicate")
	}

	past := time.Now()
	schedule("k2", "retry-k2-1", "late", past.Add(-time.Minute))
	if m := next(3 * time.Second); m == nil || string(m.Data()) != "late" {
		t.Fatalf("a schedule in the past: %v", m)
	} else {
		t.Logf("a schedule in the past fired after %s", time.Since(past))
		m.Ack()
	}
	_ = nc
}
