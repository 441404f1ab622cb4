package worker

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cenkalti/backoff/v4"

	"github.com/hookworker/hookworker/internal/config"
	"github.com/hookworker/hookworker/trigger"
	"github.com/hookworker/hookworker/trigger/webhook"
)

// defaultRetryOn is what is retried when a webhook does not say:
// network errors, timeouts, 408, 425, 429 and 5xx.
var defaultRetryOn = webhook.DefaultRetryOn

// policy is the retry policy of one webhook.
type policy struct {
	maxAttempts int
	maxAge      time.Duration
	maxDelay    time.Duration
	on          []webhook.StatusPattern
	schedule    []time.Duration
	quick       int
	quickInit   time.Duration
	quickMax    time.Duration
	floor429    time.Duration
}

// newPolicy merges a webhook's retry settings over the defaults.
func newPolicy(c config.Retry, r *webhook.Retry) policy {
	p := policy{
		maxAttempts: c.MaxAttempts, maxAge: c.MaxAge, maxDelay: c.MaxDelay, on: defaultRetryOn,
		schedule: c.Schedule, quick: c.QuickAttempts, quickInit: c.QuickInitial,
		quickMax: c.QuickMaxWait, floor429: c.Floor429,
	}
	if r == nil {
		return p
	}
	if r.MaxAttempts > 0 {
		p.maxAttempts = r.MaxAttempts
	}
	if r.MaxAge > 0 {
		p.maxAge = time.Duration(r.MaxAge)
	}
	if r.MaxDelay > 0 {
		p.maxDelay = time.Duration(r.MaxDelay)
	}
	if len(r.On) > 0 {
		p.on = make([]webhook.StatusPattern, 0, len(r.On))
		for _, s := range r.On {
			if sp, err := webhook.ParseStatusPattern(s, true); err == nil {
				p.on = append(p.on, sp)
			}
		}
	}
	return p
}

// retriable reports whether a failure of this class and status is retried.
func (p policy) retriable(class trigger.Class, status int) bool {
	for _, sp := range p.on {
		switch {
		case sp.Kind == "network" && class == trigger.ClassNetwork,
			sp.Kind == "timeout" && class == trigger.ClassTimeout,
			sp.Kind == "" && class == trigger.ClassHTTPStatus && sp.Match(status):
			return true
		}
	}
	return false
}

// quickBackOff is the in-worker backoff of one delivery: exponential with
// jitter, one per event (backoff's ExponentialBackOff is not safe for
// concurrent use).
func (p policy) quickBackOff() *backoff.ExponentialBackOff {
	b := backoff.NewExponentialBackOff()
	b.InitialInterval = p.quickInit
	b.RandomizationFactor = 0.5
	b.Multiplier = 2
	b.MaxInterval = p.quickMax
	b.MaxElapsedTime = 0
	b.Reset()
	return b
}

// durableDelay is the delay of the k-th hand-back (0-based); the last
// entry of the schedule repeats.
func (p policy) durableDelay(k int) time.Duration {
	if k >= len(p.schedule) {
		k = len(p.schedule) - 1
	}
	return p.schedule[k]
}

// retryAfter reads a Retry-After header (seconds or HTTP date) of a 429 or
// 503 response. It returns 0 when there is none or it cannot be read.
func retryAfter(status int, h http.Header, now time.Time) time.Duration {
	if status != http.StatusTooManyRequests && status != http.StatusServiceUnavailable {
		return 0
	}
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		if secs > int64(365*24*3600) {
			secs = 365 * 24 * 3600
		}
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}

// retryKind is how a failed attempt is retried.
type retryKind int

const (
	// retryNone: the failure is final.
	retryNone retryKind = iota
	// retryQuick: wait in the worker, on the same delivery, then try again.
	retryQuick
	// retryDurable: hand the event back to JetStream with a delay.
	retryDurable
)

// retryInput is everything the retry decision of a failed attempt depends
// on.
type retryInput struct {
	policy policy
	now    time.Time

	// The failed attempt: its class, HTTP status (0 without a response),
	// response headers (Retry-After) and error message (redacted).
	class   trigger.Class
	status  int
	header  http.Header
	message string

	// attempts counts the event's attempts, this one included; handbacks
	// its delayed retries so far.
	attempts  int
	handbacks int
	// firstSeen is when the event was stored (max_age counts from it).
	firstSeen time.Time
	expiresAt *time.Time

	// start is when this delivery began: a quick wait ends within half of
	// ackWait from it, so that heartbeats are not all that holds it.
	start   time.Time
	ackWait time.Duration
	// quickLeft is how many quick retries this delivery may still make.
	quickLeft int
	// quickBackoff returns the next exponential wait with jitter of this
	// delivery; it is called only when that wait is the one taken.
	quickBackoff func() time.Duration
	// delivery is this delivery's number (1-based; 0: unknown) and
	// maxDeliver the consumer's MaxDeliver (0: unlimited).
	delivery   uint64
	maxDeliver int
}

// retryDecision is what becomes of a failed attempt.
type retryDecision struct {
	kind retryKind
	// delay is the wait before the next attempt (retryQuick, retryDurable).
	delay time.Duration
	// class and message are the final failure's (retryNone).
	class   trigger.Class
	message string
	// retryAfter is the delay the response asked for (Retry-After), 0
	// when it asked none; it goes into the attempt's record.
	retryAfter time.Duration
}

// decideRetry is the whole retry decision of a failed attempt, as a pure
// function of its input, in the order docs/architecture.md ("Retries")
// gives:
//
//   - a failure the policy does not retry (retry.on) is final;
//   - so is one after max_attempts, keeping its class;
//   - else the next delay: a quick wait while quick attempts are left, of
//     the Retry-After, the 429 floor or the exponential backoff, if it is
//     at most quick_max_wait and ends within half of ack_wait from the
//     delivery's start; otherwise a durable one, of the Retry-After or the
//     schedule's next delay (at least the 429 floor for a 429); capped by
//     max_delay;
//   - no retry is scheduled whose attempt would start at or after
//     expires_at (class expired), later than max_age after the event was
//     stored, or, for a durable one, when this delivery is the consumer's
//     last (a Nak then would leave the event undelivered); those last two
//     keep the failure's class.
func decideRetry(in retryInput) retryDecision {
	p := in.policy
	d := retryDecision{retryAfter: retryAfter(in.status, in.header, in.now)}
	if !p.retriable(in.class, in.status) {
		return d.final(in.class, in.message)
	}
	if in.attempts >= p.maxAttempts {
		return d.exhausted(in, "retry.max_attempts reached")
	}
	d.kind = retryDurable
	if in.quickLeft > 0 {
		var delay time.Duration
		switch {
		case d.retryAfter > 0:
			delay = d.retryAfter
		case in.status == http.StatusTooManyRequests:
			delay = p.floor429
		default:
			delay = in.quickBackoff()
		}
		if delay <= p.quickMax && in.now.Add(delay).Sub(in.start) < in.ackWait/2 {
			d.kind, d.delay = retryQuick, delay
		}
	}
	if d.kind == retryDurable {
		d.delay = p.durableDelay(in.handbacks)
		if d.retryAfter > 0 {
			d.delay = d.retryAfter
		} else if in.status == http.StatusTooManyRequests {
			d.delay = max(d.delay, p.floor429)
		}
	}
	d.delay = min(d.delay, p.maxDelay)
	next := in.now.Add(d.delay)
	switch {
	case in.expiresAt != nil && !next.Before(*in.expiresAt):
		return d.final(trigger.ClassExpired, fmt.Sprintf("the next attempt (in %s) would start after expires_at %s; last error: %s",
			d.delay, in.expiresAt.UTC().Format(time.RFC3339), in.message))
	case next.After(in.firstSeen.Add(p.maxAge)):
		return d.exhausted(in, "retry.max_age reached")
	case d.kind == retryDurable && lastDelivery(in.delivery, in.maxDeliver):
		return d.exhausted(in, "no deliveries left (worker.max_deliver)")
	}
	return d
}

func (d retryDecision) final(class trigger.Class, message string) retryDecision {
	d.kind, d.delay, d.class, d.message = retryNone, 0, class, message
	return d
}

// exhausted is the final failure after the last allowed attempt: the
// class of that attempt, and why no more are made.
func (d retryDecision) exhausted(in retryInput, why string) retryDecision {
	return d.final(in.class, fmt.Sprintf("%s after %d attempts: %s: retries exhausted", in.message, in.attempts, why))
}

// lastDelivery reports whether JetStream will not deliver a message again
// after its delivery number delivery, with MaxDeliver maxDeliver.
func lastDelivery(delivery uint64, maxDeliver int) bool {
	return maxDeliver > 0 && delivery >= uint64(maxDeliver)
}
