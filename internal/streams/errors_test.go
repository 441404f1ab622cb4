package streams_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookworker/hookworker/internal/streams"
)

func TestWriteFault(t *testing.T) {
	api := func(code jetstream.ErrorCode, desc string) error {
		return fmt.Errorf("publish: %w", &jetstream.APIError{ErrorCode: code, Description: desc})
	}
	cases := []struct {
		err   error
		want  streams.Fault
		retry bool
	}{
		{nil, streams.FaultNone, false},
		{api(10158, "duplicate message id is in process"), streams.FaultInProcess, true},
		{api(10023, "insufficient resources"), streams.FaultStorage, true},
		{api(10047, "insufficient storage resources available"), streams.FaultStorage, true},
		{api(10002, "resource limits exceeded for account"), streams.FaultStorage, true},
		{api(10008, "JetStream system temporarily unavailable"), streams.FaultStorage, true},
		{jetstream.ErrJetStreamNotEnabled, streams.FaultStorage, true},
		{api(10077, "maximum messages exceeded"), streams.FaultRefused, false},
		{api(10109, "invalid operation on sealed stream"), streams.FaultRefused, false},
		{jetstream.ErrStreamMessageExceedsMaximum, streams.FaultRefused, false},
		{nats.ErrMaxPayload, streams.FaultRefused, false},
		{context.DeadlineExceeded, streams.FaultNoAnswer, true},
		{fmt.Errorf("x: %w", nats.ErrTimeout), streams.FaultNoAnswer, true},
		{jetstream.ErrNoStreamResponse, streams.FaultNoAnswer, true},
		{api(10071, "wrong last sequence"), streams.FaultNone, false},
		{errors.New("something else"), streams.FaultNone, false},
	}
	for _, tc := range cases {
		got := streams.WriteFault(tc.err)
		if got != tc.want || got.Retry() != tc.retry {
			t.Errorf("WriteFault(%v) = %v (retry %v), want %v (retry %v)", tc.err, got, got.Retry(), tc.want, tc.retry)
		}
	}
}

func TestTransient(t *testing.T) {
	api := func(code jetstream.ErrorCode, desc string) error {
		return fmt.Errorf("stream X: %w", &jetstream.APIError{ErrorCode: code, Description: desc})
	}
	cases := []struct {
		err  error
		want bool
	}{
		{nil, false},
		{fmt.Errorf("stream CONNECTIONS_RETRY: %w", context.DeadlineExceeded), true},
		{fmt.Errorf("deadletter: %w", nats.ErrNoResponders), true},
		{api(10008, "JetStream system temporarily unavailable"), true},
		{api(10023, "insufficient resources"), true},
		{jetstream.ErrJetStreamNotEnabled, true},
		{nats.ErrTimeout, true},
		{api(10058, "stream name already in use with a different configuration"), false},
		{api(10052, "invalid stream config"), false},
		{errors.New("worker: ordering.partitions is 4, but stream CONNECTIONS already spreads"), false},
		{nats.ErrConnectionClosed, false},
	}
	for _, c := range cases {
		if got := streams.Transient(c.err); got != c.want {
			t.Errorf("Transient(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}
