package worker_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/hookworker/hookworker/internal/config"
	"github.com/hookworker/hookworker/internal/fault"
	"github.com/hookworker/hookworker/internal/jstest"
	"github.com/hookworker/hookworker/internal/metrics"
	"github.com/hookworker/hookworker/internal/tracectx"
	"github.com/hookworker/hookworker/internal/workertest"
	"github.com/hookworker/hookworker/trigger"
	"github.com/hookworker/hookworker/trigger/webhook"
	"github.com/hookworker/hookworker/worker"
)

// fireTraced publishes ev with hdr (plus its Nats-Msg-Id) and returns the
// Result message, headers included.
func fireTraced(t *testing.T, nc *nats.Conn, ev *trigger.Event, hdr map[string]string) (*trigger.Result, nats.Header) {
	t.Helper()
	inbox := nats.NewInbox()
	sub, err := nc.SubscribeSync(inbox)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	ev.ReplyTo = inbox
	data, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	msg := nats.NewMsg(trigger.FiredSubject(trigger.DefaultFiredPrefix, ev.BotID))
	msg.Data = data
	msg.Header.Set(trigger.HeaderMsgID, ev.ID)
	for k, v := range hdr {
		msg.Header.Set(k, v)
	}
	js, _ := jstestJS(nc)
	if _, err := js.PublishMsg(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	m, err := sub.NextMsg(10 * time.Second)
	if err != nil {
		t.Fatalf("no Result for %s: %v", ev.ID, err)
	}
	var res trigger.Result
	if err := json.Unmarshal(m.Data, &res); err != nil {
		t.Fatal(err)
	}
	return &res, m.Header
}

// TestTraceparent: the trigger's trace continues on every HTTP attempt
// (same trace id and flags, a new span id each) and on the Result; an
// event without a valid traceparent starts a new trace.
func TestTraceparent(t *testing.T) {
	srv := jstest.Server(t)
	nc, _ := jstest.Connect(t, srv)
	var mu sync.Mutex
	byPath := map[string][]http.Header{}
	tg := newTarget(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		byPath[r.URL.Path] = append(byPath[r.URL.Path], r.Header.Clone())
		n := len(byPath[r.URL.Path])
		mu.Unlock()
		if r.URL.Path == "/flaky" && n == 1 {
			w.WriteHeader(503) // one quick retry in the worker
			return
		}
		io.WriteString(w, `{}`)
	})
	headersOf := func(path string) []http.Header {
		mu.Lock()
		defer mu.Unlock()
		return byPath[path]
	}
	startWorker(t, nc, func(c *config.Config) { c.Retry.QuickInitial = 20 * time.Millisecond }, worker.Deps{})
	hook := func(path string) *webhook.Definition { return &webhook.Definition{URL: tg.URL + path} }
	parse := func(what, s string) tracectx.Parent {
		t.Helper()
		p, err := tracectx.Parse(s)
		if err != nil {
			t.Fatalf("%s: traceparent %q: %v", what, s, err)
		}
		return p
	}

	const (
		traceID  = "4bf92f3577b34da6a3ce929d0e0e4736"
		parentID = "00f067aa0ba902b7"
	)
	for _, flags := range []string{"01", "00"} {
		t.Run("continued, flags "+flags, func(t *testing.T) {
			in := "00-" + traceID + "-" + parentID + "-" + flags
			path := "/continued-" + flags
			res, rh := fireTraced(t, nc, &trigger.Event{ID: "tp-" + flags, BotID: "b", ConversationID: "c", Webhook: hook(path)},
				map[string]string{"traceparent": in, "tracestate": "vendor=opaque"})
			if res.Status != trigger.StatusSucceeded {
				t.Fatalf("result %+v", res)
			}
			hs := headersOf(path)
			if len(hs) != 1 {
				t.Fatalf("%d requests", len(hs))
			}
			sent := hs[0].Get("Traceparent")
			p := parse("request", sent)
			if p.TraceID.String() != traceID || fmt.Sprintf("%02x", p.Flags) != flags {
				t.Errorf("request traceparent %q: want trace %s and flags %s", sent, traceID, flags)
			}
			if p.SpanID.String() == parentID {
				t.Errorf("request traceparent %q reuses the incoming parent id", sent)
			}
			if got := hs[0].Get("Tracestate"); got != "vendor=opaque" {
				t.Errorf("request tracestate %q", got)
			}
			rp := parse("result", rh.Get("traceparent"))
			if rp.TraceID.String() != traceID || rp != p {
				t.Errorf("result traceparent %q, want the request's %q", rh.Get("traceparent"), sent)
			}
		})
	}

	t.Run("new span per attempt", func(t *testing.T) {
		in := "00-" + traceID + "-" + parentID + "-01"
		res, rh := fireTraced(t, nc, &trigger.Event{ID: "tp-retry", BotID: "b", ConversationID: "c", Webhook: hook("/flaky")},
			map[string]string{"Traceparent": in}) // any case
		if res.Status != trigger.StatusSucceeded || res.Attempts != 2 {
			t.Fatalf("result %+v", res)
		}
		hs := headersOf("/flaky")
		if len(hs) != 2 {
			t.Fatalf("%d requests, want 2", len(hs))
		}
		a, b := parse("attempt 1", hs[0].Get("Traceparent")), parse("attempt 2", hs[1].Get("Traceparent"))
		if a.TraceID.String() != traceID || b.TraceID != a.TraceID || a.SpanID == b.SpanID ||
			a.SpanID.String() == parentID || b.SpanID.String() == parentID {
			t.Errorf("attempts sent %q and %q for incoming %q", hs[0].Get("Traceparent"), hs[1].Get("Traceparent"), in)
		}
		if rp := parse("result", rh.Get("traceparent")); rp != b {
			t.Errorf("result traceparent %v, want the last attempt's %v", rp, b)
		}
	})

	for _, tc := range []struct{ name, hdr string }{
		{"none", ""},
		{"invalid", "00-" + strings.ToUpper(traceID) + "-" + parentID + "-01"},
		{"zero trace id", "00-00000000000000000000000000000000-" + parentID + "-01"},
	} {
		t.Run("new trace, "+tc.name, func(t *testing.T) {
			path := "/new-" + url.PathEscape(strings.ReplaceAll(tc.name, " ", "-"))
			hdr := map[string]string{}
			if tc.hdr != "" {
				hdr["traceparent"] = tc.hdr
				hdr["tracestate"] = "vendor=dropped"
			}
			res, rh := fireTraced(t, nc, &trigger.Event{ID: "tp-new-" + strings.ReplaceAll(tc.name, " ", "-"), BotID: "b", ConversationID: "c", Webhook: hook(path)}, hdr)
			if res.Status != trigger.StatusSucceeded {
				t.Fatalf("result %+v", res)
			}
			hs := headersOf(path)
			if len(hs) != 1 {
				t.Fatalf("%d requests", len(hs))
			}
			p := parse("request", hs[0].Get("Traceparent"))
			if strings.EqualFold(p.TraceID.String(), traceID) || p.Sampled() {
				t.Errorf("request traceparent %v: want a new, unsampled trace", p)
			}
			if got := hs[0].Get("Tracestate"); got != "" {
				t.Errorf("tracestate %q forwarded without a valid traceparent", got)
			}
			if rp := parse("result", rh.Get("traceparent")); rp.TraceID != p.TraceID {
				t.Errorf("result trace %s, request trace %s", rp.TraceID, p.TraceID)
			}
		})
	}

	t.Run("skipped event", func(t *testing.T) {
		in := "00-" + traceID + "-" + parentID + "-01"
		res, rh := fireTraced(t, nc, &trigger.Event{ID: "tp-skip", BotID: "b", ConversationID: "c", Condition: "false", Webhook: hook("/never")},
			map[string]string{"traceparent": in})
		if res.Status != trigger.StatusSkipped {
			t.Fatalf("result %+v", res)
		}
		rp := parse("result", rh.Get("traceparent"))
		if rp.TraceID.String() != traceID || rp.SpanID.String() == parentID || !rp.Sampled() {
			t.Errorf("result traceparent %v for incoming %s", rp, in)
		}
	})
}

// TestUnorderedEventsOfAnOrderedWebhook: events of a definition marked
// ordered that arrive on the fired subjects run, are counted, and the
// first one logs a warning naming the webhook; one that arrives on the
// ordered subjects (as trigger.Client sends it) is not counted.
func TestUnorderedEventsOfAnOrderedWebhook(t *testing.T) {
	srv := jstest.Server(t)
	nc, js := jstest.Connect(t, srv)
	target := fault.NewServer(t)
	target.On("/tick", fault.OK(`{}`))
	core, logs := observer.New(zapcore.WarnLevel)
	m := metrics.New(metrics.Options{})
	w := startWorker(t, nc, nil, worker.Deps{Logger: zap.New(core), Metrics: m})
	base := opsListener(t, m, w)
	results := workertest.CollectResults(t, nc, "res.tick")

	def := &webhook.Definition{ID: "tick", URL: target.URL() + "/tick", Ordered: true}
	event := func(id string) *trigger.Event {
		return &trigger.Event{ID: id, BotID: "bot-1", ConversationID: "conv-1", Webhook: def, ReplyTo: "res.tick"}
	}
	for _, id := range []string{"u-1", "u-2"} { // by hand, to the fired subject
		data, err := json.Marshal(event(id))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := js.Publish(context.Background(), "connections.fired.bot-1", data, jetstream.WithMsgID(id)); err != nil {
			t.Fatal(err)
		}
	}
	client, err := trigger.NewClient(nc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.Publish(context.Background(), event("o-1")); err != nil { // to the ordered subject
		t.Fatal(err)
	}
	for id, r := range results.WaitNth(t, 1, 20*time.Second, "u-1", "u-2", "o-1") {
		if r.Status != trigger.StatusSucceeded {
			t.Errorf("%s: %s %+v", id, r.Status, r.Error)
		}
	}
	if got := scrape(t, base)["hookworker_unordered_events_total"]; got != 2 {
		t.Errorf("hookworker_unordered_events_total %v, want 2", got)
	}
	warned := logs.FilterMessageSnippet("marked ordered").All()
	if len(warned) != 1 || warned[0].ContextMap()["webhook_id"] != "tick" {
		t.Errorf("warnings %+v, want one naming webhook tick", warned)
	}
}
