// Package bench measures hookworker against the limits of the machine it
// runs on. In one run it starts an embedded JetStream server and a local
// keep-alive HTTP target in this process, starts the worker under test as a
// separate process (so that its CPU time and memory are its own), and
// measures side by side:
//
//   - (a) the raw JetStream limit: N messages the size of the events
//     published and consumed, each acked, with the worker's concurrency;
//   - (b) the raw HTTP limit: N keep-alive POSTs of the body the worker
//     sends, to the same target, with the same concurrency;
//   - (c) hookworker end to end: N events fired as a burst and N Results
//     back, each checked, with the worker's CPU time per event;
//   - (d) latency at a paced rate: fired to Result, and fired to the
//     target's receipt of the request;
//   - the profile phase: a burst during which the worker's own CPU
//     profile (its ops listener's /debug/pprof/profile) is read and its
//     samples attributed to the phases of an event (decode, resolve,
//     render, HTTP, map, Result, ack, log, NATS I/O, GC), per event.
//
// The event is a preset (Presets: "realistic", an inline webhook POSTing
// a ~300-byte body with nested lookups, two mappers and a fresh reply
// inbox per event, and "heavy", with a condition, a loop and filters) or
// any event file of the same format; the target answers with its
// response and every Result is checked against its want.
//
// Each burst (a, b, c) is repeated and the median reported, because a
// single burst can hit a pull stall (nats.go v1.55 with nats-server v2.15:
// the server holds no pull request while the client thinks one is
// outstanding, until the client's heartbeat check expires the pull). The
// figure to quote is
// hookworker's ratio to the composite limit 1 / (1/a + 1/b): absolute
// rates drift with the machine.
package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookworker/hookworker/internal/natsd"
)

// settle lets the previous phase's stragglers (acks, idle connections,
// garbage) go before the next phase is timed.
func settle() { time.Sleep(100 * time.Millisecond) }

// Run runs the whole measurement. Everything it starts (server, target,
// worker process, temporary directory) is stopped and removed before it
// returns, also when ctx is cancelled.
func Run(ctx context.Context, o Options) (*Report, error) {
	o, err := o.normalize()
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	o.Log = &syncWriter{w: o.Log}
	p, err := o.loadPreset()
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	h := &harness{o: o, preset: p, run: runID()}
	defer h.close()
	if err := h.start(ctx); err != nil {
		return nil, err
	}
	if err := h.startWorker(ctx); err != nil {
		return nil, err
	}
	if !o.NoBaseline {
		if err := h.startBaseline(ctx); err != nil {
			return nil, err
		}
	}
	return h.measure(ctx)
}

// harness holds what one run starts.
type harness struct {
	o      Options
	preset *Preset
	run    string // unique per run: names and event ids

	dir    string
	srv    *natsd.Server
	target *target
	pubNC  *nats.Conn // publishes events and raw messages
	subNC  *nats.Conn // receives Results
	rawNC  *nats.Conn // the raw consumer's connection
	pub    *publisher
	rawJS  jetstream.JetStream
	raw    jetstream.Consumer
	res    *resultSink
	http   *http.Client // the raw HTTP phase's
	worker *workerProc
	more   []*workerProc // the other workers (Options.Workers)
	// cluster holds the nodes when the run has a cluster (srv is the
	// first); empty for one server.
	cluster []*natsd.Server
	base    *workerProc // the baseline worker, when it runs
	names   names
	// opsAddr is the worker's ops listener (its profile).
	opsAddr string
	// cur is the phase whose events the Result handler and the target
	// are following.
	cur atomic.Pointer[tracker]
}

// names are the worker's stream, consumer and subjects for this run.
type names struct {
	stream, consumer, firedPrefix, resultPrefix string
}

func runID() string {
	return strconv.FormatInt(time.Now().UnixNano()%1e12, 36)
}

func (h *harness) logf(format string, args ...any) {
	fmt.Fprintf(h.o.Log, "bench: "+format+"\n", args...)
}

// start starts the server, the target, the connections, the Result
// subscription and the raw phase's stream: everything but the worker.
func (h *harness) start(ctx context.Context) error {
	var err error
	if h.dir, err = os.MkdirTemp("", "hookbench-"); err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	if h.o.Cluster > 1 {
		if h.cluster, err = startCluster(h.dir, h.o.Cluster); err != nil {
			return fmt.Errorf("bench: %w", err)
		}
		h.srv = h.cluster[0]
	} else if h.srv, err = natsd.Start(natsd.Options{Host: "127.0.0.1", Port: -1, StoreDir: filepath.Join(h.dir, "jetstream")}); err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	if h.target, err = startTarget(h.preset, &h.cur); err != nil {
		return fmt.Errorf("bench: target: %w", err)
	}
	url := h.srv.ClientURL()
	for _, c := range []struct {
		nc   **nats.Conn
		name string
	}{{&h.pubNC, "hookbench-pub"}, {&h.subNC, "hookbench-results"}, {&h.rawNC, "hookbench-raw"}} {
		if *c.nc, err = nats.Connect(url, nats.Name(c.name), nats.MaxReconnects(0)); err != nil {
			return fmt.Errorf("bench: connect: %w", err)
		}
	}
	if h.pub, err = newPublisher(h.pubNC); err != nil {
		return err
	}
	if h.rawJS, err = jetstream.New(h.rawNC); err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	h.names = names{
		stream:       "HOOKBENCH_" + h.run,
		consumer:     "hookbench-" + h.run,
		firedPrefix:  "hookbench." + h.run + ".fired",
		resultPrefix: "hookbench." + h.run + ".result",
	}
	if h.res, err = subscribeResults(h.subNC, h.inboxPrefix()+".>", h.preset, &h.cur); err != nil {
		return err
	}
	h.http = newHTTPClient(h.o.Concurrency)
	if h.opsAddr, err = freeAddr(); err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	if err := h.setupRaw(ctx); err != nil {
		return err
	}
	return nil
}

// startWorker starts the worker processes (Workers of them, over the
// cluster's nodes) and waits until they consume.
func (h *harness) startWorker(ctx context.Context) error {
	h.logf("server %s (%d nodes), target %s; starting %d worker(s) %s", h.srv.ClientURL(), h.replicas(), h.target.url, h.o.Workers, h.o.WorkerBin)
	for i := range h.o.Workers {
		env := h.workerEnv()
		if i > 0 {
			env = append(env, "HOOKWORKER_OPS_LISTEN=127.0.0.1:0") // the first one's is profiled
		}
		p, err := startProc(h.o.WorkerBin, []string{"run", "--nats-url", h.nodeURL(i)}, env, h.dir, h.o.Log, "worker "+strconv.Itoa(i+1)+": ")
		if err != nil {
			return err
		}
		if i == 0 {
			h.worker = p
		} else {
			h.more = append(h.more, p)
		}
		// One at a time: each creates or updates the streams and
		// consumers when it starts, which a loaded cluster may not
		// answer in time for several at once.
		if err := h.waitPulling(ctx, p, h.names.stream, h.names.consumer, i+1); err != nil {
			return err
		}
	}
	return nil
}

// workerEnv is the worker's environment: this process's minus its
// HOOKWORKER_* settings, then the bench's, then the caller's extras.
func (h *harness) workerEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "HOOKWORKER_") {
			continue
		}
		env = append(env, kv)
	}
	env = append(env,
		"HOOKWORKER_HTTP_ALLOW=127.0.0.0/8",
		"HOOKWORKER_CONCURRENCY="+strconv.Itoa(h.o.Concurrency),
		"HOOKWORKER_MAX_ACK_PENDING="+strconv.Itoa(h.o.MaxAckPending),
		"HOOKWORKER_STREAM="+h.names.stream,
		"HOOKWORKER_CONSUMER="+h.names.consumer,
		"HOOKWORKER_FIRED_PREFIX="+h.names.firedPrefix,
		"HOOKWORKER_RESULT_PREFIX="+h.names.resultPrefix,
		"HOOKWORKER_SHUTDOWN_GRACE=5s",
		"HOOKWORKER_OPS_LISTEN="+h.opsAddr,
		"HOOKWORKER_OPS_PPROF=true",
		"HOOKWORKER_NATS_REPLICAS="+strconv.Itoa(h.replicas()),
	)
	return append(env, h.o.WorkerEnv...)
}

// waitReady waits until the worker's consumer exists and holds a pull
// request, i.e. the worker is consuming.
func (h *harness) waitReady(ctx context.Context) error {
	return h.waitPulling(ctx, h.worker, h.names.stream, h.names.consumer, len(h.workers()))
}

// waitPulling waits until consumer holds pull requests of n processes
// (p the first of them).
func (h *harness) waitPulling(ctx context.Context, p *workerProc, stream, consumer string, n int) error {
	deadline := time.Now().Add(30 * time.Second)
	var last error
	for time.Now().Before(deadline) {
		if err := p.exitErr(); err != nil {
			return err
		}
		cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		cons, err := h.rawJS.Consumer(cctx, stream, consumer)
		if err == nil {
			var info *jetstream.ConsumerInfo
			if info, err = cons.Info(cctx); err == nil && info.NumWaiting >= n {
				cancel()
				return nil
			}
		}
		cancel()
		last = err
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return fmt.Errorf("bench: %s is not consuming after 30s (last: %v)%s", consumer, last, p.tail())
}

func (h *harness) close() {
	h.stopWorkers()
	if h.base != nil {
		h.base.stop()
	}
	if h.http != nil {
		h.http.CloseIdleConnections()
	}
	if h.target != nil {
		h.target.close()
	}
	for _, nc := range []*nats.Conn{h.pubNC, h.subNC, h.rawNC} {
		if nc != nil {
			nc.Close()
		}
	}
	if len(h.cluster) > 0 {
		for _, s := range h.cluster {
			s.Shutdown()
		}
	} else if h.srv != nil {
		h.srv.Shutdown()
	}
	if h.dir != "" {
		_ = os.RemoveAll(h.dir)
	}
}

// measure runs the bursts and the paced phase and fills the report.
func (h *harness) measure(ctx context.Context) (*Report, error) {
	o := h.o
	rep := &Report{
		N: o.Events, Concurrency: o.Concurrency, MaxAckPending: o.MaxAckPending, Bursts: o.Bursts,
		GoVersion: runtime.Version(), CPUs: runtime.NumCPU(), LoadAvgStart: loadAvg(),
		Workers: o.Workers, ClusterNodes: h.replicas(), Bots: o.Bots,
		Preset: h.preset.Name, EventBytes: len(h.event("b0", o.Events-1)),
	}
	var jsUse, httpUse, hwUse, baseUse []cpuUse
	for k := range o.Bursts {
		js, ju, err := h.rawJetStream(ctx, k)
		if err != nil {
			return nil, err
		}
		settle()
		hs, hu, err := h.rawHTTP(ctx, k)
		if err != nil {
			return nil, err
		}
		settle()
		b, err := h.burst(ctx, k)
		if err != nil {
			return nil, err
		}
		settle()
		if h.base != nil {
			w, err := h.baselineBurst(ctx, k)
			if err != nil {
				return nil, err
			}
			settle()
			baseUse = append(baseUse, w.use)
			rep.Runs.BaselineEPS = append(rep.Runs.BaselineEPS, w.eps)
			rep.Runs.BaselineCPUUsPerEvent = append(rep.Runs.BaselineCPUUsPerEvent, us(w.use.base)/float64(o.Events))
			rep.ResultsChecked += w.checked
			h.logf("burst %d/%d: baseline %.0f/s (%.2f of composite), %.1f µs CPU/event",
				k+1, o.Bursts, w.eps, w.eps/composite(js, hs), us(w.use.base)/float64(o.Events))
		}
		jsUse, httpUse, hwUse = append(jsUse, ju), append(httpUse, hu), append(hwUse, b.use)
		rep.Runs.JetStreamEPS = append(rep.Runs.JetStreamEPS, js)
		rep.Runs.HTTPEPS = append(rep.Runs.HTTPEPS, hs)
		rep.Runs.HookworkerEPS = append(rep.Runs.HookworkerEPS, b.eps)
		rep.Runs.WorkerCPUUsPerEvent = append(rep.Runs.WorkerCPUUsPerEvent, us(b.use.worker)/float64(o.Events))
		rep.ResultsChecked += b.checked
		rep.Duplicates += b.dups
		h.logf("burst %d/%d: jetstream %.0f/s, http %.0f/s, hookworker %.0f/s (%.2f of composite); worker %.1f µs CPU/event, other processes %.0f%% of the CPUs",
			k+1, o.Bursts, js, hs, b.eps, b.eps/composite(js, hs), us(b.use.worker)/float64(o.Events),
			100*phaseCPU([]cpuUse{b.use}, o.Events).OthersShare)
	}
	rep.CPU = CPU{
		JetStream:  phaseCPU(jsUse, o.Events),
		HTTP:       phaseCPU(httpUse, o.Events),
		Hookworker: phaseCPU(hwUse, o.Events),
	}
	rep.JetStreamEPS = median(rep.Runs.JetStreamEPS)
	rep.HTTPEPS = median(rep.Runs.HTTPEPS)
	rep.HookworkerEPS = median(rep.Runs.HookworkerEPS)
	rep.CompositeEPS = composite(rep.JetStreamEPS, rep.HTTPEPS)
	rep.Ratio = rep.HookworkerEPS / rep.CompositeEPS
	rep.WorkerCPUUsPerEvent = median(rep.Runs.WorkerCPUUsPerEvent)
	if v, ok := h.workerCounter(ctx, "hookworker_pull_stalls_total"); ok {
		rep.PullStalls = int(v)
	}
	for _, eps := range rep.Runs.HookworkerEPS {
		if eps < rep.HookworkerEPS/stallFactor {
			rep.SlowBursts++
		}
	}
	if h.base != nil {
		rep.CPU.Baseline = phaseCPU(baseUse, o.Events)
		rep.Baseline = &Baseline{
			EPS: median(rep.Runs.BaselineEPS), CPUUsPerEvent: median(rep.Runs.BaselineCPUUsPerEvent),
		}
		rep.Baseline.Ratio = rep.Baseline.EPS / rep.CompositeEPS
		if rep.Baseline.CPUUsPerEvent > 0 {
			rep.Baseline.WorkerCPUShare = rep.WorkerCPUUsPerEvent / rep.Baseline.CPUUsPerEvent
		}
		h.base.stop() // idle from here on: its pulls would cost the others
	}

	if o.ProfileSeconds > 0 && o.Workers > 1 {
		h.logf("profile: skipped with %d workers (it reads one worker's profile)", o.Workers)
	} else if o.ProfileSeconds > 0 {
		prof, err := h.profiled(ctx, o.ProfileSeconds, rep.HookworkerEPS)
		if err != nil {
			return nil, err
		}
		rep.Profile = prof
		rep.ResultsChecked += prof.BurstEvents
		settle()
	}

	rate := o.Rate
	if rate == 0 {
		rate = rep.HookworkerEPS / 2
	}
	p, err := h.paced(ctx, "p", rate, o.Duration)
	if err != nil {
		return nil, err
	}
	rep.Paced = p.info
	rep.LatencyMS = Latency{FiredToResult: p.toResult, FiredToTarget: p.toTarget}
	rep.ResultsChecked += p.checked
	rep.Duplicates += p.dups
	if o.HalfRate && rate != rep.HookworkerEPS/2 {
		settle()
		p, err := h.paced(ctx, "h", rep.HookworkerEPS/2, o.Duration)
		if err != nil {
			return nil, err
		}
		rep.HalfBurst = &PacedRun{Paced: p.info, LatencyMS: Latency{FiredToResult: p.toResult, FiredToTarget: p.toTarget}}
		rep.ResultsChecked += p.checked
		rep.Duplicates += p.dups
	}
	rep.ResultsOK = true

	if rss, ok := h.workersPeakRSS(); ok {
		rep.WorkerPeakRSSMB = float64(rss) / (1 << 20)
	}
	h.stopWorkers()
	if rep.WorkerPeakRSSMB == 0 {
		if rss, ok := h.workersPeakRSS(); ok {
			rep.WorkerPeakRSSMB = float64(rss) / (1 << 20)
		}
	}
	h.more = nil // the backlog phase runs one fresh worker
	if o.Backlog > 0 {
		if rep.Backlog, err = h.backlog(ctx, o.Backlog); err != nil {
			return nil, err
		}
		rep.ResultsChecked += o.Backlog
	}
	rep.LoadAvgEnd = loadAvg()
	return rep, nil
}

// stallFactor: a burst this many times slower than the median counts
// as slow (a pull stall looks so).
const stallFactor = 3

// composite is the rate of a pipeline bound by both limits in series.
func composite(a, b float64) float64 {
	if a <= 0 || b <= 0 {
		return 0
	}
	return 1 / (1/a + 1/b)
}

func us(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

// syncWriter serializes writes from the phases and the worker's log.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}
