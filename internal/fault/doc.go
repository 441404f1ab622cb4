// Package fault is an HTTP target for tests that fails on demand: it answers
// each request to a path with the next [Step] of a script, so a test can make
// a webhook endpoint succeed, refuse, rate-limit, hang, reset the connection,
// cut a body short, trickle it, or send a gzip bomb, in an order it chooses.
//
// The promises:
//
//   - Loopback only: a [Server] is an [net/http/httptest.Server] on
//     127.0.0.1, started by [NewServer] and closed by the test's cleanup.
//   - Scripted: [Server.On] gives a path a sequence of steps, consumed one
//     per request in arrival order; the last step repeats. A path without a
//     script answers 404.
//   - Recorded: every request (method, path, query, a clone of its headers,
//     its body, its arrival time) is kept in arrival order, in the same order
//     the steps were consumed, for [Server.Requests], [Server.Count] and
//     [Server.CountByKey] (requests per Idempotency-Key).
//   - Prompt close: [Server.Close] cancels every step still waiting (Hang,
//     SlowBody, and any [Func] that watches its request's context) before
//     it waits for the handlers, so closing never waits out a timer. A
//     waiting step also stops when its client goes away.
//   - Deterministic: [Random] draws from a seeded source, so the same seed
//     and the same sequence of requests fail the same way.
//   - No global state: servers are independent and safe for concurrent use.
//
// Note that net/http's Transport retries a request by itself, once, when a
// reused keep-alive connection fails before any response and the request is
// replayable (GET, HEAD, OPTIONS, TRACE, or any request with an
// Idempotency-Key header and a body it can rewind): with [Reset] such a
// request may reach the server twice.
package fault
