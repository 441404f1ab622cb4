package deadletter_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

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

func TestGetDelete(t *testing.T) {
	_, s := setup(t)
	ctx := context.Background()
	want := letter("g1", "b1", "w1", trigger.ClassTimeout, t0)
	put(t, s, letter("g0", "b1", "w1", trigger.ClassTimeout, t0), want)
	got, err := s.Get(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	if got.Seq != 2 || got.EventID != "g1" || !got.FailedAt.Equal(t0) || len(got.Attempts) != 2 ||
		got.Request == nil || got.Request.URL != want.Request.URL || string(got.Event) != string(want.Event) {
		t.Errorf("got %+v", got)
	}
	if _, err := s.Get(ctx, 99); err == nil {
		t.Error("Get of a missing seq: no error")
	}
	if err := s.Delete(ctx, 2); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, 2); err == nil {
		t.Error("Get after Delete: no error")
	}
	if err := s.Delete(ctx, 2); err == nil {
		t.Error("Delete twice: no error")
	}
	rest, err := s.List(ctx, deadletter.Filter{})
	if err != nil || !slices.Equal(ids(rest), []string{"g0"}) {
		t.Errorf("after delete: %v %v", ids(rest), err)
	}
}

// firedMsgs reads every message of the trigger stream.
func firedMsgs(t *testing.T, js jetstream.JetStream) []*jetstream.RawStreamMsg {
	t.Helper()
	ctx := context.Background()
	st, err := js.Stream(ctx, trigger.DefaultStream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var out []*jetstream.RawStreamMsg
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && info.State.Msgs > 0; seq++ {
		m, err := st.GetMsg(ctx, seq)
		if err != nil {
			continue
		}
		out = append(out, m)
	}
	return out
}

func TestReplay(t *testing.T) {
	js, s := setup(t)
	ctx := context.Background()
	l1 := letter("r1", "b1", "w1", trigger.ClassTimeout, t0)
	l2 := letter("r2", "b2", "w1", trigger.ClassTimeout, t0)
	l2.Replay = 2
	l2.Subject = "" // older letters: replay goes to <replay>.<bot>
	put(t, s, l1, l2)
	ls, err := s.List(ctx, deadletter.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []int{1, 3} {
		n, err := s.Replay(ctx, ls[i])
		if err != nil {
			t.Fatal(err)
		}
		if n != want {
			t.Errorf("%s: replay count %d, want %d", ls[i].EventID, n, want)
		}
	}
	msgs := firedMsgs(t, js)
	if len(msgs) != 2 {
		t.Fatalf("%d replayed events, want 2", len(msgs))
	}
	for i, want := range []struct{ subject, msgID, replay string }{
		{"connections.replay.b1", "r1-replay-1", "1"},
		{"connections.replay.b2", "r2-replay-3", "3"},
	} {
		m := msgs[i]
		if m.Subject != want.subject || m.Header.Get(trigger.HeaderMsgID) != want.msgID || m.Header.Get(trigger.HeaderReplay) != want.replay {
			t.Errorf("replay %d: subject %s, headers %v; want %+v", i, m.Subject, m.Header, want)
		}
		if string(m.Data) != string(ls[i].Event) {
			t.Errorf("replay %d: data %s, want the original event", i, m.Data)
		}
		if _, err := trigger.Decode(m.Data); err != nil {
			t.Errorf("replayed event does not decode: %v", err)
		}
	}
	if n := streamMsgs(t, js, dlqStream); n != 0 {
		t.Errorf("%d letters left after replay, want 0", n)
	}
}

func TestReplayNotReplayable(t *testing.T) {
	js, s := setup(t)
	ctx := context.Background()
	text := letter("n1", "b1", "w1", trigger.ClassInvalidEvent, t0)
	text.Event = nil
	text.EventText = "not json {"
	noBot := letter("n2", "", "w1", trigger.ClassInvalidEvent, t0)
	put(t, s, text, noBot)
	ls, err := s.List(ctx, deadletter.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(ls) != 2 || ls[0].EventText != "not json {" || len(ls[0].Event) != 0 {
		t.Fatalf("letters %+v", ls)
	}
	for _, l := range ls {
		if _, err := s.Replay(ctx, l); !errors.Is(err, deadletter.ErrNotReplayable) {
			t.Errorf("%s: err %v, want ErrNotReplayable", l.EventID, err)
		}
	}
	if n := streamMsgs(t, js, dlqStream); n != 2 {
		t.Errorf("%d letters, want both kept", n)
	}
	if n := streamMsgs(t, js, trigger.DefaultStream); n != 0 {
		t.Errorf("%d events published", n)
	}
}

// Replay publishes only to the replay subjects, whatever subject the
// letter names: a letter naming a dead-letter subject would otherwise be
// turned into a raw event inside the dead-letter stream, and one naming
// another bot's subject would act for that bot.
func TestReplayStaysUnderReplayPrefix(t *testing.T) {
	js, s := setup(t)
	ctx := context.Background()
	l := letter("s1", "b1", "w1", trigger.ClassTimeout, t0)
	l.Subject = dlqPrefix + ".b1"
	deep := letter("s2", "b1", "w1", trigger.ClassTimeout, t0)
	deep.Subject = fired + ".b1.extra"
	other := letter("s3", "b1", "w1", trigger.ClassTimeout, t0)
	other.Subject = fired + ".b2.extra"
	again := letter("s4", "b1", "w1", trigger.ClassTimeout, t0)
	again.Subject = replay + ".b1.conv"
	put(t, s, l, deep, other, again)
	ls, err := s.List(ctx, deadletter.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range ls {
		if _, err := s.Replay(ctx, l); err != nil {
			t.Fatal(err)
		}
	}
	msgs := firedMsgs(t, js)
	if len(msgs) != 4 || msgs[0].Subject != replay+".b1" || msgs[1].Subject != replay+".b1.extra" ||
		msgs[2].Subject != replay+".b1" || msgs[3].Subject != replay+".b1.conv" {
		for _, m := range msgs {
			t.Logf("replayed to %s", m.Subject)
		}
		t.Fatalf("%d replays", len(msgs))
	}
	if n := streamMsgs(t, js, dlqStream); n != 0 {
		t.Errorf("%d messages left in the dead-letter stream, want 0", n)
	}
	if _, err := s.List(ctx, deadletter.Filter{}); err != nil {
		t.Errorf("list after replay: %v", err)
	}
}

// A replay that JetStream does not accept keeps the letter.
func TestReplayNoStreamKeepsLetter(t *testing.T) {
	srv := jstest.Server(t)
	_, js := jstest.Connect(t, srv)
	ctx := context.Background()
	s := deadletter.NewStore(js, config.Default())
	if err := s.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	put(t, s, letter("k1", "b1", "w1", trigger.ClassTimeout, t0))
	ls, err := s.List(ctx, deadletter.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if _, err := s.Replay(ctx, ls[0]); err == nil {
		t.Fatal("replay without a trigger stream: no error")
	}
	if n := streamMsgs(t, js, dlqStream); n != 1 {
		t.Errorf("%d letters, want the letter kept", n)
	}
}

func TestMsgID(t *testing.T) {
	if got := deadletter.MsgID("e1", 0); got != "dlq-e1" {
		t.Errorf("MsgID(e1, 0) = %q", got)
	}
	if got := deadletter.MsgID("e1", 2); got != "dlq-e1-replay-2" {
		t.Errorf("MsgID(e1, 2) = %q", got)
	}
}

func TestExcerpt(t *testing.T) {
	if got := deadletter.Excerpt("short"); got != "short" {
		t.Errorf("Excerpt(short) = %q", got)
	}
	exact := strings.Repeat("a", deadletter.MaxBodyExcerpt)
	if got := deadletter.Excerpt(exact); got != exact {
		t.Error("a body of exactly MaxBodyExcerpt bytes was cut")
	}
	for _, s := range []string{
		strings.Repeat("a", 3*deadletter.MaxBodyExcerpt),
		strings.Repeat("é", deadletter.MaxBodyExcerpt),
		strings.Repeat("€", deadletter.MaxBodyExcerpt),
		"x" + strings.Repeat("😀", deadletter.MaxBodyExcerpt),
	} {
		got := deadletter.Excerpt(s)
		if len(got) > deadletter.MaxBodyExcerpt {
			t.Errorf("excerpt of %d bytes, over MaxBodyExcerpt", len(got))
		}
		if !utf8.ValidString(got) || !strings.HasSuffix(got, "…") {
			t.Errorf("excerpt %q… is not valid UTF-8 ending in …", got[:20])
		}
		if len(got) < deadletter.MaxBodyExcerpt-8 {
			t.Errorf("excerpt of only %d bytes", len(got))
		}
	}
}

// A letter that was not read from the store has no sequence to delete:
// Replay refuses it before publishing anything.
func TestReplayNeedsSeq(t *testing.T) {
	js, s := setup(t)
	if _, err := s.Replay(context.Background(), letter("q1", "b1", "w1", trigger.ClassTimeout, t0)); err == nil {
		t.Fatal("replay of a letter without seq: no error")
	}
	if n := streamMsgs(t, js, trigger.DefaultStream); n != 0 {
		t.Errorf("%d events published", n)
	}
}

// TestListLeavesNoConsumer: a listing deletes the consumer it read with,
// so that frequent listings (a console polling, the service API) do not
// pile up ephemeral consumers until the stream refuses more (it did at
// 1,000, each kept five minutes).
func TestListLeavesNoConsumer(t *testing.T) {
	js, s := setup(t)
	ctx := context.Background()
	if err := s.Put(ctx, letter("e-1", "bot-a", "w", trigger.ClassNetwork, t0)); err != nil {
		t.Fatal(err)
	}
	for i := range 1100 {
		ls, err := s.List(ctx, deadletter.Filter{BotID: "bot-a"})
		if err != nil || len(ls) != 1 {
			t.Fatalf("listing %d: %d letters, %v", i+1, len(ls), err)
		}
	}
	st, err := js.Stream(ctx, dlqStream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n := info.State.Consumers; n != 0 {
		t.Errorf("%d consumers left on %s after the listings, want 0", n, dlqStream)
	}
}
