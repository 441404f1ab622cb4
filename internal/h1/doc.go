// Package h1 sends webhook requests over HTTP/1.1 on the caller's
// goroutine, from a pool of keep-alive connections it dials only through
// the dial function it is given (the egress guard's).
//
// It exists for speed: net/http's client hands every request to two
// goroutines of its connection (a writer and a reader) and back; on the
// worker's realistic event that was about half of the worker's HTTP
// cost. Here one goroutine writes the request and reads the answer. The
// answer is read as net/http's transport reads it, with net/http's own
// parts: the status line and header block by net/textproto, the framing
// by the rules of net/http's transfer.go (TestParityWithNetHTTP compares
// the two on good, odd and hostile answers), chunked bodies by
// net/http/httputil's reader.
//
// # The promises
//
//   - Every connection comes from [Config.Dial]; there is no proxy and no
//     other way out. An https connection is a TLS client over it (the
//     server's name from the URL, ALPN http/1.1 only).
//   - Bounded: the answer's header block by [Config.MaxHeaderBytes], its
//     body by [Request.MaxBody] (more is [ErrTooLarge], without reading
//     or allocating past the bound), the whole exchange, connecting
//     included, by [Request.Deadline].
//   - Informational answers: up to five 100 Continue and 103 Early Hints
//     are read past; any other 1xx (101 Switching Protocols included)
//     ends the request at once as an answer of that status with an
//     empty body, its connection closed.
//   - No answer reaches another request: a connection goes back to the
//     pool only after a complete answer that lets it (keep-alive, a
//     framed body, nothing more buffered), waits there at most
//     [Config.IdleTimeout], and is taken again only if it has nothing to
//     read (its TLS buffers and its socket are looked at without
//     waiting): bytes a target sends unasked (a doubled answer, a body
//     on a HEAD, 204 or 304 answer) close it instead of being read as
//     the next request's answer, which may be another tenant's. A
//     cancellation never reaches the next request on a connection.
//   - A request whose reused connection turns out closed before any
//     byte of an answer came back is sent once more on a new
//     connection when net/http would (an idempotent method, or an
//     Idempotency-Key or X-Idempotency-Key header, which the worker
//     always sends); once an answer has begun, it is never sent again.
//   - Errors quote nothing of an answer (it may echo a secret of the
//     request in a form the masking does not know).
//   - Requests are written as net/http writes them: the URL's host as
//     Host, the header map's keys as they are (sorted), Content-Length
//     for a body (0 for a POST, PUT or PATCH without one), the first
//     User-Agent only; Host, Content-Length, Transfer-Encoding and
//     Trailer keys of the map are not sent, and an invalid method,
//     header name or value, or a control character in the URL, is
//     [ErrInvalidRequest], not a request. Unless the request names what it accepts (or asks for a
//     Range, or is a HEAD), it asks for gzip and a gzip answer is
//     decompressed, bounded like any body, its Content-Encoding and
//     Content-Length dropped, as net/http's transport does.
//   - Answers: the header as net/http gives it (keys in canonical form,
//     values in the order received, Transfer-Encoding, Trailer and a
//     closing Connection removed); the body is the caller's.
//
// [Eligible] says which URLs it takes: http and https URLs with an ASCII
// host, no zone and no user info; anything else is for net/http.
package h1
