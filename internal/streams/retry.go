package streams

import (
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// The retry stream holds events waiting for a delayed retry, so that a
// waiting retry holds none of the trigger consumer's ack-pending budget:
// the worker stores a message schedule (Nats-Schedule "@at <time>") on
// RetryWaitSubject, then acknowledges the event; when the time comes the
// server publishes the event to RetryDueSubject, in the same stream, and
// removes the schedule; the retry consumer hands it to a worker.

// RetryWindow is the retry stream's deduplication window: a schedule
// stored twice within it (a worker that stored it and crashed before the
// ack, and the worker that took the redelivered event) is stored once.
// It must outlast worker.ack_wait.
const RetryWindow = 10 * time.Minute

// Retry is the retry stream: a work queue of schedules and due events,
// with message schedules allowed.
func (t Topology) Retry() jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:              t.names.RetryStream,
		Subjects:          []string{t.names.RetryPrefix + ".>"},
		Retention:         jetstream.WorkQueuePolicy,
		Storage:           jetstream.FileStorage,
		Duplicates:        RetryWindow,
		Replicas:          t.replicas,
		AllowMsgSchedules: true,
	}
}

// RetryConsumer is the durable consumer every worker shares for due
// retries; like the trigger consumer, but on the due subjects.
func (t Topology) RetryConsumer() jetstream.ConsumerConfig {
	cc := t.Consumer()
	cc.Durable = t.names.Consumer + "-retry"
	cc.FilterSubjects = []string{t.names.RetryPrefix + ".due.>"}
	return cc
}

// RetryWaitSubject is where the schedule of the event with key waits (one
// schedule per key: the server rolls the subject up).
func (t Topology) RetryWaitSubject(key string) string {
	return t.names.RetryPrefix + ".wait." + key
}

// RetryDueSubject is where the event with key, first stored under subject,
// arrives when its schedule is due.
func (t Topology) RetryDueSubject(key, subject string) string {
	return t.names.RetryPrefix + ".due." + key + "." + subject
}

// RetryOrigin reads the key and the original subject of a due subject; ok
// is false for any other subject.
func (t Topology) RetryOrigin(due string) (key, subject string, ok bool) {
	rest, ok := strings.CutPrefix(due, t.names.RetryPrefix+".due.")
	if !ok {
		return "", "", false
	}
	key, subject, ok = strings.Cut(rest, ".")
	return key, subject, ok && key != "" && subject != ""
}
