package watchdog_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/hookworker/hookworker/internal/config"
	"github.com/hookworker/hookworker/internal/jstest"
	"github.com/hookworker/hookworker/internal/streams"
	"github.com/hookworker/hookworker/internal/watchdog"
)

// recorder collects what a watchdog recreated.
type recorder struct {
	mu   sync.Mutex
	made []string
}

func (r *recorder) add(kind streams.Kind, name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.made = append(r.made, string(kind)+" "+name)
}

func (r *recorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.made
	r.made = nil
	slices.Sort(out)
	return out
}

func topology() streams.Topology {
	cfg := config.Default()
	cfg.Ordering.Partitions = 2
	return streams.NewTopology(cfg)
}

// setup starts a server, creates the topology with a first check and
// returns a watchdog with a short confirmation delay.
func setup(t *testing.T, o watchdog.Options) (*watchdog.Watchdog, jetstream.JetStream, *recorder, *observer.ObservedLogs) {
	t.Helper()
	srv := jstest.Server(t)
	_, js := jstest.Connect(t, srv)
	rec := &recorder{}
	core, logs := observer.New(zap.DebugLevel)
	o.Recreated, o.Logger = rec.add, zap.New(core)
	if o.Confirm == 0 {
		o.Confirm = 10 * time.Millisecond
	}
	first := watchdog.New(js, topology().Objects(), watchdog.Options{Confirm: time.Millisecond})
	if made := first.Check(context.Background()); len(made) != len(topology().Objects()) {
		t.Fatalf("a first check on an empty server created %d objects, want all %d", len(made), len(topology().Objects()))
	}
	wd := watchdog.New(js, topology().Objects(), o)
	if made := wd.Check(context.Background()); len(made) != 0 {
		t.Fatalf("a check with nothing missing recreated %v", made)
	}
	return wd, js, rec, logs
}

// TestRecreatesWhatIsMissing: each stream, consumer and bucket deleted
// under the watchdog is recreated by the next check, with a warning and a
// report per object, and nothing else is.
func TestRecreatesWhatIsMissing(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name   string
		delete func(js jetstream.JetStream) error
		want   []string
	}{
		{"trigger consumer", func(js jetstream.JetStream) error { return js.DeleteConsumer(ctx, "CONNECTIONS", "hookworker") },
			[]string{"consumer hookworker"}},
		{"ordered lane", func(js jetstream.JetStream) error {
			return js.DeleteConsumer(ctx, "CONNECTIONS", "hookworker-ordered-1")
		}, []string{"consumer hookworker-ordered-1"}},
		{"backstop", func(js jetstream.JetStream) error {
			return js.DeleteConsumer(ctx, "CONNECTIONS_ADVISORIES", "hookworker-backstop")
		}, []string{"consumer hookworker-backstop"}},
		{"trigger stream and its consumers", func(js jetstream.JetStream) error { return js.DeleteStream(ctx, "CONNECTIONS") },
			[]string{"consumer hookworker", "consumer hookworker-ordered-0", "consumer hookworker-ordered-1", "stream CONNECTIONS"}},
		{"dead letters", func(js jetstream.JetStream) error { return js.DeleteStream(ctx, "CONNECTIONS_DLQ") },
			[]string{"stream CONNECTIONS_DLQ"}},
		{"advisories and the backstop", func(js jetstream.JetStream) error { return js.DeleteStream(ctx, "CONNECTIONS_ADVISORIES") },
			[]string{"consumer hookworker-backstop", "stream CONNECTIONS_ADVISORIES"}},
		{"attempts bucket", func(js jetstream.JetStream) error { return js.DeleteKeyValue(ctx, "hookworker-attempts") },
			[]string{"bucket hookworker-attempts"}},
		{"webhook bucket", func(js jetstream.JetStream) error { return js.DeleteKeyValue(ctx, "hookworker-webhooks") },
			[]string{"bucket hookworker-webhooks"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			wd, js, rec, logs := setup(t, watchdog.Options{})
			if err := tc.delete(js); err != nil {
				t.Fatal(err)
			}
			wd.Check(ctx)
			if got := rec.take(); !slices.Equal(got, tc.want) {
				t.Errorf("recreated %v, want %v", got, tc.want)
			}
			if m := wd.Missing(); len(m) != 0 {
				t.Errorf("missing after the recreation: %v", m)
			}
			if n := logs.FilterMessage("missing from the server: recreated").FilterLevelExact(zap.WarnLevel).Len(); n != len(tc.want) {
				t.Errorf("%d warnings for %d recreations", n, len(tc.want))
			}
			for _, obj := range topology().Objects() {
				if err := exists(ctx, js, obj); err != nil {
					t.Errorf("%s after the check: %v", obj, err)
				}
			}
			if made := wd.Check(ctx); len(made) != 0 {
				t.Errorf("the next check recreated %v", made)
			}
		})
	}
}

func exists(ctx context.Context, js jetstream.JetStream, obj streams.Object) error {
	switch obj.Kind {
	case streams.KindConsumer:
		_, err := js.Consumer(ctx, obj.On, obj.Name)
		return err
	case streams.KindBucket:
		_, err := js.KeyValue(ctx, obj.Name)
		return err
	}
	_, err := js.Stream(ctx, obj.Name)
	return err
}

// TestRecreatesAsLastSeen: an operator's own settings (limits, replicas,
// description, subjects) are what a deleted stream, consumer or bucket is
// recreated with; an existing object the topology would configure
// differently is left as it is.
func TestRecreatesAsLastSeen(t *testing.T) {
	ctx := context.Background()
	wd, js, rec, _ := setup(t, watchdog.Options{})
	dlq, err := js.Stream(ctx, "CONNECTIONS_DLQ")
	if err != nil {
		t.Fatal(err)
	}
	op := dlq.CachedInfo().Config
	op.MaxBytes, op.MaxMsgs, op.MaxAge, op.Description = 64<<20, 5000, 72*time.Hour, "dead letters, kept 3 days"
	op.Subjects = append(op.Subjects, "ops.dlq.extra")
	op.Metadata = map[string]string{"owner": "ops"}
	if _, err := js.UpdateStream(ctx, op); err != nil {
		t.Fatal(err)
	}
	cons, err := js.Consumer(ctx, "CONNECTIONS", "hookworker")
	if err != nil {
		t.Fatal(err)
	}
	cc := cons.CachedInfo().Config
	cc.MaxAckPending, cc.Description = 77, "tuned by ops"
	if _, err := js.UpdateConsumer(ctx, "CONNECTIONS", cc); err != nil {
		t.Fatal(err)
	}
	kv, err := js.KeyValue(ctx, "hookworker-attempts")
	if err != nil {
		t.Fatal(err)
	}
	kvs, err := js.Stream(ctx, "KV_hookworker-attempts")
	if err != nil {
		t.Fatal(err)
	}
	kc := kvs.CachedInfo().Config
	kc.MaxBytes = 8 << 20
	if _, err := js.UpdateStream(ctx, kc); err != nil {
		t.Fatal(err)
	}
	_ = kv

	// Seen as the operator made them, and left so.
	if made := wd.Check(ctx); len(made) != 0 {
		t.Fatalf("recreated %v", made)
	}
	if got := streamConfig(t, js, "CONNECTIONS_DLQ"); got.MaxBytes != op.MaxBytes || len(got.Subjects) != 2 {
		t.Fatalf("the check changed an existing stream: %+v", got)
	}
	for _, del := range []func() error{
		func() error { return js.DeleteStream(ctx, "CONNECTIONS_DLQ") },
		func() error { return js.DeleteConsumer(ctx, "CONNECTIONS", "hookworker") },
		func() error { return js.DeleteKeyValue(ctx, "hookworker-attempts") },
	} {
		if err := del(); err != nil {
			t.Fatal(err)
		}
	}
	wd.Check(ctx)
	if got := rec.take(); len(got) != 3 {
		t.Fatalf("recreated %v", got)
	}
	got := streamConfig(t, js, "CONNECTIONS_DLQ")
	if got.MaxBytes != op.MaxBytes || got.MaxMsgs != op.MaxMsgs || got.MaxAge != op.MaxAge ||
		got.Description != op.Description || !slices.Equal(got.Subjects, op.Subjects) || got.Metadata["owner"] != "ops" {
		t.Errorf("dead letters recreated as %+v, want the operator's %+v", got, op)
	}
	c, err := js.Consumer(ctx, "CONNECTIONS", "hookworker")
	if err != nil {
		t.Fatal(err)
	}
	if got := c.CachedInfo().Config; got.MaxAckPending != 77 || got.Description != "tuned by ops" {
		t.Errorf("consumer recreated with max_ack_pending %d, description %q", got.MaxAckPending, got.Description)
	}
	if got := streamConfig(t, js, "KV_hookworker-attempts"); got.MaxBytes != 8<<20 {
		t.Errorf("bucket recreated with max_bytes %d, want 8 MiB", got.MaxBytes)
	}
	// The recreated bucket works as a bucket.
	kv, err = js.KeyValue(ctx, "hookworker-attempts")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Put(ctx, "k", []byte("v")); err != nil {
		t.Errorf("put into the recreated bucket: %v", err)
	}
}

func streamConfig(t *testing.T, js jetstream.JetStream, name string) jetstream.StreamConfig {
	t.Helper()
	s, err := js.Stream(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return s.CachedInfo().Config
}

// TestMissingUntilRecreated: between the first "not found" and the
// recreation, Missing names the object; after, nothing.
func TestMissingUntilRecreated(t *testing.T) {
	ctx := context.Background()
	clock := clockwork.NewFakeClock()
	wd, js, rec, _ := setup(t, watchdog.Options{Clock: clock, Confirm: time.Minute})
	if err := js.DeleteConsumer(ctx, "CONNECTIONS", "hookworker"); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); wd.Check(ctx) }()
	bctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := clock.BlockUntilContext(bctx, 1); err != nil {
		t.Fatal(err)
	}
	if m := wd.Missing(); len(m) != 1 || !strings.HasPrefix(m[0], "consumer hookworker on CONNECTIONS: not found") {
		t.Errorf("missing while confirming: %v", m)
	}
	if got := rec.take(); len(got) != 0 {
		t.Errorf("recreated before the confirmation: %v", got)
	}
	clock.Advance(time.Minute)
	<-done
	if m := wd.Missing(); len(m) != 0 {
		t.Errorf("missing after the recreation: %v", m)
	}
	if got := rec.take(); !slices.Equal(got, []string{"consumer hookworker"}) {
		t.Errorf("recreated %v", got)
	}
}

// TestNothingCreatedWithoutAnAnswer: a server that does not answer is not
// a missing topology.
func TestNothingCreatedWithoutAnAnswer(t *testing.T) {
	srv := jstest.Server(t)
	_, js := jstest.Connect(t, srv)
	rec := &recorder{}
	wd := watchdog.New(js, topology().Objects(), watchdog.Options{Recreated: rec.add, Timeout: 200 * time.Millisecond})
	srv.Shutdown()
	if made := wd.Check(context.Background()); len(made) != 0 {
		t.Errorf("recreated %v with the server down", made)
	}
	if m := wd.Missing(); len(m) != 0 {
		t.Errorf("missing with the server down: %v", m)
	}
}

// TestFailedRecreation: an object that cannot be recreated (another
// stream took its subjects meanwhile) stays missing with the server's
// reason, logged at error, until it can.
func TestFailedRecreation(t *testing.T) {
	ctx := context.Background()
	wd, js, rec, logs := setup(t, watchdog.Options{})
	if err := js.DeleteStream(ctx, "CONNECTIONS_DLQ"); err != nil {
		t.Fatal(err)
	}
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "SQUATTER", Subjects: []string{"connections.dlq.>"}}); err != nil {
		t.Fatal(err)
	}
	wd.Check(ctx)
	m := wd.Missing()
	if len(m) != 1 || !strings.Contains(m[0], "stream CONNECTIONS_DLQ: not found; recreating it failed") || !strings.Contains(m[0], "overlap") {
		t.Errorf("missing: %v", m)
	}
	if logs.FilterLevelExact(zap.ErrorLevel).Len() == 0 {
		t.Error("no error logged for the failed recreation")
	}
	if got := rec.take(); len(got) != 0 {
		t.Errorf("reported as recreated: %v", got)
	}
	if err := js.DeleteStream(ctx, "SQUATTER"); err != nil {
		t.Fatal(err)
	}
	wd.Check(ctx)
	if m := wd.Missing(); len(m) != 0 {
		t.Errorf("missing after the way was clear: %v", m)
	}
	if got := rec.take(); !slices.Equal(got, []string{"stream CONNECTIONS_DLQ"}) {
		t.Errorf("recreated %v", got)
	}
}

// TestRunStopsWithContext: Run returns when its context ends.
func TestRunStopsWithContext(t *testing.T) {
	srv := jstest.Server(t)
	_, js := jstest.Connect(t, srv)
	wd := watchdog.New(js, topology().Objects(), watchdog.Options{Every: 10 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); wd.Run(ctx) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := js.Consumer(context.Background(), "CONNECTIONS", "hookworker")
		if err == nil {
			break
		}
		if !errors.Is(err, jetstream.ErrConsumerNotFound) && !errors.Is(err, jetstream.ErrStreamNotFound) || time.Now().After(deadline) {
			t.Fatalf("Run did not create the topology: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
}
