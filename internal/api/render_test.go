package api_test

import (
	"bytes"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/nats-io/nats.go"

	"github.com/hookworker/hookworker/internal/api"
	"github.com/hookworker/hookworker/internal/fault"
	"github.com/hookworker/hookworker/internal/natsd"
	"github.com/hookworker/hookworker/internal/secret"
	"github.com/hookworker/hookworker/internal/workertest"
	"github.com/hookworker/hookworker/render"
	"github.com/hookworker/hookworker/trigger/webhook"
	"github.com/hookworker/hookworker/worker"
	"github.com/nats-io/nats-server/v2/server"
)

const (
	alphaSecret = "alpha-s3cret-value"
	bravoSecret = "bravo-s3cret-value"
)

// orderHook is a webhook reading a CVar, the conversation, a bot secret,
// and mapping a response that may echo the secret.
func orderHook(target string) map[string]any {
	return map[string]any{
		"id": "orders", "method": "POST",
		"url":     target + "/orders/{{ order_id }}",
		"headers": map[string]string{"X-Bot": "{{ conversation.bot_id }}"},
		"auth":    map[string]string{"type": "bearer", "token": "{{ secrets.TOKEN }}"},
		"body":    `{"name": {{ userName | tojson }}}`,
		"cvars": []map[string]string{
			{"name": "status", "mapper": "{{ order.status }}"},
			{"name": "echo", "mapper": "{{ echo }}"},
			{"name": "order", "mapper": "{{ order }}"},
			{"name": "missing", "mapper": "{{ nothing.here }}"},
		},
	}
}

// TestRenderBotScopedAndMasked: a render for bot A reads A's secret and
// masks it in the request and in every CVar that echoes it (verbatim and
// URL-encoded, nested); a render for bot B reads B's
// and never shows A's; a bot without the secret gets a render error
// naming it. No render reaches the target, while a real worker runs
// beside the service.
func TestRenderBotScopedAndMasked(t *testing.T) {
	ft := fault.NewServer(t)
	ft.On("/orders/A-17", fault.OK(`{}`))
	f := newFixture(t, botSecrets{
		"bot-a": {"TOKEN": alphaSecret},
		"bot-b": {"TOKEN": bravoSecret},
	})
	workertest.Run(t, f.nc, f.cfg, worker.Deps{Secrets: secret.NewScope(nil, render.Secrets{"TOKEN": alphaSecret}, []string{"TOKEN"})})

	hook := orderHook(ft.URL())
	echo := map[string]any{
		"order": map[string]any{"status": "shipped", "token": alphaSecret, "url": url.QueryEscape("?t=" + alphaSecret)},
		"echo":  fmt.Sprintf("token %s", alphaSecret),
	}
	req := map[string]any{
		"bot_id": "bot-a", "webhook": hook,
		"cvars":    map[string]any{"order_id": "A-17", "userName": "Ana"},
		"response": map[string]any{"status_code": 200, "body": echo},
	}
	var a api.RenderReply
	call(t, f.nc, api.SubjectRender, req, &a)
	if a.Request.Method != "POST" || a.Request.URL != ft.URL()+"/orders/A-17" {
		t.Errorf("request %s %s", a.Request.Method, a.Request.URL)
	}
	if got := a.Request.Headers["Authorization"]; got != "Bearer "+render.Mask {
		t.Errorf("Authorization %q, want the secret masked", got)
	}
	if a.Request.Headers["X-Bot"] != "bot-a" || a.Request.Body != `{"name": "Ana"}` {
		t.Errorf("headers %v body %q", a.Request.Headers, a.Request.Body)
	}
	if a.CVars["status"] != "shipped" {
		t.Errorf("status CVar %v", a.CVars["status"])
	}
	if got := a.CVars["echo"]; got != "token ****" {
		t.Errorf("echo CVar %q: want every form of the secret masked", got)
	}
	order, _ := a.CVars["order"].(map[string]any)
	if order["token"] != render.Mask || order["url"] != url.QueryEscape("?t=")+render.Mask {
		t.Errorf("nested CVar %v: want the secret masked", order)
	}
	if len(a.Unmapped) != 1 || a.Unmapped[0] != "missing" {
		t.Errorf("unmapped %v", a.Unmapped)
	}

	// Bot B: its own secret, masked; A's nowhere.
	req["bot_id"] = "bot-b"
	req["response"] = map[string]any{"body": map[string]any{"order": map[string]any{"status": "new", "token": bravoSecret}, "echo": "x"}}
	code, body := raw(t, f.nc, api.SubjectRender, mustJSON(t, req))
	if code != "" {
		t.Fatalf("bot-b: %s %s", code, body)
	}
	for _, s := range []string{alphaSecret, bravoSecret} {
		if bytes.Contains(body, []byte(s)) {
			t.Errorf("bot-b's render shows a secret %q: %s", s, body)
		}
	}
	if !bytes.Contains(body, []byte(`"Authorization":"Bearer ****"`)) {
		t.Errorf("bot-b's render: %s", body)
	}

	// Bot C has no TOKEN: a render error naming it; A's and B's values
	// unseen.
	req["bot_id"] = "bot-c"
	msg := callError(t, f.nc, api.SubjectRender, mustJSON(t, req), 422, "webhook.auth.token")
	if !strings.Contains(msg, "TOKEN") || strings.Contains(msg, alphaSecret) || strings.Contains(msg, bravoSecret) {
		t.Errorf("bot-c's error %q: want it to name TOKEN and show no value", msg)
	}

	if n := len(ft.RequestsUnder("/")); n != 0 {
		t.Errorf("the target received %d requests: render must send nothing", n)
	}
}

// TestRenderRegistryRef: webhook_ref renders a registry definition; an
// unknown one is 404.
func TestRenderRegistryRef(t *testing.T) {
	def := &webhook.Definition{ID: "ticket", URL: "https://acme.example/tickets/{{ ticket_id }}", Headers: map[string]string{"Accept": "application/json"}}
	f := newFixture(t, nil, def)
	var r api.RenderReply
	call(t, f.nc, api.SubjectRender, map[string]any{"bot_id": "b", "webhook_ref": "ticket", "cvars": map[string]any{"ticket_id": 388}}, &r)
	if r.Request.Method != "GET" || r.Request.URL != "https://acme.example/tickets/388" || r.Request.Headers["Idempotency-Key"] != "render-preview" {
		t.Errorf("%+v", r.Request)
	}
	callError(t, f.nc, api.SubjectRender, []byte(`{"bot_id":"b","webhook_ref":{"id":"nope"}}`), 404, "webhook_ref")
}

// TestRenderRefusesBadRequests: every malformed request is a 400 (or
// 413, 422) naming what is wrong, and the service keeps answering.
func TestRenderRefusesBadRequests(t *testing.T) {
	f := newFixture(t, nil)
	ok := `"webhook":{"url":"https://x.example/"}`
	deep := strings.Repeat(`{"a":`, 40) + "1" + strings.Repeat("}", 40)
	tests := []struct {
		name, data string
		code       int
		field      string
	}{
		{"not JSON", `{"bot_id":`, 400, ""},
		{"an array", `[1]`, 400, ""},
		{"unknown field", `{"bot_id":"b",` + ok + `,"cvar":{}}`, 400, "cvar"},
		{"field in another case", `{"Bot_ID":"b",` + ok + `}`, 400, "Bot_ID"},
		{"no bot", `{` + ok + `}`, 400, "bot_id"},
		{"bot not a token", `{"bot_id":"a.b",` + ok + `}`, 400, "bot_id"},
		{"bot not a string", `{"bot_id":7,` + ok + `}`, 400, "bot_id"},
		{"neither webhook", `{"bot_id":"b"}`, 400, "webhook"},
		{"both webhooks", `{"bot_id":"b",` + ok + `,"webhook_ref":"x"}`, 400, "webhook"},
		{"webhook unknown field", `{"bot_id":"b","webhook":{"url":"https://x.example/","verb":"GET"}}`, 400, "webhook.verb"},
		{"webhook bad method", `{"bot_id":"b","webhook":{"url":"https://x.example/","method":"FETCH"}}`, 400, "webhook.method"},
		{"cvars not an object", `{"bot_id":"b",` + ok + `,"cvars":[1]}`, 400, "cvars"},
		{"cvars too deep", `{"bot_id":"b",` + ok + `,"cvars":` + deep + `}`, 400, ""},
		{"response unknown field", `{"bot_id":"b",` + ok + `,"response":{"status":200}}`, 400, "response.status"},
		{"response bad status", `{"bot_id":"b",` + ok + `,"response":{"status_code":1000}}`, 400, "response.status_code"},
		{"template does not parse", `{"bot_id":"b","webhook":{"url":"https://x.example/{{ a"}}`, 422, "webhook.url"},
		{"template fails", `{"bot_id":"b","webhook":{"url":"https://x.example/","body":"{{ 1 % 0 }}"}}`, 422, "webhook.body"},
		{"range bomb", `{"bot_id":"b","webhook":{"url":"https://x.example/","body":"{% for i in range(100000000) %}x{% endfor %}"}}`, 422, "webhook.body"},
		{"body not JSON", `{"bot_id":"b","webhook":{"url":"https://x.example/","method":"POST","body":"{{ a }"}}`, 422, "webhook.body"},
		{"url not http", `{"bot_id":"b","webhook":{"url":"ftp://x.example/"}}`, 422, "webhook.url"},
		{"mapper does not parse", `{"bot_id":"b",` + ok[:len(ok)-1] + `,"cvars":[{"name":"x","mapper":"{{ a"}]}}`, 422, "webhook.cvars[0].mapper"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			callError(t, f.nc, api.SubjectRender, []byte(tt.data), tt.code, tt.field)
		})
	}
	var r api.RenderReply
	call(t, f.nc, api.SubjectRender, map[string]any{"bot_id": "b", "webhook": map[string]any{"url": "https://x.example/"}}, &r)
}

// TestRequestSizeBounded: a request over 1 MiB is refused with 413 before
// it is read (on a server whose max_payload lets it through).
func TestRequestSizeBounded(t *testing.T) {
	srv, err := natsd.Start(natsd.Options{Port: -1, StoreDir: t.TempDir(), Configure: func(o *server.Options) { o.MaxPayload = 4 << 20 }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
	nc, err := nats.Connect(srv.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	f := newFixture(t, nil)
	startService(t, nc, nil, nil, f.store)
	big := `{"bot_id":"b","webhook":{"url":"https://x.example/"},"cvars":{"x":"` + strings.Repeat("a", api.MaxRequestSize) + `"}}`
	callError(t, nc, api.SubjectRender, []byte(big), 413, "")
	callError(t, nc, api.SubjectValidate, []byte(big), 413, "")
}

// TestRenderWarnsAndJudgesStatus: a variable the request reads that the
// conversation does not define is warned about with its field; a sample
// response whose status is not a success says what the worker would do,
// and its mappers do not run.
func TestRenderWarnsAndJudgesStatus(t *testing.T) {
	f := newFixture(t, nil)
	hook := map[string]any{"url": "https://x.example/orders/{{ order_id }}/{{ region | default('eu') }}",
		"cvars": []map[string]string{{"name": "s", "mapper": "{{ status }}"}}}
	var r api.RenderReply
	call(t, f.nc, api.SubjectRender, map[string]any{"bot_id": "b", "webhook": hook,
		"response": map[string]any{"status_code": 200, "body": map[string]any{"status": "ok"}}}, &r)
	if len(r.Warnings) != 1 || r.Warnings[0].Field != "url" || r.Warnings[0].Name != "order_id" {
		t.Errorf("warnings %+v: want order_id in url only (region has a default)", r.Warnings)
	}
	if r.Outcome == nil || r.Outcome.Status != "succeeded" || r.CVars["s"] != "ok" {
		t.Errorf("200: outcome %+v, cvars %v", r.Outcome, r.CVars)
	}
	r = api.RenderReply{}
	call(t, f.nc, api.SubjectRender, map[string]any{"bot_id": "b", "webhook": hook, "cvars": map[string]any{"order_id": 1},
		"response": map[string]any{"status_code": 404, "body": map[string]any{"status": "ok"}}}, &r)
	if len(r.Warnings) != 0 {
		t.Errorf("warnings %+v with order_id defined", r.Warnings)
	}
	if r.Outcome == nil || r.Outcome.Status != "failed" || r.Outcome.Class != "http_status" || r.Outcome.Retried || len(r.CVars) != 0 {
		t.Errorf("404: outcome %+v, cvars %v: want failed at once, no mapping", r.Outcome, r.CVars)
	}
	r = api.RenderReply{}
	call(t, f.nc, api.SubjectRender, map[string]any{"bot_id": "b", "webhook": hook, "cvars": map[string]any{"order_id": 1},
		"response": map[string]any{"status_code": 503}}, &r)
	if r.Outcome == nil || !r.Outcome.Retried {
		t.Errorf("503: outcome %+v: want retried", r.Outcome)
	}
}
