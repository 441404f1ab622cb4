package worker_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookworker/hookworker/internal/config"
	"github.com/hookworker/hookworker/internal/jstest"
	"github.com/hookworker/hookworker/internal/secret"
	"github.com/hookworker/hookworker/render"
	"github.com/hookworker/hookworker/worker"
)

// sharedSecrets gives every bot the worker's own secrets s, each name
// shared (secrets.shared).
func sharedSecrets(s render.Secrets) *secret.Scope {
	return secret.NewScope(nil, s, slices.Collect(maps.Keys(s)))
}

// TestSetupIdempotent: many processes starting at once create the stream
// and consumers once (the trigger consumer and one per ordered lane), with
// the configured settings, and a restart with a changed setting updates
// the consumers.
func TestSetupIdempotent(t *testing.T) {
	srv := jstest.Server(t)
	nc, js := jstest.Connect(t, srv)
	cfg := config.Default()
	var wg sync.WaitGroup
	errs := make(chan error, 5)
	for range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w, err := worker.New(cfg, worker.Deps{Conn: nc})
			if err == nil {
				_, err = w.Setup(context.Background())
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("concurrent Setup: %v", err)
		}
	}
	ctx := context.Background()
	s, err := js.Stream(ctx, "CONNECTIONS")
	if err != nil {
		t.Fatal(err)
	}
	sc := s.CachedInfo().Config
	if !slices.Equal(sc.Subjects, []string{"connections.fired.>", "connections.replay.>", "connections.ordered.*.*"}) {
		t.Errorf("stream subjects %v", sc.Subjects)
	}
	if tr := sc.SubjectTransform; tr == nil || tr.Source != "connections.ordered.*.*" ||
		tr.Destination != "connections.ordered.{{partition(8,1,2)}}.{{wildcard(1)}}.{{wildcard(2)}}" {
		t.Errorf("stream subject transform %+v", tr)
	}
	names := s.ConsumerNames(ctx)
	var got []string
	for name := range names.Name() {
		got = append(got, name)
	}
	want := []string{"hookworker"}
	for p := range 8 {
		want = append(want, fmt.Sprintf("hookworker-ordered-%d", p))
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("consumers %v, want %v", got, want)
	}
	for p := range 8 {
		c, err := s.Consumer(ctx, fmt.Sprintf("hookworker-ordered-%d", p))
		if err != nil {
			t.Fatal(err)
		}
		cc := c.CachedInfo().Config
		if cc.MaxAckPending != 1 || cc.FilterSubject != fmt.Sprintf("connections.ordered.%d.>", p) || cc.AckWait != 30*time.Second {
			t.Errorf("lane %d: max_ack_pending %d, filter %q, ack_wait %s", p, cc.MaxAckPending, cc.FilterSubject, cc.AckWait)
		}
	}

	cfg.Worker.AckWait = 45 * time.Second
	w, err := worker.New(cfg, worker.Deps{Conn: nc})
	if err != nil {
		t.Fatal(err)
	}
	cons, err := w.Setup(ctx)
	if err != nil {
		t.Fatal(err)
	}
	info, err := cons.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.Config.AckWait != 45*time.Second || info.Config.AckPolicy != jetstream.AckExplicitPolicy || info.Config.Durable != "hookworker" {
		t.Errorf("consumer config %+v", info.Config)
	}
	lane, err := js.Consumer(ctx, "CONNECTIONS", "hookworker-ordered-7")
	if err != nil {
		t.Fatal(err)
	}
	if c := lane.CachedInfo().Config; c.AckWait != 45*time.Second || c.MaxAckPending != 1 {
		t.Errorf("lane 7 after the restart: ack_wait %s, max_ack_pending %d", c.AckWait, c.MaxAckPending)
	}
}

// TestSetupRefusesAnotherLaneCount: the stream's lane count holds; a
// worker configured with another one (0 included: it would leave the
// ordered subjects to nobody) refuses to start and says what to do, and so
// does one that would replace an operator's own subject transform.
func TestSetupRefusesAnotherLaneCount(t *testing.T) {
	srv := jstest.Server(t)
	nc, js := jstest.Connect(t, srv)
	ctx := context.Background()
	setup := func(parts int) error {
		cfg := config.Default()
		cfg.Ordering.Partitions = parts
		w, err := worker.New(cfg, worker.Deps{Conn: nc})
		if err != nil {
			t.Fatal(err)
		}
		_, err = w.Setup(ctx)
		return err
	}
	if err := setup(8); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		parts int
		want  string // in the error; "" for none
	}{
		{8, ""},
		{4, "ordering.partitions is 4, but stream CONNECTIONS already spreads connections.ordered.*.* over 8 lanes"},
		{0, "ordering.partitions is 0, but stream CONNECTIONS already spreads"},
	} {
		err := setup(tt.parts)
		if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("partitions %d: %v, want %q", tt.parts, err, tt.want)
		}
	}
	s, err := js.Stream(ctx, "CONNECTIONS")
	if err != nil {
		t.Fatal(err)
	}
	if tr := s.CachedInfo().Config.SubjectTransform; tr == nil || !strings.Contains(tr.Destination, "partition(8,") {
		t.Errorf("the refused workers changed the transform: %+v", tr)
	}

	// An operator's own transform.
	srv2 := jstest.Server(t)
	nc, js = jstest.Connect(t, srv2)
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "CONNECTIONS", Subjects: []string{"connections.fired.>"},
		Retention:        jetstream.WorkQueuePolicy,
		SubjectTransform: &jetstream.SubjectTransformConfig{Source: "connections.fired.old.>", Destination: "connections.fired.new.>"}}); err != nil {
		t.Fatal(err)
	}
	if err := setup(8); err == nil || !strings.Contains(err.Error(), "has a subject transform of its own") {
		t.Errorf("partitions 8 over an operator's transform: %v", err)
	}
	if err := setup(0); err != nil {
		t.Errorf("partitions 0 over an operator's transform: %v", err)
	}
}
