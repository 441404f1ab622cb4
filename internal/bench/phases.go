package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookworker/hookworker/trigger"
)

// phaseTimeout bounds one burst of n events. A pull stall lasts at most
// the pull expiry (5s) per occurrence.
func phaseTimeout(n int) time.Duration {
	return time.Minute + time.Duration(n)*2*time.Millisecond
}

// wait waits for done, within timeout, while the worker runs.
func (h *harness) wait(ctx context.Context, done <-chan struct{}, timeout time.Duration, what string, progress func() string) error {
	var exited <-chan struct{} // nil: no worker (a raw phase alone)
	tail := ""
	if h.worker != nil {
		exited = h.worker.exited
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-exited:
		return fmt.Errorf("bench: %s: %w", what, h.worker.exitErr())
	case <-t.C:
		if h.worker != nil {
			tail = h.worker.tail()
		}
		return fmt.Errorf("bench: %s: not done after %s: %s%s", what, timeout, progress(), tail)
	}
}

// rawStream and rawConsumer are the raw JetStream phase's names.
func (h *harness) rawStream() string  { return "HOOKBENCH_RAW_" + h.run }
func (h *harness) rawSubject() string { return "hookbench." + h.run + ".raw.bench" }

// setupRaw creates the raw phase's stream and consumer, configured as the
// worker configures its own.
func (h *harness) setupRaw(ctx context.Context) error {
	_, err := h.rawJS.CreateStream(ctx, jetstream.StreamConfig{
		Name:       h.rawStream(),
		Subjects:   []string{"hookbench." + h.run + ".raw.>"},
		Retention:  jetstream.WorkQueuePolicy,
		Storage:    jetstream.FileStorage,
		Replicas:   h.replicas(),
		Duplicates: 2 * time.Minute,
	})
	if err != nil {
		return fmt.Errorf("bench: raw stream: %w", err)
	}
	h.raw, err = h.rawJS.CreateOrUpdateConsumer(ctx, h.rawStream(), jetstream.ConsumerConfig{
		Durable:       "raw",
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       30 * time.Second,
		MaxDeliver:    20,
		MaxAckPending: h.o.MaxAckPending,
		DeliverPolicy: jetstream.DeliverAllPolicy,
	})
	if err != nil {
		return fmt.Errorf("bench: raw consumer: %w", err)
	}
	return nil
}

// rawJetStream is burst k of phase (a): N messages the size of the
// events are published while a pool of Concurrency goroutines, fed by one
// Consume callback as in the worker, acks them. It returns messages/s from
// the first publish to the N-th distinct ack.
func (h *harness) rawJetStream(ctx context.Context, k int) (float64, cpuUse, error) {
	n, conc := h.o.Events, h.o.Concurrency
	phase := "r" + strconv.Itoa(k)
	data := make([][]byte, n)
	for i := range data {
		data[i] = h.event(phase, i)
	}
	tr := newTracker(h.run, phase, n) // counts distinct acks; no Results
	msgs := make(chan jetstream.Msg)
	stop := make(chan struct{})
	var ackErrs atomic.Int64
	var wg sync.WaitGroup
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case m := <-msgs:
					if err := m.Ack(); err != nil {
						ackErrs.Add(1)
						continue
					}
					i, ok := tr.index(m.Headers().Get(trigger.HeaderMsgID))
					if ok && tr.result[i].CompareAndSwap(0, tr.since(time.Now())) {
						if tr.got.Add(1) == int64(n) {
							tr.lastAt.Store(tr.since(time.Now()))
							close(tr.done)
						}
					}
				case <-stop:
					return
				}
			}
		}()
	}
	cc, err := h.raw.Consume(func(m jetstream.Msg) {
		select {
		case msgs <- m:
		case <-stop:
		}
	},
		jetstream.PullMaxMessages(conc),
		jetstream.PullExpiry(5*time.Second),
		jetstream.ConsumeErrHandler(func(jetstream.ConsumeContext, error) {}),
	)
	if err != nil {
		close(stop)
		wg.Wait()
		return 0, cpuUse{}, fmt.Errorf("bench: raw consume: %w", err)
	}
	defer func() {
		cc.Stop()
		close(stop)
		wg.Wait()
	}()

	c0 := h.sampleCPU()
	for i, d := range data {
		if err := h.pub.publish(ctx, h.rawSubject(), h.eventID(phase, i), d); err != nil {
			return 0, cpuUse{}, err
		}
	}
	if err := h.wait(ctx, tr.done, phaseTimeout(n), "raw JetStream", func() string {
		return fmt.Sprintf("%d of %d acked, %d ack errors", tr.got.Load(), n, ackErrs.Load())
	}); err != nil {
		return 0, cpuUse{}, err
	}
	use := c0.until(h.sampleCPU())
	if err := h.pub.check(); err != nil {
		return 0, cpuUse{}, err
	}
	return rate(n, tr.at(tr.lastAt.Load()).Sub(c0.at)), use, nil
}

// newHTTPClient is the raw phase's client: a keep-alive pool as large as
// the worker's.
func newHTTPClient(conc int) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil
	tr.MaxIdleConns = conc * 4
	tr.MaxIdleConnsPerHost = conc
	tr.IdleConnTimeout = 90 * time.Second
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}
}

// rawHTTP is burst k of phase (b): N keep-alive POSTs of the worker's
// body and headers to the target, by Concurrency goroutines. It returns
// requests/s.
func (h *harness) rawHTTP(ctx context.Context, k int) (float64, cpuUse, error) {
	n, conc := h.o.Events, h.o.Concurrency
	phase := "h" + strconv.Itoa(k)
	reqs := make([]sentRequest, n)
	r := newRenderer()
	for i := range reqs {
		var err error
		if reqs[i], err = r.request(h.event(phase, i)); err != nil {
			return 0, cpuUse{}, fmt.Errorf("bench: render the raw HTTP phase's request: %w", err)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, phaseTimeout(n))
	defer cancel()
	var next atomic.Int64
	var mu sync.Mutex
	var firstErr error
	var wg sync.WaitGroup
	c0 := h.sampleCPU()
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				err := h.post(ctx, &reqs[i], h.eventID(phase, i))
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
						cancel()
					}
					mu.Unlock()
					return
				}
			}
		}()
	}
	wg.Wait()
	use := c0.until(h.sampleCPU())
	if firstErr != nil {
		return 0, cpuUse{}, fmt.Errorf("bench: raw HTTP: %w", firstErr)
	}
	return rate(n, use.elapsed), use, nil
}

// post sends r as the worker does: its rendered headers, the worker's
// User-Agent and the event's Idempotency-Key.
func (h *harness) post(ctx context.Context, r *sentRequest, key string) error {
	req, err := http.NewRequestWithContext(ctx, r.method, r.url, bytes.NewReader(r.body))
	if err != nil {
		return err
	}
	for k, v := range r.header {
		req.Header[k] = v
	}
	if req.Header.Get("Content-Type") == "" && len(r.body) > 0 {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("User-Agent", "hookworker/1")
	req.Header.Set("Idempotency-Key", key)
	resp, err := h.http.Do(req)
	if err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err == nil && resp.StatusCode != h.preset.status {
		err = fmt.Errorf("status %d", resp.StatusCode)
	}
	return err
}

// burstResult is one burst of phase (c).
type burstResult struct {
	eps     float64
	use     cpuUse
	checked int
	dups    int
}

// burst is burst k of phase (c): N events published at once, N distinct
// Results awaited and checked. Events/s is from the first publish to the
// N-th distinct Result.
func (h *harness) burst(ctx context.Context, k int) (burstResult, error) {
	return h.burstOn(ctx, k, "b", h.firedSubject)
}

// burstOn is burst k of events with phase letter ph, event i published
// on subject(i).
func (h *harness) burstOn(ctx context.Context, k int, ph string, subject func(int) string) (burstResult, error) {
	n := h.o.Events
	phase := ph + strconv.Itoa(k)
	data := make([][]byte, n)
	for i := range data {
		data[i] = h.event(phase, i)
	}
	tr := newTracker(h.run, phase, n)
	h.cur.Store(tr)
	c0 := h.sampleCPU()
	for i, d := range data {
		if err := h.pub.publish(ctx, subject(i), h.eventID(phase, i), d); err != nil {
			return burstResult{}, err
		}
	}
	if err := h.wait(ctx, tr.done, phaseTimeout(n), fmt.Sprintf("burst %d", k+1), tr.progress); err != nil {
		return burstResult{}, err
	}
	use := c0.until(h.sampleCPU())
	if err := h.pub.check(); err != nil {
		return burstResult{}, err
	}
	if err := tr.check(); err != nil {
		return burstResult{}, fmt.Errorf("bench: burst %d: %w", k+1, err)
	}
	return burstResult{
		eps: rate(n, tr.at(tr.lastAt.Load()).Sub(c0.at)), use: use,
		checked: n, dups: int(tr.dups.Load()),
	}, nil
}

// pacedResult is phase (d).
type pacedResult struct {
	info               Paced
	toResult, toTarget Percentiles
	checked, dups      int
}

// paced is phase (d): events fired at rate for d, each with its fired
// time, then fired->Result and fired->target percentiles.
func (h *harness) paced(ctx context.Context, phase string, r float64, d time.Duration) (pacedResult, error) {
	count := max(1, int(math.Round(r*d.Seconds())))
	if count > maxEvents {
		return pacedResult{}, fmt.Errorf("bench: paced phase: %d events, over %d", count, maxEvents)
	}
	h.logf("paced: %d events at %.0f/s", count, r)
	data := make([][]byte, count)
	for i := range data {
		data[i] = h.event(phase, i)
	}
	tr := newTracker(h.run, phase, count)
	h.cur.Store(tr)
	interval := time.Duration(float64(time.Second) / r)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	c0 := h.sampleCPU()
	start := c0.at
	for i, ev := range data {
		due := start.Add(time.Duration(i) * interval)
		if wait := time.Until(due); wait > 0 {
			timer.Reset(wait)
			select {
			case <-timer.C:
			case <-ctx.Done():
				return pacedResult{}, ctx.Err()
			}
		}
		tr.fired[i].Store(tr.since(time.Now()))
		if err := h.pub.publish(ctx, h.firedSubject(i), h.eventID(phase, i), ev); err != nil {
			return pacedResult{}, err
		}
	}
	span := tr.at(tr.fired[count-1].Load()).Sub(start)
	if err := h.wait(ctx, tr.done, phaseTimeout(count), "paced phase", tr.progress); err != nil {
		return pacedResult{}, err
	}
	use := c0.until(h.sampleCPU())
	if err := h.pub.check(); err != nil {
		return pacedResult{}, err
	}
	if err := tr.check(); err != nil {
		return pacedResult{}, fmt.Errorf("bench: paced phase: %w", err)
	}
	toResult := make([]time.Duration, 0, count)
	toTarget := make([]time.Duration, 0, count)
	for i := range count {
		f := tr.fired[i].Load()
		toResult = append(toResult, time.Duration(tr.result[i].Load()-f))
		if t := tr.target[i].Load(); t != 0 {
			toTarget = append(toTarget, time.Duration(t-f))
		}
	}
	if len(toTarget) != count {
		return pacedResult{}, fmt.Errorf("bench: paced phase: the target saw %d of %d events", len(toTarget), count)
	}
	achieved := r
	if count > 1 && span > 0 {
		achieved = float64(count-1) / span.Seconds()
	}
	return pacedResult{
		info: Paced{
			Rate: r, AchievedRate: achieved, DurationS: d.Seconds(), Events: count,
			WorkerCPUUsPerEvent: us(use.worker) / float64(count),
		},
		toResult: percentiles(toResult), toTarget: percentiles(toTarget),
		checked: count, dups: int(tr.dups.Load()),
	}, nil
}

// rate is n per elapsed, in events/s.
func rate(n int, elapsed time.Duration) float64 {
	if elapsed <= 0 {
		return 0
	}
	return float64(n) / elapsed.Seconds()
}

// backlog is the backlog phase: with no worker running, n events are
// stored; then a fresh worker process drains them while its peak RSS is
// watched. The previous worker must have been stopped.
func (h *harness) backlog(ctx context.Context, n int) (*Backlog, error) {
	phase := "q"
	tr := newTracker(h.run, phase, n)
	h.cur.Store(tr)
	h.logf("backlog: storing %d events with no worker running", n)
	start := time.Now()
	for i := range n {
		// Made one at a time: a million events would take ~0.7 GB at once.
		if err := h.pub.publish(ctx, h.firedSubject(i), h.eventID(phase, i), h.event(phase, i)); err != nil {
			return nil, err
		}
		if (i+1)%200_000 == 0 {
			h.logf("backlog: %d stored", i+1)
		}
	}
	if err := h.pub.wait(ctx); err != nil {
		return nil, err
	}
	if err := h.pub.check(); err != nil {
		return nil, err
	}
	published := time.Since(start)
	b := &Backlog{Events: n, PublishS: published.Seconds()}
	if info, err := h.streamInfo(ctx); err == nil {
		b.ServerStoredMB = float64(info.State.Bytes) / (1 << 20)
		if info.State.Msgs != uint64(n) {
			return nil, fmt.Errorf("bench: backlog: the stream holds %d messages, want %d", info.State.Msgs, n)
		}
	}
	h.logf("backlog: %d events (%.0f MB) stored in %s; starting a fresh worker", n, b.ServerStoredMB, published.Round(time.Millisecond))

	var err error
	if h.worker, err = startWorker(h.o.WorkerBin, h.srv.ClientURL(), h.workerEnv(), h.dir, h.o.Log); err != nil {
		return nil, err
	}
	c0 := h.sampleCPU()
	progress := func() string {
		rss, _ := h.worker.peakRSS() // VmHWM: the kernel keeps the peak
		return fmt.Sprintf("%s, worker peak RSS %.1f MB", tr.progress(), float64(rss)/(1<<20))
	}
	tick := time.NewTicker(10 * time.Second)
	defer tick.Stop()
	stopTick := make(chan struct{})
	defer close(stopTick)
	go func() {
		for {
			select {
			case <-tick.C:
				h.logf("backlog: %s", progress())
			case <-stopTick:
				return
			}
		}
	}()
	if err := h.wait(ctx, tr.done, phaseTimeout(n), "backlog", progress); err != nil {
		return nil, err
	}
	use := c0.until(h.sampleCPU())
	if err := tr.check(); err != nil {
		return nil, fmt.Errorf("bench: backlog: %w", err)
	}
	if rss, ok := h.worker.peakRSS(); ok {
		b.WorkerPeakRSSMB = float64(rss) / (1 << 20)
	}
	if v, ok := h.workerCounter(ctx, "hookworker_pull_stalls_total"); ok {
		b.PullStalls = int(v)
	}
	h.worker.stop()
	if b.WorkerPeakRSSMB == 0 {
		if rss, ok := h.worker.maxRSSAfterExit(); ok {
			b.WorkerPeakRSSMB = float64(rss) / (1 << 20)
		}
	}
	drained := tr.at(tr.lastAt.Load()).Sub(c0.at)
	b.DrainS = drained.Seconds()
	b.DrainEPS = rate(n, drained)
	b.WorkerCPUUsPerEvent = us(use.worker) / float64(n)
	return b, nil
}

// streamInfo is the worker's trigger stream's state.
func (h *harness) streamInfo(ctx context.Context) (*jetstream.StreamInfo, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	s, err := h.rawJS.Stream(ctx, h.names.stream)
	if err != nil {
		return nil, err
	}
	return s.Info(ctx)
}
