package worker

import (
	"crypto/sha256"
	"encoding/hex"

	"go.uber.org/zap"

	"github.com/hookworker/hookworker/internal/hostguard"
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
// id is known by its URL template (hashed: it may be long).
func breakerKey(j *job, host string) string {
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
