package streams

import (
	"context"
	"errors"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// What a failed JetStream write means for the writer. Every hookworker
// write that must not be lost (a Result into a stream, a dead letter, an
// attempt history) is classified with WriteFault.

// Fault is why a JetStream write failed.
type Fault int

const (
	// FaultNone: the write did not fail (or not for a reason below).
	FaultNone Fault = iota
	// FaultInProcess: the server is still storing an earlier copy with
	// the same Nats-Msg-Id ("duplicate message id is in process", 409):
	// the same message, with the same id, is to be sent again until the
	// server answers with its PubAck (Duplicate) or an error of its own.
	FaultInProcess
	// FaultStorage: the server cannot store anything at the moment: its
	// store or the account's limits are exhausted, JetStream is off or
	// without a leader, or the stream is offline. Waiting helps; other
	// writes will fail the same way.
	FaultStorage
	// FaultNoAnswer: no PubAck came in time. Seen when the store is full
	// (a file store that hit ENOSPC answers nothing, ever, until the server
	// restarts), when a stream has no leader, and when the connection is
	// down. The message may or may not be stored: send it again with the
	// same id.
	FaultNoAnswer
	// FaultRefused: this stream refuses this message for good (too large,
	// a limit with discard new, sealed): sending it again will not help
	// until an operator acts.
	FaultRefused
)

// Error codes of the server's JetStream API errors that WriteFault reads
// (nats-server's jetstream_errors_generated.go).
const (
	codeAccountResources  jetstream.ErrorCode = 10002
	codeClusterNotAvail   jetstream.ErrorCode = 10008
	codeInsufficient      jetstream.ErrorCode = 10023
	codeMemoryResources   jetstream.ErrorCode = 10028
	codeStorageResources  jetstream.ErrorCode = 10047
	codeStoreFailed       jetstream.ErrorCode = 10077 // "{err}": maximum messages/bytes exceeded, write errors
	codeSealed            jetstream.ErrorCode = 10109
	codeStreamOffline     jetstream.ErrorCode = 10118
	codeStreamOfflineWhy  jetstream.ErrorCode = 10194
	codeDuplicateInFlight jetstream.ErrorCode = 10158
)

// WriteFault classifies the error of a JetStream publish.
func WriteFault(err error) Fault {
	if err == nil {
		return FaultNone
	}
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) {
		switch apiErr.ErrorCode {
		case codeDuplicateInFlight:
			return FaultInProcess
		case codeAccountResources, codeClusterNotAvail, codeInsufficient, codeMemoryResources, codeStorageResources,
			codeStreamOffline, codeStreamOfflineWhy, jetstream.JSErrCodeJetStreamNotEnabled, jetstream.JSErrCodeJetStreamNotEnabledForAccount:
			return FaultStorage
		case codeStoreFailed, codeSealed, jetstream.JSErrCodeStreamMessageExceedsMaximum:
			return FaultRefused
		}
		return FaultNone
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, nats.ErrTimeout), errors.Is(err, jetstream.ErrNoStreamResponse):
		return FaultNoAnswer
	case errors.Is(err, nats.ErrMaxPayload):
		return FaultRefused
	}
	return FaultNone
}

// Retry reports whether a write that failed with f is worth sending
// again as it is (same message, same id).
func (f Fault) Retry() bool {
	return f == FaultInProcess || f == FaultStorage || f == FaultNoAnswer
}

// String names the fault for logs and readiness.
func (f Fault) String() string {
	switch f {
	case FaultInProcess:
		return "in process"
	case FaultStorage:
		return "storage unavailable"
	case FaultNoAnswer:
		return "no answer"
	case FaultRefused:
		return "refused"
	}
	return "none"
}

// Transient reports whether setting up the topology (creating or reading
// a stream, consumer or bucket) failed for a reason that waiting cures:
// no answer in time, no JetStream responder yet, a cluster without a
// leader or quorum, a store out of resources. Setup tries those again;
// any other error (a setting the server refuses, a conflicting stream) is
// for an operator.
func Transient(err error) bool {
	if err == nil {
		return false
	}
	if f := WriteFault(err); f == FaultStorage || f == FaultNoAnswer || f == FaultInProcess {
		return true
	}
	return errors.Is(err, nats.ErrNoResponders) || errors.Is(err, jetstream.ErrJetStreamNotEnabled) ||
		errors.Is(err, nats.ErrTimeout) || errors.Is(err, nats.ErrConnectionReconnecting) ||
		errors.Is(err, nats.ErrDisconnected)
}
