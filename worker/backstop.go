package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/hookworker/hookworker/internal/streams"
	"github.com/hookworker/hookworker/trigger"
)

// setupBackstop captures MAX_DELIVERIES advisories in a stream (they are
// core messages, seen only by current subscribers otherwise) and returns
// the durable consumer every worker process shares to read them.
func (w *Worker) setupBackstop(ctx context.Context) (jetstream.Consumer, error) {
	sc := w.topo.Advisories()
	if _, err := streams.Ensure(ctx, w.js, sc); err != nil {
		return nil, fmt.Errorf("worker: advisory %w", err)
	}
	cons, err := w.js.CreateOrUpdateConsumer(ctx, sc.Name, w.topo.Backstop())
	if err != nil {
		return nil, fmt.Errorf("worker: backstop consumer: %w", err)
	}
	return cons, nil
}

// maxDeliveriesAdvisory is the part of the server's advisory we use.
type maxDeliveriesAdvisory struct {
	Stream     string `json:"stream"`
	Consumer   string `json:"consumer"`
	StreamSeq  uint64 `json:"stream_seq"`
	Deliveries uint64 `json:"deliveries"`
}

// runBackstop dead-letters events that ran out of deliveries without the
// worker seeing it, until ctx is cancelled. When its consumer goes (the
// advisory stream or the consumer deleted: nats.go's iterator then stops
// for good) it reads again from the consumer as soon as the server has it
// back (the topology watchdog recreates it).
func (w *Worker) runBackstop(ctx context.Context, cons jetstream.Consumer) {
	name := w.topo.Backstop().Durable
	for {
		if cons != nil {
			w.backstopRead(ctx, cons)
		}
		if !sleep(ctx, w.clock, time.Second) {
			return
		}
		var err error
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		cons, err = w.js.Consumer(cctx, w.cfg.Names.AdvisoryStream, name)
		cancel()
		if err != nil {
			w.log.Debug("backstop consumer", zap.Error(err))
		}
	}
}

// backstopRead reads advisories from cons until ctx ends or its iterator
// stops.
func (w *Worker) backstopRead(ctx context.Context, cons jetstream.Consumer) {
	it, err := cons.Messages(jetstream.PullMaxMessages(16))
	if err != nil {
		w.log.Warn("backstop not reading; trying again", zap.Error(err))
		return
	}
	stop := context.AfterFunc(ctx, it.Stop)
	defer stop()
	defer it.Stop()
	for {
		m, err := it.Next()
		if err != nil {
			if errors.Is(err, jetstream.ErrMsgIteratorClosed) || errors.Is(err, jetstream.ErrConsumerDeleted) {
				if ctx.Err() == nil {
					w.log.Warn("backstop stopped reading (was its consumer deleted?); reading again as soon as the server has it", zap.Error(err))
				}
				return
			}
			w.log.Debug("backstop pull", zap.Error(err))
			if !sleep(ctx, w.clock, time.Second) {
				return
			}
			continue
		}
		if err := w.backstop(ctx, m.Data()); err != nil {
			w.backstopFailed(m, err)
			continue
		}
		_ = m.Ack()
	}
}

// backstopDelays are the waits before the backstop tries an advisory
// again; after the last, it gives up.
var backstopDelays = []time.Duration{5 * time.Second, 15 * time.Second, 30 * time.Second, time.Minute, 2 * time.Minute}

// backstopRetry is what becomes of an advisory whose tries failed, after
// its delivery number n (1-based): the wait before the next, or give up
// after len(delays)+1 tries.
func backstopRetry(n uint64, delays []time.Duration) (time.Duration, bool) {
	if n == 0 || n > uint64(len(delays)) {
		return 0, true
	}
	return delays[n-1], false
}

// backstopFailed tries m again later, or gives up on it (logged at error,
// counted, and terminated: the event stays in the trigger stream, for an
// operator, see docs/operations.md).
func (w *Worker) backstopFailed(m jetstream.Msg, err error) {
	var n uint64
	if meta, merr := m.Metadata(); merr == nil {
		n = meta.NumDelivered
	}
	delay, giveUp := backstopRetry(n, w.backstopDelays)
	if !giveUp {
		w.log.Warn("backstop could not dead-letter an event; will try again", zap.Uint64("try", n), zap.Duration("next_try", delay), zap.Error(err))
		_ = m.NakWithDelay(delay)
		return
	}
	w.metrics.BackstopGaveUp()
	w.log.Error("backstop gave up on an event that ran out of deliveries: it stays in the trigger stream without a Result or dead letter",
		zap.String("stream", w.cfg.Names.Stream), zap.ByteString("advisory", m.Data()), zap.Uint64("tries", n), zap.Error(err))
	_ = m.TermWithReason("backstop gave up")
}

// backstop handles one MAX_DELIVERIES advisory.
func (w *Worker) backstop(ctx context.Context, advisory []byte) error {
	var adv maxDeliveriesAdvisory
	if err := json.Unmarshal(advisory, &adv); err != nil || adv.StreamSeq == 0 {
		return nil // not an advisory we understand: nothing to do
	}
	// The trigger stream's consumers, or the retry stream's (a due retry
	// that ran out of deliveries).
	if adv.Stream == "" {
		adv.Stream = w.cfg.Names.Stream
	}
	if adv.Stream != w.cfg.Names.Stream && adv.Stream != w.cfg.Names.RetryStream {
		return nil // not a stream of ours
	}
	st, err := w.js.Stream(ctx, adv.Stream)
	if err != nil {
		return err
	}
	raw, err := st.GetMsg(ctx, adv.StreamSeq)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return nil // finished after all, or already dead-lettered
	}
	if err != nil {
		return err
	}
	j := w.newJob(raw.Data, raw.Header, raw.Subject, &jetstream.MsgMetadata{NumDelivered: adv.Deliveries, Timestamp: raw.Time})
	o := w.stalled(ctx, j)
	res := o.stored
	if res == nil {
		res = resultOf(j, o, w.clock.Now())
	}
	if res.Status == trigger.StatusFailed && !o.lettered {
		if err := w.deadLetter(j, res); err != nil {
			return err
		}
	}
	if err := w.publishResult(j, res); err != nil {
		return err
	}
	if err := st.DeleteMsg(ctx, adv.StreamSeq); err != nil && !errors.Is(err, jetstream.ErrMsgNotFound) {
		return err
	}
	if j.retried {
		// The message it was moved from goes too: its history goes next,
		// and a copy left behind would run again without it.
		w.dropOrigin(ctx, j)
	}
	w.forgetHistory(j)
	w.report(j, res)
	return nil
}

// stalled is the outcome of an event that ran out of deliveries without
// one: the outcome a delivery decided but could not write, when its
// history holds one (a render failure stays render); else a timeout, with
// the attempts its history holds (whatever its delivery count: a shutdown
// hands back with a history on any delivery); invalid_event when it does
// not decode.
func (w *Worker) stalled(ctx context.Context, j *job) outcome {
	if err := w.decode(j); err != nil {
		return j.failed(err)
	}
	if err := w.readHistory(ctx, j); err != nil {
		w.log.Debug("backstop: attempt history not read; the dead letter lists no attempts", zap.String("event_id", j.ev.ID), zap.Error(err))
	}
	if o := j.decided(); o != nil {
		return *o
	}
	return j.failedAs(trigger.ClassTimeout, fmt.Sprintf("delivered %d times without an outcome: the worker crashed or stalled on it each time", j.delivery()))
}
