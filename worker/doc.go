// Package worker runs webhooks for ConnectionFired events taken from a
// shared durable JetStream consumer, and publishes one Result per event.
//
// A [Worker] creates or updates the trigger stream and its durable pull
// consumer at start (idempotent, so any number of processes may start at
// once), then runs a bounded pool of goroutines that each take an event,
// render its webhook (package render), make the HTTP request with the shared
// keep-alive client, map the response (package mapper), publish the Result to
// the event's reply subject, and only then acknowledge the event.
//
// Delivery is at least once: an event is acknowledged after its Result was
// published, so a crash between the two repeats the webhook (every attempt
// carries Idempotency-Key: <event id>) and the Result (which carries a
// Nats-Msg-Id, so a result stream absorbs the duplicate). An event that
// cannot be decoded or breaks the contract is never retried: it gets a
// failed Result with class invalid_event where its reply subject can be
// read, and is terminated.
//
// On shutdown (the context given to Run is cancelled) the worker stops
// pulling and finishes what it holds within the configured grace period;
// past it, nothing new starts (an attempt, an in-worker wait) and those
// events are handed back (Nak), but a request already on the wire runs to
// its webhook's timeout and its event is settled, so that no other process
// sends it again.
//
// A worker never runs an event whose delivery it may no longer hold:
// before each attempt it checks that the delivery was received or
// heartbeated within three quarters of ack_wait, and that the process was
// not paused meanwhile (guard.go); if not, it leaves the message to
// JetStream, unrun.
//
// Operations: a [Metrics] given in [Deps] (package metrics) counts events,
// outcomes, attempts by target host, retries, dead letters and cache use;
// [Worker.Ready] backs a readiness probe and [Worker.ConsumerInfo] the
// consumer's pending counts. The W3C traceparent header of a trigger
// message is continued on every HTTP attempt (a new span each) and on the
// Result (package tracectx); the trace id is in the outcome log line.
package worker
