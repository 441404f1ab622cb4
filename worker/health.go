package worker

import (
	"errors"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"
	"go.uber.org/zap"

	"github.com/hookworker/hookworker/internal/streams"
)

// writeHealth is what the worker's writes into JetStream (Results, dead
// letters, attempt histories) said last: a write that failed because the
// server cannot store anything or the stream refuses writes (the store
// or the account's limits exhausted, a full stream with discard new, a
// sealed one, no PubAck at all: streams.Unhealthy) makes the worker not
// ready, with the reason, and is logged at error once; the next write of
// the same kind that succeeds clears it (the worker resumes by itself when
// the server does: events handed back meanwhile come back and write
// again). A fault not confirmed by another failure for faultMemory is
// forgotten. Its methods are safe for concurrent use.
type writeHealth struct {
	clock clockwork.Clock
	log   *zap.Logger
	mu    sync.Mutex
	// faults holds, per kind of write, the last unhealthy failure.
	faults map[string]writeFault
}

type writeFault struct {
	err         error
	since, last time.Time
}

// faultMemory is how long a write fault holds readiness without being
// seen again. While the fault lasts, the events handed back because of it
// (2-5 s) fail their writes again and renew it; once nothing writes (a
// bucket recreated, nothing retrying), readiness returns after it.
const faultMemory = 15 * time.Second

func newWriteHealth(clock clockwork.Clock, log *zap.Logger) *writeHealth {
	return &writeHealth{clock: clock, log: log, faults: map[string]writeFault{}}
}

// failed notes a failed write of kind what; only an unhealthy failure
// counts.
func (h *writeHealth) failed(what string, err error) {
	if !streams.Unhealthy(err) {
		return
	}
	now := h.clock.Now()
	h.mu.Lock()
	f, known := h.faults[what]
	if !known || now.Sub(f.last) > faultMemory {
		f.since = now
		known = false
	}
	f.err, f.last = err, now
	h.faults[what] = f
	h.mu.Unlock()
	if !known {
		h.log.Error("JetStream cannot store "+what+": not ready until it can (events go back to JetStream meanwhile)",
			zap.String("fault", streams.WriteFault(err).String()), zap.Error(err))
	}
}

// ok notes a write of kind what that succeeded.
func (h *writeHealth) ok(what string) {
	h.mu.Lock()
	f, known := h.faults[what]
	delete(h.faults, what)
	h.mu.Unlock()
	if known {
		h.log.Info("JetStream stores "+what+" again", zap.Duration("after", h.clock.Since(f.since)))
	}
}

// check is nil, or why writes fail now.
func (h *writeHealth) check() error {
	now := h.clock.Now()
	h.mu.Lock()
	defer h.mu.Unlock()
	var why []string
	for what, f := range h.faults {
		if now.Sub(f.last) > faultMemory {
			continue
		}
		why = append(why, "JetStream cannot store "+what+" ("+streams.WriteFault(f.err).String()+" since "+
			f.since.UTC().Format(time.RFC3339)+"): "+f.err.Error())
	}
	if len(why) == 0 {
		return nil
	}
	sort.Strings(why)
	return errors.New(strings.Join(why, "; "))
}

// Kinds of write, for writeHealth and logs.
const (
	writeResults = "results"
	writeLetters = "dead letters"
	writeHistory = "attempt histories"
	writeRetries = "retry schedules"
)

// writeRetried is the streams.PublishOptions.Retried of writes of kind
// what: counted, and a fault of the store noted.
func (w *Worker) writeRetried(what string) func(streams.Fault, error) {
	return func(f streams.Fault, err error) {
		w.metrics.WriteRetried(f.Metric())
		w.health.failed(what, err)
	}
}
