package deadletter_test

import (
	"context"
	"errors"
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
