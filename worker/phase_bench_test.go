package worker_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/hookworker/hookworker/internal/config"
	"github.com/hookworker/hookworker/internal/jstest"
	"github.com/hookworker/hookworker/internal/workertest"
	"github.com/hookworker/hookworker/mapper"
	"github.com/hookworker/hookworker/render"
	"github.com/hookworker/hookworker/trigger"
	"github.com/hookworker/hookworker/worker"
)

// preset is a hookworker bench preset (render/testdata/bench/<name>.json).
type preset struct {
	event    map[string]json.RawMessage
	status   int
	response []byte
}

func loadPreset(b *testing.B, name string) *preset {
	b.Helper()
	data, err := os.ReadFile(filepath.Join("..", "render", "testdata", "bench", name+".json"))
	if err != nil {
		b.Fatal(err)
	}
	var f struct {
		Event    map[string]json.RawMessage `json:"event"`
		Response struct {
			StatusCode int             `json:"status_code"`
			Body       json.RawMessage `json:"body"`
		} `json:"response"`
	}
	if err := json.Unmarshal(data, &f); err != nil {
		b.Fatal(err)
	}
	return &preset{event: f.Event, status: f.Response.StatusCode, response: f.Response.Body}
}

// data is the preset's event with id, reply_to and the webhook calling
// origin (its URL's scheme and host replaced).
func (p *preset) data(b *testing.B, id, replyTo, origin string) []byte {
	b.Helper()
	ev := map[string]json.RawMessage{}
	for k, v := range p.event {
		ev[k] = v
	}
	var wh map[string]json.RawMessage
	if err := json.Unmarshal(ev["webhook"], &wh); err != nil {
		b.Fatal(err)
	}
	var u string
	_ = json.Unmarshal(wh["url"], &u)
	if i := strings.Index(u, "://"); i >= 0 {
		if j := strings.IndexByte(u[i+3:], '/'); j >= 0 {
			u = origin + u[i+3+j:]
		}
	}
	wh["url"], _ = json.Marshal(u)
	ev["webhook"], _ = json.Marshal(wh)
	ev["id"], _ = json.Marshal(id)
	if replyTo != "" {
		ev["reply_to"], _ = json.Marshal(replyTo)
	}
	out, err := json.Marshal(ev)
	if err != nil {
		b.Fatal(err)
	}
	return out
}

// BenchmarkEventPreset is the worker's own work for one event of each
// bench preset, with neither NATS nor HTTP: decode, render the request,
// map the target's response, encode the Result (compiled templates
// cached, as in the worker). The phases: go test -bench Preset in trigger
// (decode, Result encode), render and mapper.
func BenchmarkEventPreset(b *testing.B) {
	for _, name := range []string{"realistic", "heavy"} {
		b.Run(name, func(b *testing.B) {
			p := loadPreset(b, name)
			data := p.data(b, "evt-1", "_INBOX.x.1", "http://127.0.0.1:9")
			env := render.NewEnv(render.Limits{})
			dec := trigger.NewDecoder(100)
			ev, err := dec.Decode(data)
			if err != nil {
				b.Fatal(err)
			}
			wh, err := env.CompileWebhook(ev.Webhook)
			if err != nil {
				b.Fatal(err)
			}
			m, err := mapper.Compile(env, ev.Webhook.CVars, mapper.Options{})
			if err != nil {
				b.Fatal(err)
			}
			var cond *render.Expr
			if ev.Condition != "" {
				if cond, err = env.CompileExpr(ev.Condition); err != nil {
					b.Fatal(err)
				}
			}
			resp := &mapper.Response{StatusCode: p.status, Header: http.Header{"Content-Type": {"application/json"}}, Body: p.response}
			buf := make([]byte, 0, 512)
			b.ReportAllocs()
			for b.Loop() {
				ev, err := dec.DecodeLazy(data) // as the worker
				if err != nil {
					b.Fatal(err)
				}
				vars := render.RequestVars(ev, render.Scope{Attempt: 1})
				if cond != nil {
					if ok, err := cond.TrueVars(vars); err != nil || !ok { // as the worker: one context
						b.Fatalf("condition %v %v", ok, err)
					}
				}
				if _, err := wh.Render(vars); err != nil {
					b.Fatal(err)
				}
				var cvars, conv map[string]any // as the worker
				if m.Reads("cvars") {
					cvars = ev.CVarsMap()
				}
				if m.Reads("conversation") {
					conv = vars.Conversation()
				}
				out, err := m.Apply(resp, cvars, conv)
				if err != nil {
					b.Fatal(err)
				}
				res := trigger.Result{EventID: ev.ID, BotID: ev.BotID, Status: trigger.StatusSucceeded, CVars: out.CVars,
					Unmapped: out.Unmapped, HTTPStatus: p.status, Attempts: 1, CompletedAt: time.Now()}
				if buf, err = res.AppendJSON(buf[:0]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkPipelinePreset is BenchmarkPipeline with the realistic event:
// b.N events fired as a burst, each Result to its own reply inbox.
func BenchmarkPipelinePreset(b *testing.B) {
	p := loadPreset(b, "realistic")
	srv := jstest.Server(b)
	nc, js := jstest.Connect(b, srv)
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = bytes.NewBuffer(nil).ReadFrom(r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(p.status)
		_, _ = w.Write(p.response)
	}))
	b.Cleanup(target.Close)
	cfg := config.Default()
	cfg.HTTP.Allow = loopback
	cfg.Worker.Concurrency = benchConcurrency
	cfg.Worker.MaxAckPending = 4 * benchConcurrency
	workertest.Run(b, nc, cfg, worker.Deps{})

	var got, bad atomic.Int64
	all := make(chan struct{})
	n := int64(b.N)
	sub, err := nc.Subscribe("_INBOX.pipe.>", func(m *nats.Msg) {
		if !bytes.Contains(m.Data, []byte(`"status":"succeeded"`)) {
			bad.Add(1)
		}
		if got.Add(1) == n {
			close(all)
		}
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = sub.Unsubscribe() })
	time.Sleep(200 * time.Millisecond) // the worker's first pull
	t0 := time.Now()
	events := make([][]byte, b.N)
	for i := range events {
		id := fmt.Sprintf("p-%d-%d", t0.UnixNano(), i)
		events[i] = p.data(b, id, "_INBOX.pipe."+id, target.URL)
	}
	b.ResetTimer()
	cpu0, t0 := cpuTime(), time.Now()
	for i, data := range events {
		msg := nats.NewMsg("connections.fired.bot-acme")
		msg.Data = data
		msg.Header.Set("Nats-Msg-Id", fmt.Sprintf("pp-%d-%d", t0.UnixNano(), i))
		publishAsync(b, js, msg)
	}
	select {
	case <-all:
	case <-time.After(5 * time.Minute):
		b.Fatalf("%d of %d Results after 5 minutes", got.Load(), n)
	}
	report(b, b.N, time.Since(t0), cpuTime()-cpu0)
	if bad.Load() > 0 {
		b.Fatalf("%d Results not succeeded", bad.Load())
	}
}
