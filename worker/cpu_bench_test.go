package worker_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/hookworker/hookworker/mapper"
	"github.com/hookworker/hookworker/render"
	"github.com/hookworker/hookworker/trigger"
)

// BenchmarkEventCPU is the worker's own work for one typical event, with
// neither NATS nor HTTP: decode the event, render its request, map a
// typical response, encode the Result. Compiled templates are cached, as
// in the worker.
func BenchmarkEventCPU(b *testing.B) {
	data := benchEvent(7, "http://127.0.0.1:9")
	env := render.NewEnv(render.Limits{})
	resp := &mapper.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}}, Body: []byte(benchBody)}
	dec := trigger.NewDecoder(100)
	b.Run("decode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := dec.Decode(data); err != nil {
				b.Fatal(err)
			}
		}
	})
	ev, _ := trigger.Decode(data)
	ev.CVars = render.Normalize(ev.CVars).(map[string]any) // as the worker does before rendering
	wh, err := env.CompileWebhook(ev.Webhook)
	if err != nil {
		b.Fatal(err)
	}
	m, err := mapper.Compile(env, ev.Webhook.CVars, mapper.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("render", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			vars := render.RequestVars(ev, render.Scope{Attempt: 1})
			if _, err := wh.Render(vars); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("map", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := m.Apply(resp, ev.CVars, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("all", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			ev, err := dec.Decode(data)
			if err != nil {
				b.Fatal(err)
			}
			ev.CVars = render.Normalize(ev.CVars).(map[string]any)
			vars := render.RequestVars(ev, render.Scope{Attempt: 1})
			if _, err := wh.Render(vars); err != nil {
				b.Fatal(err)
			}
			out, err := m.Apply(resp, ev.CVars, render.ConversationVars(ev))
			if err != nil {
				b.Fatal(err)
			}
			res := trigger.Result{EventID: ev.ID, Status: trigger.StatusSucceeded, CVars: out.CVars, Unmapped: out.Unmapped, CompletedAt: time.Now()}
			if _, err := json.Marshal(res); err != nil {
				b.Fatal(err)
			}
		}
	})
}
