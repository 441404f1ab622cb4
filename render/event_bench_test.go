package render_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/hookworker/hookworker/mapper"
	"github.com/hookworker/hookworker/render"
	"github.com/hookworker/hookworker/trigger"
)

// benchCase is one file of testdata/bench: an event with an inline
// webhook, the response its target gives, and the expected outcome.
type benchCase struct {
	Event    json.RawMessage `json:"event"`
	Response struct {
		StatusCode int               `json:"status_code"`
		Headers    map[string]string `json:"headers"`
		Body       json.RawMessage   `json:"body"`
	} `json:"response"`
	Want struct {
		Body  string         `json:"body"`
		CVars map[string]any `json:"cvars"`
	} `json:"want"`
}

func loadBench(tb testing.TB, name string) (*benchCase, *trigger.Event, *mapper.Response) {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "bench", name+".json"))
	if err != nil {
		tb.Fatal(err)
	}
	var c benchCase
	if err := json.Unmarshal(data, &c); err != nil {
		tb.Fatal(err)
	}
	// Engines send compact JSON (json.Marshal, as trigger.Client and
	// hookworker bench do); the file is indented for people.
	var event bytes.Buffer
	if err := json.Compact(&event, c.Event); err != nil {
		tb.Fatal(err)
	}
	ev, err := trigger.Decode(event.Bytes())
	if err != nil {
		tb.Fatal(err)
	}
	resp := &mapper.Response{StatusCode: c.Response.StatusCode, Header: http.Header{}, Body: c.Response.Body}
	for k, v := range c.Response.Headers {
		resp.Header.Set(k, v)
	}
	return &c, ev, resp
}

// benchRenderMap renders the event's request and maps the response, as
// the worker does per event once the definition is compiled.
func benchRenderMap(b *testing.B, name string) {
	c, ev, resp := loadBench(b, name)
	env := render.NewEnv(render.Limits{})
	w, err := env.CompileWebhook(ev.Webhook)
	if err != nil {
		b.Fatal(err)
	}
	m, err := mapper.Compile(env, ev.Webhook.CVars, mapper.Options{})
	if err != nil {
		b.Fatal(err)
	}
	ev.CVars, _ = render.Normalize(ev.CVars).(map[string]any)
	ev.Context, _ = render.Normalize(ev.Context).(map[string]any)
	run := func() (*render.Request, mapper.Output) {
		// As the worker: the first attempt renders in the context the
		// condition was evaluated in.
		vars := render.RequestVars(ev, render.Scope{Attempt: 1})
		if ev.Condition != "" {
			x, err := env.CompileExpr(ev.Condition)
			if err != nil {
				b.Fatal(err)
			}
			if ok, err := x.TrueVars(vars); err != nil || !ok {
				b.Fatalf("condition: %v %v", ok, err)
			}
		}
		req, err := w.Render(vars)
		if err != nil {
			b.Fatal(err)
		}
		var conv map[string]any
		if m.Reads("conversation") {
			conv = vars.Conversation()
		}
		out, err := m.Apply(resp, ev.CVars, conv)
		if err != nil {
			b.Fatal(err)
		}
		return req, out
	}
	req, out := run()
	if c.Want.Body != "" && string(req.Body) != c.Want.Body {
		b.Logf("body differs from Jinja2's:\n got %s\nwant %s", req.Body, c.Want.Body)
	}
	if len(out.CVars) != len(c.Want.CVars) {
		b.Fatalf("cvars %v, want %v", out.CVars, c.Want.CVars)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		run()
	}
}

func BenchmarkRenderMapRealistic(b *testing.B) { benchRenderMap(b, "realistic") }
func BenchmarkRenderMapHeavy(b *testing.B)     { benchRenderMap(b, "heavy") }
