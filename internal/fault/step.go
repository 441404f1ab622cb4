package fault

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// A Step is how the server answers one request. Make one with the
// constructors below; the zero Step answers 500.
//
// The request a step sees has its body already read (and readable again)
// and a context that ends when the client goes away or the server closes.
type Step struct {
	fn func(w http.ResponseWriter, r *http.Request)
}

func (st Step) serve(w http.ResponseWriter, r *http.Request) {
	if st.fn == nil {
		http.Error(w, "fault: zero Step", http.StatusInternalServerError)
		return
	}
	st.fn(w, r)
}

// OK answers 200 with body as application/json.
func OK(body string) Step {
	return Step{func(w http.ResponseWriter, r *http.Request) {
		write(w, http.StatusOK, "application/json", body)
	}}
}

// Status answers code with body, as application/json if body is valid JSON
// and as text/plain otherwise.
func Status(code int, body string) Step {
	ct := "text/plain; charset=utf-8"
	if json.Valid([]byte(body)) {
		ct = "application/json"
	}
	return Step{func(w http.ResponseWriter, r *http.Request) {
		write(w, code, ct, body)
	}}
}

// RetryAfterSeconds answers code (typically 429 or 503) with no body and
// Retry-After: secs.
func RetryAfterSeconds(code int, secs int) Step {
	v := strconv.Itoa(secs)
	return Step{func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", v)
		w.WriteHeader(code)
	}}
}

// RetryAfterDate answers code (typically 429 or 503) with no body and
// Retry-After: at as an HTTP date (http.TimeFormat, whole seconds, UTC).
func RetryAfterDate(code int, at time.Time) Step {
	v := at.UTC().Format(http.TimeFormat)
	return Step{func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", v)
		w.WriteHeader(code)
	}}
}

// Hang waits d, then answers 200 with an empty body. If the client goes away
// or the server closes first, it drops the connection without an answer.
func Hang(d time.Duration) Step {
	return Step{func(w http.ResponseWriter, r *http.Request) {
		if !sleep(r, d) {
			panic(http.ErrAbortHandler)
		}
		w.WriteHeader(http.StatusOK)
	}}
}

// Reset closes the connection without an answer, with SO_LINGER 0 so that
// the client sees a connection reset (ECONNRESET) rather than an orderly
// end of stream.
func Reset() Step {
	return Step{func(w http.ResponseWriter, r *http.Request) {
		conn := hijack(w)
		if tc, ok := conn.(*net.TCPConn); ok {
			_ = tc.SetLinger(0)
		}
		_ = conn.Close()
	}}
}

// SlowBody answers 200 with body as application/json and a Content-Length,
// sends the headers at once, then sends the body chunk bytes at a time,
// waiting every before each chunk: the whole body takes about
// ceil(len(body)/chunk)*every. If the client goes away or the server closes
// meanwhile, it drops the connection. It panics if chunk < 1.
func SlowBody(body string, chunk int, every time.Duration) Step {
	if chunk < 1 {
		panic(fmt.Sprintf("fault: SlowBody chunk %d < 1", chunk))
	}
	return Step{func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(http.StatusOK)
		_ = rc.Flush()
		for rest := body; rest != ""; {
			if !sleep(r, every) {
				panic(http.ErrAbortHandler)
			}
			n := min(chunk, len(rest))
			if _, err := w.Write([]byte(rest[:n])); err != nil {
				return
			}
			if err := rc.Flush(); err != nil {
				return
			}
			rest = rest[n:]
		}
	}}
}

// Truncated answers 200 with Content-Length: declared, sends body, then
// closes the connection: the client reading the body gets
// io.ErrUnexpectedEOF. It panics unless len(body) < declared.
func Truncated(body string, declared int) Step {
	if len(body) >= declared {
		panic(fmt.Sprintf("fault: Truncated body of %d bytes is not shorter than declared %d", len(body), declared))
	}
	return Step{func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(declared))
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte(body))
		_ = http.NewResponseController(w).Flush()
		_ = hijack(w).Close()
	}}
}

// Gzip answers 200 with Content-Encoding: gzip, Content-Type:
// application/json and body as it is: body must already be gzip data, such
// as [GzipBomb] makes.
func Gzip(body []byte) Step {
	body = bytes.Clone(body)
	return Step{func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(body)
	}}
}

// GzipBomb returns gzip data that decompresses to size zero bytes; it is
// about a thousandth of size.
func GzipBomb(size int) []byte {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		panic(err) // only for an invalid level
	}
	zeros := make([]byte, 64<<10)
	for size > 0 {
		n := min(size, len(zeros))
		_, _ = zw.Write(zeros[:n]) // a bytes.Buffer does not fail
		size -= n
	}
	_ = zw.Close()
	return buf.Bytes()
}

// Random answers with fail with probability p and with ok otherwise. It
// draws from a PCG source seeded with seed, one draw per request, so a fixed
// seed and the same sequence of requests give the same answers. A Random
// step used on several paths or servers shares its source among them. It
// panics unless 0 <= p <= 1.
func Random(p float64, fail Step, ok Step, seed int64) Step {
	if !(p >= 0 && p <= 1) {
		panic(fmt.Sprintf("fault: Random probability %v outside [0, 1]", p))
	}
	var mu sync.Mutex
	rng := rand.New(rand.NewPCG(uint64(seed), 0))
	return Step{func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		failed := rng.Float64() < p
		mu.Unlock()
		if failed {
			fail.serve(w, r)
		} else {
			ok.serve(w, r)
		}
	}}
}

// Func answers with f, for what the other steps cannot do. f should return
// when its request's context ends, or Close waits for it.
func Func(f func(w http.ResponseWriter, r *http.Request)) Step {
	if f == nil {
		panic("fault: Func(nil)")
	}
	return Step{f}
}

func write(w http.ResponseWriter, code int, contentType, body string) {
	w.Header().Set("Content-Type", contentType)
	if body != "" { // never on a 204 or 304
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	}
	w.WriteHeader(code)
	_, _ = w.Write([]byte(body))
}

// sleep waits d or until r's context ends, and reports whether d passed.
func sleep(r *http.Request, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	}
}

// hijack takes over w's connection, which httptest servers (HTTP/1.1)
// always allow.
func hijack(w http.ResponseWriter) net.Conn {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(fmt.Sprintf("fault: cannot hijack the connection: %v", err))
	}
	return conn
}
