package streams

import (
	"context"
	"errors"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// PublishOptions tune Publish; zero values take the defaults.
type PublishOptions struct {
	// Try bounds each try's wait for the PubAck (default 2s).
	Try time.Duration
	// Retried is told of each failed try that is sent again, with its
	// fault; nil: nobody.
	Retried func(f Fault, err error)
	// Stop reports an error not to send again although its fault would
	// be (the Result router's "no stream answered", for one); nil: none.
	Stop func(err error) bool
}

// Publish is the one way hookworker writes what must not be lost into a
// stream (a Result, a dead letter): it publishes msg and waits for the
// PubAck, and while the failure is one that waiting cures (FaultInProcess:
// the server is still storing an earlier copy; FaultStorage; FaultNoAnswer)
// it sends the same message, with the same Nats-Msg-Id, again, pausing
// between tries (100ms, doubling to 1s), until the server stores it (a
// PubAck, Duplicate when an earlier copy made it) or ctx ends. Other errors
// are returned at once. A 409 "in process" is thus never a failure while
// ctx lasts.
func Publish(ctx context.Context, js jetstream.JetStream, msg *nats.Msg, o PublishOptions) (*jetstream.PubAck, error) {
	if o.Try <= 0 {
		o.Try = 2 * time.Second
	}
	pause := 100 * time.Millisecond
	for {
		tctx, cancel := context.WithTimeout(ctx, o.Try)
		ack, err := js.PublishMsg(tctx, msg)
		cancel()
		f := WriteFault(err)
		if err == nil || !f.Retry() || (o.Stop != nil && o.Stop(err)) {
			return ack, err
		}
		if ctx.Err() != nil {
			return nil, errors.Join(err, ctx.Err())
		}
		if o.Retried != nil {
			o.Retried(f, err)
		}
		t := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, errors.Join(err, ctx.Err())
		case <-t.C:
		}
		pause = min(2*pause, time.Second)
	}
}

// Metric is the label of a fault in hookworker_write_retries_total:
// in_process, storage or no_answer ("" for the others).
func (f Fault) Metric() string {
	switch f {
	case FaultInProcess:
		return "in_process"
	case FaultStorage:
		return "storage"
	case FaultNoAnswer:
		return "no_answer"
	}
	return ""
}

// Unhealthy reports whether a write that failed with err says the
// server cannot store anything now, or the stream refuses writes (full
// with discard new, sealed, a store failure), as opposed to one message
// being too large, or the server being still busy with an earlier copy:
// what readiness reports.
func Unhealthy(err error) bool {
	switch WriteFault(err) {
	case FaultStorage, FaultNoAnswer:
		return true
	case FaultRefused:
		return !errors.Is(err, jetstream.ErrStreamMessageExceedsMaximum) && !errors.Is(err, nats.ErrMaxPayload) &&
			!isAPI(err, jetstream.JSErrCodeStreamMessageExceedsMaximum)
	}
	return false
}

func isAPI(err error, code jetstream.ErrorCode) bool {
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode == code
}
