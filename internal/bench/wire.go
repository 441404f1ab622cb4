package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookworker/hookworker/trigger"
)

// eventID is the id of event i of a phase: <run>-<phase>-<i>.
func (h *harness) eventID(phase string, i int) string {
	return h.run + "-" + phase + "-" + strconv.Itoa(i)
}

// inbox is the reply_to of event i of a phase: a fresh inbox per event,
// as a conversation engine waiting for each Result uses.
func (h *harness) inbox(phase string, i int) string {
	return h.inboxPrefix() + "." + phase + "." + strconv.Itoa(i)
}

func (h *harness) inboxPrefix() string { return "_INBOX.hookbench." + h.run }

// event is event i of a phase, its webhook calling the target.
func (h *harness) event(phase string, i int) []byte {
	return h.preset.event(h.eventID(phase, i), h.bot(i), h.inbox(phase, i), h.target.url)
}

// bot is the bot of event i: the preset's, or with Bots above 1 one of
// that many (<bot>-<k>, in turn), as events of many bots arrive.
func (h *harness) bot(i int) string {
	if h.o.Bots <= 1 {
		return h.preset.Bot()
	}
	return h.preset.Bot() + "-" + strconv.Itoa(i%h.o.Bots)
}

// firedSubject is the trigger subject of event i (its bot's).
func (h *harness) firedSubject(i int) string {
	return trigger.FiredSubject(h.names.firedPrefix, h.bot(i))
}

// tracker follows the events of one phase. Times are nanoseconds since
// base (0: not yet), indexed by event number, so that the Result handler,
// the target and the publisher share them without locks.
type tracker struct {
	prefix string // <run>-<phase>-
	n      int
	base   time.Time

	fired, target, result []atomic.Int64

	got     atomic.Int64 // distinct Results
	lastAt  atomic.Int64 // when the n-th distinct Result arrived
	dups    atomic.Int64
	bad     atomic.Int64
	badMu   sync.Mutex
	firstBd string
	done    chan struct{}
}

func newTracker(run, phase string, n int) *tracker {
	return &tracker{
		prefix: run + "-" + phase + "-", n: n, base: time.Now(),
		fired: make([]atomic.Int64, n), target: make([]atomic.Int64, n), result: make([]atomic.Int64, n),
		done: make(chan struct{}),
	}
}

// since is t as a tracker time (never 0).
func (tr *tracker) since(t time.Time) int64 { return max(1, int64(t.Sub(tr.base))) }

// at is tracker time ns as a wall-clock time.
func (tr *tracker) at(ns int64) time.Time { return tr.base.Add(time.Duration(ns)) }

// index is the event number of id, if id is one of this phase's.
func (tr *tracker) index(id string) (int, bool) {
	rest, ok := strings.CutPrefix(id, tr.prefix)
	if !ok {
		return 0, false
	}
	i, err := strconv.Atoi(rest)
	if err != nil || i < 0 || i >= tr.n {
		return 0, false
	}
	return i, true
}

func (tr *tracker) fail(msg string) {
	if tr.bad.Add(1) == 1 {
		tr.badMu.Lock()
		tr.firstBd = msg
		tr.badMu.Unlock()
	}
}

// check is nil when every Result so far passed the check.
func (tr *tracker) check() error {
	n := tr.bad.Load()
	if n == 0 {
		return nil
	}
	tr.badMu.Lock()
	defer tr.badMu.Unlock()
	return fmt.Errorf("%d of %d Results failed the check; first: %s", n, tr.n, tr.firstBd)
}

func (tr *tracker) progress() string {
	return fmt.Sprintf("%d of %d Results", tr.got.Load(), tr.n)
}

// wireResult is the part of a Result the bench checks.
type wireResult struct {
	EventID    string         `json:"event_id"`
	Status     string         `json:"status"`
	CVars      map[string]any `json:"cvars"`
	HTTPStatus int            `json:"http_status"`
	Error      *trigger.Error `json:"error"`
}

// checkResult is "" when r is what the preset's event must give.
func (p *Preset) checkResult(r *wireResult) string {
	switch {
	case r.Status != string(trigger.StatusSucceeded):
		if r.Error != nil {
			return fmt.Sprintf("event %s: status %s (%s: %s)", r.EventID, r.Status, r.Error.Class, r.Error.Message)
		}
		return fmt.Sprintf("event %s: status %s", r.EventID, r.Status)
	case r.HTTPStatus != p.status:
		return fmt.Sprintf("event %s: http_status %d, want %d", r.EventID, r.HTTPStatus, p.status)
	}
	if msg := p.checkCVars(r.CVars); msg != "" {
		return "event " + r.EventID + ": " + msg
	}
	return ""
}

// resultSink receives the Results (core NATS) and hands them to the
// current phase's tracker.
type resultSink struct {
	preset *Preset
	cur    *atomic.Pointer[tracker]
	sub    *nats.Subscription
	stray  atomic.Int64 // Results of no current phase
}

func subscribeResults(nc *nats.Conn, subject string, p *Preset, cur *atomic.Pointer[tracker]) (*resultSink, error) {
	s := &resultSink{preset: p, cur: cur}
	sub, err := nc.Subscribe(subject, s.handle)
	if err != nil {
		return nil, fmt.Errorf("bench: subscribe to Results: %w", err)
	}
	// A burst's Results must never be dropped as a slow consumer.
	if err := sub.SetPendingLimits(-1, -1); err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	if err := nc.Flush(); err != nil {
		return nil, fmt.Errorf("bench: subscribe to Results: %w", err)
	}
	s.sub = sub
	return s, nil
}

// handle runs serially (one subscription).
func (s *resultSink) handle(m *nats.Msg) {
	now := time.Now()
	tr := s.cur.Load()
	if tr == nil {
		s.stray.Add(1)
		return
	}
	// The checker shares the machine with the worker: a Result exactly
	// as expected is recognised by a scan, anything else decoded in full.
	id, good := s.preset.quickCheck(m.Data)
	var r wireResult
	if !good {
		dec := json.NewDecoder(bytes.NewReader(m.Data))
		dec.UseNumber()
		if err := dec.Decode(&r); err != nil {
			tr.fail(fmt.Sprintf("a Result that is not JSON: %v", err))
			return
		}
		id = r.EventID
	}
	i, ok := tr.index(id)
	if !ok {
		s.stray.Add(1)
		return
	}
	if !tr.result[i].CompareAndSwap(0, tr.since(now)) {
		tr.dups.Add(1)
		return
	}
	if !good {
		if msg := s.preset.checkResult(&r); msg != "" {
			tr.fail(msg)
		}
	}
	if tr.got.Add(1) == int64(tr.n) {
		tr.lastAt.Store(tr.since(now))
		close(tr.done)
	}
}

// target is the local HTTP server the webhooks call: keep-alive, the
// preset's answer, and the first arrival of each event's request
// (by Idempotency-Key) recorded in the current tracker.
type target struct {
	preset   *Preset
	url      string
	srv      *http.Server
	cur      *atomic.Pointer[tracker]
	requests atomic.Int64
	done     chan struct{}
}

func startTarget(p *Preset, cur *atomic.Pointer[tracker]) (*target, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	t := &target{preset: p, url: "http://" + ln.Addr().String(), cur: cur, done: make(chan struct{})}
	t.srv = &http.Server{Handler: t, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 5 * time.Minute}
	go func() {
		defer close(t.done)
		_ = t.srv.Serve(ln)
	}()
	return t, nil
}

func (t *target) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	now := time.Now()
	t.requests.Add(1)
	if tr := t.cur.Load(); tr != nil {
		if i, ok := tr.index(r.Header.Get("Idempotency-Key")); ok {
			tr.target[i].CompareAndSwap(0, tr.since(now))
		}
	}
	_, _ = io.Copy(io.Discard, r.Body)
	h := w.Header()
	for k, v := range t.preset.header {
		h[k] = v
	}
	w.WriteHeader(t.preset.status)
	_, _ = w.Write(t.preset.body)
}

func (t *target) close() {
	_ = t.srv.Close()
	<-t.done
}

// publishWindow is how many async publishes may await their PubAck.
const publishWindow = 1000

// publisher publishes asynchronously in windows and counts failures.
type publisher struct {
	js    jetstream.JetStream
	errs  atomic.Int64
	mu    sync.Mutex
	first error
}

func newPublisher(nc *nats.Conn) (*publisher, error) {
	p := &publisher{}
	js, err := jetstream.New(nc,
		jetstream.WithPublishAsyncMaxPending(4*publishWindow),
		jetstream.WithPublishAsyncTimeout(30*time.Second),
		jetstream.WithPublishAsyncErrHandler(func(_ jetstream.JetStream, _ *nats.Msg, err error) {
			if p.errs.Add(1) == 1 {
				p.mu.Lock()
				p.first = err
				p.mu.Unlock()
			}
		}))
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	p.js = js
	return p, nil
}

// publish sends one message with its Nats-Msg-Id, first waiting for the
// PubAcks of a full window.
func (p *publisher) publish(ctx context.Context, subject, id string, data []byte) error {
	if p.js.PublishAsyncPending() >= publishWindow {
		if err := p.wait(ctx); err != nil {
			return err
		}
	}
	msg := &nats.Msg{Subject: subject, Data: data, Header: nats.Header{trigger.HeaderMsgID: []string{id}}}
	if _, err := p.js.PublishMsgAsync(msg); err != nil {
		return fmt.Errorf("bench: publish: %w", err)
	}
	return nil
}

// wait waits until every PubAck is in.
func (p *publisher) wait(ctx context.Context) error {
	t := time.NewTimer(time.Minute)
	defer t.Stop()
	select {
	case <-p.js.PublishAsyncComplete():
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return errors.New("bench: PubAcks did not arrive within a minute")
	}
}

// check reports publishes that failed since the last check.
func (p *publisher) check() error {
	n := p.errs.Swap(0)
	if n == 0 {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return fmt.Errorf("bench: %d publishes failed; first: %v", n, p.first)
}
