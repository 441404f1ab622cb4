package trigger

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookworker/hookworker/internal/jstest"
	"github.com/hookworker/hookworker/internal/natsd"
	"github.com/hookworker/hookworker/trigger/webhook"
)

// newStream starts a server with the CONNECTIONS stream and returns it, a
// connection and the stream.
func newStream(t *testing.T) (*natsd.Server, *nats.Conn, jetstream.Stream) {
	t.Helper()
	s := jstest.Server(t)
	nc, js := jstest.Connect(t, s)
	stream, err := js.CreateStream(context.Background(), jetstream.StreamConfig{
		Name:     DefaultStream,
		Subjects: []string{DefaultFiredPrefix + ".>"},
	})
	if err != nil {
		t.Fatalf("create stream: %v", err)
	}
	return s, nc, stream
}

func testEvent(id string) *Event {
	return &Event{
		ID:             id,
		BotID:          "bot-1",
		ConversationID: "conv-1",
		Connection:     &Connection{ID: "c-1", Scope: "module"},
		WebhookRef:     &WebhookRef{ID: "zendesk"},
		CVars:          map[string]any{"order_id": json.Number("12345678901234567890123"), "q": "a < b"},
	}
}

func ctxTimeout(t *testing.T, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func streamMsgs(t *testing.T, stream jetstream.Stream) uint64 {
	t.Helper()
	info, err := stream.Info(context.Background())
	if err != nil {
		t.Fatalf("stream info: %v", err)
	}
	return info.State.Msgs
}

func TestNewClient(t *testing.T) {
	s := jstest.Server(t)
	nc, js := jstest.Connect(t, s)
	tests := []struct {
		name    string
		nc      *nats.Conn
		opts    []Option
		wantErr bool
	}{
		{"defaults", nc, nil, false},
		{"custom prefix and jetstream", nc, []Option{WithFiredPrefix("tenant.fired"), WithJetStream(js)}, false},
		{"nil connection", nil, nil, true},
		{"wildcard prefix", nc, []Option{WithFiredPrefix("connections.>")}, true},
		{"empty prefix", nc, []Option{WithFiredPrefix("")}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := NewClient(tt.nc, tt.opts...)
			if (err != nil) != tt.wantErr {
				t.Fatalf("NewClient error = %v, want error %v", err, tt.wantErr)
			}
			if err == nil && c == nil {
				t.Fatal("nil client without error")
			}
		})
	}
}

func TestPublish(t *testing.T) {
	_, nc, stream := newStream(t)
	c, err := NewClient(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx := ctxTimeout(t, 10*time.Second)

	ev := testEvent("evt-pub-1")
	ack, err := c.Publish(ctx, ev)
	if err != nil {
		t.Fatalf("Publish: %v", err)
	}
	if ack.Stream != DefaultStream || ack.Duplicate {
		t.Errorf("PubAck = %+v", ack)
	}
	msg, err := stream.GetMsg(ctx, ack.Sequence)
	if err != nil {
		t.Fatalf("GetMsg: %v", err)
	}
	if msg.Subject != "connections.fired.bot-1" {
		t.Errorf("subject = %q", msg.Subject)
	}
	if got := msg.Header.Get(HeaderMsgID); got != ev.ID {
		t.Errorf("%s = %q, want %q", HeaderMsgID, got, ev.ID)
	}
	got, err := Decode(msg.Data)
	if err != nil {
		t.Fatalf("stored event does not decode: %v\n%s", err, msg.Data)
	}
	if got.ID != ev.ID || got.WebhookID() != "zendesk" || got.CVars["order_id"] != json.Number("12345678901234567890123") || got.CVars["q"] != "a < b" {
		t.Errorf("stored event = %+v", got)
	}

	again, err := c.Publish(ctx, ev)
	if err != nil {
		t.Fatalf("second Publish: %v", err)
	}
	if !again.Duplicate || again.Sequence != ack.Sequence {
		t.Errorf("second PubAck = %+v, want a duplicate of sequence %d", again, ack.Sequence)
	}
	if n := streamMsgs(t, stream); n != 1 {
		t.Errorf("stream holds %d messages, want 1", n)
	}
}

func TestPublishInvalid(t *testing.T) {
	_, nc, stream := newStream(t)
	c, err := NewClient(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx := ctxTimeout(t, 10*time.Second)
	big := testEvent("evt-big")
	big.CVars = map[string]any{"blob": string(make([]byte, MaxEventSize))}
	tests := []struct {
		name  string
		ev    *Event
		field string
	}{
		{"nil", nil, "event"},
		{"no id", &Event{BotID: "b", ConversationID: "c", WebhookRef: &WebhookRef{ID: "w"}}, "id"},
		{"bot id with a dot", &Event{ID: "e", BotID: "b.x", ConversationID: "c", WebhookRef: &WebhookRef{ID: "w"}}, "bot_id"},
		{"no webhook", &Event{ID: "e", BotID: "b", ConversationID: "c"}, "webhook"},
		{"id with control characters", &Event{ID: "e\n", BotID: "b", ConversationID: "c", WebhookRef: &WebhookRef{ID: "w"}}, "id"},
		{"over 1 MiB", big, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ack, err := c.Publish(ctx, tt.ev)
			if err == nil {
				t.Fatalf("Publish succeeded: %+v", ack)
			}
			var fe *FieldError
			if !errors.Is(err, ErrInvalid) || !errors.As(err, &fe) || fe.Field != tt.field {
				t.Errorf("error = %v, want an ErrInvalid naming %q", err, tt.field)
			}
		})
	}
	if n := streamMsgs(t, stream); n != 0 {
		t.Errorf("stream holds %d messages, want 0", n)
	}
}

func TestPublishCustomPrefix(t *testing.T) {
	s := jstest.Server(t)
	nc, js := jstest.Connect(t, s)
	ctx := ctxTimeout(t, 10*time.Second)
	stream, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "TENANT", Subjects: []string{"tenant.fired.>"}})
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewClient(nc, WithFiredPrefix("tenant.fired"), WithJetStream(js))
	if err != nil {
		t.Fatal(err)
	}
	ack, err := c.Publish(ctx, testEvent("evt-t"))
	if err != nil {
		t.Fatalf("Publish: %v", err)
	}
	msg, err := stream.GetMsg(ctx, ack.Sequence)
	if err != nil {
		t.Fatal(err)
	}
	if msg.Subject != "tenant.fired.bot-1" {
		t.Errorf("subject = %q", msg.Subject)
	}
}

func TestPublishNoStream(t *testing.T) {
	s := jstest.Server(t)
	nc, _ := jstest.Connect(t, s)
	c, err := NewClient(nc)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Publish(ctxTimeout(t, 10*time.Second), testEvent("evt-1"))
	if !errors.Is(err, jetstream.ErrNoStreamResponse) || errors.Is(err, ErrInvalid) {
		t.Errorf("error = %v, want ErrNoStreamResponse", err)
	}
}

// responder is a stand-in worker: it consumes events from the stream on its
// own connection and answers each with a succeeded Result on ResultSubject.
// It stops when the test ends.
func responder(t *testing.T, s *natsd.Server) <-chan *Event {
	t.Helper()
	nc, js := jstest.Connect(t, s)
	ctx := ctxTimeout(t, 10*time.Second)
	cons, err := js.CreateOrUpdateConsumer(ctx, DefaultStream, jetstream.ConsumerConfig{
		Durable:   "responder",
		AckPolicy: jetstream.AckExplicitPolicy,
	})
	if err != nil {
		t.Fatalf("create consumer: %v", err)
	}
	iter, err := cons.Messages()
	if err != nil {
		t.Fatalf("consume: %v", err)
	}
	seen := make(chan *Event, 16)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			msg, err := iter.Next()
			if err != nil {
				return // stopped
			}
			ev, err := Decode(msg.Data())
			if err != nil {
				t.Errorf("responder: %v", err)
				_ = msg.Term()
				continue
			}
			seen <- ev
			res := Result{
				EventID:        ev.ID,
				BotID:          ev.BotID,
				ConversationID: ev.ConversationID,
				ConnectionID:   ev.ConnectionID(),
				WebhookID:      ev.WebhookID(),
				Status:         StatusSucceeded,
				CVars:          map[string]any{"ticket": json.Number("98765432109876543210")},
				Unmapped:       []string{},
				HTTPStatus:     200,
				Attempts:       1,
				CompletedAt:    time.Now().UTC(),
			}
			data, _ := json.Marshal(res)
			if err := nc.Publish(ResultSubject(ev, ""), data); err != nil {
				t.Errorf("responder: publish result: %v", err)
			}
			_ = msg.Ack()
		}
	}()
	t.Cleanup(func() {
		iter.Stop()
		wg.Wait()
	})
	return seen
}

func TestFire(t *testing.T) {
	s, nc, _ := newStream(t)
	seen := responder(t, s)
	_, otherJS := jstest.Connect(t, s)

	tests := []struct {
		name    string
		replyTo string
		opts    []Option
	}{
		{"no reply_to", "", nil},
		{"caller's reply_to is kept", "engine.results.conv-1", nil},
		{"jetstream on another connection", "", []Option{WithJetStream(otherJS)}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := NewClient(nc, tt.opts...)
			if err != nil {
				t.Fatal(err)
			}
			ev := testEvent("evt-fire-" + string(rune('a'+i)))
			ev.ReplyTo = tt.replyTo
			before := *ev
			subs := nc.NumSubscriptions()

			res, err := c.Fire(ctxTimeout(t, 10*time.Second), ev)
			if err != nil {
				t.Fatalf("Fire: %v", err)
			}
			if res.EventID != ev.ID || res.Status != StatusSucceeded || res.WebhookID != "zendesk" || res.ConnectionID != "c-1" {
				t.Errorf("Result = %+v", res)
			}
			if got := res.CVars["ticket"]; got != json.Number("98765432109876543210") {
				t.Errorf("Result cvars.ticket = %#v, want the exact number", got)
			}
			if ev.ReplyTo != before.ReplyTo || ev.ID != before.ID {
				t.Errorf("Fire changed the caller's event: reply_to %q -> %q", before.ReplyTo, ev.ReplyTo)
			}
			fired := <-seen
			if fired.ID != ev.ID || fired.ReplyTo == "" || fired.ReplyTo == tt.replyTo {
				t.Errorf("published event id %q reply_to %q, want a fresh inbox", fired.ID, fired.ReplyTo)
			}
			if n := nc.NumSubscriptions(); n != subs {
				t.Errorf("%d subscriptions after Fire, want %d", n, subs)
			}
		})
	}
}

func TestFireErrors(t *testing.T) {
	_, nc, stream := newStream(t) // no responder
	c, err := NewClient(nc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Publish(ctxTimeout(t, 10*time.Second), testEvent("evt-dup")); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		ev      *Event
		timeout time.Duration
		want    error
	}{
		{"no result before the deadline", testEvent("evt-wait"), 300 * time.Millisecond, context.DeadlineExceeded},
		{"duplicate id", testEvent("evt-dup"), 10 * time.Second, ErrDuplicate},
		{"invalid event", &Event{ID: "evt-bad", BotID: "b"}, 10 * time.Second, ErrInvalid},
		{"nil event", nil, 10 * time.Second, ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			subs := nc.NumSubscriptions()
			var replyTo string
			if tt.ev != nil {
				replyTo = tt.ev.ReplyTo
			}
			res, err := c.Fire(ctxTimeout(t, tt.timeout), tt.ev)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Fire = %+v, %v; want error %v", res, err, tt.want)
			}
			if tt.ev != nil && tt.ev.ReplyTo != replyTo {
				t.Errorf("Fire changed the caller's reply_to to %q", tt.ev.ReplyTo)
			}
			if n := nc.NumSubscriptions(); n != subs {
				t.Errorf("%d subscriptions after Fire, want %d", n, subs)
			}
		})
	}
	// evt-dup once, evt-wait once; the invalid events never reached the stream.
	if n := streamMsgs(t, stream); n != 2 {
		t.Errorf("stream holds %d messages, want 2", n)
	}
}

// TestPublishOrdered: an event of an opted-in bot or registry webhook, or
// with an inline definition marked ordered, goes to the ordered subject of
// its conversation; others to the fired subject; an ordered event whose
// conversation id cannot be a subject token is refused, naming the field.
func TestPublishOrdered(t *testing.T) {
	s := jstest.Server(t)
	nc, js := jstest.Connect(t, s)
	ctx := ctxTimeout(t, 10*time.Second)
	stream, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: DefaultStream,
		Subjects: []string{DefaultFiredPrefix + ".>", DefaultOrderedPrefix + ".*.*"}})
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewClient(nc, WithOrderedBots("bot-ord"), WithOrderedWebhooks("ticket"))
	if err != nil {
		t.Fatal(err)
	}
	inline := func(ordered bool) *webhook.Definition {
		return &webhook.Definition{URL: "http://127.0.0.1/x", Ordered: ordered}
	}
	tests := []struct {
		name    string
		mutate  func(*Event)
		subject string
		errText string
	}{
		{"plain", func(*Event) {}, "connections.fired.bot-1", ""},
		{"bot opted in", func(e *Event) { e.BotID = "bot-ord" }, "connections.ordered.bot-ord.conv-1", ""},
		{"webhook opted in", func(e *Event) { e.WebhookRef = &WebhookRef{ID: "ticket"} }, "connections.ordered.bot-1.conv-1", ""},
		{"inline ordered", func(e *Event) { e.WebhookRef, e.Webhook = nil, inline(true) }, "connections.ordered.bot-1.conv-1", ""},
		{"inline unordered", func(e *Event) { e.WebhookRef, e.Webhook = nil, inline(false) }, "connections.fired.bot-1", ""},
		{"dotted conversation, unordered", func(e *Event) { e.ConversationID = "a.b" }, "connections.fired.bot-1", ""},
		{"dotted conversation, ordered", func(e *Event) { e.BotID, e.ConversationID = "bot-ord", "a.b" }, "", "conversation_id"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := testEvent(fmt.Sprintf("evt-o%d", i))
			tt.mutate(ev)
			ack, err := c.Publish(ctx, ev)
			if tt.errText != "" {
				var fe *FieldError
				if !errors.As(err, &fe) || fe.Field != tt.errText {
					t.Fatalf("Publish: %v, want a FieldError naming %s", err, tt.errText)
				}
				return
			}
			if err != nil {
				t.Fatalf("Publish: %v", err)
			}
			msg, err := stream.GetMsg(ctx, ack.Sequence)
			if err != nil {
				t.Fatal(err)
			}
			if msg.Subject != tt.subject {
				t.Errorf("stored under %q, want %q", msg.Subject, tt.subject)
			}
		})
	}
}
