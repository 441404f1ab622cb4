package worker_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/hookworker/hookworker/internal/config"
	"github.com/hookworker/hookworker/internal/jstest"
	"github.com/hookworker/hookworker/render"
	"github.com/hookworker/hookworker/trigger"
	"github.com/hookworker/hookworker/trigger/webhook"
	"github.com/hookworker/hookworker/worker"
)

// TestSecretsNeverLeak: a secret used in the URL, a header, the body and
// auth, echoed back by a failing target, appears in no log line (at any
// level), no Result and no dead letter.
func TestSecretsNeverLeak(t *testing.T) {
	const secret = "sk-live-Zq81/x+y=="
	srv := jstest.Server(t)
	nc, _ := jstest.Connect(t, srv)
	tg := newTarget(t, func(w http.ResponseWriter, r *http.Request) {
		// A target that echoes what it got, then fails.
		b, _ := io.ReadAll(r.Body)
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"error":"bad key `+r.URL.RawQuery+` `+r.Header.Get("X-Key")+`","got":`+string(b)+`}`)
	})
	core, logs := observer.New(zapcore.DebugLevel)
	startWorker(t, nc, func(c *config.Config) { c.Retry.MaxAttempts = 1 }, worker.Deps{
		Logger:  zap.New(core),
		Secrets: sharedSecrets(render.Secrets{"KEY": secret}),
	})
	cases := []struct {
		name string
		def  *webhook.Definition
	}{
		{"http failure", &webhook.Definition{
			ID: "leaky", Method: "POST", URL: tg.URL + "/x?key={{ secrets.KEY }}",
			Headers: map[string]string{"X-Key": "{{ secrets.KEY }}"},
			Auth:    &webhook.Auth{Type: "bearer", Token: "{{ secrets.KEY }}"},
			Body:    `{"key": {{ secrets.KEY | tojson }}}`,
		}},
		{"render failure", &webhook.Definition{
			ID: "leaky-render", URL: "ftp://{{ secrets.KEY }}/x",
		}},
		{"network failure", &webhook.Definition{
			ID: "leaky-network", URL: "http://127.0.0.1:1/{{ secrets.KEY }}",
		}},
	}
	var outputs []string
	for _, c := range cases {
		res := fire(t, nc, &trigger.Event{ID: "leak-" + c.def.ID, BotID: "b", ConversationID: "c", Webhook: c.def})
		if res.Status != trigger.StatusFailed {
			t.Fatalf("%s: status %s", c.name, res.Status)
		}
		raw, _ := json.Marshal(res)
		outputs = append(outputs, "Result "+c.name+": "+string(raw))
	}
	for _, l := range letters(t, nc) {
		raw, _ := json.Marshal(l)
		outputs = append(outputs, "dead letter "+l.EventID+": "+string(raw))
		if l.Request != nil && l.EventID == "leak-leaky" && !strings.Contains(l.Request.URL, render.Mask) {
			t.Errorf("dead letter URL not masked: %s", l.Request.URL)
		}
	}
	if len(outputs) != 6 {
		t.Fatalf("%d Results and dead letters, want 6", len(outputs))
	}
	for _, e := range logs.All() {
		raw, _ := json.Marshal(e.ContextMap())
		outputs = append(outputs, "log: "+e.Message+" "+string(raw))
	}
	forms := []string{secret, "Zq81", "Zq81%2Fx%2By%3D%3D"}
	for _, out := range outputs {
		for _, f := range forms {
			if strings.Contains(out, f) {
				t.Errorf("secret (as %q) leaked: %s", f, out)
			}
		}
	}
}
