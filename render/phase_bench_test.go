package render_test

import (
	"testing"

	"github.com/hookworker/hookworker/render"
)

// BenchmarkRenderPreset is the render phase alone on the bench's events:
// the template context and the request (the compiled webhook cached, as
// in the worker), the body checked against Jinja2's.
func BenchmarkRenderPreset(b *testing.B) {
	for _, name := range []string{"realistic", "heavy"} {
		b.Run(name, func(b *testing.B) {
			c, ev, _ := loadBench(b, name)
			w, err := render.NewEnv(render.Limits{}).CompileWebhook(ev.Webhook)
			if err != nil {
				b.Fatal(err)
			}
			ev.CVars, _ = render.Normalize(ev.CVars).(map[string]any)
			ev.Context, _ = render.Normalize(ev.Context).(map[string]any)
			req, err := w.Render(render.RequestVars(ev, render.Scope{Attempt: 1}))
			if err != nil {
				b.Fatal(err)
			}
			if string(req.Body) != c.Want.Body {
				b.Fatalf("body\n %s\nwant\n %s", req.Body, c.Want.Body)
			}
			b.SetBytes(int64(len(req.Body)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := w.Render(render.RequestVars(ev, render.Scope{Attempt: 1})); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
