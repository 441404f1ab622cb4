// Package h1 sends webhook requests over HTTP/1.1 on the caller's
// goroutine, from a pool of keep-alive connections it dials only through
// the dial function it is given (the egress guard's).
//
// It exists for speed: net/http's client hands every request to two
// goroutines of its connection (a writer and a reader) and back, and
// clones and sorts headers on the way; on the worker's realistic event
// that was about half of the worker's HTTP cost. Here one goroutine
// writes the request and reads the answer, and the answer is parsed by
// fasthttp's response parser (github.com/valyala/fasthttp), bounded by
// the sizes below.
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
//   - A connection goes back to the pool only after a complete answer
//     that lets it (HTTP/1.1 keep-alive, no Connection: close, a framed
//     body, nothing more buffered), and waits there at most
//     [Config.IdleTimeout]; one idle for over a second is checked
//     before reuse. A request whose reused connection turns out closed
//     before any byte of an answer came back is sent once more on a new
//     connection, as net/http does for requests with an Idempotency-Key.
//   - Requests are written as net/http writes them: the URL's host as
//     Host, the header map's keys as they are (sorted), Content-Length
//     for a body (0 for a POST, PUT or PATCH without one); Host,
//     Content-Length, Transfer-Encoding and Trailer keys of the map are
//     not sent, and an invalid header name or value is an error, not a
//     request. Unless the request names what it accepts (or asks for a
//     Range, or is a HEAD), it asks for gzip and a gzip answer is
//     decompressed, bounded like any body, its Content-Encoding and
//     Content-Length dropped, as net/http's transport does.
//   - Answers: header keys in net/http's canonical form, values in the
//     order received; the body is the caller's.
//
// [Eligible] says which URLs it takes: http and https URLs with an ASCII
// host, no zone and no user info; anything else is for net/http.
package h1
