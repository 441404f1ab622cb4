package main

import (
	"context"
	"regexp"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/hookworker/hookworker/internal/api"
	"github.com/hookworker/hookworker/internal/config"
	"github.com/hookworker/hookworker/internal/deadletter"
	"github.com/hookworker/hookworker/internal/marketplace"
	"github.com/hookworker/hookworker/internal/metrics"
	"github.com/hookworker/hookworker/internal/registry"
	"github.com/hookworker/hookworker/render"
	"github.com/hookworker/hookworker/trigger/webhook"
	"github.com/hookworker/hookworker/worker"
)

// serveAPI has this process join the service API (internal/api) with the
// worker's registry, templates and secrets; the returned function stops it.
func serveAPI(nc *nats.Conn, cfg config.Config, reg *registry.Registry, market *marketplace.Marketplace,
	secrets worker.SecretScope, w *worker.Worker, m *metrics.Metrics, log *zap.Logger) (stop func(), err error) {
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, err
	}
	b := buildInfo()
	svc, err := api.Start(nc, api.Options{
		Version:      serviceVersion(b.Version),
		Metadata:     map[string]string{"version": b.Version, "revision": b.Revision},
		ResultPrefix: cfg.Names.ResultPrefix,
		// The render section's bounds, as the worker renders events.
		Limits: renderLimits(cfg.Render),
	}, api.Deps{
		Definitions: func(ctx context.Context, id string, rev uint64) (*webhook.Definition, error) {
			e, err := reg.Lookup(ctx, id, rev)
			return e.Def, err
		},
		Templates: market,
		// A bot's render sees the names its events may use, never their
		// values: a preview shows **** where a secret goes, and a
		// template that computes on a secret (a condition, a slice)
		// learns nothing from the preview.
		Secrets: func(bot string) render.SecretSource {
			if secrets == nil {
				return nil
			}
			return previewSecrets{secrets.For(bot)}
		},
		DeadLetters: deadletter.NewStore(js, cfg),
		Status:      func() api.InstanceStatus { return instanceStatus(w, m) },
		Logger:      log,
	})
	if err != nil {
		return nil, err
	}
	log.Info("service API: hookworker.api.* (nats micro info hookworker)", zap.String("instance", svc.ID()))
	return func() {
		if err := svc.Stop(); err != nil {
			log.Warn("service API stop", zap.Error(err))
		}
	}, nil
}

// instanceStatus is this process's state for the service's STATS.
func instanceStatus(w *worker.Worker, m *metrics.Metrics) api.InstanceStatus {
	st := api.InstanceStatus{InFlight: -1}
	if m != nil {
		st.InFlight = int(gauge(m, "hookworker_events_in_flight"))
	}
	st.BreakersOpen, st.BreakersHalfOpen = w.Breakers()
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	if err := w.Ready(ctx); err != nil {
		st.Ready = err.Error()
	}
	return st
}

// gauge reads an unlabelled gauge of m; 0 when it is not there.
func gauge(m *metrics.Metrics, name string) float64 {
	mfs, err := m.Registry().Gather()
	if err != nil {
		return 0
	}
	for _, mf := range mfs {
		if mf.GetName() == name && len(mf.GetMetric()) == 1 {
			return mf.GetMetric()[0].GetGauge().GetValue()
		}
	}
	return 0
}

var semver = regexp.MustCompile(`^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$`)

// serviceVersion is the build's version as the SemVer micro requires
// ("v1.2.3" gives 1.2.3; a development build 0.0.0-devel).
func serviceVersion(v string) string {
	v = strings.TrimPrefix(v, "v")
	if !semver.MatchString(v) {
		return "0.0.0-devel"
	}
	return v
}

// previewSecrets resolves every name src resolves to the mask itself.
type previewSecrets struct{ src render.SecretSource }

func (p previewSecrets) Secret(name string) (string, bool) {
	if _, ok := p.src.Secret(name); !ok {
		return "", false
	}
	return render.Mask, true
}
