package worker

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/hookworker/hookworker/internal/config"
	"github.com/hookworker/hookworker/trigger"
	"github.com/hookworker/hookworker/trigger/webhook"
)

// TestDecideRetry covers every branch of the retry decision with the
// default policy (8 attempts, 24h max_age, 10h max_delay, schedule 5s 5m
// 30m 2h 5h 10h, 2 quick attempts from 200ms up to 2s, 429 floor 5s), a
// 30s ack wait and MaxDeliver 20, changing one thing a case.
func TestDecideRetry(t *testing.T) {
	t0 := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	now := t0.Add(time.Second)
	def := newPolicy(config.Default().Retry, nil)
	at := func(d time.Duration) *time.Time { x := now.Add(d); return &x }
	header := func(retryAfter string) http.Header { return http.Header{"Retry-After": {retryAfter}} }
	const msg = "POST http://x/y answered 500"
	base := func() retryInput {
		return retryInput{
			policy: def, now: now,
			class: trigger.ClassHTTPStatus, status: 500, message: msg,
			attempts: 1, firstSeen: t0,
			start: t0, ackWait: 30 * time.Second,
			quickLeft: 2, delivery: 1, maxDeliver: 20,
		}
	}
	exhausted := func(attempts int, why string) string {
		return msg + " after " + strconv.Itoa(attempts) + " attempts: " + why + ": retries exhausted"
	}
	expired := func(in string, exp time.Duration) string {
		return "the next attempt (in " + in + ") would start after expires_at " + now.Add(exp).Format(time.RFC3339) + "; last error: " + msg
	}
	tests := []struct {
		name    string
		change  func(*retryInput)
		backoff time.Duration // what quickBackoff returns
		kind    retryKind
		delay   time.Duration
		class   trigger.Class // retryNone
		message string        // retryNone
		ra      time.Duration // retryAfter
		calls   int           // quickBackoff calls
	}{
		// What is retried.
		{name: "404 is not retried", change: func(in *retryInput) { in.status = 404; in.message = "404!" },
			kind: retryNone, class: trigger.ClassHTTPStatus, message: "404!"},
		{name: "render failure is not retried", change: func(in *retryInput) { in.class, in.status = trigger.ClassRender, 0 },
			kind: retryNone, class: trigger.ClassRender, message: msg},
		{name: "retry.on without 503: final, its Retry-After still read", change: func(in *retryInput) {
			in.policy = newPolicy(config.Default().Retry, &webhook.Retry{On: []string{"500"}})
			in.status, in.header = 503, header("7")
		}, kind: retryNone, class: trigger.ClassHTTPStatus, message: msg, ra: 7 * time.Second},
		{name: "retry.on without timeout: a timeout is final", change: func(in *retryInput) {
			in.policy = newPolicy(config.Default().Retry, &webhook.Retry{On: []string{"network"}})
			in.class, in.status = trigger.ClassTimeout, 0
		}, kind: retryNone, class: trigger.ClassTimeout, message: msg},
		{name: "network error is retried quickly", change: func(in *retryInput) { in.class, in.status = trigger.ClassNetwork, 0 },
			backoff: 300 * time.Millisecond, kind: retryQuick, delay: 300 * time.Millisecond, calls: 1},

		// max_attempts.
		{name: "max_attempts reached keeps the class", change: func(in *retryInput) { in.attempts = 8 },
			kind: retryNone, class: trigger.ClassHTTPStatus, message: exhausted(8, "retry.max_attempts reached")},
		{name: "max_attempts comes before expires_at", change: func(in *retryInput) { in.attempts = 8; in.expiresAt = at(0) },
			kind: retryNone, class: trigger.ClassHTTPStatus, message: exhausted(8, "retry.max_attempts reached")},
		{name: "one attempt below max_attempts is retried", change: func(in *retryInput) { in.attempts = 7 },
			backoff: 300 * time.Millisecond, kind: retryQuick, delay: 300 * time.Millisecond, calls: 1},

		// Quick waits.
		{name: "quick: exponential backoff", backoff: 300 * time.Millisecond,
			kind: retryQuick, delay: 300 * time.Millisecond, calls: 1},
		{name: "quick: short Retry-After in seconds, no backoff drawn", change: func(in *retryInput) { in.status, in.header = 503, header("1") },
			kind: retryQuick, delay: time.Second, ra: time.Second},
		{name: "quick: Retry-After as an HTTP date, up to quick_max_wait", change: func(in *retryInput) {
			in.status, in.header = 429, header(now.Add(2*time.Second).Format(http.TimeFormat))
		}, kind: retryQuick, delay: 2 * time.Second, ra: 2 * time.Second},
		{name: "quick: the 429 floor when it is short", change: func(in *retryInput) { in.status = 429; in.policy.floor429 = time.Second },
			kind: retryQuick, delay: time.Second},
		{name: "Retry-After is ignored on a 500", change: func(in *retryInput) { in.header = header("60") },
			backoff: 300 * time.Millisecond, kind: retryQuick, delay: 300 * time.Millisecond, calls: 1},
		{name: "quick refused: backoff over quick_max_wait, durable instead", backoff: 2100 * time.Millisecond,
			kind: retryDurable, delay: 5 * time.Second, calls: 1},
		{name: "quick refused: it would end past half of ack_wait", change: func(in *retryInput) { in.now = t0.Add(14800 * time.Millisecond) },
			backoff: 300 * time.Millisecond, kind: retryDurable, delay: 5 * time.Second, calls: 1},
		{name: "quick refused: Retry-After over quick_max_wait is waited durably", change: func(in *retryInput) { in.status, in.header = 503, header("120") },
			kind: retryDurable, delay: 2 * time.Minute, ra: 2 * time.Minute},
		{name: "quick refused: 429 floor over quick_max_wait", change: func(in *retryInput) { in.status = 429 },
			kind: retryDurable, delay: 5 * time.Second},

		// Durable retries.
		{name: "no quick attempts left: the schedule by hand-backs", change: func(in *retryInput) { in.quickLeft, in.handbacks = 0, 3 },
			kind: retryDurable, delay: 2 * time.Hour},
		{name: "the schedule's last delay repeats", change: func(in *retryInput) { in.quickLeft, in.handbacks = 0, 9; in.firstSeen = now },
			kind: retryDurable, delay: 10 * time.Hour},
		{name: "durable: Retry-After replaces a longer schedule delay", change: func(in *retryInput) {
			in.quickLeft, in.handbacks, in.status, in.header = 0, 4, 503, header("10")
		}, kind: retryDurable, delay: 10 * time.Second, ra: 10 * time.Second},
		{name: "durable 429: the floor over a shorter schedule delay", change: func(in *retryInput) {
			in.quickLeft, in.status = 0, 429
			in.policy.floor429 = 20 * time.Second
		}, kind: retryDurable, delay: 20 * time.Second},
		{name: "durable 429: a longer schedule delay over the floor", change: func(in *retryInput) { in.quickLeft, in.handbacks, in.status = 0, 2, 429 },
			kind: retryDurable, delay: 30 * time.Minute},
		{name: "durable 429 with Retry-After: the Retry-After, even under the floor", change: func(in *retryInput) {
			in.quickLeft, in.handbacks, in.status, in.header = 0, 2, 429, header("3")
		}, kind: retryDurable, delay: 3 * time.Second, ra: 3 * time.Second},

		// max_delay.
		{name: "max_delay caps a huge Retry-After (itself capped at a year)", change: func(in *retryInput) { in.status, in.header = 503, header("99999999999") },
			kind: retryDurable, delay: 10 * time.Hour, ra: 365 * 24 * time.Hour},
		{name: "max_delay caps the schedule", change: func(in *retryInput) {
			in.quickLeft, in.handbacks = 0, 3
			in.policy.maxDelay = time.Minute
		}, kind: retryDurable, delay: time.Minute},
		{name: "max_delay caps a quick wait", change: func(in *retryInput) { in.policy.maxDelay = 100 * time.Millisecond },
			backoff: 300 * time.Millisecond, kind: retryQuick, delay: 100 * time.Millisecond, calls: 1},

		// expires_at.
		{name: "expires_at in the middle of the backoff: expired", change: func(in *retryInput) { in.quickLeft = 0; in.expiresAt = at(2 * time.Second) },
			kind: retryNone, class: trigger.ClassExpired, message: expired("5s", 2*time.Second)},
		{name: "expires_at in the middle of a quick wait: expired", change: func(in *retryInput) { in.expiresAt = at(100 * time.Millisecond) },
			backoff: 300 * time.Millisecond, kind: retryNone, class: trigger.ClassExpired, message: expired("300ms", 100*time.Millisecond), calls: 1},
		{name: "expires_at at the very instant of the next attempt: expired", change: func(in *retryInput) { in.quickLeft = 0; in.expiresAt = at(5 * time.Second) },
			kind: retryNone, class: trigger.ClassExpired, message: expired("5s", 5*time.Second)},
		{name: "expires_at after the next attempt: retried", change: func(in *retryInput) { in.quickLeft = 0; in.expiresAt = at(5*time.Second + time.Nanosecond) },
			kind: retryDurable, delay: 5 * time.Second},
		{name: "expires_at after a capped delay: retried", change: func(in *retryInput) {
			in.quickLeft, in.handbacks = 0, 5
			in.policy.maxDelay = time.Minute
			in.expiresAt = at(2 * time.Minute)
		}, kind: retryDurable, delay: time.Minute},

		// max_age.
		{name: "max_age: the next attempt would start too late", change: func(in *retryInput) { in.quickLeft = 0; in.firstSeen = now.Add(-24*time.Hour + time.Second) },
			kind: retryNone, class: trigger.ClassHTTPStatus, message: exhausted(1, "retry.max_age reached")},
		{name: "max_age: the next attempt at its very end is made", change: func(in *retryInput) { in.quickLeft = 0; in.firstSeen = now.Add(-24*time.Hour + 5*time.Second) },
			kind: retryDurable, delay: 5 * time.Second},
		{name: "expires_at comes before max_age", change: func(in *retryInput) {
			in.quickLeft, in.firstSeen, in.expiresAt = 0, now.Add(-24*time.Hour), at(time.Second)
		}, kind: retryNone, class: trigger.ClassExpired, message: expired("5s", time.Second)},

		// The last delivery (worker.max_deliver).
		{name: "last delivery: no durable retry", change: func(in *retryInput) { in.quickLeft, in.delivery = 0, 20 },
			kind: retryNone, class: trigger.ClassHTTPStatus, message: exhausted(1, "no deliveries left (worker.max_deliver)")},
		{name: "past the last delivery: no durable retry", change: func(in *retryInput) { in.quickLeft, in.delivery = 0, 25 },
			kind: retryNone, class: trigger.ClassHTTPStatus, message: exhausted(1, "no deliveries left (worker.max_deliver)")},
		{name: "last delivery: a quick retry still runs", change: func(in *retryInput) { in.delivery = 20 },
			backoff: 300 * time.Millisecond, kind: retryQuick, delay: 300 * time.Millisecond, calls: 1},
		{name: "one delivery before the last: durable retry", change: func(in *retryInput) { in.quickLeft, in.delivery = 0, 19 },
			kind: retryDurable, delay: 5 * time.Second},
		{name: "unlimited deliveries", change: func(in *retryInput) { in.quickLeft, in.delivery, in.maxDeliver = 0, 1000, 0 },
			kind: retryDurable, delay: 5 * time.Second},
		{name: "last delivery and expired: expired", change: func(in *retryInput) { in.quickLeft, in.delivery, in.expiresAt = 0, 20, at(time.Second) },
			kind: retryNone, class: trigger.ClassExpired, message: expired("5s", time.Second)},
		{name: "last delivery and max_age: max_age", change: func(in *retryInput) {
			in.quickLeft, in.delivery, in.firstSeen = 0, 20, now.Add(-24*time.Hour)
		}, kind: retryNone, class: trigger.ClassHTTPStatus, message: exhausted(1, "retry.max_age reached")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := base()
			if tt.change != nil {
				tt.change(&in)
			}
			calls := 0
			in.quickBackoff = func() time.Duration { calls++; return tt.backoff }
			got := decideRetry(in)
			want := retryDecision{kind: tt.kind, delay: tt.delay, class: tt.class, message: tt.message, retryAfter: tt.ra}
			if got != want {
				t.Errorf("decideRetry =\n %+v, want\n %+v", got, want)
			}
			if calls != tt.calls {
				t.Errorf("quickBackoff called %d times, want %d", calls, tt.calls)
			}
		})
	}
}

// TestDecideRetryAttemptCountInMessage: the count in an exhausted message
// is the attempts of the event, this one included.
func TestDecideRetryAttemptCountInMessage(t *testing.T) {
	p := newPolicy(config.Default().Retry, &webhook.Retry{MaxAttempts: 12})
	d := decideRetry(retryInput{policy: p, class: trigger.ClassTimeout, message: "no response within 5s", attempts: 12})
	if d.kind != retryNone || d.class != trigger.ClassTimeout || d.message != "no response within 5s after 12 attempts: retry.max_attempts reached: retries exhausted" {
		t.Errorf("%+v", d)
	}
}
