package worker_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/hookworker/hookworker/internal/config"
	"github.com/hookworker/hookworker/internal/jstest"
	"github.com/hookworker/hookworker/trigger"
	"github.com/hookworker/hookworker/trigger/webhook"
	"github.com/hookworker/hookworker/worker"
)

// fullStream creates a stream on subjects that refuses writes (one
// message at most, discard new) and fills it.
func fullStream(t *testing.T, js jetstream.JetStream, cfg jetstream.StreamConfig) {
	t.Helper()
	cfg.MaxMsgs, cfg.Discard = 1, jetstream.DiscardNew
	ctx := context.Background()
	if _, err := js.CreateStream(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	if _, err := js.Publish(ctx, strings.TrimSuffix(cfg.Subjects[0], ">")+"filler.x", []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
}

// allowWrites lifts the stream's message limit, as an operator would.
func allowWrites(t *testing.T, js jetstream.JetStream, name string) {
	t.Helper()
	ctx := context.Background()
	s, err := js.Stream(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	sc := s.CachedInfo().Config
	sc.MaxMsgs = -1
	if _, err := js.UpdateStream(ctx, sc); err != nil {
		t.Fatal(err)
	}
}

// TestStoreRefusesResultsThenResumes: a stream that captures the reply
// subject refuses writes (full, discard new): the worker is not ready and
// says why, logs it at error, hands the event back with its outcome kept;
// once the operator makes room, the Result is stored, the worker is ready
// again by itself, and the webhook ran once.
func TestStoreRefusesResultsThenResumes(t *testing.T) {
	srv := jstest.Server(t)
	nc, js := jstest.Connect(t, srv)
	fullStream(t, js, jetstream.StreamConfig{Name: "RESULTS", Subjects: []string{"results.store.>"}})
	tg := newTarget(t, func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, `{"ok": true}`) })
	core, logs := observer.New(zapcore.InfoLevel)
	w := startWorker(t, nc, nil, worker.Deps{Logger: zap.New(core)})
	ctx := context.Background()

	ev := &trigger.Event{ID: "full-1", BotID: "b", ConversationID: "c", ReplyTo: "results.store.full-1", Webhook: &webhook.Definition{URL: tg.URL}}
	publishEvent(t, nc, ev)
	var last error
	waitFor(t, 5*time.Second, "not ready, naming the refused results", func() bool {
		last = w.Ready(ctx)
		return last != nil && strings.Contains(last.Error(), "JetStream cannot store results")
	})
	t.Logf("readiness while the stream is full: %v", last)
	if logs.FilterLevelExact(zapcore.ErrorLevel).FilterMessageSnippet("JetStream cannot store results").Len() == 0 {
		t.Errorf("no error log saying that results cannot be stored")
	}
	allowWrites(t, js, "RESULTS")
	waitFor(t, 10*time.Second, "ready again", func() bool { return w.Ready(ctx) == nil })
	s, err := js.Stream(ctx, "RESULTS")
	if err != nil {
		t.Fatal(err)
	}
	m, err := s.GetLastMsgForSubject(ctx, "results.store.full-1")
	if err != nil {
		t.Fatalf("the Result was not stored after the stream made room: %v", err)
	}
	var res trigger.Result
	if err := json.Unmarshal(m.Data, &res); err != nil || res.Status != trigger.StatusSucceeded {
		t.Fatalf("stored Result %s: %v", m.Data, err)
	}
	if n := len(tg.requests()); n != 1 {
		t.Errorf("the target saw %d requests, want 1: the handed-back event ran again", n)
	}
	if logs.FilterMessageSnippet("JetStream stores results again").Len() == 0 {
		t.Errorf("no log saying that results are stored again")
	}
}

// TestRenderFailureStaysRender: an event that fails to render while the
// dead-letter stream refuses writes goes back to JetStream each time,
// never runs again, and, once its deliveries are spent, the backstop
// keeps its class (render, not timeout) and writes it when the stream
// makes room.
func TestRenderFailureStaysRender(t *testing.T) {
	srv := jstest.Server(t)
	nc, js := jstest.Connect(t, srv)
	fullStream(t, js, jetstream.StreamConfig{Name: "CONNECTIONS_DLQ", Subjects: []string{"connections.dlq.>"}, Duplicates: 10 * time.Minute})
	core, logs := observer.New(zapcore.InfoLevel)
	w := startWorker(t, nc, func(c *config.Config) {
		c.Worker.MaxDeliver = 2
		c.Retry.MaxAttempts = 2
		c.Worker.AckWait = time.Second
	}, worker.Deps{Logger: zap.New(core)})
	big := strings.Repeat("x", 3500)
	ev := &trigger.Event{ID: "render-1", BotID: "rb", ConversationID: "c",
		Webhook: &webhook.Definition{Method: "POST", URL: "http://127.0.0.1:1/never", Body: "{ not json " + big}}
	sub := publishEvent(t, nc, ev)
	waitFor(t, 30*time.Second, "the backstop's first try", func() bool {
		return logs.FilterMessageSnippet("backstop could not dead-letter").Len() > 0
	})
	if err := w.Ready(context.Background()); err == nil || !strings.Contains(err.Error(), "dead letters") {
		t.Errorf("readiness while dead letters are refused: %v", err)
	}
	allowWrites(t, js, "CONNECTIONS_DLQ")
	res := nextResult(t, sub, 20*time.Second)
	if res.Status != trigger.StatusFailed || res.Error == nil || res.Error.Class != trigger.ClassRender {
		t.Fatalf("result %s %+v, want failed with class render", res.Status, res.Error)
	}
	var found bool
	for _, l := range letters(t, nc) {
		if l.EventID == "render-1" {
			found = true
			if l.Error.Class != trigger.ClassRender {
				t.Errorf("dead letter class %s, want render", l.Error.Class)
			}
		}
	}
	if !found {
		t.Errorf("no dead letter for the event")
	}
}

// TestInvalidJSONGetsResult: an event that is not JSON, stored under a
// subject that names its bot, gets a failed invalid_event Result on that
// bot's result subject, and a dead letter.
func TestInvalidJSONGetsResult(t *testing.T) {
	srv := jstest.Server(t)
	nc, js := jstest.Connect(t, srv)
	startWorker(t, nc, nil, worker.Deps{})
	sub, err := nc.SubscribeSync("connections.result.bot-nj")
	if err != nil {
		t.Fatal(err)
	}
	for i, body := range []string{`{"id": "nj-1", "bot_id": "bot-nj", oops`, "\x00\x01 not json at all"} {
		msg := &nats.Msg{Subject: "connections.fired.bot-nj.conv", Data: []byte(body), Header: nats.Header{}}
		msg.Header.Set(nats.MsgIdHdr, "nj-"+string(rune('a'+i)))
		if _, err := js.PublishMsg(context.Background(), msg); err != nil {
			t.Fatal(err)
		}
		res := nextResult(t, sub, 10*time.Second)
		if res.Status != trigger.StatusFailed || res.Error == nil || res.Error.Class != trigger.ClassInvalidEvent || res.BotID != "bot-nj" {
			t.Errorf("event %d: result %+v %+v, want failed invalid_event for bot-nj", i, res, res.Error)
		}
	}
	n := 0
	for _, l := range letters(t, nc) {
		if l.BotID == "bot-nj" && l.Error.Class == trigger.ClassInvalidEvent {
			n++
		}
	}
	if n != 2 {
		t.Errorf("%d invalid_event dead letters for bot-nj, want 2", n)
	}
}

// TestLargeEventLetterTrimmed: a valid 700 KB event whose request carries
// it and fails for good: its dead letter (1.4 MB as it is, over the
// dead-letter stream's 1 MiB max_msg_size) is trimmed and stored, it gets its failed Result,
// and its request is sent once.
func TestLargeEventLetterTrimmed(t *testing.T) {
	srv := jstest.Server(t)
	nc, js := jstest.Connect(t, srv)
	if _, err := js.CreateStream(context.Background(), jetstream.StreamConfig{Name: "CONNECTIONS_DLQ",
		Subjects: []string{"connections.dlq.>"}, MaxMsgSize: 1 << 20}); err != nil {
		t.Fatal(err)
	}
	tg := newTarget(t, func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, strings.Repeat("no ", 100_000))
	})
	startWorker(t, nc, nil, worker.Deps{})
	ev := &trigger.Event{ID: "big-1", BotID: "bb", ConversationID: "c",
		CVars:   map[string]any{"blob": strings.Repeat("y", 700_000)},
		Webhook: &webhook.Definition{Method: "POST", URL: tg.URL + "/{{ blob[:10] }}", Body: `{"blob": {{ blob | tojson }}}`}}
	sub := publishEvent(t, nc, ev)
	res := nextResult(t, sub, 15*time.Second)
	if res.Status != trigger.StatusFailed || res.Error == nil || res.Error.Class != trigger.ClassHTTPStatus {
		t.Fatalf("result %s %+v, want failed http_status", res.Status, res.Error)
	}
	time.Sleep(500 * time.Millisecond) // no redelivery
	if n := len(tg.requests()); n != 1 {
		t.Errorf("the target saw %d requests, want 1", n)
	}
	ls := letters(t, nc)
	if len(ls) != 1 || !ls[0].Trimmed || ls[0].EventID != "big-1" {
		t.Fatalf("dead letters %d, want 1 trimmed for big-1", len(ls))
	}
}
