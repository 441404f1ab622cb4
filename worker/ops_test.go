package worker_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/hookworker/hookworker/internal/config"
	"github.com/hookworker/hookworker/internal/fault"
	"github.com/hookworker/hookworker/internal/jstest"
	"github.com/hookworker/hookworker/internal/metrics"
	"github.com/hookworker/hookworker/internal/testport"
	"github.com/hookworker/hookworker/internal/workertest"
	"github.com/hookworker/hookworker/render"
	"github.com/hookworker/hookworker/trigger"
	"github.com/hookworker/hookworker/trigger/webhook"
	"github.com/hookworker/hookworker/worker"
)

// opsListener serves m and w's readiness on a free loopback port until
// the test ends, the way `hookworker run` does.
func opsListener(t *testing.T, m *metrics.Metrics, w *worker.Worker) string {
	t.Helper()
	m.ObserveConsumer(func(ctx context.Context) (metrics.ConsumerState, error) {
		info, err := w.ConsumerInfo(ctx)
		if err != nil {
			return metrics.ConsumerState{}, err
		}
		return metrics.ConsumerState{Pending: info.NumPending, AckPending: uint64(info.NumAckPending)}, nil
	}, time.Second)
	srv, err := metrics.Listen("127.0.0.1:0", m, w.Ready, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("ops listener shutdown: %v", err)
		}
	})
	return srv.URL()
}

// scrape reads /metrics over HTTP and returns the hookworker_ samples by
// name{label="value",...} (labels sorted); a histogram gives its _count.
func scrape(t *testing.T, base string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("/metrics answered %d", resp.StatusCode)
	}
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	out := map[string]float64{}
	for name, f := range fams {
		if !strings.HasPrefix(name, "hookworker_") {
			continue
		}
		for _, m := range f.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
			}
			sort.Strings(labels)
			key := name
			if len(labels) > 0 {
				key += "{" + strings.Join(labels, ",") + "}"
			}
			switch {
			case m.Counter != nil:
				out[key] = m.GetCounter().GetValue()
			case m.Gauge != nil:
				out[key] = m.GetGauge().GetValue()
			case m.Histogram != nil:
				out[strings.Replace(key, name, name+"_count", 1)] = float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	return out
}

// scrapeUntil scrapes until cond holds (the metrics of an event are
// counted just after its Result is published) or 5s pass.
func scrapeUntil(t *testing.T, base string, cond func(map[string]float64) bool) map[string]float64 {
	t.Helper()
	var got map[string]float64
	for range 250 {
		if got = scrape(t, base); cond(got) {
			return got
		}
		time.Sleep(20 * time.Millisecond)
	}
	return got
}

func sumOf(s map[string]float64, prefix string) float64 {
	var n float64
	for k, v := range s {
		if k == prefix || strings.HasPrefix(k, prefix+"{") {
			n += v
		}
	}
	return n
}

// assertSeries compares the series of the named metrics with want, exactly:
// none missing, none extra.
func assertSeries(t *testing.T, got map[string]float64, names []string, want map[string]float64) {
	t.Helper()
	for _, name := range names {
		for k, v := range got {
			if k != name && !strings.HasPrefix(k, name+"{") {
				continue
			}
			if w, ok := want[k]; !ok {
				t.Errorf("unexpected series %s = %v", k, v)
			} else if v != w {
				t.Errorf("%s = %v, want %v", k, v, w)
			}
		}
	}
	for k, w := range want {
		if _, ok := got[k]; !ok {
			t.Errorf("missing series %s (want %v)", k, w)
		}
	}
}

func get(t *testing.T, u string) (int, string) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestMetricsCountTheMix: a known mix of outcomes, scraped from the real
// listener, gives exactly these counters.
func TestMetricsCountTheMix(t *testing.T) {
	srv := jstest.Server(t)
	nc, js := jstest.Connect(t, srv)
	tg := newTarget(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/missing" {
			w.WriteHeader(404)
			return
		}
		io.WriteString(w, `{"ok":true}`)
	})
	host := strings.TrimPrefix(tg.URL, "http://")
	m := metrics.New(metrics.Options{})
	env := render.NewEnv(render.Limits{})
	m.ObserveTemplateCache(env.CacheLen)
	w := startWorker(t, nc, nil, worker.Deps{Metrics: m, Env: env})
	base := opsListener(t, m, w)

	if code, body := get(t, base+"/healthz"); code != 200 || strings.TrimSpace(body) != "ok" {
		t.Errorf("/healthz: %d %q", code, body)
	}
	// Nothing counted yet, but the series are there.
	before := scrapeUntil(t, base, func(s map[string]float64) bool { return true })
	if before["hookworker_events_received_total"] != 0 || before[`hookworker_retries_scheduled_total{kind="delayed"}`] != 0 {
		t.Errorf("before any event: %v", before)
	}

	ok := &webhook.Definition{ID: "ok-hook", URL: tg.URL + "/ok", CVars: []webhook.Mapping{{Name: "ok", Mapper: "{{ ok }}"}}}
	missing := &webhook.Definition{ID: "missing-hook", URL: tg.URL + "/missing"}
	evs := []struct {
		id, cond string
		def      *webhook.Definition
		want     trigger.Status
	}{
		{"mix-ok-1", "", ok, trigger.StatusSucceeded},
		{"mix-404-1", "", missing, trigger.StatusFailed},
		{"mix-ok-2", "", ok, trigger.StatusSucceeded},
		{"mix-skip", "false", ok, trigger.StatusSkipped},
		{"mix-404-2", "", missing, trigger.StatusFailed},
		{"mix-ok-3", "", ok, trigger.StatusSucceeded},
	}
	for _, e := range evs {
		res := fire(t, nc, &trigger.Event{ID: e.id, BotID: "bot-m", ConversationID: "conv-m", Condition: e.cond, Webhook: e.def})
		if res.Status != e.want {
			t.Fatalf("%s: status %s, want %s (%+v)", e.id, res.Status, e.want, res.Error)
		}
	}
	assertDrained(t, js, "CONNECTIONS", "hookworker")

	got := scrapeUntil(t, base, func(s map[string]float64) bool {
		return sumOf(s, "hookworker_results_total") >= 6 && s["hookworker_events_in_flight"] == 0
	})
	h := fmt.Sprintf("host=%q", host)
	assertSeries(t, got, []string{
		"hookworker_events_received_total",
		"hookworker_events_in_flight",
		"hookworker_results_total",
		"hookworker_attempts_total",
		"hookworker_request_duration_seconds_count",
		"hookworker_retries_scheduled_total",
		"hookworker_dead_letters_total",
		"hookworker_definition_cache_hits_total",
		"hookworker_definition_cache_misses_total",
		"hookworker_consumer_pending_messages",
		"hookworker_consumer_ack_pending_messages",
		"hookworker_consumer_info_errors_total",
	}, map[string]float64{
		"hookworker_events_received_total":                              6,
		"hookworker_events_in_flight":                                   0,
		`hookworker_results_total{class="none",status="succeeded"}`:     3,
		`hookworker_results_total{class="http_status",status="failed"}`: 2,
		`hookworker_results_total{class="none",status="skipped"}`:       1,
		`hookworker_attempts_total{class="2xx",` + h + `}`:              3,
		`hookworker_attempts_total{class="4xx",` + h + `}`:              2,
		`hookworker_request_duration_seconds_count{` + h + `}`:          5,
		`hookworker_retries_scheduled_total{kind="delayed"}`:            0,
		`hookworker_retries_scheduled_total{kind="in_worker"}`:          0,
		`hookworker_dead_letters_total{class="http_status"}`:            2,
		"hookworker_definition_cache_hits_total":                        3, // ok twice more, missing once more; the skip compiles nothing
		"hookworker_definition_cache_misses_total":                      2,
		"hookworker_consumer_pending_messages":                          0,
		"hookworker_consumer_ack_pending_messages":                      0,
		"hookworker_consumer_info_errors_total":                         0,
	})
	if got["hookworker_template_cache_entries"] < 1 {
		t.Errorf("hookworker_template_cache_entries = %v, want the compiled templates", got["hookworker_template_cache_entries"])
	}
	for k := range got {
		if strings.Contains(k, "mix-") || strings.Contains(k, "/ok") || strings.Contains(k, "/missing") {
			t.Errorf("series %s carries an event id or a URL", k)
		}
	}
}

// TestMetricsCountRetries: a quick retry in the worker, then a delayed
// retry through JetStream, then success.
func TestMetricsCountRetries(t *testing.T) {
	srv := jstest.Server(t)
	nc, _ := jstest.Connect(t, srv)
	ft := fault.NewServer(t)
	ft.On("/flaky", fault.Status(503, ""), fault.Status(503, ""), fault.OK(`{}`))
	m := metrics.New(metrics.Options{})
	w := startWorker(t, nc, fastRetry, worker.Deps{Metrics: m})
	base := opsListener(t, m, w)

	res := fire(t, nc, &trigger.Event{ID: "flaky-1", BotID: "b", ConversationID: "c",
		Webhook: &webhook.Definition{URL: ft.URL() + "/flaky"}})
	if res.Status != trigger.StatusSucceeded || res.Attempts != 3 {
		t.Fatalf("result %+v", res)
	}
	h := fmt.Sprintf("host=%q", strings.TrimPrefix(ft.URL(), "http://"))
	got := scrapeUntil(t, base, func(s map[string]float64) bool { return sumOf(s, "hookworker_results_total") >= 1 })
	assertSeries(t, got, []string{
		"hookworker_events_received_total", "hookworker_attempts_total", "hookworker_retries_scheduled_total",
		"hookworker_results_total", "hookworker_dead_letters_total",
	}, map[string]float64{
		"hookworker_events_received_total":                          2, // the first delivery and the delayed retry
		`hookworker_attempts_total{class="5xx",` + h + `}`:          2,
		`hookworker_attempts_total{class="2xx",` + h + `}`:          1,
		`hookworker_retries_scheduled_total{kind="in_worker"}`:      1,
		`hookworker_retries_scheduled_total{kind="delayed"}`:        1,
		`hookworker_results_total{class="none",status="succeeded"}`: 1,
	})
}

// TestReadinessFollowsNATS: /readyz is 503 while the server is down and
// 200 again once the connection is back.
func TestReadinessFollowsNATS(t *testing.T) {
	port := testport.Free(t)
	store := t.TempDir()
	srv := jstest.ServerAt(t, port, store)
	nc, err := nats.Connect(srv.ClientURL(), nats.MaxReconnects(-1), nats.ReconnectWait(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	cfg := config.Default()
	cfg.Worker.Concurrency = 4
	cfg.HTTP.Allow = loopback
	m := metrics.New(metrics.Options{})
	w, err := worker.New(cfg, worker.Deps{Conn: nc, Metrics: m})
	if err != nil {
		t.Fatal(err)
	}
	base := opsListener(t, m, w)
	// Stopped explicitly while the server is up: a worker shut down with
	// NATS gone waits for the connection to hand back what it holds.
	stop := workertest.Start(t, w)

	probe := func(wantCode int, wantBody string) {
		t.Helper()
		var code int
		var body string
		for range 300 {
			if code, body = get(t, base+"/readyz"); code == wantCode && strings.Contains(body, wantBody) {
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Fatalf("/readyz stayed %d %q, want %d %q", code, body, wantCode, wantBody)
	}
	probe(200, "ready")

	srv.Shutdown()
	probe(503, "NATS connection")
	if code, _ := get(t, base+"/healthz"); code != 200 {
		t.Errorf("/healthz %d while NATS is down: the process is alive", code)
	}
	// The pending counts cannot be read: the scrape still works.
	if s := scrape(t, base); s["hookworker_consumer_info_errors_total"] < 1 {
		t.Errorf("consumer info errors %v while NATS is down", s["hookworker_consumer_info_errors_total"])
	} else if _, ok := s["hookworker_consumer_pending_messages"]; ok {
		t.Errorf("pending messages reported while NATS is down")
	}

	jstest.ServerAt(t, port, store)
	probe(200, "ready")

	// And the worker consumes again.
	tg := newTarget(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, `{}`) })
	res := fire(t, nc, &trigger.Event{ID: "after-restart", BotID: "b", ConversationID: "c", Webhook: &webhook.Definition{URL: tg.URL}})
	if res.Status != trigger.StatusSucceeded {
		t.Errorf("after the restart: %+v", res)
	}
	stop()
	if code, body := get(t, base+"/readyz"); code != 503 || !strings.Contains(body, "stopped") {
		t.Errorf("after Run: %d %q", code, body)
	}
}

// TestReadinessLifecycle: not ready before Run consumes, ready while it
// does, not ready once shutdown begins (while an event still runs), and
// after it ends.
func TestReadinessLifecycle(t *testing.T) {
	srv := jstest.Server(t)
	nc, _ := jstest.Connect(t, srv)
	release := make(chan struct{})
	arrived := make(chan struct{}, 1)
	tg := newTarget(t, func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		<-release
		io.WriteString(w, `{}`)
	})
	cfg := config.Default()
	cfg.Worker.Concurrency = 2
	cfg.Worker.ShutdownGrace = 10 * time.Second
	cfg.HTTP.Allow = loopback
	m := metrics.New(metrics.Options{})
	w, err := worker.New(cfg, worker.Deps{Conn: nc, Metrics: m})
	if err != nil {
		t.Fatal(err)
	}
	base := opsListener(t, m, w)
	if code, body := get(t, base+"/readyz"); code != 503 || !strings.Contains(body, "starting") {
		t.Errorf("before Run: %d %q", code, body)
	}
	stop := workertest.Start(t, w)
	workertest.WaitReady(t, w)
	if code, _ := get(t, base+"/readyz"); code != 200 {
		t.Errorf("running: /readyz %d", code)
	}

	sub := publishEvent(t, nc, &trigger.Event{ID: "held", BotID: "b", ConversationID: "c", Webhook: &webhook.Definition{URL: tg.URL}})
	select {
	case <-arrived:
	case <-time.After(10 * time.Second):
		t.Fatal("the target saw no request")
	}
	if s := scrape(t, base); s["hookworker_events_in_flight"] != 1 {
		t.Errorf("in flight %v while the target holds the request, want 1", s["hookworker_events_in_flight"])
	}
	stopped := make(chan struct{})
	go func() { stop(); close(stopped) }()
	var code int
	var body string
	for range 100 {
		if code, body = get(t, base+"/readyz"); code == 503 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if code != 503 || !strings.Contains(body, "shutting down") {
		t.Errorf("draining: /readyz %d %q", code, body)
	}
	close(release)
	if res := nextResult(t, sub, 10*time.Second); res.Status != trigger.StatusSucceeded {
		t.Errorf("the held event: %+v", res)
	}
	<-stopped
	if code, body := get(t, base+"/readyz"); code != 503 || !strings.Contains(body, "stopped") {
		t.Errorf("after Run: %d %q", code, body)
	}
}
