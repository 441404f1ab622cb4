package worker

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/hookworker/hookworker/internal/streams"
	"github.com/hookworker/hookworker/trigger"
)

// resultRouter decides, per reply subject, whether a stream captures it
// (JetStream publish, wait for the PubAck) or not (core publish to whoever
// subscribes). It keeps the subjects of every stream, re-read periodically.
type resultRouter struct {
	js       jetstream.JetStream
	clock    clockwork.Clock
	every    time.Duration
	patterns atomic.Pointer[[]string]
	// retried is told of each Result sent again (streams.PublishOptions);
	// health of how each JetStream publish ended.
	retried func(streams.Fault, error)
	health  *writeHealth
}

func newResultRouter(js jetstream.JetStream, clock clockwork.Clock, every time.Duration) *resultRouter {
	r := &resultRouter{js: js, clock: clock, every: every}
	r.patterns.Store(&[]string{})
	return r
}

// refresh re-reads the subjects of every stream.
func (r *resultRouter) refresh(ctx context.Context) error {
	var pats []string
	l := r.js.ListStreams(ctx)
	for info := range l.Info() {
		pats = append(pats, info.Config.Subjects...)
	}
	if err := l.Err(); err != nil {
		return err
	}
	r.patterns.Store(&pats)
	return nil
}

// run refreshes until ctx is cancelled.
func (r *resultRouter) run(ctx context.Context, log *zap.Logger) {
	t := r.clock.NewTicker(r.every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.Chan():
			rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			if err := r.refresh(rctx); err != nil && ctx.Err() == nil {
				log.Warn("refresh of stream subjects failed; keeping the last list", zap.Error(err))
			}
			cancel()
		}
	}
}

// captured reports whether some stream's subjects match subject.
func (r *resultRouter) captured(subject string) bool {
	for _, p := range *r.patterns.Load() {
		if trigger.SubjectMatches(p, subject) {
			return true
		}
	}
	return false
}

// publish sends a Result: a JetStream publish (waiting for the PubAck) when
// a stream captures the subject, else a core publish.
func (r *resultRouter) publish(ctx context.Context, nc *nats.Conn, msg *nats.Msg) error {
	if r.captured(msg.Subject) {
		err := r.publishJS(ctx, msg)
		if err == nil {
			r.health.ok(writeResults)
			return nil
		}
		if !errors.Is(err, jetstream.ErrNoStreamResponse) {
			r.health.failed(writeResults, err)
			return fmt.Errorf("publish result: %w", err)
		}
		// No stream answered: either the stream is gone, or JetStream is
		// briefly unavailable (a restart, a leader election). Fall back to a
		// core publish only when a fresh stream list confirms the first.
		if rerr := r.refresh(ctx); rerr != nil || r.captured(msg.Subject) {
			r.health.failed(writeResults, err)
			return fmt.Errorf("publish result: %w", err)
		}
	}
	if err := nc.PublishMsg(msg); err != nil {
		return fmt.Errorf("publish result: %w", err)
	}
	return nil
}

// publishJS publishes with the Result's dedup id (streams.Publish, as dead
// letters are): a 409 "in process", a server that cannot store for the
// moment, or no PubAck in time, and the same message is sent again until
// it is stored or ctx ends; a duplicate is absorbed by the stream. "No
// stream answered" is returned at once, for publish to look again.
func (r *resultRouter) publishJS(ctx context.Context, msg *nats.Msg) error {
	_, err := streams.Publish(ctx, r.js, msg, streams.PublishOptions{
		Retried: r.retried,
		Stop:    func(err error) bool { return errors.Is(err, jetstream.ErrNoStreamResponse) },
	})
	return err
}
