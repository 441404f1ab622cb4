package main

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/spf13/cobra"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/hookworker/hookworker/internal/config"
	"github.com/hookworker/hookworker/internal/deadletter"
	"github.com/hookworker/hookworker/internal/marketplace"
	"github.com/hookworker/hookworker/internal/metrics"
	"github.com/hookworker/hookworker/internal/natsconn"
	"github.com/hookworker/hookworker/internal/natsd"
	"github.com/hookworker/hookworker/internal/registry"
	"github.com/hookworker/hookworker/internal/streams"
	"github.com/hookworker/hookworker/render"
	"github.com/hookworker/hookworker/worker"
)

func (a *app) runCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "run",
		Short: "Consume events and run their webhooks until SIGINT or SIGTERM",
		Long: `Consume ConnectionFired events from the shared durable consumer, run their
webhooks and publish Results. With no NATS URL configured (nats.url,
HOOKWORKER_NATS_URL or --nats-url), an embedded JetStream server is started
on embedded.host:embedded.port (127.0.0.1:4222) storing under
embedded.store_dir (./data), so other processes can connect to it. The
embedded server requires the token, user/password, nkeys and TLS of the
embedded section, if any; run connects to it with the nats.* credentials
and TLS or, where those are empty, with the embedded ones.

With ops.listen set (default 127.0.0.1:9464), an HTTP listener serves
Prometheus metrics on /metrics, liveness on /healthz and readiness on
/readyz (connected to NATS, JetStream storing what the worker writes,
nothing it created missing, trigger stream and consumer present, not
shutting down). A port already taken is logged and run goes on without it.

While NATS cannot be reached at start, run waits and tries again. Streams,
consumers and buckets it created that disappear are recreated as they
were (worker.topology_check); see docs/operations.md, "Self-healing".`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.runWorker(cmd.Context()) },
	}
}

func (a *app) runWorker(ctx context.Context) error {
	cfg, err := a.config()
	if err != nil {
		return err
	}
	log, err := newLogger(cfg.Log, a.io.err)
	if err != nil {
		return err
	}
	defer func() { _ = log.Sync() }()
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(cfg.Worker.GCPercent)
	}

	market, err := marketplace.LoadDir(cfg.Webhooks.TemplatesDir)
	if err != nil {
		return fmt.Errorf("webhook templates (run `hookworker validate` for details): %w", err)
	}
	// The registry compiles its definitions in the worker's environment,
	// once: the worker runs what it compiled.
	env := render.NewEnv(renderLimits(cfg.Render))
	reg, err := registry.LoadDir(cfg.Webhooks.Dir, market, log.Named("registry"), worker.Compile(env))
	if err != nil {
		return fmt.Errorf("webhooks (run `hookworker validate` for details): %w", err)
	}
	if err := needNATSURL(cfg); err != nil {
		return err
	}
	// The ops listener comes first, so that /readyz answers (not ready,
	// and why) while NATS cannot be reached.
	var m *metrics.Metrics
	ready := &metrics.Readiness{}
	ready.NotReady("starting: connecting to NATS")
	if cfg.Ops.Addr() != "" {
		m = metrics.New(metrics.Options{})
		stop := startOps(cfg.Ops, m, ready.Ready, log.Named("ops"))
		defer stop()
	}
	url, client := cfg.NATS.URL, cfg.NATS
	if url == "" {
		opts := embeddedOptions(cfg.Embedded)
		opts.Logger = log.Named("nats").WithOptions(zap.IncreaseLevel(zapcore.WarnLevel))
		srv, err := natsd.Start(opts)
		if err != nil {
			return fmt.Errorf("embedded server: %w", err)
		}
		defer srv.Shutdown()
		url = srv.ClientURL()
		client = natsconn.ForEmbedded(cfg.NATS, cfg.Embedded)
		log.Info("embedded NATS JetStream server listening",
			zap.String("url", url), zap.String("store_dir", cfg.Embedded.StoreDir),
			zap.Bool("auth", cfg.Embedded.RequiresAuth()), zap.Bool("tls", cfg.Embedded.TLS.CertFile != ""))
	}
	nc, err := connectWorker(ctx, client, url, cfg.NATS.Name, log, ready)
	if err != nil {
		if ctx.Err() != nil {
			log.Info("stopped before NATS could be reached")
			return nil
		}
		return err
	}
	defer nc.Close()
	log.Info("connected to NATS", zap.String("url", nc.ConnectedUrlRedacted()),
		zap.Int("webhooks", len(reg.IDs())), zap.String("webhooks_dir", cfg.Webhooks.Dir))
	if js, err := jetstream.New(nc); err == nil {
		if c, raised := streams.InheritReplicas(ctx, js, cfg); raised {
			log.Info("what this worker creates gets the trigger stream's replicas", zap.String("stream", cfg.Names.Stream),
				zap.Int("replicas", c.NATS.Replicas), zap.Int("nats.replicas", cfg.NATS.Replicas))
			cfg = c
		}
	}

	if cfg.Webhooks.Bucket != "" {
		err := untilDone(ctx, log, ready, "webhook bucket", func(ctx context.Context) error {
			return followBucket(ctx, nc, streams.NewTopology(cfg).Webhooks(), reg, log.Named("registry"), cfg.Worker.TopologyCheck)
		})
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
	}
	secrets, err := a.secretScope(ctx, cfg, nc, log)
	if err != nil {
		return err
	}
	deps := worker.Deps{
		Conn:      nc,
		Logger:    log,
		Registry:  reg,
		Templates: market,
		Secrets:   secrets,
		Env:       env,
	}
	if m != nil {
		m.ObserveTemplateCache(deps.Env.CacheLen)
		deps.Metrics = m
	}
	w, err := worker.New(cfg, deps)
	if err != nil {
		return err
	}
	if m != nil {
		if err := observe(m, w, nc, cfg); err != nil {
			return err
		}
	}
	ready.Use(w.Ready)
	stopAPI, err := serveAPI(nc, cfg, reg, market, deps.Secrets, w, m, log.Named("api"))
	if err != nil {
		return err
	}
	defer stopAPI()
	if err := w.Run(ctx); err != nil {
		return err
	}
	if err := nc.Flush(); err != nil {
		log.Warn("flush on exit", zap.Error(err))
	}
	return nil
}

// connectWorker connects run to NATS, waiting for the server as long as it
// cannot be reached (a line per attempt, /readyz saying so), with the
// reconnection handling a long-running worker needs.
func connectWorker(ctx context.Context, c config.NATS, url, name string, log *zap.Logger, ready *metrics.Readiness) (*nats.Conn, error) {
	redacted := natsconn.RedactURL(url)
	return natsconn.ConnectRetry(ctx, c, url, name, natsconn.Retry{},
		func(a natsconn.Attempt) {
			// /readyz first: whoever sees the line sees the reason too.
			ready.NotReady(fmt.Sprintf("NATS cannot be reached at %s (attempt %d, next in %s): %v",
				redacted, a.N, a.Next.Round(100*time.Millisecond), a.Err))
			log.Warn("NATS cannot be reached; trying again", zap.String("url", redacted),
				zap.Int("attempt", a.N), zap.Duration("next_try", a.Next), zap.Error(a.Err))
		},
		nats.MaxReconnects(-1),
		nats.ReconnectWait(time.Second),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				log.Warn("disconnected from NATS", zap.Error(err))
			}
		}),
		nats.ReconnectHandler(func(c *nats.Conn) {
			log.Info("reconnected to NATS", zap.String("url", c.ConnectedUrlRedacted()))
		}),
	)
}

// untilDone runs f until it succeeds or ctx ends, waiting between tries
// (1s doubling to 30s), with a warning per failure and /readyz naming it.
// f is given ctx itself: what it starts may outlive it (a bucket watch).
func untilDone(ctx context.Context, log *zap.Logger, ready *metrics.Readiness, what string, f func(context.Context) error) error {
	bo := backoff.NewExponentialBackOff(backoff.WithInitialInterval(time.Second), backoff.WithMaxInterval(30*time.Second), backoff.WithMaxElapsedTime(0))
	for n := 1; ; n++ {
		err := f(ctx)
		if err == nil || ctx.Err() != nil {
			return err
		}
		next := bo.NextBackOff()
		log.Warn(what+" not ready; trying again", zap.Int("attempt", n), zap.Duration("next_try", next), zap.Error(err))
		ready.NotReady(fmt.Sprintf("starting: %s (attempt %d): %v", what, n, err))
		t := time.NewTimer(next)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// observe registers the collectors that read the worker and the server at
// scrape time.
func observe(m *metrics.Metrics, w *worker.Worker, nc *nats.Conn, cfg config.Config) error {
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	dlq := deadletter.NewStore(js, cfg)
	m.ObserveBuild(buildInfo())
	m.ObserveBreakers(w.Breakers)
	m.ObserveDeadLetters(func(ctx context.Context) ([]metrics.Backlog, error) {
		letters, err := dlq.Backlog(ctx)
		out := make([]metrics.Backlog, len(letters))
		for i, l := range letters {
			out[i] = metrics.Backlog{Bot: l.BotID, Class: l.Class, Count: l.Count}
		}
		return out, err
	}, 2*time.Second)
	m.ObserveConsumer(func(ctx context.Context) (metrics.ConsumerState, error) {
		info, err := w.ConsumerInfo(ctx)
		if err != nil {
			return metrics.ConsumerState{}, err
		}
		return metrics.ConsumerState{Pending: info.NumPending, AckPending: uint64(info.NumAckPending)}, nil
	}, 2*time.Second)
	return nil
}

// startOps serves metrics and probes (and profiles with ops.pprof) on
// ops.listen until the returned function is called. A listener that
// cannot start is logged, not fatal: a second worker on the same machine
// with the default address still runs.
func startOps(ops config.Ops, m *metrics.Metrics, ready metrics.ReadyFunc, log *zap.Logger) (stop func()) {
	addr := ops.Addr()
	var opts []metrics.Option
	if ops.Pprof {
		opts = append(opts, metrics.WithPprof())
		// Sample contended mutexes (1 in 10 events) so that
		// /debug/pprof/mutex has something to show.
		runtime.SetMutexProfileFraction(10)
	}
	srv, err := metrics.Listen(addr, m, ready, log, opts...)
	if err != nil {
		log.Error("no metrics or probes: the ops listener did not start (set ops.listen)", zap.Error(err))
		return func() {}
	}
	log.Info("ops listener: /metrics, /healthz, /readyz", zap.String("url", srv.URL()))
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			log.Warn("ops listener shutdown", zap.Error(err))
		}
	}
}

// watchBucket creates the webhook bucket if needed and has the registry
// follow it.
func watchBucket(ctx context.Context, nc *nats.Conn, kc jetstream.KeyValueConfig, reg *registry.Registry) error {
	kv, err := webhookBucket(ctx, nc, kc)
	if err != nil {
		return err
	}
	if err := reg.Watch(ctx, kv); err != nil {
		return fmt.Errorf("webhook bucket %s: %w", kc.Bucket, err)
	}
	return nil
}

// webhookBucket opens the KV bucket of definitions, creating it from kc
// (streams.Topology.Webhooks) when it does not exist.
func webhookBucket(ctx context.Context, nc *nats.Conn, kc jetstream.KeyValueConfig) (jetstream.KeyValue, error) {
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, err
	}
	kv, err := streams.EnsureKeyValue(ctx, js, kc)
	if err != nil {
		return nil, fmt.Errorf("webhook %w", err)
	}
	return kv, nil
}
