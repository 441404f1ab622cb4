package worker

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/hookworker/hookworker/internal/registry"
	"github.com/hookworker/hookworker/internal/tracectx"
	"github.com/hookworker/hookworker/render"
	"github.com/hookworker/hookworker/trigger"
	"github.com/hookworker/hookworker/trigger/webhook"
)

// This file is the first step of an event's path: decode it and decide
// whether and what to run. The attempt loop (run, attempts.go) follows,
// and settle (settle.go) carries out its outcome.

// job is one delivery of one event.
type job struct {
	data    []byte
	hdr     nats.Header
	subject string
	meta    *jetstream.MsgMetadata
	start   time.Time

	// bot is the bot of the subject the event was stored under: the one
	// its publisher could act for, and so the one it acts for ("" for a
	// subject that names none). replay is its replay count, counted only
	// on the replay subjects.
	bot    string
	replay int
	// retried: the message is a due retry from the retry stream, subject
	// the one its event was first stored under.
	retried bool
	// shared: the job holds a slot of its bot's share (botShare);
	// noWait: it may take one only if one is free at once (park).
	shared bool
	noWait bool

	ev   *trigger.Event
	hist *history
	// condVars is the context the event's condition was true in, which
	// its first attempt (condAttempt) renders in: one budget, as the
	// contract has it, and the event's values decoded once.
	condVars    *render.Vars
	condAttempt int
	// req is the last rendered request and redact hides its secrets.
	req    *render.Request
	redact *render.Redactor
	// httpStatus is the status of this delivery's last response.
	httpStatus int

	// trace is the trigger message's trace context, or a new one;
	// tracestate goes with it. span is that of the last attempt.
	trace      tracectx.Parent
	tracestate string
	span       tracectx.Parent

	// held reports whether the delivery may still be this process's (the
	// stale-delivery guard, guard.go); nil: always (the backstop's copy).
	held func() bool
}

// stale reports whether the job's delivery may have been lost.
func (j *job) stale() bool { return j.held != nil && !j.held() }

// newJob is the job of one delivery: of a message taken from a consumer,
// or of the stored copy of an event that the backstop dead-letters.
func (w *Worker) newJob(data []byte, hdr nats.Header, subject string, meta *jetstream.MsgMetadata) *job {
	j := &job{data: data, hdr: hdr, subject: subject, meta: meta, start: w.clock.Now()}
	if _, orig, ok := w.topo.RetryOrigin(subject); ok {
		j.subject, j.retried = orig, true
	}
	j.trace, j.tracestate = traceOf(hdr)
	// A due retry is its origin's: the bot and replay marker come from the
	// subject it was first stored under (only workers publish retries).
	j.bot, j.replay = w.tenancy.SubjectBot(j.subject), w.replayOf(j.subject, hdr)
	return j
}

// replayOf is the replay count of a message: its Hookworker-Replay
// header on a replay subject, where only the replay path publishes (at
// least 1 there); on any other subject 0, whatever its headers say.
func (w *Worker) replayOf(subject string, hdr nats.Header) int {
	if !w.tenancy.IsReplay(subject) {
		return 0
	}
	n, err := strconv.Atoi(hdr.Get(trigger.HeaderReplay))
	if err != nil || n < 1 {
		return 1
	}
	return n
}

// handle runs one delivery of an event and settles it: the Result is
// published (and, on failure, the dead letter stored) before the message
// is acknowledged. The slot of its bot's share that it held may pass to
// the bot's next parked delivery: that one is returned (ok), to be run
// next by the caller.
func (w *Worker) handle(ctx context.Context, d delivery) (next delivery, ok bool) {
	msg, received := d.msg, d.at
	w.metrics.EventReceived()
	w.metrics.InFlight(1)
	defer w.metrics.InFlight(-1)
	w.inflight.add(msg, received)
	defer w.inflight.remove(msg)
	meta, _ := msg.Metadata()
	final := false
	if meta != nil {
		k, state := w.copies.begin(meta.Stream, meta.Sequence.Stream, meta.Timestamp.UnixNano())
		switch state {
		case copyRunning: // its other copy's ack or term settles the message
			w.metrics.StaleDelivery()
			w.log.Debug("a second copy of a message this process runs: not run", zap.String("stream", k.stream), zap.Uint64("seq", k.seq))
			return w.releaseSlot(d.bot, d.slot)
		case copyDone:
			_ = msg.Ack()
			w.metrics.StaleDelivery()
			w.log.Debug("a copy of a message this process settled: acknowledged, not run", zap.String("stream", k.stream), zap.Uint64("seq", k.seq))
			return w.releaseSlot(d.bot, d.slot)
		}
		defer func() { w.copies.end(k, final) }()
	}
	j := w.newJob(msg.Data(), msg.Headers(), msg.Subject(), meta)
	j.shared, j.noWait = d.slot, d.noWait
	j.held = func() bool { return w.inflight.held(msg) && !w.deliveredBeforePause(meta) }
	final = w.settle(msg, j, w.process(ctx, j))
	return w.releaseShare(j)
}

// process decodes the event, decides whether it runs and with which
// compiled definition, and runs it.
func (w *Worker) process(ctx context.Context, j *job) outcome {
	if err := w.decode(j); err != nil {
		return j.failed(err)
	}
	ev := j.ev
	if ev.Unknown.Count > 0 && j.delivery() <= 1 {
		w.metrics.UnknownFields(ev.Unknown.Names, ev.Unknown.Count)
	}
	// The tenancy checks come before anything reads a secret or makes a
	// request: the subject's bot is the event's, and its Result may go
	// only where that bot's may.
	for _, check := range []func() error{
		func() error { return w.tenancy.CheckBinding(j.subject, ev) },
		func() error { return w.checkOrderedSubject(j.subject, ev) },
		func() error { return w.tenancy.CheckReply(ev) },
	} {
		if err := check(); err != nil {
			return j.failed(fail(trigger.ClassInvalidEvent, err))
		}
	}
	w.loadHistory(ctx, j)
	if o := j.decided(); o != nil {
		// An earlier delivery ran it; only its Result (or dead letter)
		// was not written.
		return *o
	}
	if j.alreadyMoved() {
		return j.movedBefore()
	}
	if j.retried {
		w.dropOrigin(ctx, j)
	}
	if o, ok := w.takeShare(j); !ok {
		return o
	}
	def, prog, err := w.definition(ctx, ev)
	if err != nil {
		return j.failed(err)
	}
	if ev.ExpiresAt != nil && !w.clock.Now().Before(*ev.ExpiresAt) {
		return j.failed(fail(trigger.ClassExpired, fmt.Errorf("event expired at %s", ev.ExpiresAt.UTC().Format(time.RFC3339))))
	}
	if ev.Condition != "" {
		ok, err := w.condition(j, def)
		if err != nil {
			return j.failed(err)
		}
		if !ok {
			return j.skipped()
		}
	}
	c, compiledNow, err := w.compiledOf(def, prog)
	w.metrics.DefinitionCache(!compiledNow)
	if err != nil {
		return j.failed(err)
	}
	if c.req.Def.Ordered && !strings.HasPrefix(j.subject, w.cfg.Names.OrderedPrefix+".") {
		w.unordered(c.req.Def.ID)
	}
	return w.run(ctx, j, c)
}

// decode decodes the job's event; an event that does not decode is
// invalid_event. Its cvars and context stay JSON text (DecodeLazy): the
// templates decode the variables they read, and a mapper that reads
// cvars or conversation has them decoded then.
func (w *Worker) decode(j *job) error {
	ev, err := w.decoder.DecodeLazy(j.data)
	if err != nil {
		return fail(trigger.ClassInvalidEvent, err)
	}
	j.ev = ev
	return nil
}

// checkOrderedSubject refuses an event stored under an ordered lane whose
// subject names another conversation than the event itself: its lane,
// and so its order, would be another conversation's. (Its bot is checked
// with every subject's, by the tenancy binding.)
func (w *Worker) checkOrderedSubject(subject string, ev *trigger.Event) error {
	rest, ok := strings.CutPrefix(subject, w.cfg.Names.OrderedPrefix+".")
	if !ok {
		return nil
	}
	// <lane>.<bot_id>.<conversation_id>
	_, rest, _ = strings.Cut(rest, ".")
	_, conv, _ := strings.Cut(rest, ".")
	if conv != ev.ConversationID {
		return &trigger.FieldError{Field: "conversation_id", Msg: fmt.Sprintf("%q is not the conversation of the ordered subject %s, which decides its order", ev.ConversationID, subject)}
	}
	return nil
}

// loadHistory reads what the event's earlier deliveries did. The first
// delivery, or one whose history cannot be read, starts a new one, first
// seen when the event was stored.
func (w *Worker) loadHistory(ctx context.Context, j *job) {
	if j.delivery() > 1 || j.retried {
		if err := w.readHistory(ctx, j); err != nil {
			w.log.Warn("attempt history not read; counting from here", zap.String("event_id", j.ev.ID), zap.Error(err))
		}
	}
	if j.hist == nil {
		j.hist = &history{FirstSeen: j.start.UTC()}
		if j.meta != nil {
			j.hist.FirstSeen = j.meta.Timestamp.UTC()
		}
	}
}

// readHistory sets the job's history to the stored one, if there is one.
func (w *Worker) readHistory(ctx context.Context, j *job) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	h, err := w.histories.load(ctx, j.ev.ID)
	j.hist = h
	return err
}

// definition is the event's webhook: inline, or the registry's for its
// webhook_ref, with the registry's compiled form of it (see compiledOf).
func (w *Worker) definition(ctx context.Context, ev *trigger.Event) (*webhook.Definition, any, error) {
	ref := ev.WebhookRef
	if ref == nil {
		return ev.Webhook, nil, nil
	}
	if w.registry == nil {
		return nil, nil, fail(trigger.ClassUnknownWebhook, fmt.Errorf("%w %q: no registry is configured", registry.ErrUnknown, ref.ID))
	}
	e, err := w.registry.Lookup(ctx, ref.ID, ref.Revision)
	switch {
	case errors.Is(err, registry.ErrUnknown):
		return nil, nil, fail(trigger.ClassUnknownWebhook, err)
	case err != nil:
		return nil, nil, fail(trigger.ClassUnknownWebhook, fmt.Errorf("webhook %q: %w", ref.ID, err))
	}
	return e.Def, e.Compiled, nil
}

// condition evaluates the event's condition in the request context of its
// first attempt.
func (w *Worker) condition(j *job, def *webhook.Definition) (bool, error) {
	attempt := len(j.hist.Attempts) + 1
	vars := render.RequestVars(j.ev, render.Scope{Secrets: w.secretsFor(j.ev.BotID), Attempt: attempt})
	x, err := w.env.CompileExpr(j.ev.Condition)
	if err != nil {
		return false, fail(trigger.ClassRender, &render.Error{Webhook: def.ID, Field: "condition", Err: err})
	}
	ok, err := x.TrueVars(vars)
	if err == nil {
		err = vars.SecretErr() // swallowed by the expression, still a failure
	}
	if err != nil {
		return false, redactErr(fail(trigger.ClassRender, &render.Error{Webhook: def.ID, Field: "condition", Err: err}), render.NewRedactor(vars.UsedSecrets()))
	}
	if ok {
		j.condVars, j.condAttempt = vars, attempt
	}
	return ok, nil
}

// unordered notes an event of an ordered definition that arrived on the
// unordered subjects: counted every time, a warning once per webhook (as
// long as the webhook is among the last unorderedSeenMax warned about).
func (w *Worker) unordered(webhookID string) {
	if webhookID == "" {
		webhookID = "(inline, no id)"
	}
	w.metrics.Unordered()
	if seen, _ := w.unorderedSeen.ContainsOrAdd(webhookID, struct{}{}); !seen {
		w.log.Warn("webhook is marked ordered but its events arrive on the unordered subjects: they run without per-conversation order; publish them to the ordered subjects",
			zap.String("webhook_id", webhookID),
			zap.String("ordered_subject", w.cfg.Names.OrderedPrefix+".<bot_id>.<conversation_id>"))
	}
}
