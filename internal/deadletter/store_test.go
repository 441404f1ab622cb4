package deadletter_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookworker/hookworker/internal/config"
	"github.com/hookworker/hookworker/internal/deadletter"
	"github.com/hookworker/hookworker/internal/jstest"
	"github.com/hookworker/hookworker/trigger"
)

const (
	dlqStream = "CONNECTIONS_DLQ"
	dlqPrefix = "connections.dlq"
	fired     = "connections.fired"
	replay    = "connections.replay"
)

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// setup starts a server with the trigger stream and an ensured dead-letter
// stream.
func setup(t *testing.T) (jetstream.JetStream, *deadletter.Store) {
	t.Helper()
	srv := jstest.Server(t)
	_, js := jstest.Connect(t, srv)
	ctx := context.Background()
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{
		Name: trigger.DefaultStream, Subjects: []string{fired + ".>", replay + ".>"}, Duplicates: time.Minute,
	}); err != nil {
		t.Fatal(err)
	}
	s := deadletter.NewStore(js, config.Default())
	if err := s.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	return js, s
}

func letter(id, bot, webhook string, class trigger.Class, at time.Time) *deadletter.Letter {
	ev := fmt.Sprintf(`{"id":%q,"bot_id":%q,"conversation_id":"c-%s","webhook_ref":%q}`, id, bot, id, webhook)
	return &deadletter.Letter{
		EventID:        id,
		BotID:          bot,
		ConversationID: "c-" + id,
		WebhookID:      webhook,
		Subject:        fired + "." + bot,
		Event:          json.RawMessage(ev),
		Error:          trigger.Error{Class: class, Message: string(class) + " failure"},
		Attempts: []deadletter.Attempt{
			{At: at.Add(-time.Second), Status: 503, Class: class, DurationMS: 12.5},
			{At: at, Class: class, Error: "boom", DurationMS: 30},
		},
		Request:    &deadletter.Request{Method: "POST", URL: "https://example.com/" + webhook},
		Deliveries: 2,
		FirstSeen:  at.Add(-time.Minute),
		FailedAt:   at,
	}
}

func put(t *testing.T, s *deadletter.Store, ls ...*deadletter.Letter) {
	t.Helper()
	for _, l := range ls {
		if err := s.Put(context.Background(), l); err != nil {
			t.Fatal(err)
		}
	}
}

func ids(ls []*deadletter.Letter) []string {
	out := make([]string, len(ls))
	for i, l := range ls {
		out[i] = l.EventID
	}
	return out
}

func streamMsgs(t *testing.T, js jetstream.JetStream, name string) uint64 {
	t.Helper()
	st, err := js.Stream(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return info.State.Msgs
}

func TestPutDedup(t *testing.T) {
	js, s := setup(t)
	ctx := context.Background()
	l := letter("e1", "b1", "w1", trigger.ClassTimeout, t0)
	put(t, s, l, l)
	if n := streamMsgs(t, js, dlqStream); n != 1 {
		t.Fatalf("%d letters after putting the same one twice, want 1", n)
	}
	// The same event failing again after a replay is a new letter.
	again := letter("e1", "b1", "w1", trigger.ClassTimeout, t0.Add(time.Hour))
	again.Replay = 1
	put(t, s, again, again)
	if n := streamMsgs(t, js, dlqStream); n != 2 {
		t.Fatalf("%d letters, want 2", n)
	}
	got, err := s.List(ctx, deadletter.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Replay != 0 || got[1].Replay != 1 || got[0].Seq != 1 || got[1].Seq != 2 {
		t.Fatalf("list %+v", got)
	}
	// Invalid bot ids are stored under _unknown, still listed.
	odd := letter("e2", "bad.bot", "w1", trigger.ClassRender, t0)
	put(t, s, odd)
	m, err := js.Stream(ctx, dlqStream)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := m.GetLastMsgForSubject(ctx, dlqPrefix+"._unknown.render")
	if err != nil {
		t.Fatalf("letter of an invalid bot id: %v", err)
	}
	if raw.Header.Get(trigger.HeaderMsgID) != "dlq-e2" {
		t.Errorf("Nats-Msg-Id %q", raw.Header.Get(trigger.HeaderMsgID))
	}
	got, err = s.List(ctx, deadletter.Filter{BotID: "bad.bot"})
	if err != nil || !slices.Equal(ids(got), []string{"e2"}) {
		t.Errorf("list bot bad.bot: %v %v", ids(got), err)
	}
}

func TestListFilters(t *testing.T) {
	_, s := setup(t)
	put(t, s,
		letter("a1", "b1", "w1", trigger.ClassTimeout, t0),
		letter("a2", "b1", "w2", trigger.ClassHTTPStatus, t0.Add(time.Hour)),
		letter("a3", "b2", "w1", trigger.ClassTimeout, t0.Add(2*time.Hour)),
		letter("a4", "b2", "w3", trigger.ClassNetwork, t0.Add(3*time.Hour)),
		letter("a5", "b3", "w1", trigger.ClassHTTPStatus, t0.Add(4*time.Hour)),
	)
	tests := []struct {
		name string
		f    deadletter.Filter
		want []string
	}{
		{"all", deadletter.Filter{}, []string{"a1", "a2", "a3", "a4", "a5"}},
		{"bot", deadletter.Filter{BotID: "b2"}, []string{"a3", "a4"}},
		{"unknown bot", deadletter.Filter{BotID: "nope"}, nil},
		{"webhook", deadletter.Filter{WebhookID: "w1"}, []string{"a1", "a3", "a5"}},
		{"class", deadletter.Filter{Class: trigger.ClassHTTPStatus}, []string{"a2", "a5"}},
		{"id", deadletter.Filter{EventID: "a4"}, []string{"a4"}},
		{"since", deadletter.Filter{Since: t0.Add(2 * time.Hour)}, []string{"a3", "a4", "a5"}},
		{"until is exclusive", deadletter.Filter{Until: t0.Add(2 * time.Hour)}, []string{"a1", "a2"}},
		{"range", deadletter.Filter{Since: t0.Add(30 * time.Minute), Until: t0.Add(3*time.Hour + time.Second)}, []string{"a2", "a3", "a4"}},
		{"since after all", deadletter.Filter{Since: t0.Add(5 * time.Hour)}, nil},
		{"combined", deadletter.Filter{BotID: "b1", Class: trigger.ClassTimeout, WebhookID: "w1"}, []string{"a1"}},
		{"combined none", deadletter.Filter{BotID: "b1", WebhookID: "w3"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.List(context.Background(), tt.f)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(ids(got), tt.want) {
				t.Errorf("got %v, want %v", ids(got), tt.want)
			}
			for _, l := range got {
				if l.Seq == 0 {
					t.Errorf("%s has no seq", l.EventID)
				}
			}
		})
	}
}

// A letter's FailedAt comes from the worker's clock, the stream's
// timestamps from the server's: a worker clock a little ahead must not
// hide letters from a Since filter.
func TestListSinceClockSkew(t *testing.T) {
	_, s := setup(t)
	now := time.Now()
	put(t, s, letter("ahead", "b1", "w1", trigger.ClassTimeout, now.Add(30*time.Second)))
	got, err := s.List(context.Background(), deadletter.Filter{Since: now.Add(20 * time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ids(got), []string{"ahead"}) {
		t.Errorf("got %v, want [ahead]", ids(got))
	}
}

func TestListManyLetters(t *testing.T) {
	_, s := setup(t)
	const n = 700
	var want []string
	for i := range n {
		bot := "b1"
		if i%3 == 0 {
			bot = "b2"
			want = append(want, fmt.Sprintf("m%03d", i))
		}
		put(t, s, letter(fmt.Sprintf("m%03d", i), bot, "w1", trigger.ClassTimeout, t0.Add(time.Duration(i)*time.Second)))
	}
	all, err := s.List(context.Background(), deadletter.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != n {
		t.Fatalf("%d letters, want %d", len(all), n)
	}
	for i, l := range all {
		if l.Seq != uint64(i+1) {
			t.Fatalf("letter %d has seq %d", i, l.Seq)
		}
	}
	b2, err := s.List(context.Background(), deadletter.Filter{BotID: "b2"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ids(b2), want) {
		t.Errorf("bot b2: %d letters, want %d", len(b2), len(want))
	}
}

func TestListEmptyAndMissing(t *testing.T) {
	srv := jstest.Server(t)
	_, js := jstest.Connect(t, srv)
	ctx := context.Background()
	s := deadletter.NewStore(js, config.Default())
	_, err := s.List(ctx, deadletter.Filter{})
	if !errors.Is(err, jetstream.ErrStreamNotFound) {
		t.Errorf("missing stream: err %v, want ErrStreamNotFound", err)
	}
	if err := s.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Ensure(ctx); err != nil {
		t.Fatalf("Ensure twice: %v", err)
	}
	got, err := s.List(ctx, deadletter.Filter{})
	if err != nil || len(got) != 0 {
		t.Errorf("empty stream: %v, %v", got, err)
	}
	got, err = s.List(ctx, deadletter.Filter{BotID: "b1", Since: t0})
	if err != nil || len(got) != 0 {
		t.Errorf("empty stream with filter: %v, %v", got, err)
	}
	// Emptied by deletes.
	put(t, s, letter("x", "b1", "w1", trigger.ClassTimeout, t0))
	if err := s.Delete(ctx, 1); err != nil {
		t.Fatal(err)
	}
	got, err = s.List(ctx, deadletter.Filter{})
	if err != nil || len(got) != 0 {
		t.Errorf("emptied stream: %v, %v", got, err)
	}
}
