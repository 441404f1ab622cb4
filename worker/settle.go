package worker

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/tidwall/gjson"
	"go.uber.org/zap"

	"github.com/hookworker/hookworker/internal/deadletter"
	"github.com/hookworker/hookworker/internal/streams"
	"github.com/hookworker/hookworker/internal/tracectx"
	"github.com/hookworker/hookworker/trigger"
)

// This file is the last step of an event's path: settle carries out the
// outcome of a delivery (dead letter, Result, ack or term, or a hand-back
// to JetStream).

// settle carries out a delivery's outcome. A retry goes back to JetStream
// with its history saved. A terminal outcome stores its dead letter first
// when it failed (in a WorkQueue stream, Term deletes the message: the
// letter must be stored, its PubAck received, before), publishes its
// Result, and only then terminates or acks the message; when either
// cannot be written, the message goes back to JetStream instead.
func (w *Worker) settle(msg jetstream.Msg, j *job, o outcome) (final bool) {
	if o.verdict == verdictLost {
		w.metrics.StaleDelivery()
		w.log.Warn("delivery may be held by another process (ack_wait passed without a heartbeat: was the process paused?): handed back unrun",
			zap.String("event_id", j.ev.ID), zap.Uint64("delivery", j.delivery()), zap.Duration("ack_wait", w.cfg.Worker.AckWait))
		return false
	}
	if o.verdict == verdictRetryLater {
		w.handBack(msg, j, o)
		return false
	}
	res := o.stored
	if res == nil {
		res = resultOf(j, o, w.clock.Now())
	}
	if o.verdict == verdictFailed && !o.lettered {
		if err := w.deadLetter(j, res); err != nil {
			w.log.Warn("dead letter not stored; the event goes back to JetStream, its outcome kept: it will not run again",
				zap.String("event_id", res.EventID), zap.Error(err))
			w.keepResult(j, res, false)
			_ = msg.NakWithDelay(5 * time.Second)
			return false
		}
	}
	if err := w.publishResult(j, res); err != nil {
		w.log.Warn("result not published; the event goes back to JetStream, its outcome kept: it will not run again",
			zap.String("event_id", res.EventID), zap.Error(err))
		w.keepResult(j, res, o.verdict == verdictFailed)
		_ = msg.NakWithDelay(2 * time.Second)
		return false
	}
	if o.verdict == verdictFailed {
		if err := msg.TermWithReason(string(res.Error.Class)); err != nil {
			w.log.Warn("term failed; the event may run again", zap.String("event_id", res.EventID), zap.Error(err))
		}
	} else if err := msg.Ack(); err != nil {
		w.log.Warn("ack failed; the event may run again", zap.String("event_id", res.EventID), zap.Error(err))
	}
	w.forgetHistory(j)
	w.report(j, res)
	return true
}

// handBack returns the message to JetStream, to come back after o.delay,
// with the event's history saved so that any process continues its count.
func (w *Worker) handBack(msg jetstream.Msg, j *job, o outcome) {
	if w.movable(j, o) {
		err := w.moveToRetry(msg, j, o)
		if err == nil {
			w.countHandBack(j, o)
			return
		}
		w.log.Warn("retry not moved to the retry stream; handed back instead", zap.String("event_id", j.ev.ID), zap.Error(err))
	}
	w.saveHistory(j)
	if err := msg.NakWithDelay(o.delay); err != nil {
		w.log.Warn("hand back failed; JetStream redelivers after AckWait", zap.Error(err))
	}
	w.countHandBack(j, o)
}

// countHandBack counts and logs a hand-back.
func (w *Worker) countHandBack(j *job, o outcome) {
	if o.again {
		return
	}
	switch o.retry {
	case RetryIsolation:
		w.metrics.RetryScheduled(RetryIsolation)
		w.log.Debug("handed back by per-host isolation", zap.String("event_id", j.ev.ID),
			zap.String("reason", o.reason), zap.Duration("delay", o.delay))
	case RetryShare:
		w.metrics.RetryScheduled(RetryShare)
	case RetryDelayed:
		w.metrics.RetryScheduled(RetryDelayed)
		w.log.Debug("retry scheduled", zap.String("event_id", j.ev.ID), zap.Duration("delay", o.delay),
			zap.Int("attempts", o.attempts))
	}
}

// resultOf is the Result of a terminal outcome, completed at now. An event
// that did not decode gets the ids that can be read from its JSON.
func resultOf(j *job, o outcome, now time.Time) *trigger.Result {
	res := &trigger.Result{
		CVars:       map[string]any{},
		Unmapped:    []string{},
		HTTPStatus:  o.httpStatus,
		Attempts:    o.attempts,
		DurationMS:  float64(now.Sub(j.start).Microseconds()) / 1000,
		Replayed:    j.replay > 0,
		CompletedAt: now.UTC(),
	}
	if ev := j.ev; ev != nil {
		res.EventID, res.BotID, res.ConversationID = ev.ID, ev.BotID, ev.ConversationID
		res.ConnectionID, res.WebhookID = ev.ConnectionID(), ev.WebhookID()
	} else {
		res.EventID = gjson.GetBytes(j.data, "id").String()
		res.BotID = gjson.GetBytes(j.data, "bot_id").String()
		res.ConversationID = gjson.GetBytes(j.data, "conversation_id").String()
	}
	if j.bot != "" {
		// The bot the event was published for, whatever it claims: its
		// Result, dead letter and log line are that bot's.
		res.BotID = j.bot
	}
	switch o.verdict {
	case verdictSucceeded:
		res.Status, res.CVars, res.Unmapped = trigger.StatusSucceeded, o.cvars, o.unmapped
	case verdictSkipped:
		res.Status = trigger.StatusSkipped
	default:
		res.Status = trigger.StatusFailed
		res.Error = &trigger.Error{Class: o.class, Message: o.message}
	}
	return res
}

// letterOf is the dead letter of the job's failed Result: the event as it
// arrived, every attempt, the last request with its secrets redacted.
func letterOf(j *job, res *trigger.Result) *deadletter.Letter {
	l := &deadletter.Letter{
		EventID:        res.EventID,
		BotID:          res.BotID,
		ConversationID: res.ConversationID,
		WebhookID:      res.WebhookID,
		Subject:        j.subject,
		Replay:         j.replay,
		Error:          *res.Error,
		Attempts:       []deadletter.Attempt{},
		FailedAt:       res.CompletedAt,
		FirstSeen:      j.start.UTC(),
	}
	if json.Valid(j.data) {
		l.Event = j.data
	} else {
		l.EventText = string(j.data)
	}
	if j.meta != nil {
		l.Deliveries = j.meta.NumDelivered
		l.FirstSeen = j.meta.Timestamp.UTC()
	}
	if j.hist != nil {
		l.Deliveries += j.hist.Delivered // of the messages moved to the retry stream before
		if len(j.hist.Attempts) > 0 {
			l.Attempts = j.hist.Attempts
		}
		if !j.hist.FirstSeen.IsZero() {
			l.FirstSeen = j.hist.FirstSeen
		}
	}
	if j.req != nil {
		red := j.req.Redacted()
		l.Request = &deadletter.Request{Method: red.Method, URL: red.URL, Headers: red.Header, Body: string(red.Body)}
	}
	return l
}

// deadLetter stores the job's dead letter and waits for the PubAck.
func (w *Worker) deadLetter(j *job, res *trigger.Result) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := w.letters.PutWith(ctx, letterOf(j, res), streams.PublishOptions{Retried: w.writeRetried(writeLetters)})
	if err != nil {
		w.health.failed(writeLetters, err)
		return err
	}
	w.health.ok(writeLetters)
	w.metrics.DeadLetter(string(res.Error.Class))
	return nil
}

// keepResult saves the job's history with the Result it could not write
// (and whether its dead letter is stored), so that the next delivery
// writes them without running the webhook again. An event that did not
// decode has no history: it is only decoded again.
func (w *Worker) keepResult(j *job, res *trigger.Result, lettered bool) {
	if j.ev == nil {
		return
	}
	if j.hist == nil {
		j.hist = &history{FirstSeen: j.start.UTC()}
	}
	j.hist.Result, j.hist.Lettered = res, lettered
	w.saveHistory(j)
}

// publishResult sends the Result to the event's reply subject. An event
// with no readable reply subject or bot id gets none.
func (w *Worker) publishResult(j *job, res *trigger.Result) error {
	subject := w.resultSubject(j)
	if subject == "" {
		return nil
	}
	out := nats.NewMsg(subject)
	out.Header.Set(trigger.HeaderMsgID, trigger.ResultMsgID(res.EventID, j.replay))
	out.Header.Set(tracectx.Header, j.resultTrace().String())
	if j.tracestate != "" {
		out.Header.Set(tracectx.StateHeader, j.tracestate)
	}
	data, err := res.AppendJSON(make([]byte, 0, 512))
	if err != nil {
		return fmt.Errorf("encode result: %w", err)
	}
	out.Data = data
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return w.results.publish(ctx, w.nc, out)
}

// resultSubject finds where a Result goes, even for an event that did not
// decode or broke the contract (v2, "Tenancy"): its reply_to when the
// contract lets the subject's bot use it and the event claims no other
// bot; else <result prefix>.<bot> of the subject's bot (of the event's
// claimed one when the subject names none). "" when no bot is known.
func (w *Worker) resultSubject(j *job) string {
	var reply, claimed string
	switch {
	case j.ev != nil:
		reply, claimed = j.ev.ReplyTo, j.ev.BotID
	case gjson.ValidBytes(j.data):
		if r := gjson.GetBytes(j.data, "reply_to"); r.Type == gjson.String {
			reply = r.Str
		}
		if b := gjson.GetBytes(j.data, "bot_id"); b.Type == gjson.String {
			claimed = b.Str
		}
	}
	bot := j.bot
	if bot == "" && trigger.ValidToken(claimed) {
		bot = claimed
	}
	if bot == "" {
		return ""
	}
	if reply != "" && (claimed == bot || claimed == "") && w.tenancy.ReplyRefused(reply, bot) == "" {
		return reply
	}
	return w.cfg.Names.ResultPrefix + "." + bot
}

// saveHistory writes the event's history for its next delivery.
func (w *Worker) saveHistory(j *job) {
	if j.ev == nil || j.hist == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := w.histories.save(ctx, j.ev.ID, j.hist); err != nil {
		w.health.failed(writeHistory, err)
		w.log.Warn("attempt history not saved; the next delivery starts a new count", zap.String("event_id", j.ev.ID), zap.Error(err))
		return
	}
	w.health.ok(writeHistory)
}

// forgetHistory deletes a stored history once the event is done; one not
// deleted expires with the bucket's TTL.
func (w *Worker) forgetHistory(j *job) {
	if j.ev == nil || j.hist == nil || !j.hist.stored {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := w.histories.delete(ctx, j.ev.ID); err != nil {
		w.log.Debug("attempt history not deleted; it expires", zap.Error(err))
	}
}

// report counts a terminal outcome and writes its one log line: the error
// message is already redacted, and no body is logged.
func (w *Worker) report(j *job, res *trigger.Result) {
	class := ""
	if res.Error != nil {
		class = string(res.Error.Class)
	}
	webhook, sinceFired := WebhookNone, time.Duration(0)
	switch {
	case j.ev != nil && j.ev.WebhookRef != nil:
		webhook = j.ev.WebhookRef.ID
	case j.ev != nil && j.ev.Webhook != nil:
		webhook = WebhookInline
	}
	now := w.clock.Now()
	if j.meta != nil && !j.meta.Timestamp.IsZero() {
		sinceFired = now.Sub(j.meta.Timestamp)
	}
	w.metrics.Completed(webhook, string(res.Status), now.Sub(j.start), sinceFired)
	// The total last: a scrape that sees it sees the outcome's other series.
	w.metrics.Outcome(string(res.Status), class)
	lg := w.log
	if res.Status != trigger.StatusFailed {
		lg = w.successLog
	}
	ce := lg.Check(zap.InfoLevel, "event done")
	if ce == nil {
		return
	}
	fields := []zap.Field{
		zap.String("event_id", res.EventID),
		zap.String("bot_id", res.BotID),
		zap.String("conversation_id", res.ConversationID),
		zap.String("webhook_id", res.WebhookID),
		zap.String("status", string(res.Status)),
		zap.Int("attempts", res.Attempts),
		zap.Int("http_status", res.HTTPStatus),
		zap.Float64("duration_ms", res.DurationMS),
	}
	if j.trace.TraceID.IsValid() {
		fields = append(fields, zap.Stringer("trace_id", j.trace.TraceID))
	}
	if res.Error != nil {
		fields = append(fields, zap.String("class", string(res.Error.Class)), zap.String("error", res.Error.Message))
	}
	ce.Write(fields...)
}
