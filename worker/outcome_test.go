package worker_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookworker/hookworker/internal/config"
	"github.com/hookworker/hookworker/internal/fault"
	"github.com/hookworker/hookworker/internal/jstest"
	"github.com/hookworker/hookworker/internal/registry"
	"github.com/hookworker/hookworker/render"
	"github.com/hookworker/hookworker/trigger"
	"github.com/hookworker/hookworker/trigger/webhook"
	"github.com/hookworker/hookworker/worker"
)

// TestOutcomes runs one event per row through a real server and worker
// and checks the terminal Result.
func TestOutcomes(t *testing.T) {
	srv := jstest.Server(t)
	nc, js := jstest.Connect(t, srv)
	tg := newTarget(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/ok":
			io.WriteString(w, `{"status":"open"}`)
		case "/teapot":
			w.WriteHeader(418)
		case "/created":
			w.WriteHeader(201)
			io.WriteString(w, `{"id":7}`)
		case "/slow":
			select {
			case <-r.Context().Done():
			case <-time.After(3 * time.Second):
			}
		case "/big":
			io.WriteString(w, `{"pad":"`+strings.Repeat("x", 4096)+`"}`)
		case "/echo":
			io.WriteString(w, `{"query":"`+r.URL.RawQuery+`"}`)
		case "/text":
			w.Header().Set("Content-Type", "text/plain")
			io.WriteString(w, "plain words")
		}
	})
	// A port with nothing listening: the connection is refused.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedURL := "http://" + ln.Addr().String()
	ln.Close()

	reg, err := registry.NewStatic(&webhook.Definition{
		ID: "from-registry", URL: tg.URL + "/ok",
		CVars: []webhook.Mapping{{Name: "st", Mapper: "{{ status }}"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	// One attempt each: retries have their own tests.
	startWorker(t, nc, func(c *config.Config) {
		c.HTTP.MaxResponseBytes = 1024
		c.Retry.MaxAttempts = 1
	}, worker.Deps{Registry: reg})

	past := time.Now().Add(-time.Minute)
	hook := func(path string, mod ...func(*webhook.Definition)) *webhook.Definition {
		d := &webhook.Definition{ID: "h", URL: tg.URL + path}
		for _, m := range mod {
			m(d)
		}
		return d
	}
	tests := []struct {
		name     string
		ev       trigger.Event
		status   trigger.Status
		class    trigger.Class
		msg      string // substring of the error message
		attempts int
		cvars    string
	}{
		{name: "succeeded", ev: trigger.Event{Webhook: hook("/ok", func(d *webhook.Definition) {
			d.CVars = []webhook.Mapping{{Name: "s", Mapper: "{{ status }}"}}
		})}, status: trigger.StatusSucceeded, attempts: 1, cvars: `{"s":"open"}`},
		{name: "registry ref", ev: trigger.Event{WebhookRef: &trigger.WebhookRef{ID: "from-registry"}},
			status: trigger.StatusSucceeded, attempts: 1, cvars: `{"st":"open"}`},
		{name: "unknown ref", ev: trigger.Event{WebhookRef: &trigger.WebhookRef{ID: "nope"}},
			status: trigger.StatusFailed, class: trigger.ClassUnknownWebhook, msg: `"nope"`},
		{name: "http status", ev: trigger.Event{Webhook: hook("/teapot")},
			status: trigger.StatusFailed, class: trigger.ClassHTTPStatus, msg: "answered 418", attempts: 1},
		{name: "custom success", ev: trigger.Event{Webhook: hook("/teapot", func(d *webhook.Definition) { d.Success = []string{"418"} })},
			status: trigger.StatusSucceeded, attempts: 1, cvars: `{}`},
		{name: "timeout", ev: trigger.Event{Webhook: hook("/slow", func(d *webhook.Definition) { d.Timeout = webhook.Duration(200 * time.Millisecond) })},
			status: trigger.StatusFailed, class: trigger.ClassTimeout, msg: "within 200ms", attempts: 1},
		{name: "too large", ev: trigger.Event{Webhook: hook("/big")},
			status: trigger.StatusFailed, class: trigger.ClassTooLarge, msg: "1024-byte", attempts: 1},
		{name: "network", ev: trigger.Event{Webhook: &webhook.Definition{URL: closedURL}},
			status: trigger.StatusFailed, class: trigger.ClassNetwork, msg: "refused", attempts: 1},
		{name: "render", ev: trigger.Event{Webhook: hook("/ok", func(d *webhook.Definition) { d.Body = `{"a": {{ name }}}` }), CVars: map[string]any{"name": "x y"}},
			status: trigger.StatusFailed, class: trigger.ClassRender, msg: "body"},
		{name: "expired", ev: trigger.Event{Webhook: hook("/ok"), ExpiresAt: &past},
			status: trigger.StatusFailed, class: trigger.ClassExpired, msg: "expired"},
		{name: "condition false", ev: trigger.Event{Webhook: hook("/ok"), Condition: "age >= 18", CVars: map[string]any{"age": json.Number("17")}},
			status: trigger.StatusSkipped},
		{name: "condition true", ev: trigger.Event{Webhook: hook("/ok"), Condition: "age >= 18", CVars: map[string]any{"age": json.Number("18")}},
			status: trigger.StatusSucceeded, attempts: 1, cvars: `{}`},
		// The first attempt renders in the context the condition saw
		// (a change the condition made shows).
		{name: "condition shares the context", ev: trigger.Event{Webhook: hook("/echo?n={{ items | length }}", func(d *webhook.Definition) {
			d.CVars = []webhook.Mapping{{Name: "q", Mapper: "{{ query }}"}}
		}), Condition: "items.append(3) is none", CVars: map[string]any{"items": []any{1, 2}}},
			status: trigger.StatusSucceeded, attempts: 1, cvars: `{"q":"n=3"}`},
		{name: "condition error", ev: trigger.Event{Webhook: hook("/ok"), Condition: "age >="},
			status: trigger.StatusFailed, class: trigger.ClassRender, msg: "condition"},
		{name: "text response", ev: trigger.Event{Webhook: hook("/text", func(d *webhook.Definition) {
			d.CVars = []webhook.Mapping{{Name: "t", Mapper: "{{ response.text | upper }}"}, {Name: "s", Mapper: "{{ status }}"}}
		})}, status: trigger.StatusSucceeded, attempts: 1, cvars: `{"t":"PLAIN WORDS"}`},
		{name: "mapping error", ev: trigger.Event{Webhook: hook("/created", func(d *webhook.Definition) {
			d.CVars = []webhook.Mapping{{Name: "boom", Mapper: "{{ id % 0 }}"}}
		})}, status: trigger.StatusFailed, class: trigger.ClassMapping, msg: "boom", attempts: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := tt.ev
			ev.ID = "out-" + strings.ReplaceAll(tt.name, " ", "-")
			ev.BotID, ev.ConversationID = "bot", "conv"
			res := fire(t, nc, &ev)
			if res.Status != tt.status {
				t.Fatalf("status %s, want %s (error %+v)", res.Status, tt.status, res.Error)
			}
			if tt.class == "" {
				if res.Error != nil {
					t.Errorf("error %+v, want none", res.Error)
				}
			} else if res.Error == nil || res.Error.Class != tt.class || !strings.Contains(res.Error.Message, tt.msg) {
				t.Errorf("error %+v, want class %s with %q", res.Error, tt.class, tt.msg)
			}
			if res.Attempts != tt.attempts {
				t.Errorf("attempts %d, want %d", res.Attempts, tt.attempts)
			}
			if tt.cvars != "" {
				got, _ := json.Marshal(res.CVars)
				if string(got) != tt.cvars {
					t.Errorf("cvars %s, want %s", got, tt.cvars)
				}
			}
		})
	}
	assertDrained(t, js, "CONNECTIONS", "hookworker")
}

// TestInvalidEvents: bad input gets a failed Result with class
// invalid_event where a reply subject can be read, and is never redelivered.
func TestInvalidEvents(t *testing.T) {
	srv := jstest.Server(t)
	nc, js := jstest.Connect(t, srv)
	startWorker(t, nc, func(c *config.Config) { c.Worker.AckWait = time.Second }, worker.Deps{})

	sub, err := nc.SubscribeSync("connections.result.>")
	if err != nil {
		t.Fatal(err)
	}
	inbox := nats.NewInbox()
	inboxSub, err := nc.SubscribeSync(inbox)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		data    string
		sub     *nats.Subscription
		eventID string
		msg     string
	}{
		// Not JSON: its Result goes to the result subject of its
		// subject's bot (v2).
		{"not json", `{"id": "x1", "bot_id": "b1",`, sub, "x1", "JSON"},
		{"missing conversation", `{"id":"x2","bot_id":"b2","webhook":{"url":"http://127.0.0.1:1"}}`, sub, "x2", "conversation_id: required"},
		{"unknown field", `{"id":"x3","bot_id":"b3","conversation_id":"c","webhook":{"url":"http://127.0.0.1:1","colour":1}}`, sub, "x3", "webhook.colour"},
		{"bad webhook to inbox", `{"id":"x4","bot_id":"b4","conversation_id":"c","reply_to":"` + inbox + `","webhook":{"url":"http://x","method":"FETCH"}}`, inboxSub, "x4", "webhook.method"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Each on its own bot's subject (bot b1 for the one that is not
			// JSON): the subject's bot is the event's.
			subject := "connections.fired.b" + strings.TrimPrefix(tt.eventID, "x")
			if _, err := js.Publish(context.Background(), subject, []byte(tt.data), jetstream.WithMsgID(tt.name)); err != nil {
				t.Fatal(err)
			}
			if tt.sub == nil {
				return
			}
			m, err := tt.sub.NextMsg(5 * time.Second)
			if err != nil {
				t.Fatalf("no Result: %v", err)
			}
			var res trigger.Result
			if err := json.Unmarshal(m.Data, &res); err != nil {
				t.Fatal(err)
			}
			if res.Status != trigger.StatusFailed || res.Error == nil || res.Error.Class != trigger.ClassInvalidEvent ||
				!strings.Contains(res.Error.Message, tt.msg) || res.EventID != tt.eventID {
				t.Errorf("result %+v error %+v, want invalid_event naming %q", res, res.Error, tt.msg)
			}
			if got := m.Header.Get("Nats-Msg-Id"); got != "result-"+tt.eventID {
				t.Errorf("Nats-Msg-Id %q", got)
			}
		})
	}
	// Nothing is redelivered: after more than AckWait, no further Results
	// and nothing pending.
	time.Sleep(1500 * time.Millisecond)
	if m, err := sub.NextMsg(100 * time.Millisecond); err == nil {
		t.Errorf("unexpected further Result: %s", m.Data)
	}
	assertDrained(t, js, "CONNECTIONS", "hookworker")
}

// TestResultStream: when a stream captures the reply subject, the Result
// is a JetStream publish with the contract's dedup id, so a second
// delivery of the same event adds no second Result.
func TestResultStream(t *testing.T) {
	srv := jstest.Server(t)
	nc, js := jstest.Connect(t, srv)
	ctx := context.Background()
	results, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "RESULTS", Subjects: []string{"connections.result.>"}})
	if err != nil {
		t.Fatal(err)
	}
	tg := newTarget(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, `{"n":1}`) })
	startWorker(t, nc, nil, worker.Deps{})

	publish := func(subject, id string, replay string) {
		t.Helper()
		ev := trigger.Event{ID: id, BotID: "rb", ConversationID: "c", Webhook: &webhook.Definition{URL: tg.URL}}
		data, _ := json.Marshal(ev)
		msg := nats.NewMsg(subject)
		msg.Data = data
		msg.Header.Set("Nats-Msg-Id", id+replay+subject)
		if replay != "" {
			msg.Header.Set(trigger.HeaderReplay, replay)
		}
		if _, err := js.PublishMsg(ctx, msg); err != nil {
			t.Fatal(err)
		}
	}
	publish("connections.fired.rb", "r-1", "")
	// A replay: on the replay subjects, where only the replay path may
	// publish.
	publish("connections.replay.rb", "r-1", "1")
	// The replay header on a fired subject is forged: ignored, the Result
	// is not marked replayed and keeps the event's dedup id.
	publish("connections.fired.rb", "r-1", "5")
	// The same event id again under another dedup id: a second run whose
	// Result the result stream absorbs.
	msg := nats.NewMsg("connections.fired.rb")
	ev := trigger.Event{ID: "r-1", BotID: "rb", ConversationID: "c", Webhook: &webhook.Definition{URL: tg.URL}}
	msg.Data, _ = json.Marshal(ev)
	msg.Header.Set("Nats-Msg-Id", "r-1-again")
	if _, err := js.PublishMsg(ctx, msg); err != nil {
		t.Fatal(err)
	}
	assertDrained(t, js, "CONNECTIONS", "hookworker")
	// The trigger stream drains before the last Result is stored (a
	// delivery of the same event may wait for a retry): wait for two, then
	// make sure no third follows.
	info, err := results.Info(ctx)
	for deadline := time.Now().Add(10 * time.Second); err == nil && info.State.Msgs < 2 && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
		info, err = results.Info(ctx)
	}
	if err == nil {
		time.Sleep(300 * time.Millisecond)
		info, err = results.Info(ctx)
	}
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != 2 {
		t.Fatalf("result stream holds %d messages, want 2 (one Result, one replay Result)", info.State.Msgs)
	}
	replayed := map[string]bool{}
	var ids []string
	for seq := uint64(1); seq <= info.State.LastSeq; seq++ {
		m, err := results.GetMsg(ctx, seq)
		if err != nil {
			continue
		}
		var res trigger.Result
		if err := json.Unmarshal(m.Data, &res); err != nil {
			t.Fatal(err)
		}
		id := m.Header.Get("Nats-Msg-Id")
		ids = append(ids, id)
		replayed[id] = res.Replayed
	}
	// The two run concurrently: their order in the stream is not fixed.
	sort.Strings(ids)
	if strings.Join(ids, ",") != "result-r-1,result-r-1-replay-1" || replayed["result-r-1"] || !replayed["result-r-1-replay-1"] {
		t.Errorf("result ids %v replayed %v", ids, replayed)
	}
	if n := len(tg.requests()); n != 4 {
		t.Errorf("target saw %d requests, want 4", n)
	}
}

// TestSigning: a webhook with signing secrets sends the Standard Webhooks
// headers, verified here by an independent HMAC computation.
func TestSigning(t *testing.T) {
	srv := jstest.Server(t)
	nc, _ := jstest.Connect(t, srv)
	tg := newTarget(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, `{}`) })
	startWorker(t, nc, nil, worker.Deps{Secrets: sharedSecrets(render.Secrets{
		"OLD": "whsec_" + base64.StdEncoding.EncodeToString([]byte("old-key-0123456789")),
		"NEW": "raw-new-key",
	})})
	ev := &trigger.Event{ID: "signed-1", BotID: "b", ConversationID: "c", CVars: map[string]any{"n": json.Number("5")},
		Webhook: &webhook.Definition{Method: "POST", URL: tg.URL, Body: `{"n": {{ n }}}`,
			Signing: &webhook.Signing{Secrets: []string{"{{ secrets.OLD }}", "{{ secrets.NEW }}"}}}}
	if res := fire(t, nc, ev); res.Status != trigger.StatusSucceeded {
		t.Fatalf("%+v %+v", res, res.Error)
	}
	r := tg.requests()[0]
	id, ts, sigs := r.Header.Get("webhook-id"), r.Header.Get("webhook-timestamp"), r.Header.Get("webhook-signature")
	if id != "signed-1" || ts == "" {
		t.Fatalf("webhook-id %q, webhook-timestamp %q", id, ts)
	}
	want := func(key []byte) string {
		m := hmac.New(sha256.New, key)
		m.Write([]byte(id + "." + ts + "." + r.Body))
		return "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
	}
	if exp := want([]byte("old-key-0123456789")) + " " + want([]byte("raw-new-key")); sigs != exp {
		t.Errorf("webhook-signature\n got %s\nwant %s", sigs, exp)
	}
}

// TestEgressBlocked: with the default policy a loopback target is refused
// before any packet is sent: a failed Result with class blocked, no retry.
func TestEgressBlocked(t *testing.T) {
	srv := jstest.Server(t)
	nc, _ := jstest.Connect(t, srv)
	tg := newTarget(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, `{}`) })
	startWorker(t, nc, func(c *config.Config) { c.HTTP.Allow = nil }, worker.Deps{})
	for _, u := range []string{tg.URL, "http://169.254.169.254/latest/meta-data/", "http://[::ffff:127.0.0.1]:1/"} {
		res := fire(t, nc, &trigger.Event{ID: "blocked-" + strconv.Itoa(len(u)), BotID: "b", ConversationID: "c", Webhook: &webhook.Definition{URL: u}})
		if res.Status != trigger.StatusFailed || res.Error == nil || res.Error.Class != trigger.ClassBlocked || res.Attempts != 1 {
			t.Errorf("%s: %+v %+v; want failed, blocked, 1 attempt", u, res, res.Error)
		}
	}
	if n := len(tg.requests()); n != 0 {
		t.Errorf("the refused target saw %d requests", n)
	}
}

// TestHostileInputFailsOnlyItsEvent: a gzip bomb stops at the response
// cap, and template bombs (range, output, 1 % 0, growth) fail their own
// event quickly, while ordinary events keep being served.
func TestHostileInputFailsOnlyItsEvent(t *testing.T) {
	srv := jstest.Server(t)
	nc, _ := jstest.Connect(t, srv)
	ft := fault.NewServer(t)
	ft.On("/bomb", fault.Gzip(fault.GzipBomb(50<<20)))
	ft.On("/ok", fault.OK(`{"ok": true}`))
	startWorker(t, nc, func(c *config.Config) {
		c.Worker.Concurrency = 2
		c.Retry.MaxAttempts = 1
	}, worker.Deps{})

	hostile := []struct {
		name  string
		def   *webhook.Definition
		class trigger.Class
	}{
		{"gzip bomb", &webhook.Definition{URL: ft.URL() + "/bomb"}, trigger.ClassTooLarge},
		{"range bomb", &webhook.Definition{URL: ft.URL() + "/ok", Body: `{"x": "{% for a in range(5000) %}{% for b in range(5000) %}{% endfor %}{% endfor %}"}`}, trigger.ClassRender},
		{"output bomb", &webhook.Definition{URL: ft.URL() + "/ok", Body: `{"x": "{% for a in range(10000) %}{{ 'y' * 1000 }}{% endfor %}"}`}, trigger.ClassRender},
		{"growth bomb", &webhook.Definition{URL: ft.URL() + "/ok", Body: `{"x": "{{ 'y' * 100000000000 }}"}`}, trigger.ClassRender},
		{"division by zero", &webhook.Definition{URL: ft.URL() + "/ok", Body: `{"x": {{ 1 % 0 }}}`}, trigger.ClassRender},
		{"include", &webhook.Definition{URL: ft.URL() + "/ok", Body: `{% include '/etc/hostname' %}`}, trigger.ClassRender},
	}
	c, err := trigger.NewClient(nc)
	if err != nil {
		t.Fatal(err)
	}
	type outcome struct {
		name string
		res  *trigger.Result
		err  error
	}
	results := make(chan outcome, len(hostile)+10)
	start := time.Now()
	for i, h := range hostile {
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			res, err := c.Fire(ctx, &trigger.Event{ID: "hostile-" + strconv.Itoa(i), BotID: "b", ConversationID: "c", Webhook: h.def})
			results <- outcome{h.name, res, err}
		}()
	}
	for i := range 10 {
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			res, err := c.Fire(ctx, &trigger.Event{ID: "ordinary-" + strconv.Itoa(i), BotID: "b", ConversationID: "c",
				Webhook: &webhook.Definition{URL: ft.URL() + "/ok", CVars: []webhook.Mapping{{Name: "ok", Mapper: "{{ ok }}"}}}})
			results <- outcome{"ordinary", res, err}
		}()
	}
	want := map[string]trigger.Class{}
	for _, h := range hostile {
		want[h.name] = h.class
	}
	for range len(hostile) + 10 {
		o := <-results
		if o.err != nil {
			t.Errorf("%s: %v", o.name, o.err)
			continue
		}
		if o.name == "ordinary" {
			if o.res.Status != trigger.StatusSucceeded || o.res.CVars["ok"] != true {
				t.Errorf("ordinary event: %+v %+v", o.res, o.res.Error)
			}
			continue
		}
		if o.res.Status != trigger.StatusFailed || o.res.Error == nil || o.res.Error.Class != want[o.name] {
			t.Errorf("%s: %+v %+v; want failed with class %s", o.name, o.res, o.res.Error, want[o.name])
		}
	}
	if d := time.Since(start); d > 15*time.Second {
		t.Errorf("took %s", d)
	}
}
