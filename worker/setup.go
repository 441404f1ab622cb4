package worker

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/hookworker/hookworker/internal/streams"
	"github.com/hookworker/hookworker/internal/watchdog"
)

// Setup creates or updates what the worker uses: the trigger stream and
// its durable consumer, the dead-letter stream, the attempt-history bucket
// and the MAX_DELIVERIES backstop. It is idempotent and safe to run from
// many processes at once.
func (w *Worker) Setup(ctx context.Context) (jetstream.Consumer, error) {
	cons, _, _, err := w.setup(ctx)
	return cons, err
}

// setupUntil runs setup until it succeeds, trying again with backoff
// (1 s to 30 s, a warn line and /readyz saying why each time) while it
// fails for a reason that waiting cures (streams.Transient: a cluster
// without a leader yet, a server too busy to answer in time, several
// workers creating the same objects at once on a loaded cluster), so that
// such a start does not end the process. Any other error, or ctx's end,
// is returned.
func (w *Worker) setupUntil(ctx context.Context) (cons jetstream.Consumer, lanes []jetstream.Consumer, backstop jetstream.Consumer, err error) {
	bo := backoff.NewExponentialBackOff(backoff.WithInitialInterval(time.Second), backoff.WithMaxInterval(30*time.Second), backoff.WithMaxElapsedTime(0))
	for n := 1; ; n++ {
		cons, lanes, backstop, err = w.setup(ctx)
		if err == nil || ctx.Err() != nil || !streams.Transient(err) {
			return cons, lanes, backstop, err
		}
		next := bo.NextBackOff()
		w.startErr.Store(fmt.Sprintf("setting up streams and consumers (attempt %d, next in %s): %v", n, next.Round(100*time.Millisecond), err))
		w.log.Warn("setting up streams and consumers failed; trying again", zap.Int("attempt", n), zap.Duration("next_try", next), zap.Error(err))
		t := w.clock.NewTimer(next)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, nil, nil, err
		case <-t.Chan():
		}
	}
}

// setup returns the trigger consumer, the ordered lanes' consumers and the
// backstop's consumer.
func (w *Worker) setup(ctx context.Context) (cons jetstream.Consumer, lanes []jetstream.Consumer, backstop jetstream.Consumer, err error) {
	if err := w.letters.Ensure(ctx); err != nil {
		return nil, nil, nil, fmt.Errorf("worker: %w", err)
	}
	kv, err := streams.EnsureKeyValue(ctx, w.js, w.topo.Attempts())
	if err != nil {
		return nil, nil, nil, fmt.Errorf("worker: attempts %w", err)
	}
	w.histories = &historyStore{kv: kv}
	if cons, lanes, err = w.setupTrigger(ctx); err != nil {
		return nil, nil, nil, err
	}
	if w.retryCons, err = w.setupRetry(ctx); err != nil {
		return nil, nil, nil, err
	}
	if backstop, err = w.setupBackstop(ctx); err != nil {
		return nil, nil, nil, err
	}
	return cons, lanes, backstop, nil
}

// checkLanes refuses to run with ordering.partitions other than the
// trigger stream's lane count, and refuses lanes on a stream whose subject
// transform is someone else's: conversations would move between lanes
// while their events are queued, and run out of order. A stream without
// a transform is fine (setup adds the lanes' transform when partitions is
// above 0).
func (w *Worker) checkLanes(ctx context.Context) error {
	n, parts := w.cfg.Names, w.cfg.Ordering.Partitions
	s, err := w.js.Stream(ctx, n.Stream)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("worker: stream %s: %w", n.Stream, err)
	}
	tr := s.CachedInfo().Config.SubjectTransform
	if tr == nil {
		return nil
	}
	have, foreign := w.topo.LaneCount(tr)
	switch {
	case foreign && have == 0:
		if parts == 0 {
			return nil
		}
		return fmt.Errorf("worker: ordering.partitions is %d, but stream %s has a subject transform of its own (%s -> %s) and a stream has one: set ordering.partitions to 0, or remove that transform", parts, n.Stream, tr.Source, tr.Destination)
	case foreign || have != parts:
		return fmt.Errorf("worker: ordering.partitions is %d, but stream %s already spreads %s over %d lanes (%s): give every worker ordering.partitions %d; to change the count, or to turn ordered subjects off, wait until no ordered event is queued and change the stream's subject transform (and subjects) first, see docs/configuration.md",
			parts, n.Stream, tr.Source, have, tr.Destination, have)
	}
	return nil
}

func (w *Worker) setupTrigger(ctx context.Context) (jetstream.Consumer, []jetstream.Consumer, error) {
	if err := w.checkLanes(ctx); err != nil {
		return nil, nil, err
	}
	// An existing stream is used as its operator configured it (replicas,
	// limits); only a missing subject and the lanes' transform are set.
	ts, err := streams.Ensure(ctx, w.js, w.topo.Trigger())
	if err != nil {
		return nil, nil, fmt.Errorf("worker: %w", err)
	}
	w.triggerStream = ts
	// Another worker may have set a different lane count at the same
	// moment: the stream's is the one that holds.
	if err := w.checkLanes(ctx); err != nil {
		return nil, nil, err
	}
	stream := w.cfg.Names.Stream
	cc := w.topo.Consumer()
	cons, err := w.js.CreateOrUpdateConsumer(ctx, stream, cc)
	if err != nil {
		return nil, nil, fmt.Errorf("worker: consumer %s: %w", cc.Durable, err)
	}
	// One consumer per ordered lane, one event in flight on it across the
	// fleet (see Topology.Lane).
	lanes := make([]jetstream.Consumer, w.topo.Partitions())
	for p := range lanes {
		lc := w.topo.Lane(p)
		if lanes[p], err = w.js.CreateOrUpdateConsumer(ctx, stream, lc); err != nil {
			return nil, nil, fmt.Errorf("worker: consumer %s: %w", lc.Durable, err)
		}
	}
	return cons, lanes, nil
}

// watchdog is the topology watchdog of what the worker and its process
// created: what it keeps (watched) that exists once setup is done (the
// webhook and secrets buckets only where `run` made them); nil when
// worker.topology_check is 0.
func (w *Worker) watchdog(ctx context.Context) *watchdog.Watchdog {
	every := w.cfg.Worker.TopologyCheck
	if every <= 0 {
		return nil
	}
	var objs []streams.Object
	for _, obj := range w.watched() {
		if obj.Kind == streams.KindBucket && obj.Name != w.cfg.Names.AttemptsBucket {
			if _, err := w.js.KeyValue(ctx, obj.Name); errors.Is(err, jetstream.ErrBucketNotFound) {
				continue // not this process's to create
			}
		}
		objs = append(objs, obj)
	}
	return watchdog.New(w.js, objs, watchdog.Options{
		Every: every, Logger: w.log, Clock: w.clock,
		Recreated: func(k streams.Kind, name string) { w.metrics.TopologyRecreated(string(k), name) },
	})
}
