package worker

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"net/url"
	"time"

	"github.com/cenkalti/backoff/v4"

	"github.com/hookworker/hookworker/internal/deadletter"
	"github.com/hookworker/hookworker/internal/hostguard"
	"github.com/hookworker/hookworker/internal/tracectx"
	"github.com/hookworker/hookworker/mapper"
	"github.com/hookworker/hookworker/render"
	"github.com/hookworker/hookworker/trigger"
)

// run is the attempt loop of one delivery: render the request, make the
// attempt (attempt.go), map a success, and let decideRetry say what
// becomes of a failure: final, a quick wait and another attempt, or a
// hand-back to JetStream.
func (w *Worker) run(ctx context.Context, j *job, c *compiled) outcome {
	ev, def := j.ev, c.req.Def
	quickLeft := c.policy.quick
	// One backoff per delivery: backoff's ExponentialBackOff is not safe
	// for concurrent use.
	var bo *backoff.ExponentialBackOff
	nextQuick := func() time.Duration {
		if bo == nil {
			bo = c.policy.quickBackOff()
		}
		return bo.NextBackOff()
	}
	for {
		// Before each attempt (a quick retry's included): a delivery that
		// may be another process's by now goes back unrun, and after the
		// shutdown grace period nothing new starts.
		if j.stale() {
			return j.lost()
		}
		if ctx.Err() != nil {
			return j.retryLater(shutdownDelay, "", "")
		}
		vars := j.condVars // the condition's context, for its first attempt
		j.condVars = nil
		if attempt := len(j.hist.Attempts) + 1; vars == nil || j.condAttempt != attempt {
			vars = render.RequestVars(ev, render.Scope{Secrets: w.secretsFor(ev.BotID), Attempt: attempt})
		}
		req, err := w.render(c, vars)
		if err != nil {
			return j.failed(redactErr(fail(trigger.ClassRender, err), render.NewRedactor(vars.UsedSecrets())))
		}
		j.req, j.redact = req, render.NewRedactor(req.Secrets)
		var traceparent string
		if req.Header.Get(tracectx.Header) == "" { // else the webhook's own wins
			j.span = j.trace.Child()
			traceparent = j.span.String()
		}
		// One parse of the rendered URL serves the isolation key and the
		// metrics' host label.
		u, _ := url.Parse(req.URL)
		release, deny := w.admit(j, u, req.URL)
		if deny != nil {
			return w.denied(j, c.policy, deny)
		}
		at := w.clock.Now()
		// A request once sent is not abandoned at shutdown: it runs to
		// its own timeout (see Run).
		resp, err := w.attempt(context.WithoutCancel(ctx), ev, def, req, u, traceparent, j.tracestate)
		release(hostFailed(resp, err))
		w.observeAttempt(hostLabel(u, j.redact), resp, err, w.clock.Since(at))
		if errors.Is(err, errHandBack) {
			return j.retryLater(shutdownDelay, "", "")
		}
		a := deadletter.Attempt{At: at.UTC(), DurationMS: float64(w.clock.Since(at).Microseconds()) / 1000}
		var header http.Header
		if err == nil {
			header = resp.Header
			a.Status, j.httpStatus = resp.StatusCode, resp.StatusCode
			if err = c.judge(req, resp, j.redact); err != nil {
				a.Body = j.redact.Redact(deadletter.Excerpt(string(resp.Body)))
			}
		}
		if err == nil {
			j.hist.Attempts = append(j.hist.Attempts, a)
			var cvars, conv map[string]any
			if c.mapper.Reads("cvars") {
				cvars = ev.CVarsMap()
			}
			if c.mapper.Reads("conversation") {
				conv = vars.Conversation()
			}
			out, err := c.mapper.Apply(resp, cvars, conv)
			if err != nil {
				class := trigger.ClassMapping
				switch {
				case errors.Is(err, mapper.ErrResponseTooDeep):
					class = trigger.ClassTooLarge // the response's nesting, as its size
				case mapper.IsBound(err):
					class = trigger.ClassRender // a bound of the engine, wherever the template is
				}
				return j.failed(redactErr(fail(class, err), j.redact))
			}
			// A target may echo what it was sent: a CVar holding a secret
			// of the request, in any form, is masked.
			for k, v := range out.CVars {
				out.CVars[k] = j.redact.Value(v)
			}
			return j.succeeded(out)
		}
		err = redactErr(err, j.redact)
		a.Class, a.Error = classOf(err), err.Error()
		d := decideRetry(retryInput{
			policy: c.policy, now: w.clock.Now(),
			class: a.Class, status: a.Status, header: header, message: a.Error,
			attempts: len(j.hist.Attempts) + 1, handbacks: j.hist.Handbacks,
			firstSeen: j.hist.FirstSeen, expiresAt: ev.ExpiresAt,
			start: j.start, ackWait: w.cfg.Worker.AckWait,
			quickLeft: quickLeft, quickBackoff: nextQuick,
			delivery: j.delivery(), maxDeliver: w.cfg.Worker.MaxDeliver,
		})
		a.RetryAfterMS = d.retryAfter.Milliseconds()
		j.hist.Attempts = append(j.hist.Attempts, a)
		switch d.kind {
		case retryNone:
			return j.failedAs(d.class, d.message)
		case retryDurable:
			j.hist.Handbacks++
			return j.retryLater(d.delay, RetryDelayed, "")
		}
		quickLeft--
		w.metrics.RetryScheduled(RetryInWorker)
		if !sleep(ctx, w.clock, d.delay) {
			return j.retryLater(shutdownDelay, "", "")
		}
	}
}

// render renders the request of one attempt over vars: the Webhook
// Template's parameters first (they become params), then the request.
func (w *Worker) render(c *compiled, vars *render.Vars) (*render.Request, error) {
	if err := w.env.RenderParams(c.req.Def, vars); err != nil {
		return nil, err
	}
	return c.req.Render(vars)
}

// delivery is the job's delivery number, 0 when unknown.
func (j *job) delivery() uint64 {
	if j.meta == nil {
		return 0
	}
	return j.meta.NumDelivered
}

// admit asks per-host isolation for an attempt: a host over its limits or
// with an open breaker gets the event back later, without an attempt. On
// the last delivery the attempt is made anyway, rather than strand the
// event past MaxDeliver.
func (w *Worker) admit(j *job, u *url.URL, rawURL string) (release func(failed bool), deny *hostguard.Deny) {
	if lastDelivery(j.delivery(), w.cfg.Worker.MaxDeliver) {
		return func(bool) {}, nil
	}
	host := hostKey(u, rawURL)
	return w.guard.AcquireFor(host, breakerKey(j, host))
}

// jitter spreads a hand-back delay by up to +20%, so that events denied
// together do not come back together.
func jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return 100 * time.Millisecond
	}
	return d + time.Duration(rand.Int64N(int64(d)/5+1))
}

// hostLabel is the metrics' host label of an attempt to u: its host and
// port, with the request's secrets masked (a host rendered from a secret
// must not show it).
func hostLabel(u *url.URL, redact *render.Redactor) string {
	if u == nil {
		return ""
	}
	return redact.Redact(u.Host)
}
