package worker_test

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/hookworker/hookworker/internal/jstest"
	"github.com/hookworker/hookworker/internal/marketplace"
	"github.com/hookworker/hookworker/internal/metrics"
	"github.com/hookworker/hookworker/internal/registry"
	"github.com/hookworker/hookworker/render"
	"github.com/hookworker/hookworker/trigger"
	"github.com/hookworker/hookworker/trigger/webhook"
	"github.com/hookworker/hookworker/worker"
)

// TestRegistryDefinitionsCompiledOnce: a registry built with
// worker.Compile of the worker's environment compiles a definition once,
// when it loads it, and the worker runs that compiled form: however many
// events name it, the worker compiles nothing (the definition cache counts
// no miss). A worker with another environment compiles the definition
// itself, once.
func TestRegistryDefinitionsCompiledOnce(t *testing.T) {
	tg := newTarget(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, `{"status":"open"}`) })
	dir := t.TempDir()
	// A definition from a Webhook Template, whose parameter is a template.
	tpl, err := marketplace.Decode([]byte("id: lookup\nparams:\n  - name: p\n    required: true\nwebhook:\n  url: \"" + tg.URL + "/x?p={{ params.p }}\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	market, err := marketplace.New(tpl)
	if err != nil {
		t.Fatal(err)
	}
	file := "id: hook\nuses: lookup\nwith:\n  p: \"{{ 'q' ~ 1 }}\"\ncvars:\n  - name: st\n    mapper: \"{{ status }}\"\n"
	if err := os.WriteFile(filepath.Join(dir, "hook.yaml"), []byte(file), 0o644); err != nil {
		t.Fatal(err)
	}
	env := render.NewEnv(render.Limits{})
	compile := worker.Compile(env)
	var compiles atomic.Int32
	reg, err := registry.LoadDir(dir, market, nil, func(d *webhook.Definition) (any, error) {
		compiles.Add(1)
		return compile(d)
	})
	if err != nil {
		t.Fatal(err)
	}

	for _, tt := range []struct {
		name   string
		env    *render.Env
		misses float64
	}{
		{"the worker's environment", env, 0},
		{"another environment", nil, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := jstest.Server(t)
			nc, _ := jstest.Connect(t, srv)
			m := metrics.New(metrics.Options{})
			w := startWorker(t, nc, nil, worker.Deps{Registry: reg, Env: tt.env, Metrics: m})
			base := opsListener(t, m, w)
			for i := range 3 {
				res := fire(t, nc, &trigger.Event{ID: fmt.Sprintf("once-%d", i), BotID: "b", ConversationID: "c",
					WebhookRef: &trigger.WebhookRef{ID: "hook"}})
				if res.Status != trigger.StatusSucceeded || res.CVars["st"] != "open" {
					t.Fatalf("result %+v %+v", res, res.Error)
				}
			}
			s := scrapeUntil(t, base, func(s map[string]float64) bool {
				return s["hookworker_definition_cache_hits_total"]+s["hookworker_definition_cache_misses_total"] == 3
			})
			if got := s["hookworker_definition_cache_misses_total"]; got != tt.misses {
				t.Errorf("the worker compiled the definition %v times, want %v", got, tt.misses)
			}
			if n := compiles.Load(); n != 1 {
				t.Errorf("the registry compiled it %d times, want 1", n)
			}
		})
	}
	for _, r := range tg.requests() {
		if r.Query != "p=q1" {
			t.Errorf("query %q, want the parameter rendered", r.Query)
		}
	}
}
