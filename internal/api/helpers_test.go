package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nats.go/micro"

	"github.com/hookworker/hookworker/internal/api"
	"github.com/hookworker/hookworker/internal/config"
	"github.com/hookworker/hookworker/internal/deadletter"
	"github.com/hookworker/hookworker/internal/jstest"
	"github.com/hookworker/hookworker/internal/marketplace"
	"github.com/hookworker/hookworker/internal/registry"
	"github.com/hookworker/hookworker/render"
	"github.com/hookworker/hookworker/trigger/webhook"
)

// botSecrets are per-bot secret stores, as tenancy keeps them.
type botSecrets map[string]render.Secrets

func (b botSecrets) source(bot string) render.SecretSource {
	if s, ok := b[bot]; ok {
		return s
	}
	return render.Secrets{}
}

// fixture is a real server with the service API running on it.
type fixture struct {
	nc    *nats.Conn
	js    jetstream.JetStream
	url   string
	cfg   config.Config
	store *deadletter.Store
	svc   *api.Service
	c     *api.Client
}

// newFixture starts a server and the service with secrets and the
// registry definitions defs.
func newFixture(t testing.TB, secrets botSecrets, defs ...*webhook.Definition) *fixture {
	t.Helper()
	srv := jstest.Server(t)
	nc, js := jstest.Connect(t, srv)
	cfg := config.Default()
	store := deadletter.NewStore(js, cfg)
	reg, err := registry.NewStatic(defs...)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{nc: nc, js: js, url: srv.ClientURL(), cfg: cfg, store: store, c: api.NewClient(nc)}
	f.svc = startService(t, nc, reg, secrets, store)
	return f
}

func startService(t testing.TB, nc *nats.Conn, reg *registry.Registry, secrets botSecrets, store *deadletter.Store) *api.Service {
	t.Helper()
	svc, err := api.Start(nc, api.Options{Version: "1.2.3"}, api.Deps{
		Definitions: func(ctx context.Context, id string, rev uint64) (*webhook.Definition, error) {
			e, err := reg.Lookup(ctx, id, rev)
			return e.Def, err
		},
		Templates:   (*marketplace.Marketplace)(nil),
		Secrets:     secrets.source,
		DeadLetters: store,
		Status: func() api.InstanceStatus {
			return api.InstanceStatus{InFlight: 3, BreakersOpen: []string{"down.example:443"}}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = svc.Stop() })
	return svc
}

// raw sends data to subject and returns the reply: its error code header
// ("" on success) and its body.
func raw(t *testing.T, nc *nats.Conn, subject string, data []byte) (code string, body []byte) {
	t.Helper()
	m, err := nc.Request(subject, data, 10*time.Second)
	if err != nil {
		t.Fatalf("%s: %v", subject, err)
	}
	return m.Header.Get(micro.ErrorCodeHeader), m.Data
}

// replySchema names the schema of each subject's reply.
var replySchema = map[string]string{
	api.SubjectRender:       "api.schema.json#/$defs/renderReply",
	api.SubjectValidate:     "api.schema.json#/$defs/validateReply",
	api.SubjectDLQList:      "api.schema.json#/$defs/dlqListReply",
	api.SubjectDLQShow:      "dead-letter.schema.json",
	api.SubjectReplay:       "api.schema.json#/$defs/replayReply",
	api.SubjectStatus:       "api.schema.json#/$defs/statusReply",
	"$SRV.PING.hookworker":  "api.schema.json#/$defs/srvPing",
	"$SRV.INFO.hookworker":  "api.schema.json#/$defs/srvInfo",
	"$SRV.STATS.hookworker": "api.schema.json#/$defs/srvStats",
}

// requestSchema names the schema of each endpoint's request.
var requestSchema = map[string]string{
	api.SubjectRender:   "api.schema.json#/$defs/renderRequest",
	api.SubjectValidate: "api.schema.json#/$defs/validateRequest",
	api.SubjectDLQList:  "api.schema.json#/$defs/dlqListRequest",
	api.SubjectDLQShow:  "api.schema.json#/$defs/dlqShowRequest",
	api.SubjectReplay:   "api.schema.json#/$defs/replayRequest",
}

// call sends v as JSON and decodes a successful reply into out, or fails;
// the request and the reply must validate against docs/schema.
func call(t *testing.T, nc *nats.Conn, subject string, v, out any) {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if ref, ok := requestSchema[subject]; ok {
		validAgainst(t, ref, data)
	}
	code, body := raw(t, nc, subject, data)
	if code != "" {
		t.Fatalf("%s %s: error %s: %s", subject, data, code, body)
	}
	if ref, ok := replySchema[subject]; ok {
		validAgainst(t, ref, body)
	}
	if err := json.Unmarshal(body, out); err != nil {
		t.Fatalf("%s: reply %s: %v", subject, body, err)
	}
}

// callError sends data and requires an error reply with code whose JSON
// body names the field; it returns the message.
func callError(t *testing.T, nc *nats.Conn, subject string, data []byte, code int, field string) string {
	t.Helper()
	got, body := raw(t, nc, subject, data)
	if got != strconv.Itoa(code) {
		t.Fatalf("%s %s: error code %q, want %d; body %s", subject, clip(data), got, code, body)
	}
	var e struct {
		Error *api.Error `json:"error"`
	}
	if err := json.Unmarshal(body, &e); err != nil || e.Error == nil {
		t.Fatalf("%s: error body %s is not {\"error\": {...}}: %v", subject, body, err)
	}
	validAgainst(t, "api.schema.json#/$defs/error", body)
	if e.Error.Code != code || e.Error.Message == "" {
		t.Errorf("%s: error body %s: want code %d and a message", subject, body, code)
	}
	if field != "" && e.Error.Field != field {
		t.Errorf("%s %s: error field %q, want %q (%s)", subject, clip(data), e.Error.Field, field, e.Error.Message)
	}
	return e.Error.Message
}

func clip(b []byte) string {
	if len(b) > 200 {
		return string(b[:200]) + "…"
	}
	return string(b)
}

func mustJSON(t *testing.T, v any) json.RawMessage {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// waitLetters waits for n dead letters and returns them.
func waitLetters(t *testing.T, store *deadletter.Store, n int) []*deadletter.Letter {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		ls, err := store.List(context.Background(), deadletter.Filter{})
		if err == nil && len(ls) >= n {
			return ls
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d dead letters (%v), want %d", len(ls), err, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }

func asError(err error, target **api.Error) bool { return errors.As(err, target) }
