// Package hostguard keeps one bad webhook target from taking every worker
// slot or slowing the events for healthy targets. It guards each target
// host (the URL's host:port, see [HostKey]) with a concurrency limit, a
// token-bucket rate limit and a circuit breaker.
//
// # Usage
//
// Make one [Guard] per process with [New] and share it among the workers.
// Before each attempt, ask it; after the attempt, report the outcome:
//
//	release, deny := g.Acquire(hostguard.HostKey(u))
//	if deny != nil {
//		_ = msg.NakWithDelay(deny.RetryAfter) // hand the event back
//		return
//	}
//	resp, err := client.Do(req)
//	release(err != nil || resp.StatusCode == 429 || resp.StatusCode >= 500)
//
// An attempt failed when it met a network error or a timeout, or got a
// status worth retrying (5xx, 429). A 4xx the target meant is a success as
// far as the guard is concerned: the host is up and answering.
//
// # The promises
//
//   - Never blocks: [Guard.Acquire] decides at once. A host over its limits
//     costs the caller no slot and no sleep; the caller is told to hand the
//     event back ([Deny]) and by when the host is likely usable again.
//   - Deny, not fail: a denial is about the host, not the event, so the
//     event should be handed back and tried again after [Deny.RetryAfter],
//     not failed.
//   - Per host: every limit and every breaker belongs to one host key. A
//     host that hangs fills its own MaxConcurrent slots and no more; a host
//     that fails opens its own breaker and no other.
//   - Checked in order, consuming nothing on a denial: breaker, then
//     concurrency, then rate. A denied Acquire takes no slot, no token and
//     no half-open probe, and needs no release.
//   - Reasons and delays: "breaker_open" with the rest of OpenFor (or
//     BusyDelay while a half-open breaker waits for its probes); then
//     "concurrency" with BusyDelay; then "rate" with the time until the
//     host's bucket holds a token again. RetryAfter is never negative.
//   - Breaker: closed, it counts finished attempts over the last Window (in
//     ten sub-windows, so outcomes leave the count in steps of Window/10) and
//     opens when at least MinRequests finished and the share of failures is
//     at least FailureRatio. Open, it denies everything for OpenFor. Then it
//     is half-open: it lets HalfOpenProbes attempts through, closes (with an
//     empty window) when all of them succeeded, and opens again, for a new
//     OpenFor, at the first that failed. An outcome only counts in the
//     breaker state its attempt was admitted under: attempts still running
//     when the breaker opened do not extend or close it when they finish.
//   - Release once: the release func must be called exactly once per
//     allowed attempt; a second call does nothing. A release that is never
//     called keeps its slot (and, half-open, its probe) forever.
//   - Bounded memory: at most MaxHosts hosts are tracked. To make room, the
//     guard forgets idle hosts (no attempt in flight): those with a closed
//     breaker first, least recently used first among them. A host
//     with attempts in flight is never forgotten: when all are busy, a new
//     host is tracked anyway, over the bound, and the count comes back to
//     MaxHosts as attempts end. A forgotten host starts again with a full
//     bucket and a closed breaker.
//   - Zero is off: a zero [Config] limits nothing, opens no breaker and
//     tracks no host.
//   - Testable time: all times come from the clock given to [New] (a
//     clockwork.Clock, the worker's own), so tests drive the buckets,
//     windows and breakers with a clockwork.FakeClock.
//
// A Guard is safe for concurrent use. It serializes its decisions with one
// mutex, held only for a few map and counter updates per call, and for a
// scan of the tracked hosts when a new host finds the table full.
package hostguard
