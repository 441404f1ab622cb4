package worker_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/hookworker/hookworker/internal/config"
	"github.com/hookworker/hookworker/internal/fault"
	"github.com/hookworker/hookworker/internal/jstest"
	"github.com/hookworker/hookworker/internal/metrics"
	"github.com/hookworker/hookworker/internal/tracectx"
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
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
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

// fireTraced publishes ev with hdr (plus its Nats-Msg-Id) and returns the
// Result message, headers included.
func fireTraced(t *testing.T, nc *nats.Conn, ev *trigger.Event, hdr map[string]string) (*trigger.Result, nats.Header) {
	t.Helper()
	inbox := nats.NewInbox()
	sub, err := nc.SubscribeSync(inbox)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	ev.ReplyTo = inbox
	data, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	msg := nats.NewMsg(trigger.FiredSubject(trigger.DefaultFiredPrefix, ev.BotID))
	msg.Data = data
	msg.Header.Set(trigger.HeaderMsgID, ev.ID)
	for k, v := range hdr {
		msg.Header.Set(k, v)
	}
	js, _ := jstestJS(nc)
	if _, err := js.PublishMsg(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	m, err := sub.NextMsg(10 * time.Second)
	if err != nil {
		t.Fatalf("no Result for %s: %v", ev.ID, err)
	}
	var res trigger.Result
	if err := json.Unmarshal(m.Data, &res); err != nil {
		t.Fatal(err)
	}
	return &res, m.Header
}

// TestTraceparent: the trigger's trace continues on every HTTP attempt
// (same trace id and flags, a new span id each) and on the Result; an
// event without a valid traceparent starts a new trace.
func TestTraceparent(t *testing.T) {
	srv := jstest.Server(t)
	nc, _ := jstest.Connect(t, srv)
	var mu sync.Mutex
	byPath := map[string][]http.Header{}
	tg := newTarget(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		byPath[r.URL.Path] = append(byPath[r.URL.Path], r.Header.Clone())
		n := len(byPath[r.URL.Path])
		mu.Unlock()
		if r.URL.Path == "/flaky" && n == 1 {
			w.WriteHeader(503) // one quick retry in the worker
			return
		}
		io.WriteString(w, `{}`)
	})
	headersOf := func(path string) []http.Header {
		mu.Lock()
		defer mu.Unlock()
		return byPath[path]
	}
	startWorker(t, nc, func(c *config.Config) { c.Retry.QuickInitial = 20 * time.Millisecond }, worker.Deps{})
	hook := func(path string) *webhook.Definition { return &webhook.Definition{URL: tg.URL + path} }
	parse := func(what, s string) tracectx.Parent {
		t.Helper()
		p, err := tracectx.Parse(s)
		if err != nil {
			t.Fatalf("%s: traceparent %q: %v", what, s, err)
		}
		return p
	}

	const (
		traceID  = "4bf92f3577b34da6a3ce929d0e0e4736"
		parentID = "00f067aa0ba902b7"
	)
	for _, flags := range []string{"01", "00"} {
		t.Run("continued, flags "+flags, func(t *testing.T) {
			in := "00-" + traceID + "-" + parentID + "-" + flags
			path := "/continued-" + flags
			res, rh := fireTraced(t, nc, &trigger.Event{ID: "tp-" + flags, BotID: "b", ConversationID: "c", Webhook: hook(path)},
				map[string]string{"traceparent": in, "tracestate": "vendor=opaque"})
			if res.Status != trigger.StatusSucceeded {
				t.Fatalf("result %+v", res)
			}
			hs := headersOf(path)
			if len(hs) != 1 {
				t.Fatalf("%d requests", len(hs))
			}
			sent := hs[0].Get("Traceparent")
			p := parse("request", sent)
			if p.TraceID.String() != traceID || fmt.Sprintf("%02x", p.Flags) != flags {
				t.Errorf("request traceparent %q: want trace %s and flags %s", sent, traceID, flags)
			}
			if p.SpanID.String() == parentID {
				t.Errorf("request traceparent %q reuses the incoming parent id", sent)
			}
			if got := hs[0].Get("Tracestate"); got != "vendor=opaque" {
				t.Errorf("request tracestate %q", got)
			}
			rp := parse("result", rh.Get("traceparent"))
			if rp.TraceID.String() != traceID || rp != p {
				t.Errorf("result traceparent %q, want the request's %q", rh.Get("traceparent"), sent)
			}
		})
	}

	t.Run("new span per attempt", func(t *testing.T) {
		in := "00-" + traceID + "-" + parentID + "-01"
		res, rh := fireTraced(t, nc, &trigger.Event{ID: "tp-retry", BotID: "b", ConversationID: "c", Webhook: hook("/flaky")},
			map[string]string{"Traceparent": in}) // any case
		if res.Status != trigger.StatusSucceeded || res.Attempts != 2 {
			t.Fatalf("result %+v", res)
		}
		hs := headersOf("/flaky")
		if len(hs) != 2 {
			t.Fatalf("%d requests, want 2", len(hs))
		}
		a, b := parse("attempt 1", hs[0].Get("Traceparent")), parse("attempt 2", hs[1].Get("Traceparent"))
		if a.TraceID.String() != traceID || b.TraceID != a.TraceID || a.SpanID == b.SpanID ||
			a.SpanID.String() == parentID || b.SpanID.String() == parentID {
			t.Errorf("attempts sent %q and %q for incoming %q", hs[0].Get("Traceparent"), hs[1].Get("Traceparent"), in)
		}
		if rp := parse("result", rh.Get("traceparent")); rp != b {
			t.Errorf("result traceparent %v, want the last attempt's %v", rp, b)
		}
	})

	for _, tc := range []struct{ name, hdr string }{
		{"none", ""},
		{"invalid", "00-" + strings.ToUpper(traceID) + "-" + parentID + "-01"},
		{"zero trace id", "00-00000000000000000000000000000000-" + parentID + "-01"},
	} {
		t.Run("new trace, "+tc.name, func(t *testing.T) {
			path := "/new-" + url.PathEscape(strings.ReplaceAll(tc.name, " ", "-"))
			hdr := map[string]string{}
			if tc.hdr != "" {
				hdr["traceparent"] = tc.hdr
				hdr["tracestate"] = "vendor=dropped"
			}
			res, rh := fireTraced(t, nc, &trigger.Event{ID: "tp-new-" + strings.ReplaceAll(tc.name, " ", "-"), BotID: "b", ConversationID: "c", Webhook: hook(path)}, hdr)
			if res.Status != trigger.StatusSucceeded {
				t.Fatalf("result %+v", res)
			}
			hs := headersOf(path)
			if len(hs) != 1 {
				t.Fatalf("%d requests", len(hs))
			}
			p := parse("request", hs[0].Get("Traceparent"))
			if strings.EqualFold(p.TraceID.String(), traceID) || p.Sampled() {
				t.Errorf("request traceparent %v: want a new, unsampled trace", p)
			}
			if got := hs[0].Get("Tracestate"); got != "" {
				t.Errorf("tracestate %q forwarded without a valid traceparent", got)
			}
			if rp := parse("result", rh.Get("traceparent")); rp.TraceID != p.TraceID {
				t.Errorf("result trace %s, request trace %s", rp.TraceID, p.TraceID)
			}
		})
	}

	t.Run("skipped event", func(t *testing.T) {
		in := "00-" + traceID + "-" + parentID + "-01"
		res, rh := fireTraced(t, nc, &trigger.Event{ID: "tp-skip", BotID: "b", ConversationID: "c", Condition: "false", Webhook: hook("/never")},
			map[string]string{"traceparent": in})
		if res.Status != trigger.StatusSkipped {
			t.Fatalf("result %+v", res)
		}
		rp := parse("result", rh.Get("traceparent"))
		if rp.TraceID.String() != traceID || rp.SpanID.String() == parentID || !rp.Sampled() {
			t.Errorf("result traceparent %v for incoming %s", rp, in)
		}
	})
}

// TestUnorderedEventsOfAnOrderedWebhook: events of a definition marked
// ordered that arrive on the fired subjects run, are counted, and the
// first one logs a warning naming the webhook; one that arrives on the
// ordered subjects (as trigger.Client sends it) is not counted.
func TestUnorderedEventsOfAnOrderedWebhook(t *testing.T) {
	srv := jstest.Server(t)
	nc, js := jstest.Connect(t, srv)
	target := fault.NewServer(t)
	target.On("/tick", fault.OK(`{}`))
	core, logs := observer.New(zapcore.WarnLevel)
	m := metrics.New(metrics.Options{})
	w := startWorker(t, nc, nil, worker.Deps{Logger: zap.New(core), Metrics: m})
	base := opsListener(t, m, w)
	results := workertest.CollectResults(t, nc, "res.tick")

	def := &webhook.Definition{ID: "tick", URL: target.URL() + "/tick", Ordered: true}
	event := func(id string) *trigger.Event {
		return &trigger.Event{ID: id, BotID: "bot-1", ConversationID: "conv-1", Webhook: def, ReplyTo: "res.tick"}
	}
	for _, id := range []string{"u-1", "u-2"} { // by hand, to the fired subject
		data, err := json.Marshal(event(id))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := js.Publish(context.Background(), "connections.fired.bot-1", data, jetstream.WithMsgID(id)); err != nil {
			t.Fatal(err)
		}
	}
	client, err := trigger.NewClient(nc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.Publish(context.Background(), event("o-1")); err != nil { // to the ordered subject
		t.Fatal(err)
	}
	for id, r := range results.WaitNth(t, 1, 20*time.Second, "u-1", "u-2", "o-1") {
		if r.Status != trigger.StatusSucceeded {
			t.Errorf("%s: %s %+v", id, r.Status, r.Error)
		}
	}
	if got := scrape(t, base)["hookworker_unordered_events_total"]; got != 2 {
		t.Errorf("hookworker_unordered_events_total %v, want 2", got)
	}
	warned := logs.FilterMessageSnippet("marked ordered").All()
	if len(warned) != 1 || warned[0].ContextMap()["webhook_id"] != "tick" {
		t.Errorf("warnings %+v, want one naming webhook tick", warned)
	}
}
