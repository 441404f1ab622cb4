package console_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookworker/hookworker/internal/api"
	"github.com/hookworker/hookworker/internal/config"
	"github.com/hookworker/hookworker/internal/console"
	"github.com/hookworker/hookworker/internal/deadletter"
	"github.com/hookworker/hookworker/internal/fault"
	"github.com/hookworker/hookworker/internal/jstest"
	"github.com/hookworker/hookworker/internal/marketplace"
	"github.com/hookworker/hookworker/internal/metrics"
	"github.com/hookworker/hookworker/internal/registry"
	"github.com/hookworker/hookworker/internal/secret"
	"github.com/hookworker/hookworker/internal/streams"
	"github.com/hookworker/hookworker/internal/workertest"
	"github.com/hookworker/hookworker/render"
	"github.com/hookworker/hookworker/trigger"
	"github.com/hookworker/hookworker/trigger/webhook"
	"github.com/hookworker/hookworker/worker"
)

const token = "console-test-token-0123456789"

// stack is everything the console stands on, for real: a JetStream
// server, a worker, the service API, a failing HTTP target, and the
// console over them.
type stack struct {
	nc      *nats.Conn
	js      jetstream.JetStream
	cfg     config.Config
	target  *fault.Server
	store   *deadletter.Store
	results *workertest.Results
	console *console.Server
	srv     *httptest.Server
	client  *trigger.Client
}

// newStack starts the stack; the target answers /orders/ with 503 until
// the test changes it.
func newStack(t *testing.T) *stack {
	t.Helper()
	srv := jstest.Server(t)
	nc, js := jstest.Connect(t, srv)
	st := &stack{nc: nc, js: js, cfg: config.Default(), target: fault.NewServer(t)}
	st.target.On("/orders/A-1", fault.Status(503, `{"error":"down"}`))
	st.target.On("/orders/B-1", fault.Status(404, `{"error":"no such order"}`))
	st.cfg.HTTP.Allow = []string{"127.0.0.0/8"}
	st.cfg.Retry.MaxAttempts = 2
	st.cfg.Retry.Schedule = []time.Duration{50 * time.Millisecond}
	st.cfg.Worker.Concurrency = 4
	secrets := map[string]render.Secrets{"shop-bot": {"ORDERS_TOKEN": "shop-s3cret-token"}}
	m := metrics.New(metrics.Options{})
	w, _ := workertest.Run(t, nc, st.cfg, worker.Deps{Secrets: secret.NewScope(nil, render.Secrets{"ORDERS_TOKEN": "shop-s3cret-token"}, []string{"ORDERS_TOKEN"}), Metrics: m})
	st.store = deadletter.NewStore(js, st.cfg)
	reg, err := registry.NewStatic()
	if err != nil {
		t.Fatal(err)
	}
	svc, err := api.Start(nc, api.Options{Version: "1.0.0"}, api.Deps{
		Definitions: func(ctx context.Context, id string, rev uint64) (*webhook.Definition, error) {
			e, err := reg.Lookup(ctx, id, rev)
			return e.Def, err
		},
		Templates: (*marketplace.Marketplace)(nil),
		Secrets: func(bot string) render.SecretSource {
			if s, ok := secrets[bot]; ok {
				return s
			}
			return render.Secrets{}
		},
		DeadLetters: st.store,
		Status: func() api.InstanceStatus {
			s := api.InstanceStatus{InFlight: inFlight(t, m)}
			s.BreakersOpen, s.BreakersHalfOpen = w.Breakers()
			if err := w.Ready(context.Background()); err != nil {
				s.Ready = err.Error()
			}
			return s
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = svc.Stop() })
	state, err := console.NewNATS(nc, st.cfg)
	if err != nil {
		t.Fatal(err)
	}
	st.console, err = console.New(console.Config{Token: token}, console.Deps{
		Service: api.NewClient(nc), Fleet: state, Definitions: state, Results: state,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.console.Close)
	st.srv = httptest.NewServer(st.console)
	t.Cleanup(st.srv.Close)
	st.results = workertest.CollectResults(t, nc, "connections.result.>")
	if st.client, err = trigger.NewClient(nc); err != nil {
		t.Fatal(err)
	}
	return st
}

// inFlight reads the worker's hookworker_events_in_flight gauge.
func inFlight(t *testing.T, m *metrics.Metrics) int {
	mfs, err := m.Registry().Gather()
	if err != nil {
		t.Error(err)
		return -1
	}
	for _, mf := range mfs {
		if mf.GetName() == "hookworker_events_in_flight" {
			return int(mf.GetMetric()[0].GetGauge().GetValue())
		}
	}
	return -1
}

// fail publishes an event of bot to the target's path, and waits for its
// dead letter.
func (st *stack) fail(t *testing.T, id, bot, path string) {
	t.Helper()
	before, _ := st.store.List(context.Background(), deadletter.Filter{})
	ev := &trigger.Event{ID: id, BotID: bot, ConversationID: "conv-" + id,
		Webhook: &webhook.Definition{ID: "order-status", URL: st.target.URL() + path,
			Auth:  &webhook.Auth{Type: webhook.AuthBearer, Token: "{{ secrets.ORDERS_TOKEN }}"},
			CVars: []webhook.Mapping{{Name: "order_status", Mapper: "{{ status }}"}}}}
	if _, err := st.client.Publish(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		ls, _ := st.store.List(context.Background(), deadletter.Filter{})
		if len(ls) > len(before) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no dead letter for %s", id)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// putDefinition stores a definition in the webhook bucket.
func (st *stack) putDefinition(t *testing.T, id, json string) {
	t.Helper()
	kv, err := streams.EnsureKeyValue(context.Background(), st.js, streams.NewTopology(st.cfg).Webhooks())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Put(context.Background(), id, []byte(json)); err != nil {
		t.Fatal(err)
	}
}

// httpClient keeps cookies and does not follow redirects.
func httpClient(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// do sends a request and returns its status, headers and body.
func do(t *testing.T, c *http.Client, method, u string, body url.Values, header map[string]string) (int, http.Header, string) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = strings.NewReader(body.Encode())
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

// login logs c in and returns the session's CSRF token.
func login(t *testing.T, st *stack, c *http.Client) string {
	t.Helper()
	code, h, _ := do(t, c, "POST", st.srv.URL+"/login", url.Values{"token": {token}, "next": {"/letters"}}, nil)
	if code != http.StatusSeeOther || h.Get("Location") != "/letters" {
		t.Fatalf("login: %d, Location %q", code, h.Get("Location"))
	}
	_, _, page := do(t, c, "GET", st.srv.URL+"/letters", nil, nil)
	const marker = `<meta name="csrf-token" content="`
	i := strings.Index(page, marker)
	if i < 0 {
		t.Fatalf("no CSRF token in the page:\n%s", page)
	}
	csrf, _, _ := strings.Cut(page[i+len(marker):], `"`)
	if csrf == "" {
		t.Fatal("empty CSRF token")
	}
	return csrf
}

func must(t *testing.T, cond bool, format string, args ...any) {
	t.Helper()
	if !cond {
		t.Errorf(format, args...)
	}
}
