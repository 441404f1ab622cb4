package worker

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookworker/hookworker/internal/config"
	"github.com/hookworker/hookworker/internal/deadletter"
	"github.com/hookworker/hookworker/internal/jstest"
	"github.com/hookworker/hookworker/mapper"
	"github.com/hookworker/hookworker/trigger"
)

// settleFixture is a worker set up on a real server (not running), its
// fake clock, and one delivered message of event "s1" of bot b1.
type settleFixture struct {
	w     *Worker
	js    jetstream.JetStream
	clk   *clockwork.FakeClock
	cons  jetstream.Consumer
	msg   jetstream.Msg
	job   *job
	sub   *nats.Subscription // the bot's Results
	start time.Time
}

func newSettleFixture(t *testing.T) *settleFixture {
	t.Helper()
	srv := jstest.Server(t)
	nc, js := jstest.Connect(t, srv)
	ctx := context.Background()
	f := &settleFixture{js: js, clk: clockwork.NewFakeClockAt(time.Date(2031, 5, 6, 7, 8, 9, 0, time.UTC))}
	var err error
	if f.w, err = New(config.Default(), Deps{Conn: nc, Clock: f.clk}); err != nil {
		t.Fatal(err)
	}
	if f.cons, err = f.w.Setup(ctx); err != nil {
		t.Fatal(err)
	}
	if f.sub, err = nc.SubscribeSync("connections.result.b1"); err != nil {
		t.Fatal(err)
	}
	ev := `{"id":"s1","bot_id":"b1","conversation_id":"c1","webhook":{"url":"http://127.0.0.1:1/x"}}`
	if _, err := js.Publish(ctx, "connections.fired.b1", []byte(ev)); err != nil {
		t.Fatal(err)
	}
	f.msg = f.next(t, 5*time.Second)
	if f.msg == nil {
		t.Fatal("the event was not delivered")
	}
	meta, err := f.msg.Metadata()
	if err != nil {
		t.Fatal(err)
	}
	f.start = f.clk.Now()
	f.job = f.w.newJob(f.msg.Data(), f.msg.Headers(), f.msg.Subject(), meta)
	if err := f.w.decode(f.job); err != nil {
		t.Fatal(err)
	}
	f.w.loadHistory(ctx, f.job)
	return f
}

// next is the consumer's next message within wait, or nil.
func (f *settleFixture) next(t *testing.T, wait time.Duration) jetstream.Msg {
	t.Helper()
	batch, err := f.cons.Fetch(1, jetstream.FetchMaxWait(wait))
	if err != nil {
		t.Fatal(err)
	}
	for m := range batch.Messages() {
		return m
	}
	return nil
}

// result is the Result published within wait, or nil.
func (f *settleFixture) result(t *testing.T, wait time.Duration) *trigger.Result {
	t.Helper()
	m, err := f.sub.NextMsg(wait)
	if err != nil {
		return nil
	}
	var res trigger.Result
	if err := json.Unmarshal(m.Data, &res); err != nil {
		t.Fatal(err)
	}
	return &res
}

func (f *settleFixture) letters(t *testing.T) []*deadletter.Letter {
	t.Helper()
	ls, err := f.w.letters.List(context.Background(), deadletter.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	return ls
}

func (f *settleFixture) streamMsgs(t *testing.T) uint64 {
	t.Helper()
	s, err := f.js.Stream(context.Background(), "CONNECTIONS")
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return info.State.Msgs
}

// streamMsgsSettled is streamMsgs once an ack or term settle sent (fire
// and forget) has reached the server: it waits up to 5s for 0.
func (f *settleFixture) streamMsgsSettled(t *testing.T) uint64 {
	t.Helper()
	n := f.streamMsgs(t)
	for deadline := time.Now().Add(5 * time.Second); n != 0 && time.Now().Before(deadline); n = f.streamMsgs(t) {
		time.Sleep(10 * time.Millisecond)
	}
	return n
}

// attempt records one failed attempt of the job, at the fake clock's now.
func (f *settleFixture) attempt() {
	f.job.hist.Attempts = append(f.job.hist.Attempts, deadletter.Attempt{At: f.clk.Now(), Status: 503, Class: trigger.ClassHTTPStatus})
	f.job.httpStatus = 503
}

// TestSettle: what settle does with each outcome, on a real server: a
// success publishes its Result and acks (the work-queue stream drops the
// event) and forgets the stored history; a failure stores the dead letter,
// then publishes the Result and terminates; a retry publishes nothing,
// saves the history and hands the message back for its delay; a failure
// whose dead letter cannot be stored publishes nothing and hands the
// message back with its history. Every timestamp is the worker's clock.
func TestSettle(t *testing.T) {
	ctx := context.Background()
	t.Run("succeeded", func(t *testing.T) {
		f := newSettleFixture(t)
		f.attempt()
		f.w.saveHistory(f.job) // as an earlier delivery would have
		f.clk.Advance(1500 * time.Millisecond)
		f.w.settle(f.msg, f.job, f.job.succeeded(mapper.Output{CVars: map[string]any{"x": "y"}, Unmapped: []string{}}))
		res := f.result(t, 5*time.Second)
		if res == nil || res.Status != trigger.StatusSucceeded || res.CVars["x"] != "y" || res.Attempts != 1 ||
			!res.CompletedAt.Equal(f.clk.Now()) || res.DurationMS != 1500 {
			t.Fatalf("result %+v", res)
		}
		if n := f.streamMsgsSettled(t); n != 0 {
			t.Errorf("%d messages left in the trigger stream, want the event acked", n)
		}
		if h, err := f.w.histories.load(ctx, "s1"); err != nil || h != nil {
			t.Errorf("history after success: %+v, %v; want it deleted", h, err)
		}
		if ls := f.letters(t); len(ls) != 0 {
			t.Errorf("dead letters %+v", ls)
		}
	})
	t.Run("failed", func(t *testing.T) {
		f := newSettleFixture(t)
		f.attempt()
		f.clk.Advance(time.Second)
		f.w.settle(f.msg, f.job, f.job.failedAs(trigger.ClassHTTPStatus, "answered 503"))
		res := f.result(t, 5*time.Second)
		if res == nil || res.Status != trigger.StatusFailed || res.Error.Class != trigger.ClassHTTPStatus || res.HTTPStatus != 503 {
			t.Fatalf("result %+v", res)
		}
		ls := f.letters(t)
		if len(ls) != 1 {
			t.Fatalf("%d dead letters, want 1", len(ls))
		}
		l := ls[0]
		if l.EventID != "s1" || l.Error.Message != "answered 503" || len(l.Attempts) != 1 || l.Deliveries != 1 ||
			!l.FailedAt.Equal(f.clk.Now()) || !l.Attempts[0].At.Equal(f.start) || !l.FailedAt.Equal(res.CompletedAt) {
			t.Errorf("letter %+v, want it failed at the worker's clock %s", l, f.clk.Now())
		}
		if n := f.streamMsgsSettled(t); n != 0 {
			t.Errorf("%d messages left in the trigger stream, want the event terminated", n)
		}
	})
	t.Run("retry later", func(t *testing.T) {
		f := newSettleFixture(t)
		f.attempt()
		f.job.hist.Handbacks++
		f.w.settle(f.msg, f.job, f.job.retryLater(300*time.Millisecond, RetryDelayed, ""))
		if res := f.result(t, 200*time.Millisecond); res != nil {
			t.Errorf("a Result for a retry: %+v", res)
		}
		h, err := f.w.histories.load(ctx, "s1")
		if err != nil || h == nil || len(h.Attempts) != 1 || h.Handbacks != 1 || !h.FirstSeen.Equal(f.job.hist.FirstSeen) {
			t.Fatalf("saved history %+v, %v", h, err)
		}
		if h.Moved == nil || h.Moves != 1 || h.Moved.Stream != "CONNECTIONS" {
			t.Errorf("saved move %+v", h.Moved)
		}
		// Acknowledged, it waits in the retry stream, and comes back from
		// the retry consumer when due.
		if n := f.streamMsgsSettled(t); n != 0 {
			t.Errorf("%d messages left in the trigger stream, want the event moved", n)
		}
		batch, err := f.w.retryCons.Fetch(1, jetstream.FetchMaxWait(5*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		var again jetstream.Msg
		for m := range batch.Messages() {
			again = m
		}
		if again == nil {
			t.Fatal("the event did not come back")
		}
		if _, subj, ok := f.w.topo.RetryOrigin(again.Subject()); !ok || subj != "connections.fired.b1" || string(again.Data()) != string(f.msg.Data()) {
			t.Errorf("due %s %s, want the event of connections.fired.b1", again.Subject(), again.Data())
		}
		if ls := f.letters(t); len(ls) != 0 {
			t.Errorf("dead letters %+v", ls)
		}
	})
	t.Run("dead letter not stored", func(t *testing.T) {
		f := newSettleFixture(t)
		f.attempt()
		if err := f.js.DeleteStream(ctx, "CONNECTIONS_DLQ"); err != nil {
			t.Fatal(err)
		}
		f.w.settle(f.msg, f.job, f.job.failedAs(trigger.ClassHTTPStatus, "answered 503"))
		if res := f.result(t, 200*time.Millisecond); res != nil {
			t.Errorf("a Result without its dead letter: %+v", res)
		}
		if n := f.streamMsgs(t); n != 1 {
			t.Errorf("%d messages in the trigger stream, want the event kept", n)
		}
		if h, err := f.w.histories.load(ctx, "s1"); err != nil || h == nil || len(h.Attempts) != 1 {
			t.Errorf("saved history %+v, %v", h, err)
		}
		// Handed back with a delay (5s), not left to AckWait (30s).
		if again := f.next(t, 15*time.Second); again == nil {
			t.Error("the event did not come back")
		}
	})
}
