package worker

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"time"

	"go.uber.org/zap"

	"github.com/hookworker/hookworker/internal/hostguard"
	"github.com/hookworker/hookworker/trigger"
)

// maxBreakerKey bounds a breaker key (it is a metric label and a log
// field).
const maxBreakerKey = 200

// breakerKey is the circuit breaker of an attempt to host for the job: one
// per host, bot and webhook. Keyed so, one failing webhook (a path, a
// parameter set) does not hold back the healthy ones of the same host,
// and no bot can open a breaker that stops another bot's requests to a
// host they share (a SaaS API), which a host-wide breaker would let any
// bot do by failing on purpose. The host's concurrency and rate limits
// stay the host's: they protect the target. An inline webhook without an
// id is known by its URL template (hashed: it may be long). The host is
// named with the request's secrets masked: the key is logged and
// exported.
func breakerKey(j *job, host string) string {
	host = j.redact.Redact(host)
	id := j.ev.WebhookID()
	if id == "" && j.ev.Webhook != nil {
		sum := sha256.Sum256([]byte(j.ev.Webhook.URL))
		id = "inline-" + hex.EncodeToString(sum[:6])
	}
	k := host + " " + j.bot + "/" + id
	if j.bot == "" {
		k = host + " " + j.ev.BotID + "/" + id
	}
	if len(k) > maxBreakerKey {
		k = k[:maxBreakerKey]
	}
	return k
}

// breakerChanged logs a breaker's transition at info.
func (w *Worker) breakerChanged(key string, from, to hostguard.State) {
	w.log.Info("circuit breaker "+string(to), zap.String("breaker", key), zap.String("from", string(from)))
}

// denied is the outcome of an attempt isolation did not allow: handed back
// for the delay the guard asks, unless the event would come back at or
// after its expires_at (failed, expired) or past retry.max_age (failed
// with the class of its last attempt, network when it made none): an
// event whose target stays unusable ends by its policy, like one that
// keeps failing.
func (w *Worker) denied(j *job, p policy, d *hostguard.Deny) outcome {
	delay := jitter(d.RetryAfter)
	next := w.clock.Now().Add(delay)
	why := fmt.Sprintf("not attempted: per-host isolation (%s) until %s", d.Reason, next.UTC().Format(time.RFC3339))
	if exp := j.ev.ExpiresAt; exp != nil && !next.Before(*exp) {
		return j.failedAs(trigger.ClassExpired, fmt.Sprintf("%s, after expires_at %s", why, exp.UTC().Format(time.RFC3339)))
	}
	if next.After(j.hist.FirstSeen.Add(p.maxAge)) {
		class, last := trigger.ClassNetwork, ""
		if n := len(j.hist.Attempts); n > 0 {
			class, last = j.hist.Attempts[n-1].Class, "; last error: "+j.hist.Attempts[n-1].Error
			if class == "" {
				class = trigger.ClassHTTPStatus
			}
		}
		return j.failedAs(class, fmt.Sprintf("%s, past retry.max_age%s: retries exhausted", why, last))
	}
	return j.retryLater(delay, RetryIsolation, d.Reason)
}

// RetryShare is the Metrics retry kind of an event deferred because its
// bot held its share of the pool (worker.bot_share).
const RetryShare = "bot_share"

// takeShare takes a slot of the job's bot's share (unless the park took
// it already), or says the event is deferred: moved to the retry stream
// for 1-2 s, no attempt made. Ordered lanes hold one event each and are
// not limited (shareBot).
func (w *Worker) takeShare(j *job) (outcome, bool) {
	if j.shared {
		return outcome{}, true
	}
	bot := w.shareBot(j.subject)
	if j.noWait && w.share.tryAcquire(bot) || !j.noWait && w.share.acquire(bot) {
		j.shared = bot != "" && w.share.limit > 0
		return outcome{}, true
	}
	return j.retryLater(time.Second+rand.N(time.Second), RetryShare, "bot_share"), false
}

// releaseShare gives back the job's slot of its bot's share, or passes it
// to the bot's next parked delivery (returned, ok).
func (w *Worker) releaseShare(j *job) (delivery, bool) {
	if !j.shared {
		return delivery{}, false
	}
	j.shared = false
	return w.releaseSlot(j.bot, true)
}

// releaseSlot gives back a slot of bot's share held (when held), or
// passes it to bot's next parked delivery.
func (w *Worker) releaseSlot(bot string, held bool) (delivery, bool) {
	if !held {
		return delivery{}, false
	}
	w.share.release(bot)
	return w.park.next(bot)
}
