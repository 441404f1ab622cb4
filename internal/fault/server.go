package fault

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// A Server is a loopback HTTP target that answers each path with its
// script. It is safe for concurrent use.
type Server struct {
	srv    *httptest.Server
	ctx    context.Context // cancelled by Close, so waiting steps stop
	cancel context.CancelFunc
	once   sync.Once

	mu      sync.Mutex
	scripts map[string]*script
	reqs    []Request
}

type script struct {
	steps []Step
	next  int
}

// A Request is what the server received.
type Request struct {
	Method string
	Path   string      // URL path, as routed
	Query  string      // raw query, without '?'
	Header http.Header // a clone of the request headers
	Body   []byte
	At     time.Time // arrival, before the body was read
	Done   time.Time // when the answer was complete (the handler returned)
}

// NewServer starts a Server on 127.0.0.1 and closes it when t and its
// subtests have finished.
func NewServer(t testing.TB) *Server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{ctx: ctx, cancel: cancel, scripts: make(map[string]*script)}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

// URL is the server's base URL, such as http://127.0.0.1:41234.
func (s *Server) URL() string { return s.srv.URL }

// Close cancels the steps still waiting, then shuts the server down and
// waits for its handlers. It may be called more than once.
func (s *Server) Close() {
	s.once.Do(func() {
		s.cancel()
		s.srv.Close()
	})
}

// On sets the script for path (matched exactly against the URL path): the
// n-th request to path gets steps[n], and every request after the last step
// gets the last step again. On replaces an earlier script for the path and
// starts it from its first step. It panics if steps is empty.
func (s *Server) On(path string, steps ...Step) {
	if len(steps) == 0 {
		panic("fault: On " + path + " without steps")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.scripts[path] = &script{steps: append([]Step(nil), steps...)}
}

// Requests returns the requests received on path, in arrival order.
func (s *Server) Requests(path string) []Request {
	return s.requests(func(p string) bool { return p == path })
}

// RequestsUnder returns the requests received on any path that starts
// with prefix, in arrival order.
func (s *Server) RequestsUnder(prefix string) []Request {
	return s.requests(func(p string) bool { return strings.HasPrefix(p, prefix) })
}

func (s *Server) requests(match func(path string) bool) []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Request
	for _, r := range s.reqs {
		if match(r.Path) {
			r.Header = r.Header.Clone()
			r.Body = bytes.Clone(r.Body)
			out = append(out, r)
		}
	}
	return out
}

// Count returns the number of requests received on path.
func (s *Server) Count(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.reqs {
		if r.Path == path {
			n++
		}
	}
	return n
}

// CountByKey returns the number of requests received on any path per value
// of their Idempotency-Key header. Requests without the header are not
// counted.
func (s *Server) CountByKey() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := make(map[string]int)
	for _, r := range s.reqs {
		if k := r.Header.Get("Idempotency-Key"); k != "" {
			m[k]++
		}
	}
	return m
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	at := time.Now()
	body, err := io.ReadAll(r.Body)
	if err != nil {
		panic(http.ErrAbortHandler) // the client went away mid-body
	}
	r.Body = io.NopCloser(bytes.NewReader(body))

	// Steps wait on a context that ends when the client goes away or the
	// server closes, whichever is first.
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	stop := context.AfterFunc(s.ctx, cancel)
	defer stop()
	r = r.WithContext(ctx)

	// Record and pick the step under one lock, so that the recorded order
	// is the order in which steps were consumed.
	s.mu.Lock()
	s.reqs = append(s.reqs, Request{
		Method: r.Method,
		Path:   r.URL.Path,
		Query:  r.URL.RawQuery,
		Header: r.Header.Clone(),
		Body:   body,
		At:     at,
	})
	idx := len(s.reqs) - 1
	defer func() {
		s.mu.Lock()
		s.reqs[idx].Done = time.Now()
		s.mu.Unlock()
	}()
	var step Step
	sc := s.scripts[r.URL.Path]
	if sc != nil {
		step = sc.steps[min(sc.next, len(sc.steps)-1)]
		sc.next++
	}
	s.mu.Unlock()

	if sc == nil {
		http.NotFound(w, r)
		return
	}
	step.serve(w, r)
}
