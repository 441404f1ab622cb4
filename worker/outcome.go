package worker

import (
	"errors"
	"time"

	"github.com/hookworker/hookworker/mapper"
	"github.com/hookworker/hookworker/render"
	"github.com/hookworker/hookworker/trigger"
)

// verdict is what becomes of a message after one delivery.
type verdict int

const (
	// verdictSucceeded: the webhook ran and its response was mapped:
	// Result, then ack.
	verdictSucceeded verdict = iota + 1
	// verdictSkipped: the condition was false, no request was made:
	// Result, then ack.
	verdictSkipped
	// verdictFailed: failed for good: dead letter, Result, then term.
	verdictFailed
	// verdictRetryLater: the event goes back to JetStream with its
	// history, to come back after a delay; no Result yet.
	verdictRetryLater
	// verdictLost: the delivery may be another process's by now (the
	// stale-delivery guard): nothing is written and the message is left
	// alone, for JetStream to redeliver when its deadline passes.
	verdictLost
)

// outcome is what one delivery of an event came to: run returns it and
// settle carries it out. It is the one place the delivery's verdict is
// said.
type outcome struct {
	verdict verdict
	// attempts counts the event's attempts so far, of every delivery.
	attempts int
	// httpStatus is the status of this delivery's last response, 0 when
	// none came.
	httpStatus int

	// class and message say why the event failed (verdictFailed); the
	// message has its secrets redacted.
	class   trigger.Class
	message string

	// cvars and unmapped are what the mappers made of the response
	// (verdictSucceeded).
	cvars    map[string]any
	unmapped []string

	// delay is when the event comes back (verdictRetryLater); retry is
	// the Metrics retry kind (RetryDelayed, RetryIsolation, or "" for a
	// shutdown hand-back) and reason the host guard's, for RetryIsolation.
	delay  time.Duration
	retry  string
	reason string

	// stored is the Result an earlier delivery decided and could not
	// write (history.Result): settle writes it as it is; lettered says
	// its dead letter is stored already.
	stored   *trigger.Result
	lettered bool
	// again: the move to the retry stream the history holds is stored
	// again, unchanged (a delivery whose ack was lost after its move).
	again bool
}

// shutdownDelay is when an event handed back at shutdown comes back.
const shutdownDelay = time.Second

// outcome is the job's outcome with verdict v, so far.
func (j *job) outcome(v verdict) outcome {
	o := outcome{verdict: v, httpStatus: j.httpStatus}
	if j.hist != nil {
		o.attempts = len(j.hist.Attempts)
	}
	return o
}

func (j *job) succeeded(out mapper.Output) outcome {
	o := j.outcome(verdictSucceeded)
	o.cvars, o.unmapped = out.CVars, out.Unmapped
	return o
}

func (j *job) skipped() outcome { return j.outcome(verdictSkipped) }

// failed is the final failure err: its class (classOf), its message with
// the request's secrets redacted.
func (j *job) failed(err error) outcome { return j.failedAs(classOf(err), err.Error()) }

func (j *job) failedAs(class trigger.Class, message string) outcome {
	o := j.outcome(verdictFailed)
	o.class, o.message = class, j.redact.Redact(message)
	return o
}

// retryLater hands the event back for delay; retry and reason as in
// outcome.
func (j *job) retryLater(delay time.Duration, retry, reason string) outcome {
	o := j.outcome(verdictRetryLater)
	o.delay, o.retry, o.reason = delay, retry, reason
	return o
}

// decided is the outcome an earlier delivery decided (its stored Result),
// nil when there is none.
func (j *job) decided() *outcome {
	if j.hist == nil || j.hist.Result == nil {
		return nil
	}
	v := verdictSucceeded
	switch j.hist.Result.Status {
	case trigger.StatusFailed:
		v = verdictFailed
	case trigger.StatusSkipped:
		v = verdictSkipped
	}
	o := j.outcome(v)
	o.stored, o.lettered = j.hist.Result, j.hist.Lettered
	return &o
}

// lost is the outcome of a delivery the worker may no longer hold.
func (j *job) lost() outcome { return j.outcome(verdictLost) }

// movedBefore is the outcome of a delivery of a message already moved to
// the retry stream: that move, confirmed again.
func (j *job) movedBefore() outcome {
	o := j.retryLater(time.Second, RetryDelayed, "") // the delay of a plain hand-back, should the move fail
	o.again = true
	return o
}

// failure is an error with its class; anything else counts as network.
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

// redactErr is err, with its class, its message redacted by r.
func redactErr(err error, r *render.Redactor) error {
	return &failure{class: classOf(err), err: errors.New(r.Redact(err.Error()))}
}

// errHandBack means the event was not finished (shutdown) and goes back to
// JetStream for another process.
var errHandBack = errors.New("handed back")
