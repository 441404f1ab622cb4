package worker

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/jonboulle/clockwork"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/hookworker/hookworker/internal/config"
	"github.com/hookworker/hookworker/internal/deadletter"
	"github.com/hookworker/hookworker/internal/hostguard"
	"github.com/hookworker/hookworker/internal/marketplace"
	"github.com/hookworker/hookworker/internal/registry"
	"github.com/hookworker/hookworker/internal/secret"
	"github.com/hookworker/hookworker/internal/streams"
	"github.com/hookworker/hookworker/internal/watchdog"
	"github.com/hookworker/hookworker/render"
	"github.com/hookworker/hookworker/trigger"
)

// unorderedSeenMax bounds the ordered webhooks remembered as warned about.
const unorderedSeenMax = 10_000

// Registry resolves webhook_ref: the definition, and what the registry
// compiled it to (a registry built with [Compile] of the worker's Env, so
// that its definitions are compiled once, when they are loaded).
type Registry interface {
	Lookup(ctx context.Context, id string, revision uint64) (registry.Entry, error)
}

// SecretScope resolves {{ secrets.NAME }} for the events of one bot: that
// bot's own secrets and the worker's shared ones, never another bot's.
type SecretScope interface {
	For(bot string) secret.Source
}

// Deps are what a Worker is built from.
type Deps struct {
	// Conn is the NATS connection; the worker does not close it.
	Conn *nats.Conn
	// HTTP is the client every attempt uses. Nil: a keep-alive client
	// built from the config.
	HTTP *http.Client
	// Logger receives one line per terminal outcome and the worker's
	// errors. Nil: no logs.
	Logger *zap.Logger
	// Clock is the worker's one clock (see sleep); nil: the real one.
	Clock clockwork.Clock
	// Registry resolves webhook_ref; nil: every ref is unknown.
	Registry Registry
	// Templates resolves inline definitions that use a Webhook Template;
	// nil: none can.
	Templates *marketplace.Marketplace
	// Secrets gives the events of each bot the secrets that bot may see
	// (secret.Scope); nil: none are defined.
	Secrets SecretScope
	// Env renders templates; nil: a sandboxed environment with default
	// limits.
	Env *render.Env
	// Metrics receives measurements (package metrics); nil: none are
	// taken.
	Metrics Metrics
}

// Worker consumes events and runs their webhooks.
type Worker struct {
	cfg  config.Config
	nc   *nats.Conn
	js   jetstream.JetStream
	http *http.Client
	// direct is http's transport, and fast the HTTP/1.1 client beside
	// it, when redirects are off and the client is the worker's own (see
	// httpclient.go); nil otherwise.
	direct http.RoundTripper
	fast   *fastClient
	log    *zap.Logger
	// successLog writes the outcome lines of succeeded and skipped
	// events, sampled (log.success_sample).
	successLog *zap.Logger
	clock      clockwork.Clock
	registry   Registry
	market     *marketplace.Marketplace
	secrets    SecretScope
	env        *render.Env
	// topo is every stream, consumer and bucket the worker creates.
	topo streams.Topology
	// tenancy confines each event to the bot of its subject.
	tenancy trigger.Tenancy
	results *resultRouter
	letters *deadletter.Store
	// histories, triggerStream, retryStream and retryCons are set by
	// Setup.
	histories     *historyStore
	triggerStream jetstream.Stream
	retryStream   jetstream.Stream
	retryCons     jetstream.Consumer
	inflight      *inflight
	// loops are the consume loops of Run; pausedSeqs holds, by consumer,
	// a pausedSeq (see deliveredBeforePause).
	loopsMu    sync.Mutex
	loops      []*consumeLoop
	pausedSeqs sync.Map
	share      *botShare
	// park is set by Run (nil: no parking).
	park   *park
	health *writeHealth
	// backstopDelays pace the backstop's tries (backstopDelays).
	backstopDelays []time.Duration
	// watch recreates what goes missing of topo; set by Run (nil before,
	// and when worker.topology_check is 0).
	watch atomic.Pointer[watchdog.Watchdog]

	compiled *compiledCache
	guard    *hostguard.Guard
	decoder  *trigger.Decoder

	metrics Metrics
	// unorderedSeen holds the ids of ordered webhooks already warned
	// about (see unordered), the least recently warned forgotten first:
	// the ids of inline webhooks come from events, so the set is bounded.
	unorderedSeen *lru.Cache[string, struct{}]
	// copies are the messages this process runs or settled (copies.go).
	copies *copies
	// startErr is why setup is being tried again (a string), for Ready.
	startErr atomic.Value
	// state is stateNew, stateRunning, stateDraining or stateStopped.
	state atomic.Int32
}

// New builds a worker. It does not touch the server until Run.
func New(cfg config.Config, d Deps) (*Worker, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("worker: %w", err)
	}
	if d.Conn == nil {
		return nil, errors.New("worker: a NATS connection is required")
	}
	js, err := jetstream.New(d.Conn)
	if err != nil {
		return nil, fmt.Errorf("worker: %w", err)
	}
	w := &Worker{
		cfg:      cfg,
		topo:     streams.NewTopology(cfg),
		tenancy:  tenancyOf(cfg),
		nc:       d.Conn,
		js:       js,
		http:     d.HTTP,
		log:      d.Logger,
		clock:    d.Clock,
		registry: d.Registry,
		market:   d.Templates,
		secrets:  d.Secrets,
		env:      d.Env,
		metrics:  d.Metrics,
	}
	if w.http == nil {
		if err := w.ownHTTP(cfg.HTTP, cfg.Worker.Concurrency); err != nil {
			return nil, fmt.Errorf("worker: %w", err)
		}
	}
	if w.log == nil {
		w.log = zap.NewNop()
	}
	w.successLog = w.log
	if n := cfg.Log.SuccessSample; n > 0 {
		w.successLog = w.log.WithOptions(zap.WrapCore(func(c zapcore.Core) zapcore.Core {
			return zapcore.NewSamplerWithOptions(c, time.Second, n, n)
		}))
	}
	if w.clock == nil {
		w.clock = clockwork.NewRealClock()
	}
	if w.env == nil {
		w.env = render.NewEnv(render.Limits{})
	}
	if w.metrics == nil {
		w.metrics = nopMetrics{}
	}
	w.health = newWriteHealth(w.clock, w.log)
	w.backstopDelays = backstopDelays
	w.results = newResultRouter(js, w.clock, cfg.Worker.StreamRefresh)
	w.results.retried, w.results.health = w.writeRetried(writeResults), w.health
	w.letters = deadletter.NewStore(js, cfg)
	w.share = newBotShare(w.clock, cfg.Worker.Concurrency, cfg.Worker.BotShare)
	w.inflight = newInflight(w.clock, cfg.Worker.AckWait)
	if w.nc != nil {
		w.inflight.link = w.nc
	}
	w.inflight.paused = w.notePause
	w.compiled = newCompiledCache()
	w.unorderedSeen, _ = lru.New[string, struct{}](unorderedSeenMax)
	w.copies = newCopies()
	iso := cfg.Isolation
	w.guard = hostguard.New(hostguard.Config{
		MaxConcurrent:  iso.PerHostConcurrency,
		Rate:           iso.Rate,
		Burst:          iso.Burst,
		FailureRatio:   iso.BreakerFailureRatio,
		MinRequests:    iso.BreakerMinRequests,
		Window:         iso.BreakerWindow,
		OpenFor:        iso.BreakerOpenFor,
		HalfOpenProbes: iso.BreakerProbes,
		OnChange:       w.breakerChanged,
	}, w.clock)
	w.decoder = trigger.NewDecoder(10_000)
	return w, nil
}

// watched is what the topology watchdog keeps: the topology, without the
// webhook bucket when the worker has no registry to read it.
func (w *Worker) watched() []streams.Object {
	objs := w.topo.Objects()
	if w.registry != nil {
		return objs
	}
	return slices.DeleteFunc(objs, func(o streams.Object) bool {
		return o.Kind == streams.KindBucket && o.Name == w.cfg.Webhooks.Bucket
	})
}

// tenancyOf is the contract's confinement with cfg's names.
func tenancyOf(cfg config.Config) trigger.Tenancy {
	n := cfg.Names
	return trigger.Tenancy{
		FiredPrefix: n.FiredPrefix, OrderedPrefix: n.OrderedPrefix, ReplayPrefix: n.ReplayPrefix,
		ResultPrefix: n.ResultPrefix, DLQPrefix: n.DLQPrefix, RetryPrefix: n.RetryPrefix,
		ReplyAllow: cfg.Results.ReplyAllow,
	}
}

// secretsFor is the secret source of bot's events.
func (w *Worker) secretsFor(bot string) render.SecretSource {
	if w.secrets == nil {
		return nil
	}
	return w.secrets.For(bot)
}

// Run consumes until ctx is cancelled, then shuts down gracefully: it
// stops pulling and lets what it holds go on within the grace period;
// past it, an event starts no new attempt or in-worker wait and is handed
// back, but a request already on the wire finishes (within its webhook's
// timeout, heartbeats going on) and its event is settled: another process
// would otherwise send it again. It returns nil after a clean shutdown.
func (w *Worker) Run(ctx context.Context) error {
	defer w.state.Store(stateStopped)
	if w.fast != nil {
		defer w.fast.Close() // its idle connections
	}
	cons, lanes, backstop, err := w.setupUntil(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil // stopped before it could start
		}
		return err
	}
	if err := w.results.refresh(ctx); err != nil {
		return fmt.Errorf("worker: list streams: %w", err)
	}
	// Helpers run until the last in-flight event is done.
	helpersCtx, stopHelpers := context.WithCancel(context.Background())
	var helpers sync.WaitGroup
	defer func() { stopHelpers(); helpers.Wait() }()
	helpers.Add(3)
	if wd := w.watchdog(ctx); wd != nil {
		w.watch.Store(wd)
		helpers.Add(1)
		go func() { defer helpers.Done(); wd.Run(helpersCtx) }()
	}
	go func() { defer helpers.Done(); w.results.run(helpersCtx, w.log) }()
	go func() { defer helpers.Done(); w.inflight.run(helpersCtx) }()
	go func() { defer helpers.Done(); w.runBackstop(ctx, backstop) }()

	conc := w.cfg.Worker.Concurrency
	// Work outlives ctx by the grace period.
	workCtx, cancelWork := context.WithCancel(context.Background())
	defer cancelWork()
	// quit ends the pool and the lanes' goroutines; a message a callback
	// still holds then is handed back to JetStream at once.
	quit := make(chan struct{})
	var wg sync.WaitGroup
	// serve runs handle on what arrives on in until quit, with a context
	// of its own: the per-attempt timeouts derived from it register with
	// it, not all with workCtx, whose lock they would otherwise share.
	serve := func(in <-chan delivery) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithCancel(workCtx)
			defer cancel()
			for {
				select {
				case d := <-in:
					// An event that ends may pass its slot to its bot's
					// next parked one: run it here, at once.
					for ok := true; ok; {
						if d, ok = w.handle(ctx, d); ok && closed(quit) {
							w.returnUnstarted([]delivery{d})
							ok = false
						}
					}
				case <-quit:
					return
				}
			}
		}()
	}
	// handOff notes when each message arrived (the stale-delivery guard
	// counts from it) and hands it to the pool.
	handOff := func(to chan<- delivery) jetstream.MessageHandler {
		return func(m jetstream.Msg) {
			select {
			case to <- delivery{msg: m, at: w.clock.Now()}:
			case <-quit:
				_ = m.Nak()
			}
		}
	}
	pullErr := jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
		w.log.Debug("pull", zap.Error(err))
	})
	var consuming []*consumeLoop
	abort := func(err error) error {
		for _, c := range consuming {
			c.Stop()
		}
		close(quit)
		wg.Wait()
		return err
	}

	// One Consume callback hands each message to a pool of conc
	// goroutines; it blocks while they are all busy, and the messages
	// pulled meanwhile wait in the client's buffer (PullMaxMessages, the
	// pull batch). A buffered message already counts against
	// MaxAckPending and its AckWait is already running, so the batch is
	// kept near the pool's size: twice it by default (fewer, larger pulls
	// cost the server less), so that about one pool's worth waits.
	msgs := make(chan delivery)
	for range conc {
		serve(msgs)
	}
	w.park = newPark(w.share, w.clock, parkLimits{max: w.parkMax(cons), maxBytes: w.cfg.Worker.ParkBytes, wait: w.cfg.Worker.ParkWait},
		w.inflight.add, w.metrics.Parked)
	if w.park != nil {
		wg.Add(1)
		go func() { defer wg.Done(); w.runPark(msgs, quit) }()
	}
	batch := w.pullBatch()
	cc, err := w.consume(cons, w.dispatch(msgs, quit),
		jetstream.PullMaxMessages(batch),
		jetstream.PullExpiry(w.cfg.Worker.PullExpiry),
		pullErr,
	)
	if err != nil {
		return abort(fmt.Errorf("worker: consume: %w", err))
	}
	consuming = append(consuming, cc)
	// Due retries join the same pool.
	rc, err := w.consume(w.retryCons, w.dispatch(msgs, quit),
		jetstream.PullMaxMessages(conc),
		jetstream.PullExpiry(w.cfg.Worker.PullExpiry),
		pullErr,
	)
	if err != nil {
		return abort(fmt.Errorf("worker: consume retries: %w", err))
	}
	consuming = append(consuming, rc)
	// Each ordered lane has one event in flight at most, and a goroutine
	// of its own that runs it as soon as it arrives. Were it to wait for a
	// pool slot, it would wait without heartbeats: past AckWait another
	// process would run it, the lane would move on, and this copy would
	// then run after the lane's next event.
	for p, lane := range lanes {
		in := make(chan delivery)
		serve(in)
		lc, err := w.consume(lane, handOff(in),
			jetstream.PullMaxMessages(1),
			jetstream.PullExpiry(w.cfg.Worker.PullExpiry),
			pullErr,
		)
		if err != nil {
			return abort(fmt.Errorf("worker: consume %s: %w", w.topo.LaneName(p), err))
		}
		consuming = append(consuming, lc)
	}
	w.state.Store(stateRunning)
	w.log.Info("worker started",
		zap.String("stream", w.cfg.Names.Stream),
		zap.String("consumer", w.cfg.Names.Consumer),
		zap.Int("ordered_lanes", len(lanes)),
		zap.Int("concurrency", conc))

	<-ctx.Done()
	w.state.Store(stateDraining)
	w.log.Info("shutting down: no new pulls; finishing what is held",
		zap.Duration("grace", w.cfg.Worker.ShutdownGrace))
	// Drain hands the client's buffer to the pool; once it is through,
	// the pool runs out of messages and stops.
	drained := make(chan struct{})
	for _, c := range consuming {
		c.Drain()
	}
	// What waits in the park has not started: other processes run it.
	w.returnUnstarted(w.park.close())
	go func() { // ends when quit is closed at the latest
		for _, c := range consuming {
			select {
			case <-c.Closed():
			case <-quit:
				return
			}
		}
		close(drained)
	}()
	// Drain hands the client's buffer to the pool. Wait for it within the
	// grace period (it never ends while NATS is unreachable), then stop
	// the pool once what it holds is done; past the grace period, events
	// start no new attempt or wait and are handed back, while requests
	// already sent finish.
	grace := w.clock.NewTimer(w.cfg.Worker.ShutdownGrace)
	defer grace.Stop()
	graceOver := false
	select {
	case <-drained:
	case <-grace.Chan():
		graceOver = true
	}
	if graceOver {
		w.log.Warn("grace period over: handing back what has not started; requests already sent finish")
		cancelWork()
	}
	close(quit)
	finished := make(chan struct{})
	go func() { wg.Wait(); close(finished) }()
	if !graceOver {
		select {
		case <-finished:
		case <-grace.Chan():
			w.log.Warn("grace period over: handing back what has not started; requests already sent finish")
			cancelWork()
		}
	}
	<-finished
	w.returnUnstarted(w.park.close())
	w.log.Info("worker stopped")
	return nil
}
