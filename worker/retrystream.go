package worker

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/hookworker/hookworker/internal/streams"
)

// This file moves events that wait for a delayed retry out of the
// consumers, into the retry stream (streams.Topology.Retry), so that a
// waiting retry holds none of the consumer's ack-pending budget
// (MaxAckPending): a NakWithDelay would hold it the whole wait.
//
// A move, crash-safe in every order:
//
//  1. the history is saved with the move (the message it moves, its
//     number, when it is due);
//  2. a message schedule is stored on the event's wait subject
//     (Nats-Schedule "@at <due>", Nats-Msg-Id retry-<key>-<n>), and its
//     PubAck awaited;
//  3. the message is acknowledged.
//
// When it is due, the server publishes the event to its due subject and
// removes the schedule; the retry consumer hands it to a worker, which
// first deletes the moved message from its stream (gone already, unless
// the ack of step 3 was lost) and then runs it like any delivery.
//
// A worker that takes a message whose saved history says it was moved
// (the ack of step 3 was lost, or the process died between 1 and 3) does
// not run it: it stores the same schedule again, which the stream's
// deduplication (streams.RetryWindow, longer than any ack wait) refuses
// when step 2 had happened, fired or not, and acknowledges it. So a crash
// between the schedule and the ack neither loses the event nor runs it
// twice.

// HeaderOrigin, on a due retry, names the message it was moved from:
// "<stream> <sequence>".
const HeaderOrigin = "Hookworker-Origin"

// moved is a move to the retry stream, saved in the history.
type moved struct {
	Stream string    `json:"stream"`
	Seq    uint64    `json:"seq"`
	N      int       `json:"n"`
	Due    time.Time `json:"due"`
}

// retryKey is the event's token in the retry stream's subjects: one per
// event id and replay.
func retryKey(eventID string, replay int) string {
	sum := sha256.Sum256([]byte(eventID + "\x00" + strconv.Itoa(replay)))
	return hex.EncodeToString(sum[:16])
}

// movable reports whether a hand-back goes to the retry stream: a delayed
// retry, an isolation or share deferral of a decoded event with a history,
// not on an ordered lane (whose next event must wait for it, so it keeps
// its place with a NakWithDelay).
func (w *Worker) movable(j *job, o outcome) bool {
	if o.retry == "" || j.ev == nil || j.hist == nil || j.meta == nil || w.retryStream == nil {
		return false
	}
	return !strings.HasPrefix(j.subject, w.cfg.Names.OrderedPrefix+".")
}

// alreadyMoved reports whether the job's message is one an earlier
// delivery moved to the retry stream without its ack arriving.
func (j *job) alreadyMoved() bool {
	mv := j.hist.Moved
	return mv != nil && j.meta != nil && mv.Stream == j.meta.Stream && mv.Seq == j.meta.Sequence.Stream
}

// moveToRetry carries out a delayed hand-back through the retry stream
// (see the top of this file). o.again: the move of the history is stored
// again as it was (alreadyMoved).
func (w *Worker) moveToRetry(msg jetstream.Msg, j *job, o outcome) error {
	if !o.again {
		j.hist.Moves++
		j.hist.Delivered += j.meta.NumDelivered
		// The server fires the schedule by its own clock: the due time is
		// the wall clock's, whatever clock the worker runs on.
		j.hist.Moved = &moved{Stream: j.meta.Stream, Seq: j.meta.Sequence.Stream, N: j.hist.Moves, Due: time.Now().Add(o.delay).UTC()}
	}
	mv := j.hist.Moved
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := w.histories.save(ctx, j.ev.ID, j.hist); err != nil {
		return err
	}
	key := retryKey(j.ev.ID, j.replay)
	m := nats.NewMsg(w.topo.RetryWaitSubject(key))
	for k, v := range j.hdr {
		if !strings.HasPrefix(k, "Nats-") {
			m.Header[k] = v
		}
	}
	m.Header.Set("Nats-Schedule", "@at "+mv.Due.Format(time.RFC3339Nano))
	m.Header.Set("Nats-Schedule-Target", w.topo.RetryDueSubject(key, j.subject))
	// The id names the message moved (its stream, sequence and store
	// time), not only the move's count: a schedule sent again for the same
	// message is deduplicated, while the next move of an event whose
	// history was lost (a deleted bucket: the count starts again) is a new
	// schedule, not a duplicate of the first that the stream would drop
	// while the original is acknowledged.
	m.Header.Set(nats.MsgIdHdr, "retry-"+key+"-"+strconv.Itoa(mv.N)+"-"+mv.Stream+"-"+strconv.FormatUint(mv.Seq, 10)+"-"+strconv.FormatInt(j.meta.Timestamp.UnixNano(), 36))
	m.Header.Set(HeaderOrigin, mv.Stream+" "+strconv.FormatUint(mv.Seq, 10))
	m.Data = j.data
	// As Results and dead letters are written: a 409 "in process", a store
	// that cannot write for the moment or a lost PubAck sends the same
	// schedule (same Nats-Msg-Id) again until stored or ctx ends.
	if _, err := streams.Publish(ctx, w.js, m, streams.PublishOptions{Retried: w.writeRetried(writeRetries)}); err != nil {
		return fmt.Errorf("retry schedule: %w", err)
	}
	w.health.ok(writeRetries)
	if err := msg.Ack(); err != nil {
		w.log.Warn("ack after the retry was scheduled failed; the next delivery only confirms the schedule", zap.String("event_id", j.ev.ID), zap.Error(err))
	}
	return nil
}

// dropOrigin deletes, for a due retry, the message it was moved from, so
// that a lost ack cannot make it run again.
func (w *Worker) dropOrigin(ctx context.Context, j *job) {
	stream, seqText, ok := strings.Cut(j.hdr.Get(HeaderOrigin), " ")
	seq, err := strconv.ParseUint(seqText, 10, 64)
	if !ok || err != nil {
		return
	}
	s := w.streamOf(stream)
	if s == nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := s.DeleteMsg(ctx, seq); err != nil && !errors.Is(err, jetstream.ErrMsgNotFound) && !errors.Is(err, jetstream.ErrMsgDeleteUnsuccessful) {
		w.log.Debug("moved message not deleted", zap.String("stream", stream), zap.Uint64("seq", seq), zap.Error(err))
	}
}

// streamOf is the trigger or the retry stream by name, nil for another.
func (w *Worker) streamOf(name string) jetstream.Stream {
	switch name {
	case w.cfg.Names.Stream:
		return w.triggerStream
	case w.cfg.Names.RetryStream:
		return w.retryStream
	}
	return nil
}

// setupRetry ensures the retry stream, with message schedules allowed
// (turned on in a stream created without them), and its consumer.
func (w *Worker) setupRetry(ctx context.Context) (jetstream.Consumer, error) {
	s, err := streams.Ensure(ctx, w.js, w.topo.Retry())
	if err != nil {
		return nil, fmt.Errorf("worker: %w", err)
	}
	if have := s.CachedInfo().Config; !have.AllowMsgSchedules {
		have.AllowMsgSchedules = true
		if s, err = w.js.UpdateStream(ctx, have); err != nil {
			return nil, fmt.Errorf("worker: stream %s: allow message schedules: %w", have.Name, err)
		}
	}
	w.retryStream = s
	cc := w.topo.RetryConsumer()
	cons, err := w.js.CreateOrUpdateConsumer(ctx, w.cfg.Names.RetryStream, cc)
	if err != nil {
		return nil, fmt.Errorf("worker: consumer %s: %w", cc.Durable, err)
	}
	return cons, nil
}
