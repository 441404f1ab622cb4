package worker_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookworker/hookworker/internal/config"
	"github.com/hookworker/hookworker/internal/jstest"
	"github.com/hookworker/hookworker/internal/workertest"
	"github.com/hookworker/hookworker/render"
	"github.com/hookworker/hookworker/trigger"
	"github.com/hookworker/hookworker/trigger/webhook"
	"github.com/hookworker/hookworker/worker"
)

// seen is one request as the target received it.
type seen struct {
	Method string
	Path   string
	Query  string
	Header http.Header
	Body   string
}

// target is an httptest server that records requests and answers with
// the handler's response.
type target struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []seen
}

func newTarget(t *testing.T, answer func(w http.ResponseWriter, r *http.Request)) *target {
	t.Helper()
	tg := &target{}
	tg.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		tg.mu.Lock()
		tg.reqs = append(tg.reqs, seen{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Clone(), string(b)})
		tg.mu.Unlock()
		answer(w, r)
	}))
	t.Cleanup(tg.Close)
	return tg
}

func (tg *target) requests() []seen {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	return append([]seen(nil), tg.reqs...)
}

// startWorker runs a worker against nc until the test ends.
func startWorker(t *testing.T, nc *nats.Conn, mutate func(*config.Config), deps worker.Deps) *worker.Worker {
	t.Helper()
	cfg := config.Default()
	cfg.Worker.Concurrency = 8
	cfg.Worker.ShutdownGrace = 5 * time.Second
	cfg.Worker.StreamRefresh = 200 * time.Millisecond
	cfg.HTTP.Allow = loopback // test targets are httptest servers
	if mutate != nil {
		mutate(&cfg)
	}
	w, _ := workertest.Run(t, nc, cfg, deps)
	return w
}

func fire(t *testing.T, nc *nats.Conn, ev *trigger.Event) *trigger.Result {
	t.Helper()
	c, err := trigger.NewClient(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := c.Fire(ctx, ev)
	if err != nil {
		t.Fatalf("fire %s: %v", ev.ID, err)
	}
	return res
}

func TestPipelineEndToEnd(t *testing.T) {
	srv := jstest.Server(t)
	nc, js := jstest.Connect(t, srv)
	tg := newTarget(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Request-Id", "rq-7")
		io.WriteString(w, `{"ticket":{"id":388,"status":"open","score":4.5,"tags":["a","b"],"assignee":null},"count":2}`)
	})
	startWorker(t, nc, nil, worker.Deps{Secrets: sharedSecrets(render.Secrets{"TOKEN": "s3cr3t-token"})})

	ev := &trigger.Event{
		ID: "evt-1", BotID: "bot-1", ConversationID: "conv-1",
		Connection: &trigger.Connection{ID: "c-1", ModuleID: "m-1", Scope: "module"},
		Webhook: &webhook.Definition{
			ID:     "zendesk-ticket-status",
			Method: "POST",
			URL:    tg.URL + "/api/v2/tickets/{{ ticket_id }}.json",
			Query:  map[string]string{"lang": "{{ conversation.language }}"},
			Headers: map[string]string{
				"X-Conversation": "{{ conversation.id }}",
			},
			Auth: &webhook.Auth{Type: "bearer", Token: "{{ secrets.TOKEN }}"},
			Body: `{"id": {{ ticket_id }}, "name": {{ userName | tojson }}, "total": {{ total }}, "vip": {{ vip | tojson }}, "order": {{ cvars['order-id'] | tojson }}}`,
			CVars: []webhook.Mapping{
				{Name: "ticket_status", Mapper: "{{ ticket.status }}"},
				{Name: "ticket_id", Mapper: "{{ ticket.id }}"},
				{Name: "score", Mapper: "{{ ticket.score }}"},
				{Name: "tags", Mapper: "{{ ticket.tags }}"},
				{Name: "assignee", Mapper: "{{ ticket.assignee }}"},
				{Name: "shout", Mapper: "{{ ticket.status | upper }}"},
				{Name: "summary", Mapper: "#{{ ticket.id }} is {{ ticket.status }}"},
				{Name: "request_id", Mapper: "{{ response.headers['x-request-id'] }}"},
				{Name: "code", Mapper: "{{ response.status_code }}"},
				{Name: "missing", Mapper: "{{ ticket.nothing }}"},
			},
		},
		CVars: map[string]any{
			"ticket_id": json.Number("388"), "userName": `Ana "Q" Lee`, "total": json.Number("150"),
			"vip": true, "order-id": "A-17",
		},
		Context: map[string]any{"language": "da"},
	}
	res := fire(t, nc, ev)

	if res.Status != trigger.StatusSucceeded || res.Error != nil {
		t.Fatalf("status %s, error %+v", res.Status, res.Error)
	}
	reqs := tg.requests()
	if len(reqs) != 1 {
		t.Fatalf("target saw %d requests, want 1", len(reqs))
	}
	r := reqs[0]
	checks := []struct{ what, got, want string }{
		{"method", r.Method, "POST"},
		{"path", r.Path, "/api/v2/tickets/388.json"},
		{"query", r.Query, "lang=da"},
		{"body", r.Body, `{"id": 388, "name": "Ana \"Q\" Lee", "total": 150, "vip": true, "order": "A-17"}`},
		{"Idempotency-Key", r.Header.Get("Idempotency-Key"), "evt-1"},
		{"Authorization", r.Header.Get("Authorization"), "Bearer s3cr3t-token"},
		{"Content-Type", r.Header.Get("Content-Type"), "application/json"},
		{"X-Conversation", r.Header.Get("X-Conversation"), "conv-1"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("target saw %s %q, want %q", c.what, c.got, c.want)
		}
	}
	gotCVars, _ := json.Marshal(res.CVars)
	wantCVars := `{"assignee":null,"code":200,"request_id":"rq-7","score":4.5,"shout":"OPEN","summary":"#388 is open","tags":["a","b"],"ticket_id":388,"ticket_status":"open"}`
	if string(gotCVars) != wantCVars {
		t.Errorf("cvars\n got %s\nwant %s", gotCVars, wantCVars)
	}
	if len(res.Unmapped) != 1 || res.Unmapped[0] != "missing" {
		t.Errorf("unmapped %v, want [missing]", res.Unmapped)
	}
	if res.EventID != "evt-1" || res.BotID != "bot-1" || res.ConversationID != "conv-1" ||
		res.ConnectionID != "c-1" || res.WebhookID != "zendesk-ticket-status" ||
		res.HTTPStatus != 200 || res.Attempts != 1 || res.Replayed || res.CompletedAt.IsZero() {
		t.Errorf("result envelope: %+v", res)
	}
	assertDrained(t, js, "CONNECTIONS", "hookworker")
}

// assertDrained waits until the consumer has nothing pending or unacked.
func assertDrained(t *testing.T, js jetstream.JetStream, stream, consumer string) {
	t.Helper()
	var info *jetstream.ConsumerInfo
	for range 100 {
		c, err := js.Consumer(context.Background(), stream, consumer)
		if err != nil {
			t.Fatal(err)
		}
		info, err = c.Info(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if info.NumPending == 0 && info.NumAckPending == 0 {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Errorf("consumer %s: %d pending, %d ack pending, want none", consumer, info.NumPending, info.NumAckPending)
}

func jstestJS(nc *nats.Conn) (jetstream.JetStream, error) { return jetstream.New(nc) }

// loopback is the egress allow list of tests, whose targets listen on
// loopback.
var loopback = []string{"127.0.0.0/8", "::1/128"}

// TestConfigForEmbedders: the aliases give a program that embeds the
// worker the same defaults and loading as the command.
func TestConfigForEmbedders(t *testing.T) {
	cfg, err := worker.LoadConfig("", []string{"HOOKWORKER_CONCURRENCY=7"})
	if err != nil {
		t.Fatal(err)
	}
	want := worker.DefaultConfig()
	want.Worker.Concurrency = 7
	if cfg.Worker != want.Worker || cfg.Names != want.Names {
		t.Errorf("got %+v, want %+v", cfg.Worker, want.Worker)
	}
	if err := cfg.Validate(); err != nil {
		t.Error(err)
	}
}
