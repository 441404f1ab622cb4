package metrics

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestHostLabelIsCapped(t *testing.T) {
	m := New(Options{MaxHosts: 2})
	m.Attempt("A.example.com", "2xx", time.Millisecond)
	m.Attempt("b.example.com:8443", "5xx", time.Millisecond)
	m.Attempt("c.example.com", "2xx", time.Millisecond) // over the cap
	m.Attempt("a.example.com", "2xx", 0)                // known host; no request: no duration
	m.Attempt("", "render", 0)

	checks := []struct {
		host, class string
		want        float64
	}{
		{"a.example.com", "2xx", 2},
		{"b.example.com:8443", "5xx", 1},
		{OtherHost, "2xx", 1},
		{"none", "render", 1},
		{"c.example.com", "2xx", 0},
	}
	for _, c := range checks {
		if got := testutil.ToFloat64(m.attempts.WithLabelValues(c.host, c.class)); got != c.want {
			t.Errorf("attempts{host=%s,class=%s} = %v, want %v", c.host, c.class, got, c.want)
		}
	}
	// a: one observed duration (the second had none), b, other.
	if n := testutil.CollectAndCount(m.latency); n != 3 {
		t.Errorf("%d latency series, want 3", n)
	}
	fams, err := m.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]uint64{}
	for _, f := range fams {
		if f.GetName() == "hookworker_request_duration_seconds" {
			for _, mm := range f.GetMetric() {
				counts[mm.GetLabel()[0].GetValue()] = mm.GetHistogram().GetSampleCount()
			}
		}
	}
	if counts["a.example.com"] != 1 || counts["b.example.com:8443"] != 1 || counts[OtherHost] != 1 {
		t.Errorf("durations by host %v", counts)
	}
}

func TestCounters(t *testing.T) {
	m := New(Options{})
	m.EventReceived()
	m.EventReceived()
	m.InFlight(1)
	m.InFlight(1)
	m.InFlight(-1)
	m.Outcome("succeeded", "")
	m.Outcome("failed", "timeout")
	m.RetryScheduled("delayed")
	m.DeadLetter("timeout")
	m.DefinitionCache(true)
	m.DefinitionCache(true)
	m.DefinitionCache(false)
	for _, c := range []struct {
		name      string
		got, want float64
	}{
		{"received", testutil.ToFloat64(m.received), 2},
		{"in flight", testutil.ToFloat64(m.inFlight), 1},
		{"succeeded", testutil.ToFloat64(m.results.WithLabelValues("succeeded", "none")), 1},
		{"failed timeout", testutil.ToFloat64(m.results.WithLabelValues("failed", "timeout")), 1},
		{"delayed", testutil.ToFloat64(m.retries.WithLabelValues("delayed")), 1},
		{"in worker", testutil.ToFloat64(m.retries.WithLabelValues("in_worker")), 0},
		{"dead letters", testutil.ToFloat64(m.deadLetters.WithLabelValues("timeout")), 1},
		{"hits", testutil.ToFloat64(m.cacheHits), 2},
		{"misses", testutil.ToFloat64(m.cacheMisses), 1},
	} {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if n := testutil.CollectAndCount(m.results); n != 2 {
		t.Errorf("%d result series, want 2", n)
	}
}

func TestConsumerCollector(t *testing.T) {
	m := New(Options{})
	fail := true
	var sawDeadline bool
	m.ObserveConsumer(func(ctx context.Context) (ConsumerState, error) {
		_, sawDeadline = ctx.Deadline()
		if fail {
			return ConsumerState{}, errors.New("no responders")
		}
		return ConsumerState{Pending: 7, AckPending: 3}, nil
	}, 50*time.Millisecond)

	names := []string{"hookworker_consumer_pending_messages", "hookworker_consumer_ack_pending_messages", "hookworker_consumer_info_errors_total"}
	err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(`
# HELP hookworker_consumer_info_errors_total Scrapes at which the trigger consumer's state could not be read.
# TYPE hookworker_consumer_info_errors_total counter
hookworker_consumer_info_errors_total 1
`), names...)
	if err != nil {
		t.Errorf("failed read: %v", err)
	}
	if !sawDeadline {
		t.Errorf("the read had no timeout")
	}
	fail = false
	err = testutil.GatherAndCompare(m.Registry(), strings.NewReader(`
# HELP hookworker_consumer_ack_pending_messages Messages of the trigger consumer delivered and not yet acknowledged, read from the server at scrape time.
# TYPE hookworker_consumer_ack_pending_messages gauge
hookworker_consumer_ack_pending_messages 3
# HELP hookworker_consumer_info_errors_total Scrapes at which the trigger consumer's state could not be read.
# TYPE hookworker_consumer_info_errors_total counter
hookworker_consumer_info_errors_total 1
# HELP hookworker_consumer_pending_messages Messages of the trigger consumer not yet delivered, read from the server at scrape time.
# TYPE hookworker_consumer_pending_messages gauge
hookworker_consumer_pending_messages 7
`), names...)
	if err != nil {
		t.Errorf("successful read: %v", err)
	}
}

func TestListener(t *testing.T) {
	m := New(Options{})
	m.ObserveTemplateCache(func() int { return 42 })
	m.EventReceived()
	var ready atomic.Bool
	srv, err := Listen("127.0.0.1:0", m, func(ctx context.Context) error {
		if _, ok := ctx.Deadline(); !ok {
			return errors.New("no deadline")
		}
		if !ready.Load() {
			return errors.New("NATS connection reconnecting")
		}
		return nil
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	get := func(method, path string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL()+path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("GET", "/healthz"); code != 200 || body != "ok\n" {
		t.Errorf("/healthz: %d %q", code, body)
	}
	if code, body := get("GET", "/readyz"); code != 503 || body != "not ready: NATS connection reconnecting\n" {
		t.Errorf("/readyz not ready: %d %q", code, body)
	}
	ready.Store(true)
	if code, body := get("GET", "/readyz"); code != 200 || body != "ready\n" {
		t.Errorf("/readyz ready: %d %q", code, body)
	}
	code, body := get("GET", "/metrics")
	for _, s := range []string{"hookworker_events_received_total 1\n", "hookworker_template_cache_entries 42\n", "go_goroutines "} {
		if code != 200 || !strings.Contains(body, s) {
			t.Errorf("/metrics %d lacks %q", code, s)
		}
	}
	if code, _ := get("POST", "/metrics"); code != http.StatusMethodNotAllowed {
		t.Errorf("POST /metrics: %d", code)
	}
	if code, _ := get("GET", "/"); code != 404 {
		t.Errorf("GET /: %d", code)
	}

	if _, err := Listen(srv.Addr(), m, nil, nil); err == nil {
		t.Errorf("a second listener on %s started", srv.Addr())
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	if _, err := http.Get(srv.URL() + "/healthz"); err == nil {
		t.Errorf("the listener answers after Shutdown")
	}
}

func TestHandlerAlwaysReadyWithoutFunc(t *testing.T) {
	rec := httptest.NewRecorder()
	Handler(New(Options{}), nil).ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
	if rec.Code != 200 {
		t.Errorf("/readyz without a ReadyFunc: %d", rec.Code)
	}
}

// TestPprofOnlyWhenAsked: /debug/pprof/ is served with WithPprof and is
// absent without it.
func TestPprofOnlyWhenAsked(t *testing.T) {
	for _, tt := range []struct {
		name string
		opts []Option
		code int
	}{{"off", nil, http.StatusNotFound}, {"on", []Option{WithPprof()}, http.StatusOK}} {
		t.Run(tt.name, func(t *testing.T) {
			for _, path := range []string{"/debug/pprof/", "/debug/pprof/heap?debug=1"} {
				rec := httptest.NewRecorder()
				Handler(New(Options{}), nil, tt.opts...).ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
				if rec.Code != tt.code {
					t.Errorf("GET %s: %d, want %d", path, rec.Code, tt.code)
				}
			}
		})
	}
}
