package deadletter_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookworker/hookworker/internal/config"
	"github.com/hookworker/hookworker/internal/deadletter"
	"github.com/hookworker/hookworker/internal/jstest"
	"github.com/hookworker/hookworker/internal/natsd"
	"github.com/hookworker/hookworker/trigger"
)

// bigLetter has a large event, request body, response excerpts and error,
// and many attempts, each of the sizes given.
func bigLetter(event, body, excerpt, attempts int) *deadletter.Letter {
	l := letter("big-1", "bot-1", "wh", trigger.ClassHTTPStatus, t0)
	l.Event = json.RawMessage(fmt.Sprintf(`{"id":"big-1","bot_id":"bot-1","conversation_id":"c","cvars":{"blob":%q}}`, strings.Repeat("é", event/2)))
	l.Request = &deadletter.Request{Method: "POST", URL: "https://api.example/" + strings.Repeat("p", 100),
		Headers: map[string][]string{"X-Big": {strings.Repeat("h", 4000)}}, Body: strings.Repeat("b", body)}
	l.Error.Message = strings.Repeat("m", 5000)
	l.Attempts = nil
	for i := range attempts {
		l.Attempts = append(l.Attempts, deadletter.Attempt{At: t0.Add(time.Duration(i) * time.Second), Status: 500,
			Class: trigger.ClassHTTPStatus, Error: strings.Repeat("e", 1000), Body: strings.Repeat("r", excerpt)})
	}
	return l
}

func decode(t *testing.T, data []byte) *deadletter.Letter {
	t.Helper()
	var l deadletter.Letter
	if err := json.Unmarshal(data, &l); err != nil {
		t.Fatalf("trimmed letter does not decode: %v", err)
	}
	return &l
}

// TestEncodeTrims: a letter over the limit is cut to fit, response and
// request excerpts first, the event last; one that fits is untouched.
func TestEncodeTrims(t *testing.T) {
	l := bigLetter(700_000, 300_000, 2048, 30)
	full, err := json.Marshal(l)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name        string
		limit       int
		eventKept   bool
		bodyKept    int // bytes of the request body kept at most
		attemptsMax int
	}{
		{"fits", len(full), true, 300_000, 30},
		{"no limit", 0, true, 300_000, 30},
		{"excerpts cut", 800_000, true, 2048, 30},
		{"event too large", 500_000, false, 0, 9},
		{"tiny", 3000, false, 0, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			data, err := deadletter.Encode(l, tc.limit)
			if err != nil {
				t.Fatal(err)
			}
			if tc.limit > 0 && len(data) > tc.limit {
				t.Fatalf("%d bytes, over the %d-byte limit", len(data), tc.limit)
			}
			got := decode(t, data)
			trimmed := tc.limit > 0 && tc.limit < len(full)
			if got.Trimmed != trimmed {
				t.Errorf("trimmed %v, want %v", got.Trimmed, trimmed)
			}
			if !trimmed && string(data) != string(full) {
				t.Error("a letter that fits was changed")
			}
			if kept := len(got.Event) > 0; kept != tc.eventKept {
				t.Errorf("event kept %v, want %v", kept, tc.eventKept)
			}
			if tc.eventKept && string(got.Event) != string(l.Event) {
				t.Error("the event was changed")
			}
			if !tc.eventKept && (got.EventText == "" || !strings.HasPrefix(string(l.Event), strings.TrimSuffix(got.EventText, "…"))) {
				t.Errorf("event_text %.40q is not the start of the event", got.EventText)
			}
			if !tc.eventKept {
				if err := got.Replayable(); err == nil || !strings.Contains(err.Error(), "too large") {
					t.Errorf("Replayable of a letter without its event: %v", err)
				}
			}
			if got.Request != nil && len(got.Request.Body) > tc.bodyKept {
				t.Errorf("request body %d bytes, want at most %d", len(got.Request.Body), tc.bodyKept)
			}
			if len(got.Attempts) > tc.attemptsMax {
				t.Errorf("%d attempts kept, want at most %d", len(got.Attempts), tc.attemptsMax)
			}
			if n := len(got.Attempts); n > 0 && !got.Attempts[n-1].At.Equal(l.Attempts[len(l.Attempts)-1].At) {
				t.Error("the last attempt was not kept")
			}
			for _, s := range []string{got.EventText, got.Error.Message} {
				if !utf8.ValidString(s) {
					t.Errorf("cut inside a character: %.40q", s)
				}
			}
			if got.EventID != l.EventID || got.BotID != l.BotID || got.Error.Class != l.Error.Class {
				t.Errorf("identity or class lost: %+v", got)
			}
		})
	}
	if l.Request.Body == "" || len(l.Attempts) != 30 || l.Attempts[0].Body == "" {
		t.Error("Encode changed the letter it was given")
	}
}

// TestEncodeAlwaysFits: 40 random letters and limits from 2 KiB up always
// encode within the limit.
func TestEncodeAlwaysFits(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 40 {
		l := bigLetter(r.IntN(900_000), r.IntN(500_000), r.IntN(4096), r.IntN(40))
		limit := 2048 + r.IntN(1<<20)
		data, err := deadletter.Encode(l, limit)
		if err != nil {
			t.Fatalf("case %d (limit %d): %v", i, limit, err)
		}
		if len(data) > limit {
			t.Fatalf("case %d: %d bytes over the %d-byte limit", i, len(data), limit)
		}
		decode(t, data)
	}
}

// TestPutTrimsToStreamAndServer: Put stores a letter that is over the
// stream's max_msg_size, and one over the server's max_payload, trimmed.
func TestPutTrimsToStreamAndServer(t *testing.T) {
	ctx := context.Background()
	t.Run("stream max_msg_size", func(t *testing.T) {
		js, s := setup(t)
		st, err := js.Stream(ctx, dlqStream)
		if err != nil {
			t.Fatal(err)
		}
		cfg := st.CachedInfo().Config
		cfg.MaxMsgSize = 64 << 10
		if _, err := js.UpdateStream(ctx, cfg); err != nil {
			t.Fatal(err)
		}
		checkTrimmedPut(t, js, s, 64<<10)
	})
	t.Run("server max_payload", func(t *testing.T) {
		srv, err := natsd.Start(natsd.Options{Host: "127.0.0.1", Port: -1, StoreDir: t.TempDir(),
			Configure: func(o *server.Options) { o.MaxPayload = 256 << 10 }})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(srv.Shutdown)
		_, js := jstest.Connect(t, srv)
		s := deadletter.NewStore(js, config.Default())
		if err := s.Ensure(ctx); err != nil {
			t.Fatal(err)
		}
		checkTrimmedPut(t, js, s, 256<<10)
	})
	t.Run("limit lowered after the first letter", func(t *testing.T) {
		js, s := setup(t)
		if err := s.Put(ctx, letter("small", "bot-1", "wh", trigger.ClassTimeout, t0)); err != nil {
			t.Fatal(err)
		}
		st, err := js.Stream(ctx, dlqStream)
		if err != nil {
			t.Fatal(err)
		}
		cfg := st.CachedInfo().Config
		cfg.MaxMsgSize = 32 << 10
		if _, err := js.UpdateStream(ctx, cfg); err != nil {
			t.Fatal(err)
		}
		checkTrimmedPut(t, js, s, 32<<10)
	})
}

func checkTrimmedPut(t *testing.T, js jetstream.JetStream, s *deadletter.Store, limit int) {
	t.Helper()
	ctx := context.Background()
	l := bigLetter(700_000, 200_000, 2048, 20)
	if err := s.Put(ctx, l); err != nil {
		t.Fatalf("put: %v", err)
	}
	got, err := s.List(ctx, deadletter.Filter{EventID: l.EventID})
	if err != nil || len(got) != 1 {
		t.Fatalf("list: %d letters, %v", len(got), err)
	}
	if !got[0].Trimmed || got[0].EventID != l.EventID {
		t.Errorf("stored letter: trimmed %v, event %q", got[0].Trimmed, got[0].EventID)
	}
	raw, err := mustStream(t, js).GetMsg(ctx, got[0].Seq)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(raw.Data); n > limit {
		t.Errorf("stored %d bytes, over %d", n, limit)
	}
}

func mustStream(t *testing.T, js jetstream.JetStream) jetstream.Stream {
	t.Helper()
	st, err := js.Stream(context.Background(), dlqStream)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// TestPutRetriesInProcess: while the stream answers 409 "duplicate message
// id is in process", Put sends the same message, same Nats-Msg-Id, again
// until it is stored; it gives up only when its context ends. The stream
// here is a responder on a real server that answers as JetStream does.
func TestPutRetriesInProcess(t *testing.T) {
	srv := jstest.Server(t)
	nc, js := jstest.Connect(t, srv)
	conflicts := 3
	var mu sync.Mutex
	var ids []string
	sub, err := nc.Subscribe(dlqPrefix+".>", func(m *nats.Msg) {
		mu.Lock()
		defer mu.Unlock()
		ids = append(ids, m.Header.Get(trigger.HeaderMsgID))
		if len(ids) <= conflicts {
			_ = m.Respond([]byte(`{"error":{"code":409,"err_code":10158,"description":"duplicate message id is in process"}}`))
			return
		}
		_ = m.Respond([]byte(`{"stream":"CONNECTIONS_DLQ","seq":7,"duplicate":true}`))
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	s := deadletter.NewStore(js, config.Default())
	l := letter("evt-409", "bot-1", "wh", trigger.ClassHTTPStatus, t0)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Put(ctx, l); err != nil {
		t.Fatalf("put: %v", err)
	}
	mu.Lock()
	if len(ids) != conflicts+1 {
		t.Errorf("sent %d times, want %d", len(ids), conflicts+1)
	}
	for _, id := range ids {
		if id != deadletter.MsgID(l.EventID, 0) {
			t.Errorf("sent with Nats-Msg-Id %q, want %q", id, deadletter.MsgID(l.EventID, 0))
		}
	}
	ids, conflicts = nil, 1000
	mu.Unlock()

	short, cancel2 := context.WithTimeout(context.Background(), 700*time.Millisecond)
	defer cancel2()
	err = s.Put(short, l)
	if err == nil || !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "in process") {
		t.Errorf("put under endless 409s: %v", err)
	}
}
