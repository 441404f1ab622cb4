package worker

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookworker/hookworker/internal/tracectx"
)

// Metrics receives the worker's measurements; package metrics implements
// it for Prometheus, and the default does nothing. Label values are
// bounded: a host is host[:port] from the rendered URL, never the URL; a
// status or class is one of a few words, never an event id.
type Metrics interface {
	// EventReceived: a message was taken from the trigger consumer
	// (a redelivery included).
	EventReceived()
	// InFlight adds delta to the events being handled.
	InFlight(delta int)
	// Parked adds delta to the deliveries parked until a slot of their
	// bot's share is free.
	Parked(delta int)
	// Outcome: an event's terminal outcome (status succeeded, failed or
	// skipped; class the error class, empty without error).
	Outcome(status, class string)
	// Attempt: one HTTP attempt to host; class is the response's status
	// class (2xx ...) or the failure class (network, timeout, blocked,
	// too_large, render, canceled); d is zero when no request was made.
	Attempt(host, class string, d time.Duration)
	// RetryScheduled: a retry of kind delayed (handed back to JetStream
	// with a delay) or in_worker (a short wait in the worker).
	RetryScheduled(kind string)
	// DeadLetter: a dead letter was written.
	DeadLetter(class string)
	// DefinitionCache: a webhook definition was found compiled (hit) or
	// had to be compiled.
	DefinitionCache(hit bool)
	// Unordered: an event of a definition marked ordered arrived on the
	// unordered subjects.
	Unordered()
	// Completed: an event's terminal outcome for its webhook (a registry
	// id, WebhookInline, or WebhookNone when the event did not decode):
	// handled is how long its last delivery took, sinceFired the time
	// from its arrival in the trigger stream to its Result (0: unknown).
	Completed(webhook, status string, handled, sinceFired time.Duration)
	// UnknownFields: an event carried count top-level fields this version
	// of the contract does not know; names are the first few of them.
	UnknownFields(names []string, count int)

	// The self-healing series (docs/operations.md, "Self-healing"):
	// StaleDelivery, a delivery handed back unrun because the worker may
	// no longer hold it; TopologyRecreated, a stream, consumer or bucket
	// found missing and recreated; PullStalled, a pull ended by the pull
	// watchdog; WriteRetried, a Result or dead letter sent again with the
	// same id (fault in_process, storage or no_answer); BackstopGaveUp, an
	// advisory the backstop gave up on.
	StaleDelivery()
	TopologyRecreated(kind, name string)
	PullStalled()
	WriteRetried(fault string)
	BackstopGaveUp()
}

// Webhook labels of Metrics.Completed besides registry ids.
const (
	WebhookInline = "inline"
	WebhookNone   = "none"
)

// Retry kinds of Metrics.RetryScheduled.
const (
	RetryDelayed  = "delayed"
	RetryInWorker = "in_worker"
	// RetryIsolation: handed back because the target host was over its
	// limits or its circuit breaker was open (no attempt was made).
	RetryIsolation = "isolation"
)

type nopMetrics struct{}

func (nopMetrics) EventReceived()                                         {}
func (nopMetrics) Unordered()                                             {}
func (nopMetrics) InFlight(int)                                           {}
func (nopMetrics) Parked(int)                                             {}
func (nopMetrics) Outcome(string, string)                                 {}
func (nopMetrics) Attempt(string, string, time.Duration)                  {}
func (nopMetrics) RetryScheduled(string)                                  {}
func (nopMetrics) DeadLetter(string)                                      {}
func (nopMetrics) DefinitionCache(bool)                                   {}
func (nopMetrics) Completed(string, string, time.Duration, time.Duration) {}
func (nopMetrics) UnknownFields([]string, int)                            {}
func (nopMetrics) StaleDelivery()                                         {}
func (nopMetrics) TopologyRecreated(string, string)                       {}
func (nopMetrics) PullStalled()                                           {}
func (nopMetrics) WriteRetried(string)                                    {}
func (nopMetrics) BackstopGaveUp()                                        {}

// Run states, for Ready.
const (
	stateNew int32 = iota
	stateRunning
	stateDraining
	stateStopped
)

// Ready reports whether the worker is taking events: nil when Run is
// consuming, the NATS connection is up, JetStream stores what the worker
// writes (see writeHealth), nothing the topology watchdog
// watches is missing, the server knows the trigger stream and consumer,
// and no shutdown has begun; else why not.
func (w *Worker) Ready(ctx context.Context) error {
	switch w.state.Load() {
	case stateNew:
		if why, _ := w.startErr.Load().(string); why != "" {
			return errors.New("starting: " + why)
		}
		return errors.New("starting: the consumer is not running yet")
	case stateDraining:
		return errors.New("shutting down: finishing what is held")
	case stateStopped:
		return errors.New("stopped")
	}
	if st := w.nc.Status(); st != nats.CONNECTED {
		return fmt.Errorf("NATS connection %s", strings.ToLower(st.String()))
	}
	if err := w.health.check(); err != nil {
		return err
	}
	if wd := w.watch.Load(); wd != nil {
		if missing := wd.Missing(); len(missing) > 0 {
			return fmt.Errorf("missing on the server: %s", strings.Join(missing, "; "))
		}
	}
	if _, err := w.ConsumerInfo(ctx); err != nil {
		return err
	}
	return nil
}

// ConsumerInfo asks the server for the trigger consumer's state (which
// also shows that its stream exists).
func (w *Worker) ConsumerInfo(ctx context.Context) (*jetstream.ConsumerInfo, error) {
	n := w.cfg.Names
	c, err := w.js.Consumer(ctx, n.Stream, n.Consumer)
	if err != nil {
		return nil, fmt.Errorf("consumer %s on stream %s: %w", n.Consumer, n.Stream, err)
	}
	return c.CachedInfo(), nil
}

// headerValue reads a NATS header case-insensitively (NATS headers are
// case-sensitive; HTTP's, where traceparent comes from, are not).
func headerValue(h nats.Header, name string) string {
	if v := h.Get(name); v != "" {
		return v
	}
	for k, vs := range h {
		if len(vs) > 0 && strings.EqualFold(k, name) {
			return vs[0]
		}
	}
	return ""
}

// traceOf continues the trace of the trigger message's traceparent, or
// starts one (see package tracectx); the tracestate is kept only with a
// valid traceparent.
func traceOf(h nats.Header) (tracectx.Parent, string) {
	if p, err := tracectx.Parse(headerValue(h, tracectx.Header)); err == nil {
		return p, headerValue(h, tracectx.StateHeader)
	}
	return tracectx.New(), ""
}

// resultTrace is the traceparent of the job's Result: the span of its last
// attempt, or a new span of its trace when it made none.
func (j *job) resultTrace() tracectx.Parent {
	if j.span.IsValid() {
		return j.span
	}
	if !j.trace.IsValid() {
		j.trace, j.tracestate = traceOf(j.hdr)
	}
	j.span = j.trace.Child()
	return j.span
}

// Breakers returns the target hosts whose circuit breaker is open and
// half-open in this process.
func (w *Worker) Breakers() (open, halfOpen []string) { return w.guard.Breakers() }
