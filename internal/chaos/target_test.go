package chaos

import (
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// target is a loopback webhook endpoint in the test process. Every
// request is recorded by its Idempotency-Key (the event id) and
// User-Agent (the worker); its behaviour can change while it runs.
//
// An execution is a request the target serves as the real endpoint
// would (not one it fails on purpose, as a flapping target's 503s): two
// executions of one event id are a duplicate.
type target struct {
	srv *httptest.Server

	delay   atomic.Int64  // how long a served request takes (ns)
	failP   atomic.Uint64 // probability (×1e6) of answering 503 instead
	rngMu   sync.Mutex
	rng     *rand.Rand
	stopped chan struct{}

	mu   sync.Mutex
	reqs []hit
}

// hit is one request.
type hit struct {
	key, ua  string
	at, done time.Time // arrival; when the handler returned (zero: still running)
	executed bool      // served (not failed on purpose)
}

func newTarget(t *testing.T, delay time.Duration) *target {
	t.Helper()
	tg := &target{rng: rand.New(rand.NewPCG(14, 14)), stopped: make(chan struct{})}
	tg.delay.Store(int64(delay))
	tg.srv = httptest.NewServer(http.HandlerFunc(tg.serve))
	t.Cleanup(func() {
		close(tg.stopped)
		tg.srv.CloseClientConnections()
		tg.srv.Close()
	})
	return tg
}

func (tg *target) url() string { return tg.srv.URL + "/hook" }

// setDelay changes how long served requests take.
func (tg *target) setDelay(d time.Duration) { tg.delay.Store(int64(d)) }

// setFailure makes the target answer 503 with probability p.
func (tg *target) setFailure(p float64) { tg.failP.Store(uint64(p * 1e6)) }

func (tg *target) serve(w http.ResponseWriter, r *http.Request) {
	at := time.Now()
	_, _ = io.Copy(io.Discard, r.Body)
	fail := false
	if p := tg.failP.Load(); p > 0 {
		tg.rngMu.Lock()
		fail = tg.rng.Uint64N(1e6) < p
		tg.rngMu.Unlock()
	}
	tg.mu.Lock()
	tg.reqs = append(tg.reqs, hit{key: r.Header.Get("Idempotency-Key"), ua: r.Header.Get("User-Agent"), at: at, executed: !fail})
	i := len(tg.reqs) - 1
	tg.mu.Unlock()
	defer func() {
		tg.mu.Lock()
		tg.reqs[i].done = time.Now()
		tg.mu.Unlock()
	}()
	if fail {
		http.Error(w, "flapping", http.StatusServiceUnavailable)
		return
	}
	if d := time.Duration(tg.delay.Load()); d > 0 {
		select {
		case <-time.After(d):
		case <-r.Context().Done():
			return
		case <-tg.stopped:
			return
		}
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, `{"ok": true}`)
}

// executions counts executions per event id.
func (tg *target) executions() map[string]int {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	m := map[string]int{}
	for _, h := range tg.reqs {
		if h.executed {
			m[h.key]++
		}
	}
	return m
}

// requests is the number of requests received.
func (tg *target) requests() int {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	return len(tg.reqs)
}

// onWire counts the executions by ua that were running at instant at, or
// had ended less than slack before it (their Result not yet published,
// their ack not yet sent): what a fault at that instant can make run
// again.
func (tg *target) onWire(ua string, at time.Time, slack time.Duration) int {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	n := 0
	for _, h := range tg.reqs {
		if h.executed && (ua == "" || h.ua == ua) && !h.at.After(at) && (h.done.IsZero() || h.done.After(at.Add(-slack))) {
			n++
		}
	}
	return n
}

// executedAfter counts the executions by ua that arrived after instant at.
func (tg *target) executedAfter(ua string, at time.Time) int {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	n := 0
	for _, h := range tg.reqs {
		if h.executed && h.ua == ua && h.at.After(at) {
			n++
		}
	}
	return n
}

// onWireDuring counts the executions by ua (any when "") that were
// running at some instant of [from, to], or had ended less than slack
// before from: what a fault lasting from..to can make run again.
func (tg *target) onWireDuring(ua string, from, to time.Time, slack time.Duration) int {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	n := 0
	for _, h := range tg.reqs {
		if h.executed && (ua == "" || h.ua == ua) && !h.at.After(to) && (h.done.IsZero() || h.done.After(from.Add(-slack))) {
			n++
		}
	}
	return n
}

// describeDups lists up to n event ids executed more than once, each
// with its executions (User-Agent, arrival and end relative to zero).
func (tg *target) describeDups(zero time.Time, n int) string {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	byKey := map[string][]hit{}
	var keys []string
	for _, h := range tg.reqs {
		if !h.executed {
			continue
		}
		if len(byKey[h.key]) == 1 {
			keys = append(keys, h.key)
		}
		byKey[h.key] = append(byKey[h.key], h)
	}
	var out []string
	for _, k := range keys[:min(n, len(keys))] {
		var hs []string
		for _, h := range byKey[k] {
			end := "running"
			if !h.done.IsZero() {
				end = h.done.Sub(zero).Round(time.Millisecond).String()
			}
			hs = append(hs, fmt.Sprintf("%s %s..%s", h.ua, h.at.Sub(zero).Round(time.Millisecond), end))
		}
		out = append(out, k+" ["+strings.Join(hs, "; ")+"]")
	}
	return strings.Join(out, ", ")
}
