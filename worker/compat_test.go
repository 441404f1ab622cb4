package worker_test

import (
	"context"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookworker/hookworker/internal/jstest"
	"github.com/hookworker/hookworker/internal/metrics"
	"github.com/hookworker/hookworker/internal/workertest"
	"github.com/hookworker/hookworker/trigger"
	"github.com/hookworker/hookworker/worker"
)

// TestForwardCompatibleEvents: an event from a newer engine, with
// top-level fields this contract version does not know, runs and its
// unknown fields are counted by name; a newer major spec_version is
// invalid_event; per-webhook and fired->Result series follow the outcomes.
func TestForwardCompatibleEvents(t *testing.T) {
	srv := jstest.Server(t)
	nc, js := jstest.Connect(t, srv)
	tg := newTarget(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, `{"ok":true}`) })
	m := metrics.New(metrics.Options{})
	w := startWorker(t, nc, nil, worker.Deps{Metrics: m})
	base := opsListener(t, m, w)
	results := workertest.CollectResults(t, nc, "connections.result.>")

	publish := func(id, body string) {
		t.Helper()
		if _, err := js.Publish(context.Background(), "connections.fired.bot-fc", []byte(body), jetstream.WithMsgID(id)); err != nil {
			t.Fatal(err)
		}
	}
	publish("fc-1", `{"id":"fc-1","bot_id":"bot-fc","conversation_id":"c","spec_version":"1","tenant_id":"t-9","priority":{"level":2},`+
		`"webhook":{"url":"`+tg.URL+`/x","cvars":[{"name":"ok","mapper":"{{ ok }}"}]}}`)
	publish("fc-2", `{"id":"fc-2","bot_id":"bot-fc","conversation_id":"c","spec_version":"2","webhook":{"url":"`+tg.URL+`/x"}}`)
	publish("fc-3", `{"id":"fc-3","bot_id":"bot-fc","conversation_id":"c","tenant_id":"t-9","webhook":{"url":"`+tg.URL+`/x","Method":"GET"}}`)

	got := results.WaitNth(t, 1, 15*time.Second, "fc-1", "fc-2", "fc-3")
	if r := got["fc-1"]; r.Status != trigger.StatusSucceeded || r.CVars["ok"] != true {
		t.Errorf("fc-1 with unknown top-level fields: %+v", r)
	}
	if r := got["fc-2"]; r.Status != trigger.StatusFailed || r.Error == nil || r.Error.Class != trigger.ClassInvalidEvent {
		t.Errorf("fc-2 with spec_version 2: %+v", r)
	}
	if r := got["fc-3"]; r.Status != trigger.StatusFailed || r.Error == nil || r.Error.Class != trigger.ClassInvalidEvent || r.Error.Message != "webhook.Method: unknown field" {
		t.Errorf("fc-3 with an unknown nested field: %+v", r.Error)
	}
	s := scrapeUntil(t, base, func(s map[string]float64) bool {
		return s[`hookworker_webhook_results_total{status="failed",webhook="none"}`] == 2
	})
	for series, want := range map[string]float64{
		`hookworker_event_unknown_fields_total{field="tenant_id"}`:              1, // fc-3 did not decode
		`hookworker_event_unknown_fields_total{field="priority"}`:               1,
		`hookworker_webhook_results_total{status="succeeded",webhook="inline"}`: 1,
		`hookworker_webhook_duration_seconds_count{webhook="inline"}`:           1,
		`hookworker_webhook_duration_seconds_count{webhook="none"}`:             2,
		`hookworker_fired_to_result_seconds_count{status="succeeded"}`:          1,
		`hookworker_fired_to_result_seconds_count{status="failed"}`:             2,
	} {
		if s[series] != want {
			t.Errorf("%s = %v, want %v", series, s[series], want)
		}
	}
}
