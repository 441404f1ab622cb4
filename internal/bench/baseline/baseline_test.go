package baseline

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookworker/hookworker/internal/natsd"
)

func TestBaselineRejectsOptions(t *testing.T) {
	for _, o := range []Options{{}, {URL: "nats://x", Stream: "s", Consumer: "c"}, {URL: "nats://x", Stream: "s", Consumer: "c", Concurrency: 20000}} {
		if err := Run(context.Background(), o); err == nil {
			t.Errorf("%+v: accepted", o)
		}
	}
}

// One event through the baseline: its request reaches the target, its
// Result comes to reply_to with the mapped CVars, and it is acked.
func TestBaselineRunsAnEvent(t *testing.T) {
	srv, err := natsd.Start(natsd.Options{Host: "127.0.0.1", Port: -1, StoreDir: filepath.Join(t.TempDir(), "js")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
	var gotKey string
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotKey = r.Header.Get("Idempotency-Key")
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"ticket":{"id":7,"status":"open"}}`))
	}))
	t.Cleanup(target.Close)
	nc, err := nats.Connect(srv.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	js, _ := jetstream.New(nc)
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "S", Subjects: []string{"s.>"}, Retention: jetstream.WorkQueuePolicy}); err != nil {
		t.Fatal(err)
	}
	if _, err := js.CreateOrUpdateConsumer(ctx, "S", jetstream.ConsumerConfig{Durable: "c", AckPolicy: jetstream.AckExplicitPolicy}); err != nil {
		t.Fatal(err)
	}
	sub, err := nc.SubscribeSync("_INBOX.t.1")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	rctx, stop := context.WithCancel(ctx)
	go func() { done <- Run(rctx, Options{URL: srv.ClientURL(), Stream: "S", Consumer: "c", Concurrency: 2}) }()
	ev := `{"id":"e-1","bot_id":"b","conversation_id":"c","reply_to":"_INBOX.t.1","webhook":{"id":"w","method":"POST","url":"` +
		target.URL + `/t","body":"{\"n\": {{ n }}}","cvars":[{"name":"st","mapper":"{{ ticket.status }}"},{"name":"id","mapper":"{{ ticket.id }}"}]},"cvars":{"n":1}}`
	if _, err := js.Publish(ctx, "s.b", []byte(ev)); err != nil {
		t.Fatal(err)
	}
	m, err := sub.NextMsg(10 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var res struct {
		EventID string         `json:"event_id"`
		Status  string         `json:"status"`
		CVars   map[string]any `json:"cvars"`
	}
	if err := json.Unmarshal(m.Data, &res); err != nil {
		t.Fatal(err)
	}
	if res.EventID != "e-1" || res.Status != "succeeded" || res.CVars["st"] != "open" || res.CVars["id"] != float64(7) || gotKey != "e-1" {
		t.Errorf("Result %s, Idempotency-Key %q", m.Data, gotKey)
	}
	// The ack follows the Result (fire and forget): wait for the work
	// queue to drop the event before stopping the worker.
	info, err := js.Stream(ctx, "S")
	if err != nil {
		t.Fatal(err)
	}
	left := uint64(1)
	for deadline := time.Now().Add(5 * time.Second); left != 0 && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		st, err := info.Info(ctx)
		if err != nil {
			t.Fatal(err)
		}
		left = st.State.Msgs
	}
	if left != 0 {
		t.Errorf("%d messages left after 5s: the event was not acked", left)
	}
	stop()
	if err := <-done; err != nil && !strings.Contains(err.Error(), "closed") {
		t.Errorf("Run: %v", err)
	}
}
