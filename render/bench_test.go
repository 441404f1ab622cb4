package render

import (
	"strconv"
	"testing"

	"github.com/hookworker/hookworker/trigger"
	"github.com/hookworker/hookworker/trigger/webhook"
)

// typicalBody is a ~300-byte JSON body with 5 variables, one through tojson.
const typicalBody = `{
  "ticket": {
    "subject": "Order {{ order_id }} needs attention",
    "comment": {"body": {{ conversation.user_message | tojson }}},
    "priority": "normal",
    "requester": {"name": "{{ userName }}", "email": "{{ email }}"},
    "custom_fields": [{"id": 360001, "value": "{{ conversation.language }}"}],
    "tags": ["chatbot", "hookworker"]
  }
}`

func typicalWebhook(tb testing.TB, e *Env) *Webhook {
	tb.Helper()
	def := &webhook.Definition{
		ID:     "zendesk-create-ticket",
		Method: "POST",
		URL:    "https://example.zendesk.com/api/v2/orders/{{ order_id }}/tickets",
		Headers: map[string]string{
			"Accept":  "application/json",
			"X-Trace": "{{ event.id }}-{{ event.attempt }}",
		},
		Body: typicalBody,
	}
	if err := def.Validate(); err != nil {
		tb.Fatal(err)
	}
	w, err := e.CompileWebhook(def)
	if err != nil {
		tb.Fatal(err)
	}
	return w
}

func typicalEvent(tb testing.TB) *trigger.Event {
	tb.Helper()
	return testEvent(tb,
		`{"order_id": 388, "userName": "Ann Lee", "email": "ann@example.com", "vip": true, "total": 150.5}`,
		`{"user_message": "Where is my order? It said \"2 days\" <b>a week</b> ago.", "language": "en", "channel": "web"}`)
}

// BenchmarkRenderTypical renders a typical webhook from compiled templates.
func BenchmarkRenderTypical(b *testing.B) {
	e := NewEnv(Limits{})
	w := typicalWebhook(b, e)
	vars := RequestVars(typicalEvent(b), Scope{Attempt: 1})
	req, err := w.Render(vars)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(req.Body)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := w.Render(vars); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRequestVars builds the template context of one event.
func BenchmarkRequestVars(b *testing.B) {
	ev := typicalEvent(b)
	sc := Scope{Secrets: Secrets{"TOKEN": "t"}, Attempt: 2}
	b.ReportAllocs()
	for b.Loop() {
		if v := RequestVars(ev, sc); v.Map() == nil {
			b.Fatal("no vars")
		}
	}
}

// BenchmarkCompileCached compiles a webhook whose templates are all in
// the cache: the cost of an inline definition arriving again.
func BenchmarkCompileCached(b *testing.B) {
	e := NewEnv(Limits{})
	w := typicalWebhook(b, e)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.CompileWebhook(w.Def); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCompileUncached parses the typical body: what the cache saves.
func BenchmarkCompileUncached(b *testing.B) {
	e := NewEnv(Limits{})
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		if _, err := e.Compile(typicalBody + strconv.Itoa(i)); err != nil {
			b.Fatal(err)
		}
	}
}

func TestTypicalWebhookRenders(t *testing.T) {
	w := typicalWebhook(t, NewEnv(Limits{}))
	req, err := w.Render(RequestVars(typicalEvent(t), Scope{Attempt: 1}))
	if err != nil {
		t.Fatal(err)
	}
	checkRequest(t, req)
	if n := len(typicalBody); n < 250 || n > 400 {
		t.Errorf("typical body is %d bytes, want about 300", n)
	}
	if req.URL != "https://example.zendesk.com/api/v2/orders/388/tickets" {
		t.Errorf("URL = %q", req.URL)
	}
}
