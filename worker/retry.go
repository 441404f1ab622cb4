package worker

import (
	"errors"
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
var defaultRetryOn = []webhook.StatusPattern{
	{Kind: "network"}, {Kind: "timeout"}, {Code: 408}, {Code: 425}, {Code: 429}, {Class: 5},
}

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

// errExhausted marks a failure after the last allowed attempt.
var errExhausted = errors.New("retries exhausted")
