package worker

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/tidwall/gjson"
	"go.uber.org/zap"

	"github.com/hookworker/hookworker/internal/deadletter"
	"github.com/hookworker/hookworker/internal/egress"
	"github.com/hookworker/hookworker/internal/hostguard"
	"github.com/hookworker/hookworker/internal/registry"
	"github.com/hookworker/hookworker/internal/tracectx"
	"github.com/hookworker/hookworker/mapper"
	"github.com/hookworker/hookworker/render"
	"github.com/hookworker/hookworker/signing"
	"github.com/hookworker/hookworker/trigger"
	"github.com/hookworker/hookworker/trigger/webhook"
)

// errHandBack means the event was not finished (shutdown) and goes back to
// JetStream for another process.
var errHandBack = errors.New("handed back")

// compiled is a definition ready to run.
type compiled struct {
	req    *render.Webhook
	mapper *mapper.Mapper
	// success lists the statuses that count as success; nil means 2xx.
	success []webhook.StatusPattern
	policy  policy
}

// failure is a terminal failure with its class.
type failure struct {
	class trigger.Class
	err   error
}

func (f *failure) Error() string { return f.err.Error() }
func (f *failure) Unwrap() error { return f.err }

func fail(class trigger.Class, err error) error { return &failure{class: class, err: err} }

// classOf returns the class of a failure, network for anything else.
func classOf(err error) trigger.Class {
	var f *failure
	if errors.As(err, &f) {
		return f.class
	}
	return trigger.ClassNetwork
}

// verdict is what becomes of a message after one delivery.
type verdict int

const (
	done     verdict = iota // succeeded or skipped: Result, then ack
	failed                  // failed for good: dead letter, Result, then term
	retry                   // a delayed retry: history saved, NakWithDelay
	handBack                // shutdown: history saved, Nak
)

// job is one delivery of one event.
type job struct {
	data    []byte
	hdr     nats.Header
	subject string
	meta    *jetstream.MsgMetadata
	start   time.Time

	ev     *trigger.Event
	res    *trigger.Result
	hist   *history
	req    *render.Request // last rendered request
	redact *render.Redactor
	delay  time.Duration // for retry
	// isolated is why per-host isolation handed the event back, or "".
	isolated string

	// trace is the trigger message's trace context, or a new one;
	// tracestate goes with it. span is that of the last attempt.
	trace      tracectx.Parent
	tracestate string
	span       tracectx.Parent
}

// handle processes one message: the Result is published (and, on failure,
// the dead letter stored) before the message is acknowledged.
func (w *Worker) handle(ctx context.Context, msg jetstream.Msg) {
	w.metrics.EventReceived()
	w.metrics.InFlight(1)
	defer w.metrics.InFlight(-1)
	w.inflight.add(msg)
	defer w.inflight.remove(msg)
	j := &job{data: msg.Data(), hdr: msg.Headers(), subject: msg.Subject(), start: w.clock.Now()}
	j.meta, _ = msg.Metadata()
	j.trace, j.tracestate = traceOf(j.hdr)
	v := w.process(ctx, j)
	switch v {
	case retry, handBack:
		delay := j.delay
		if v == handBack {
			delay = time.Second
		}
		w.saveHistory(j)
		if err := msg.NakWithDelay(delay); err != nil {
			w.log.Warn("hand back failed; JetStream redelivers after AckWait", zap.Error(err))
		}
		switch {
		case v == retry && j.isolated != "":
			w.metrics.RetryScheduled(RetryIsolation)
			w.log.Debug("handed back by per-host isolation", zap.String("event_id", j.ev.ID),
				zap.String("reason", j.isolated), zap.Duration("delay", delay))
		case v == retry:
			w.metrics.RetryScheduled(RetryDelayed)
			w.log.Debug("retry scheduled", zap.String("event_id", j.ev.ID), zap.Duration("delay", delay),
				zap.Int("attempts", len(j.hist.Attempts)))
		}
		return
	case failed:
		if err := w.deadLetter(j); err != nil {
			w.log.Warn("dead letter not stored; the event goes back to JetStream", zap.String("event_id", j.res.EventID), zap.Error(err))
			w.saveHistory(j)
			_ = msg.NakWithDelay(5 * time.Second)
			return
		}
		w.metrics.DeadLetter(string(j.res.Error.Class))
	}
	if err := w.publishResult(j); err != nil {
		w.log.Warn("result not published; the event goes back to JetStream",
			zap.String("event_id", j.res.EventID), zap.Error(err))
		_ = msg.NakWithDelay(2 * time.Second)
		return
	}
	if v == failed {
		err := msg.TermWithReason(string(j.res.Error.Class))
		if err != nil {
			w.log.Warn("term failed; the event may run again", zap.String("event_id", j.res.EventID), zap.Error(err))
		}
	} else if err := msg.Ack(); err != nil {
		w.log.Warn("ack failed; the event may run again", zap.String("event_id", j.res.EventID), zap.Error(err))
	}
	if j.hist != nil && j.hist.stored && j.ev != nil {
		if err := w.histories.delete(context.Background(), j.ev.ID); err != nil {
			w.log.Debug("attempt history not deleted; it expires", zap.Error(err))
		}
	}
	w.outcome(j)
}

// outcome logs and counts a terminal outcome.
func (w *Worker) outcome(j *job) {
	class := ""
	if j.res.Error != nil {
		class = string(j.res.Error.Class)
	}
	w.metrics.Outcome(string(j.res.Status), class)
	webhook, sinceFired := WebhookNone, time.Duration(0)
	switch {
	case j.ev != nil && j.ev.WebhookRef != nil:
		webhook = j.ev.WebhookRef.ID
	case j.ev != nil && j.ev.Webhook != nil:
		webhook = WebhookInline
	}
	if j.meta != nil && !j.meta.Timestamp.IsZero() {
		sinceFired = w.clock.Now().Sub(j.meta.Timestamp)
	}
	w.metrics.Completed(webhook, string(j.res.Status), w.clock.Now().Sub(j.start), sinceFired)
	w.logOutcome(j.res, j.trace.TraceID)
}

func (w *Worker) saveHistory(j *job) {
	if j.ev == nil || j.hist == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := w.histories.save(ctx, j.ev.ID, j.hist); err != nil {
		w.log.Warn("attempt history not saved; the next delivery starts a new count", zap.String("event_id", j.ev.ID), zap.Error(err))
	}
}

// publishResult sends the Result to the event's reply subject. An event
// with no readable reply subject or bot id gets none.
func (w *Worker) publishResult(j *job) error {
	subject := w.resultSubject(j.ev, j.data)
	if subject == "" {
		return nil
	}
	out := nats.NewMsg(subject)
	out.Header.Set(trigger.HeaderMsgID, trigger.ResultMsgID(j.res.EventID, replayCount(j.hdr)))
	out.Header.Set(tracectx.Header, j.resultTrace().String())
	if j.tracestate != "" {
		out.Header.Set(tracectx.StateHeader, j.tracestate)
	}
	data, err := j.res.AppendJSON(make([]byte, 0, 512))
	if err != nil {
		return fmt.Errorf("encode result: %w", err)
	}
	out.Data = data
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return w.results.publish(ctx, w.nc, out)
}

// deadLetter stores the failed event's dead letter and waits for the PubAck.
func (w *Worker) deadLetter(j *job) error {
	l := &deadletter.Letter{
		EventID:        j.res.EventID,
		BotID:          j.res.BotID,
		ConversationID: j.res.ConversationID,
		WebhookID:      j.res.WebhookID,
		Subject:        j.subject,
		Replay:         replayCount(j.hdr),
		Error:          *j.res.Error,
		Attempts:       []deadletter.Attempt{},
		FailedAt:       j.res.CompletedAt,
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
		l.Attempts = j.hist.Attempts
		if !j.hist.FirstSeen.IsZero() {
			l.FirstSeen = j.hist.FirstSeen
		}
	}
	if j.req != nil {
		red := j.req.Redacted()
		l.Request = &deadletter.Request{Method: red.Method, URL: red.URL, Headers: red.Header, Body: string(red.Body)}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return w.letters.Put(ctx, l)
}

// logOutcome writes the one line of a terminal outcome; the error message
// is redacted (see finish), and no body is logged.
func (w *Worker) logOutcome(res *trigger.Result, trace tracectx.TraceID) {
	if ce := w.log.Check(zap.InfoLevel, "event done"); ce != nil {
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
		if trace.IsValid() {
			fields = append(fields, zap.Stringer("trace_id", trace))
		}
		if res.Error != nil {
			fields = append(fields, zap.String("class", string(res.Error.Class)), zap.String("error", res.Error.Message))
		}
		ce.Write(fields...)
	}
}

// resultSubject finds where a Result goes, even for an event that did not
// decode: its reply_to, else the result prefix and its bot id.
func (w *Worker) resultSubject(ev *trigger.Event, data []byte) string {
	if ev != nil {
		return trigger.ResultSubject(ev, w.cfg.Names.ResultPrefix)
	}
	if !gjson.ValidBytes(data) {
		return ""
	}
	if r := gjson.GetBytes(data, "reply_to"); r.Type == gjson.String && trigger.ValidSubject(r.Str) {
		return r.Str
	}
	if b := gjson.GetBytes(data, "bot_id"); b.Type == gjson.String && trigger.ValidToken(b.Str) {
		return w.cfg.Names.ResultPrefix + "." + b.Str
	}
	return ""
}

func replayCount(h nats.Header) int {
	if h == nil {
		return 0
	}
	n, _ := strconv.Atoi(h.Get(trigger.HeaderReplay))
	return n
}

// process runs one delivery of an event and fills j.res.
func (w *Worker) process(ctx context.Context, j *job) verdict {
	j.res = &trigger.Result{Replayed: replayCount(j.hdr) > 0, Unmapped: []string{}, CVars: map[string]any{}}
	ev, err := w.decoder.Decode(j.data)
	if err != nil {
		j.res.EventID = gjson.GetBytes(j.data, "id").String()
		j.res.BotID = gjson.GetBytes(j.data, "bot_id").String()
		j.res.ConversationID = gjson.GetBytes(j.data, "conversation_id").String()
		w.finish(j, fail(trigger.ClassInvalidEvent, err))
		return failed
	}
	j.ev = ev
	if ev.Unknown.Count > 0 && (j.meta == nil || j.meta.NumDelivered <= 1) {
		w.metrics.UnknownFields(ev.Unknown.Names, ev.Unknown.Count)
	}
	j.res.EventID, j.res.BotID, j.res.ConversationID = ev.ID, ev.BotID, ev.ConversationID
	j.res.ConnectionID, j.res.WebhookID = ev.ConnectionID(), ev.WebhookID()
	if err := w.checkOrderedSubject(j.subject, ev); err != nil {
		w.finish(j, fail(trigger.ClassInvalidEvent, err))
		return failed
	}
	if j.meta != nil && j.meta.NumDelivered > 1 {
		lctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		j.hist, err = w.histories.load(lctx, ev.ID)
		cancel()
		if err != nil {
			w.log.Warn("attempt history not read; counting from here", zap.String("event_id", ev.ID), zap.Error(err))
		}
	}
	if j.hist == nil {
		j.hist = &history{FirstSeen: j.start.UTC()}
		if j.meta != nil {
			j.hist.FirstSeen = j.meta.Timestamp.UTC()
		}
	}
	j.res.Attempts = len(j.hist.Attempts)
	v, err := w.run(ctx, j)
	if v == retry || v == handBack {
		if v == retry && w.lastDelivery(j) {
			// A Nak now would strand the event past MaxDeliver.
			w.finish(j, exhausted(j, "no deliveries left (worker.max_deliver)"))
			return failed
		}
		return v
	}
	w.finish(j, err)
	if err != nil {
		return failed
	}
	return done
}

// checkOrderedSubject refuses an event stored under an ordered lane whose
// subject names another bot or conversation than the event itself: its
// lane, and so its order, would be another conversation's.
func (w *Worker) checkOrderedSubject(subject string, ev *trigger.Event) error {
	rest, ok := strings.CutPrefix(subject, w.cfg.Names.OrderedPrefix+".")
	if !ok {
		return nil
	}
	// <lane>.<bot_id>.<conversation_id>
	_, rest, _ = strings.Cut(rest, ".")
	bot, conv, _ := strings.Cut(rest, ".")
	switch {
	case bot != ev.BotID:
		return &trigger.FieldError{Field: "bot_id", Msg: fmt.Sprintf("%q is not the bot of the ordered subject %s", ev.BotID, subject)}
	case conv != ev.ConversationID:
		return &trigger.FieldError{Field: "conversation_id", Msg: fmt.Sprintf("%q is not the conversation of the ordered subject %s, which decides its order", ev.ConversationID, subject)}
	}
	return nil
}

// lastDelivery reports whether JetStream will not deliver the message again.
func (w *Worker) lastDelivery(j *job) bool {
	md := w.cfg.Worker.MaxDeliver
	return md > 0 && j.meta != nil && j.meta.NumDelivered >= uint64(md)
}

// exhausted is the final failure after the last allowed attempt: the class
// of the last attempt, and why no more are made.
func exhausted(j *job, why string) error {
	last := j.hist.Attempts[len(j.hist.Attempts)-1]
	return fail(last.Class, fmt.Errorf("%s after %d attempts: %s: %w", last.Error, len(j.hist.Attempts), why, errExhausted))
}

// finish fills the Result's status, error and timing.
func (w *Worker) finish(j *job, err error) {
	res := j.res
	now := w.clock.Now()
	res.CompletedAt = now.UTC()
	res.DurationMS = float64(now.Sub(j.start).Microseconds()) / 1000
	if err == nil {
		if res.Status == "" {
			res.Status = trigger.StatusSucceeded
		}
		return
	}
	res.Status = trigger.StatusFailed
	res.CVars = map[string]any{}
	res.Error = &trigger.Error{Class: classOf(err), Message: j.redact.Redact(err.Error())}
}

// unordered notes an event of an ordered definition that arrived on the
// unordered subjects: counted every time, a warning once per webhook.
func (w *Worker) unordered(webhookID string) {
	w.metrics.Unordered()
	if _, seen := w.unorderedSeen.LoadOrStore(webhookID, true); !seen {
		w.log.Warn("webhook is marked ordered but its events arrive on the unordered subjects: they run without per-conversation order; publish them to the ordered subjects",
			zap.String("webhook_id", webhookID),
			zap.String("ordered_subject", w.cfg.Names.OrderedPrefix+".<bot_id>.<conversation_id>"))
	}
}

// run executes ev's webhook, with in-worker retries, and fills res. It
// returns done with a nil error on success or skip, done with a *failure
// for a terminal failure, retry (j.delay set) or handBack.
func (w *Worker) run(ctx context.Context, j *job) (verdict, error) {
	ev, res := j.ev, j.res
	def := ev.Webhook
	var c *compiled
	if ev.WebhookRef != nil {
		if w.registry == nil {
			return done, fail(trigger.ClassUnknownWebhook, fmt.Errorf("%w %q: no registry is configured", registry.ErrUnknown, ev.WebhookRef.ID))
		}
		d, err := w.registry.Lookup(ctx, ev.WebhookRef.ID, ev.WebhookRef.Revision)
		if err != nil {
			if errors.Is(err, registry.ErrUnknown) {
				return done, fail(trigger.ClassUnknownWebhook, err)
			}
			return done, fail(trigger.ClassUnknownWebhook, fmt.Errorf("webhook %q: %w", ev.WebhookRef.ID, err))
		}
		def = d
	}
	// Definitions are cached by pointer: the registry's, and inline ones,
	// which the decoder shares between events with the same webhook text.
	key := def
	c, _ = w.compiled.get(key)
	if ev.ExpiresAt != nil && !w.clock.Now().Before(*ev.ExpiresAt) {
		return done, fail(trigger.ClassExpired, fmt.Errorf("event expired at %s", ev.ExpiresAt.UTC().Format(time.RFC3339)))
	}
	ev.CVars, _ = render.Normalize(ev.CVars).(map[string]any)
	ev.Context, _ = render.Normalize(ev.Context).(map[string]any)
	if ev.Condition != "" {
		vars := render.RequestVars(ev, render.Scope{Secrets: w.secrets, Attempt: len(j.hist.Attempts) + 1})
		x, err := w.env.CompileExpr(ev.Condition)
		if err != nil {
			return done, fail(trigger.ClassRender, &render.Error{Webhook: def.ID, Field: "condition", Err: err})
		}
		ok, err := x.True(vars.Map())
		if err != nil {
			return done, redactErr(fail(trigger.ClassRender, &render.Error{Webhook: def.ID, Field: "condition", Err: err}), render.NewRedactor(vars.UsedSecrets()))
		}
		if !ok {
			res.Status = trigger.StatusSkipped
			return done, nil
		}
	}
	w.metrics.DefinitionCache(c != nil)
	if c == nil {
		if def.Uses != "" {
			resolved, err := w.market.Resolve(def)
			if err != nil {
				return done, fail(trigger.ClassRender, &render.Error{Webhook: def.ID, Field: "webhook", Err: err})
			}
			def = resolved
		}
		var err error
		if c, err = w.compile(def); err != nil {
			return done, err
		}
		w.compiled.put(key, c)
	}
	def = c.req.Def
	if def.Ordered && !strings.HasPrefix(j.subject, w.cfg.Names.OrderedPrefix+".") {
		id := def.ID
		if id == "" {
			id = "(inline, no id)"
		}
		w.unordered(id)
	}
	pol := c.policy
	quickLeft := pol.quick
	var bo interface{ NextBackOff() time.Duration }
	for {
		attemptNo := len(j.hist.Attempts) + 1
		vars := render.RequestVars(ev, render.Scope{Secrets: w.secrets, Attempt: attemptNo})
		if err := w.env.RenderParams(def, vars); err != nil {
			return done, redactErr(fail(trigger.ClassRender, err), render.NewRedactor(vars.UsedSecrets()))
		}
		req, err := c.req.Render(vars)
		if err != nil {
			return done, redactErr(fail(trigger.ClassRender, err), render.NewRedactor(vars.UsedSecrets()))
		}
		j.req, j.redact = req, render.NewRedactor(req.Secrets)
		var traceparent string
		if req.Header.Get(tracectx.Header) == "" { // else the webhook's own wins
			j.span = j.trace.Child()
			traceparent = j.span.String()
		}
		// Per-host isolation: a host over its limits or with an open
		// breaker gets the event back later, without an attempt. On the
		// last delivery the attempt is made anyway, rather than strand it.
		// One parse of the rendered URL serves the isolation key and the
		// metrics' host label.
		u, _ := url.Parse(req.URL)
		var release func(failed bool)
		if !w.lastDelivery(j) {
			rel, deny := w.guard.Acquire(hostKey(u, req.URL))
			if deny != nil {
				j.delay = jitter(deny.RetryAfter)
				j.isolated = deny.Reason
				return retry, nil
			}
			release = rel
		}
		at := w.clock.Now()
		resp, err := w.attempt(ctx, ev, def, req, traceparent, j.tracestate)
		if release != nil {
			release(hostFailed(resp, err))
		}
		w.observeAttempt(u, resp, err, w.clock.Since(at))
		if errors.Is(err, errHandBack) {
			return handBack, nil
		}
		a := deadletter.Attempt{At: at.UTC(), DurationMS: float64(w.clock.Now().Sub(at).Microseconds()) / 1000}
		status := 0
		var header http.Header
		if err == nil {
			status, header = resp.StatusCode, resp.Header
			a.Status = status
			res.HTTPStatus = status
			if !c.isSuccess(status) {
				err = fail(trigger.ClassHTTPStatus, fmt.Errorf("%s %s answered %d", req.Method, j.redact.Redact(req.URL), status))
				a.Body = j.redact.Redact(deadletter.Excerpt(string(resp.Body)))
			}
		}
		if err == nil {
			j.hist.Attempts = append(j.hist.Attempts, a)
			res.Attempts = len(j.hist.Attempts)
			conv, _ := vars.Map()["conversation"].(map[string]any)
			out, merr := c.mapper.Apply(resp, ev.CVars, conv)
			if merr != nil {
				return done, redactErr(fail(trigger.ClassMapping, merr), j.redact)
			}
			res.CVars, res.Unmapped = out.CVars, out.Unmapped
			return done, nil
		}
		err = redactErr(err, j.redact)
		class := classOf(err)
		a.Class, a.Error = class, err.Error()
		now := w.clock.Now()
		ra := retryAfter(status, header, now)
		a.RetryAfterMS = ra.Milliseconds()
		j.hist.Attempts = append(j.hist.Attempts, a)
		res.Attempts = len(j.hist.Attempts)

		if !pol.retriable(class, status) {
			return done, err
		}
		if res.Attempts >= pol.maxAttempts {
			return done, exhausted(j, "retry.max_attempts reached")
		}
		// The next delay: a quick in-worker wait while allowed, else a
		// delayed retry through JetStream.
		var delay time.Duration
		quick := false
		if quickLeft > 0 {
			switch {
			case ra > 0:
				delay = ra
			case status == http.StatusTooManyRequests:
				delay = pol.floor429
			default:
				if bo == nil {
					bo = pol.quickBackOff()
				}
				delay = bo.NextBackOff()
			}
			quick = delay <= pol.quickMax && now.Add(delay).Sub(j.start) < w.cfg.Worker.AckWait/2
		}
		if !quick {
			delay = pol.durableDelay(j.hist.Handbacks)
			if ra > 0 {
				delay = ra
			} else if status == http.StatusTooManyRequests {
				delay = max(delay, pol.floor429)
			}
		}
		delay = min(delay, pol.maxDelay)
		next := now.Add(delay)
		if ev.ExpiresAt != nil && !next.Before(*ev.ExpiresAt) {
			return done, fail(trigger.ClassExpired, fmt.Errorf("the next attempt (in %s) would start after expires_at %s; last error: %w",
				delay, ev.ExpiresAt.UTC().Format(time.RFC3339), err))
		}
		if next.After(j.hist.FirstSeen.Add(pol.maxAge)) {
			return done, exhausted(j, "retry.max_age reached")
		}
		if !quick {
			j.hist.Handbacks++
			j.delay = delay
			return retry, nil
		}
		quickLeft--
		w.metrics.RetryScheduled(RetryInWorker)
		if !sleep(ctx, w.clock, delay) {
			return handBack, nil
		}
	}
}

func redactErr(err error, r *render.Redactor) error {
	var f *failure
	if errors.As(err, &f) {
		return &failure{class: f.class, err: errors.New(r.Redact(f.err.Error()))}
	}
	return errors.New(r.Redact(err.Error()))
}

// compile compiles a definition's request and mapper templates.
func (w *Worker) compile(def *webhook.Definition) (*compiled, error) {
	req, err := w.env.CompileWebhook(def)
	if err != nil {
		return nil, fail(trigger.ClassRender, err)
	}
	m, err := mapper.Compile(w.env, def.CVars, mapper.Options{})
	if err != nil {
		return nil, fail(trigger.ClassRender, &render.Error{Webhook: def.ID, Field: "cvars", Err: err})
	}
	c := &compiled{req: req, mapper: m, policy: newPolicy(w.cfg.Retry, def.Retry)}
	for _, s := range def.Success {
		p, err := webhook.ParseStatusPattern(s, false)
		if err != nil {
			return nil, fail(trigger.ClassRender, &render.Error{Webhook: def.ID, Field: "success", Err: err})
		}
		c.success = append(c.success, p)
	}
	return c, nil
}

func (c *compiled) isSuccess(status int) bool {
	if len(c.success) == 0 {
		return status >= 200 && status < 300
	}
	for _, p := range c.success {
		if p.Match(status) {
			return true
		}
	}
	return false
}

// observeAttempt counts one attempt in the metrics.
func (w *Worker) observeAttempt(u *url.URL, resp *mapper.Response, err error, d time.Duration) {
	status := 0
	if err == nil {
		status = resp.StatusCode
	} else if classOf(err) == trigger.ClassRender {
		d = 0 // no request was made
	}
	host := ""
	if u != nil {
		host = u.Host
	}
	w.metrics.Attempt(host, attemptClass(status, err), d)
}

// attempt makes one HTTP request and reads the response, capped. A
// non-empty traceparent is sent with the tracestate, if any.
func (w *Worker) attempt(ctx context.Context, ev *trigger.Event, def *webhook.Definition, r *render.Request, traceparent, tracestate string) (*mapper.Response, error) {
	actx, cancel := context.WithTimeout(ctx, def.EffectiveTimeout())
	defer cancel()
	var body io.Reader
	if r.Body != nil {
		body = bytes.NewReader(r.Body)
	}
	req, err := http.NewRequestWithContext(actx, r.Method, r.URL, body)
	if err != nil {
		return nil, fail(trigger.ClassRender, fmt.Errorf("request: %w", err))
	}
	req.Header = r.Header.Clone()
	req.Header.Set("Idempotency-Key", ev.ID)
	if traceparent != "" {
		req.Header.Set(tracectx.Header, traceparent)
		if tracestate != "" {
			req.Header.Set(tracectx.StateHeader, tracestate)
		} else {
			req.Header.Del(tracectx.StateHeader)
		}
	}
	if len(r.SigningSecrets) > 0 {
		signer, err := signing.NewSigner(r.SigningSecrets)
		if err != nil {
			return nil, fail(trigger.ClassRender, fmt.Errorf("signing: %w", err))
		}
		// webhook-id is the event id: the same on every attempt, as the
		// Standard Webhooks scheme wants for receivers that deduplicate.
		signer.SignRequest(req, ev.ID, w.clock.Now(), r.Body)
	}
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", w.cfg.HTTP.UserAgent)
	}
	resp, err := w.http.Do(req)
	if err != nil {
		return nil, w.classify(ctx, actx, def, err)
	}
	defer resp.Body.Close()
	limit := w.cfg.HTTP.MaxResponseBytes
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, w.classify(ctx, actx, def, err)
	}
	if int64(len(data)) > limit {
		return nil, fail(trigger.ClassTooLarge, fmt.Errorf("response body over the %d-byte limit", limit))
	}
	return &mapper.Response{StatusCode: resp.StatusCode, Header: resp.Header, Body: data}, nil
}

// classify turns a transport error into a failure class.
func (w *Worker) classify(ctx, actx context.Context, def *webhook.Definition, err error) error {
	if ctx.Err() != nil {
		return errHandBack
	}
	if errors.Is(err, egress.ErrBlocked) {
		return fail(trigger.ClassBlocked, unwrapURLError(err))
	}
	var ne net.Error
	if errors.Is(actx.Err(), context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) || errors.As(err, &ne) && ne.Timeout() {
		return fail(trigger.ClassTimeout, fmt.Errorf("no response within %s", def.EffectiveTimeout()))
	}
	return fail(trigger.ClassNetwork, err)
}

// unwrapURLError drops net/http's "Get \"url\": " prefix, which could
// carry a secret in the query; the guard's own message names the address.
func unwrapURLError(err error) error {
	var be *egress.BlockedError
	if errors.As(err, &be) {
		return be
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// hostKey is the isolation key of a rendered URL: its host and port (the
// raw text when it did not parse).
func hostKey(u *url.URL, raw string) string {
	if u == nil {
		return raw
	}
	return hostguard.HostKey(u)
}

// hostFailed reports whether an attempt counts against its host's
// breaker: the host did not answer (network, timeout) or answered that it
// cannot (5xx, 429). A refusal by the egress guard, a shutdown or a 4xx
// says nothing about the host's health.
func hostFailed(resp *mapper.Response, err error) bool {
	if err != nil {
		switch classOf(err) {
		case trigger.ClassNetwork, trigger.ClassTimeout:
			return !errors.Is(err, errHandBack)
		}
		return false
	}
	return resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests
}

// jitter spreads a hand-back delay by up to +20%, so that events denied
// together do not come back together.
func jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return 100 * time.Millisecond
	}
	return d + time.Duration(rand.Int64N(int64(d)/5+1))
}
