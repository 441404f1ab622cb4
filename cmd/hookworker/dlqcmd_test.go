package main

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookworker/hookworker/internal/config"
	"github.com/hookworker/hookworker/internal/deadletter"
	"github.com/hookworker/hookworker/internal/jstest"
	"github.com/hookworker/hookworker/trigger"
)

// dlqFixture is a server with the trigger stream and a dead-letter stream.
type dlqFixture struct {
	url   string
	js    jetstream.JetStream
	store *deadletter.Store
}

func newDLQFixture(t *testing.T, withTriggerStream bool) *dlqFixture {
	t.Helper()
	srv := jstest.Server(t)
	_, js := jstest.Connect(t, srv)
	ctx := context.Background()
	if withTriggerStream {
		if _, err := js.CreateStream(ctx, jetstream.StreamConfig{
			Name: trigger.DefaultStream, Subjects: []string{trigger.DefaultFiredPrefix + ".>", trigger.DefaultReplayPrefix + ".>"}, Duplicates: time.Minute,
		}); err != nil {
			t.Fatal(err)
		}
	}
	store := deadletter.NewStore(js, config.Default())
	if err := store.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	return &dlqFixture{url: srv.ClientURL(), js: js, store: store}
}

// run runs hookworker against the fixture's server.
func (f *dlqFixture) run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	return runCLI(t, context.Background(), nil, append(args, "--nats-url", f.url)...)
}

func (f *dlqFixture) put(t *testing.T, ls ...*deadletter.Letter) {
	t.Helper()
	for _, l := range ls {
		if err := f.store.Put(context.Background(), l); err != nil {
			t.Fatal(err)
		}
	}
}

// msgs is how many messages stream name holds.
func (f *dlqFixture) msgs(t *testing.T, name string) uint64 {
	t.Helper()
	st, err := f.js.Stream(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return info.State.Msgs
}

// seqs lists the sequences of the letters left.
func (f *dlqFixture) seqs(t *testing.T) []uint64 {
	t.Helper()
	ls, err := f.store.List(context.Background(), deadletter.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	out := []uint64{}
	for _, l := range ls {
		out = append(out, l.Seq)
	}
	return out
}

var dlqT0 = time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)

func testLetter(id, bot, webhook string, class trigger.Class, failedAt time.Time, msg string) *deadletter.Letter {
	return &deadletter.Letter{
		EventID:        id,
		BotID:          bot,
		ConversationID: "conv-" + id,
		WebhookID:      webhook,
		Subject:        trigger.DefaultFiredPrefix + "." + bot,
		Event:          json.RawMessage(fmt.Sprintf(`{"id":%q,"bot_id":%q,"conversation_id":"conv-%s","webhook_ref":%q}`, id, bot, id, webhook)),
		Error:          trigger.Error{Class: class, Message: msg},
		Attempts: []deadletter.Attempt{
			{At: failedAt.Add(-2 * time.Second), Status: 503, Class: class, Error: "503 Service Unavailable", DurationMS: 41.5, Body: `{"error":"busy"}`},
			{At: failedAt, Class: class, Error: msg, DurationMS: 10000},
		},
		Request: &deadletter.Request{
			Method:  "POST",
			URL:     "https://api.example.com/" + webhook,
			Headers: map[string][]string{"Authorization": {"Bearer ****"}, "Idempotency-Key": {id}},
			Body:    `{"conversation":"conv-` + id + `"}`,
		},
		Deliveries: 1,
		FirstSeen:  failedAt.Add(-time.Minute),
		FailedAt:   failedAt,
	}
}

// sampleLetters are seqs 1..7: bots b1, b2, b3; webhooks w-orders and
// w-tickets; classes timeout, http_status, network, invalid_event; seq 7
// is not replayable (its event was not JSON).
func sampleLetters() []*deadletter.Letter {
	h := func(n float64) time.Time { return dlqT0.Add(time.Duration(n * float64(time.Hour))) }
	notJSON := testLetter("e-7", "b3", "w-tickets", trigger.ClassInvalidEvent, h(5), "event is not JSON")
	notJSON.Event, notJSON.EventText, notJSON.Attempts, notJSON.Request = nil, "<xml/>", nil, nil
	return []*deadletter.Letter{
		testLetter("e-1", "b1", "w-orders", trigger.ClassTimeout, h(0), "no response within 10s"),
		testLetter("e-2", "b1", "w-tickets", trigger.ClassHTTPStatus, h(0.5), "HTTP 500 after 2 attempts"),
		testLetter("e-3", "b2", "w-orders", trigger.ClassNetwork, h(1), "dial tcp 10.0.0.7:443: connection refused"),
		testLetter("e-4", "b2", "w-orders", trigger.ClassTimeout, h(2), "no response within 10s"),
		testLetter("e-5", "b3", "w-tickets", trigger.ClassHTTPStatus, h(3),
			"HTTP 503: upstream said\nthe service is temporarily unavailable, please retry much later on"),
		testLetter("e-6", "b1", "w-orders", trigger.ClassTimeout, h(4), "no response within 10s"),
		notJSON,
	}
}

// listSeqs runs dlq list --json with args and returns the seqs printed.
func listSeqs(t *testing.T, f *dlqFixture, args ...string) []uint64 {
	t.Helper()
	code, out, errOut := f.run(t, append([]string{"dlq", "list", "--json"}, args...)...)
	if code != 0 {
		t.Fatalf("dlq list %v: exit %d: %s", args, code, errOut)
	}
	var got []struct {
		Seq     uint64 `json:"seq"`
		EventID string `json:"event_id"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("dlq list --json: %v\n%s", err, out)
	}
	seqs := []uint64{}
	for _, l := range got {
		if want := fmt.Sprintf("e-%d", l.Seq); l.EventID != want {
			t.Errorf("seq %d holds %s, want %s", l.Seq, l.EventID, want)
		}
		seqs = append(seqs, l.Seq)
	}
	return seqs
}

func TestDLQList(t *testing.T) {
	f := newDLQFixture(t, true)
	f.put(t, sampleLetters()...)

	t.Run("table", func(t *testing.T) {
		code, out, errOut := f.run(t, "dlq", "list")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		golden(t, "dlq_list", out)
	})
	t.Run("json", func(t *testing.T) {
		code, out, _ := f.run(t, "dlq", "list", "--json")
		if code != 0 {
			t.Fatal(code)
		}
		var got []map[string]any
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatal(err)
		}
		if len(got) != 7 {
			t.Fatalf("%d letters", len(got))
		}
		for i, l := range got {
			if l["seq"] != float64(i+1) {
				t.Errorf("letter %d: seq %v", i, l["seq"])
			}
			for _, k := range []string{"event_id", "bot_id", "webhook_id", "error", "failed_at", "attempts"} {
				if _, ok := l[k]; !ok {
					t.Errorf("letter %d has no %s", i, k)
				}
			}
		}
		if ev, ok := got[0]["event"].(map[string]any); !ok || ev["id"] != "e-1" {
			t.Errorf("event of the first letter: %v", got[0]["event"])
		}
	})

	filters := []struct {
		args []string
		want []uint64
	}{
		{nil, []uint64{1, 2, 3, 4, 5, 6, 7}},
		{[]string{"--bot", "b1"}, []uint64{1, 2, 6}},
		{[]string{"--bot", "b3"}, []uint64{5, 7}},
		{[]string{"--webhook", "w-tickets"}, []uint64{2, 5, 7}},
		{[]string{"--class", "timeout"}, []uint64{1, 4, 6}},
		{[]string{"--class", "invalid_event"}, []uint64{7}},
		{[]string{"--id", "e-3"}, []uint64{3}},
		{[]string{"--since", "2025-03-01T12:00:00Z"}, []uint64{4, 5, 6, 7}},
		{[]string{"--until", "2025-03-01T12:00:00Z"}, []uint64{1, 2, 3}},
		{[]string{"--since", "2025-03-01T10:30:00Z", "--until", "2025-03-01T13:00:00+00:00"}, []uint64{2, 3, 4}},
		{[]string{"--since", "2025-03-01T13:00:00+02:00"}, []uint64{3, 4, 5, 6, 7}},
		{[]string{"--bot", "b1", "--class", "timeout"}, []uint64{1, 6}},
		{[]string{"--bot", "b2", "--webhook", "w-orders", "--class", "timeout", "--since", "2025-03-01T11:30:00Z"}, []uint64{4}},
		{[]string{"--bot", "nobody"}, []uint64{}},
		{[]string{"--since", "2h"}, []uint64{}}, // all failed long ago
		{[]string{"--until", "2h"}, []uint64{1, 2, 3, 4, 5, 6, 7}},
	}
	for _, tt := range filters {
		t.Run("filter "+strings.Join(tt.args, " "), func(t *testing.T) {
			if got := listSeqs(t, f, tt.args...); !slices.Equal(got, tt.want) {
				t.Errorf("seqs %v, want %v", got, tt.want)
			}
		})
	}

	t.Run("nothing matches", func(t *testing.T) {
		code, out, _ := f.run(t, "dlq", "list", "--webhook", "w-none")
		if code != 0 || out != "no dead letters match\n" {
			t.Errorf("exit %d, stdout %q", code, out)
		}
		code, out, _ = f.run(t, "dlq", "list", "--webhook", "w-none", "--json")
		if code != 0 || strings.TrimSpace(out) != "[]" {
			t.Errorf("--json: exit %d, stdout %q", code, out)
		}
	})

	for _, tt := range []struct {
		args   []string
		stderr string
	}{
		{[]string{"--class", "timeouts"}, `"timeouts" is not an error class`},
		{[]string{"--since", "yesterday"}, "--since"},
		{[]string{"--until", "-2h"}, "--until"},
		{[]string{"--since", "1h", "--until", "2h"}, "not after --since"},
	} {
		t.Run("bad "+strings.Join(tt.args, " "), func(t *testing.T) {
			code, _, errOut := f.run(t, append([]string{"dlq", "list"}, tt.args...)...)
			if code != 1 || !strings.Contains(errOut, tt.stderr) {
				t.Errorf("exit %d, stderr %q; want 1 and %q", code, errOut, tt.stderr)
			}
		})
	}
}

// Durations count back from now.
func TestDLQListSinceDuration(t *testing.T) {
	f := newDLQFixture(t, false)
	now := time.Now()
	f.put(t,
		testLetter("e-1", "b1", "w", trigger.ClassTimeout, now.Add(-3*24*time.Hour), "old"),
		testLetter("e-2", "b1", "w", trigger.ClassTimeout, now.Add(-90*time.Minute), "recent"),
		testLetter("e-3", "b1", "w", trigger.ClassTimeout, now.Add(-time.Minute), "now"),
	)
	for _, tt := range []struct {
		args []string
		want []uint64
	}{
		{[]string{"--since", "2h"}, []uint64{2, 3}},
		{[]string{"--since", "30m"}, []uint64{3}},
		{[]string{"--since", "7d"}, []uint64{1, 2, 3}},
		{[]string{"--since", "7d", "--until", "1h"}, []uint64{1, 2}},
		{[]string{"--until", "2d"}, []uint64{1}},
	} {
		if got := listSeqs(t, f, tt.args...); !slices.Equal(got, tt.want) {
			t.Errorf("%v: seqs %v, want %v", tt.args, got, tt.want)
		}
	}
}

func TestDLQMissingStream(t *testing.T) {
	srv := jstest.Server(t)
	code, _, errOut := runCLI(t, context.Background(), nil, "dlq", "list", "--nats-url", srv.ClientURL())
	if code != 1 || !strings.Contains(errOut, "dead-letter stream CONNECTIONS_DLQ not found") {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
	code, _, errOut = runCLI(t, context.Background(), nil, "dlq", "list", "--nats-url", "nats://127.0.0.1:1")
	if code != 1 || !strings.Contains(errOut, "connect to NATS") {
		t.Errorf("no server: exit %d, stderr %q", code, errOut)
	}
}

func TestDLQShow(t *testing.T) {
	f := newDLQFixture(t, false)
	f.put(t, sampleLetters()...)

	code, out, errOut := f.run(t, "dlq", "show", "3")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	golden(t, "dlq_show", out)
	var l struct {
		Seq      uint64               `json:"seq"`
		EventID  string               `json:"event_id"`
		Event    map[string]any       `json:"event"`
		Attempts []deadletter.Attempt `json:"attempts"`
		Request  *deadletter.Request  `json:"request"`
	}
	if err := json.Unmarshal([]byte(out), &l); err != nil {
		t.Fatal(err)
	}
	if l.Seq != 3 || l.EventID != "e-3" || l.Event["bot_id"] != "b2" || len(l.Attempts) != 2 || l.Request == nil || l.Request.Method != "POST" {
		t.Errorf("show 3: %+v", l)
	}

	code, out, _ = f.run(t, "dlq", "show", "--id", "e-5")
	if code != 0 || !strings.Contains(out, `"seq": 5,`) || !strings.Contains(out, `"event_id": "e-5"`) {
		t.Errorf("show --id e-5: exit %d\n%s", code, out)
	}
	code, out, _ = f.run(t, "dlq", "show", "--id", "e-7")
	if code != 0 || !strings.Contains(out, `"event_text": "<xml/>"`) {
		t.Errorf("show --id e-7: exit %d\n%s", code, out)
	}
	code, out, errOut = f.run(t, "dlq", "show", "--bot", "b1")
	if code != 0 || !strings.Contains(out, `"seq": 6,`) || !strings.Contains(errOut, "3 letters match") {
		t.Errorf("show --bot b1: exit %d, stderr %q\n%s", code, errOut, out)
	}

	for _, tt := range []struct {
		args   []string
		stderr string
	}{
		{[]string{"99"}, "no dead letter at seq 99"},
		{[]string{"x"}, "not a positive number"},
		{nil, "either a SEQ or filters"},
		{[]string{"3", "--id", "e-3"}, "either a SEQ or filters"},
		{[]string{"--id", "nope"}, "no dead letters match"},
	} {
		code, _, errOut := f.run(t, append([]string{"dlq", "show"}, tt.args...)...)
		if code != 1 || !strings.Contains(errOut, tt.stderr) {
			t.Errorf("show %v: exit %d, stderr %q; want 1 and %q", tt.args, code, errOut, tt.stderr)
		}
	}
}

func TestDLQPurge(t *testing.T) {
	f := newDLQFixture(t, false)
	f.put(t, sampleLetters()...)
	all := []uint64{1, 2, 3, 4, 5, 6, 7}

	for _, tt := range []struct {
		args   []string
		stderr string
	}{
		{nil, "needs filters"},
		{[]string{"--yes"}, "needs filters"},
		{[]string{"--class", "timeout"}, "--yes"},
		{[]string{"--all"}, "--yes"},
		{[]string{"--all", "--bot", "b1", "--yes"}, "cannot be combined"},
		{[]string{"--class", "timeout", "extra", "--yes"}, "unknown command"},
	} {
		code, _, errOut := f.run(t, append([]string{"dlq", "purge"}, tt.args...)...)
		want := 1
		if tt.stderr == "unknown command" {
			want = exitUsage // the command line itself is wrong
		}
		if code != want || !strings.Contains(errOut, tt.stderr) {
			t.Errorf("purge %v: exit %d, stderr %q; want %d and %q", tt.args, code, errOut, want, tt.stderr)
		}
		if got := f.seqs(t); !slices.Equal(got, all) {
			t.Fatalf("purge %v changed the letters: %v", tt.args, got)
		}
	}

	code, out, _ := f.run(t, "dlq", "purge", "--class", "timeout", "--dry-run")
	if code != 0 || !strings.HasSuffix(out, "would delete 3 dead letters\n") || !strings.Contains(out, "e-4") || strings.Contains(out, "e-5") {
		t.Errorf("dry run: exit %d\n%s", code, out)
	}
	if got := f.seqs(t); !slices.Equal(got, all) {
		t.Fatalf("dry run changed the letters: %v", got)
	}

	code, out, errOut := f.run(t, "dlq", "purge", "--class", "timeout", "--yes")
	if code != 0 || out != "deleted 3 dead letters\n" {
		t.Errorf("purge --class timeout: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if got := f.seqs(t); !slices.Equal(got, []uint64{2, 3, 5, 7}) {
		t.Errorf("left %v, want [2 3 5 7]", got)
	}
	code, out, _ = f.run(t, "dlq", "purge", "--class", "timeout", "--yes")
	if code != 0 || out != "deleted 0 dead letters\n" {
		t.Errorf("purge again: exit %d, stdout %q", code, out)
	}
	code, out, _ = f.run(t, "dlq", "purge", "--id", "e-3", "--yes")
	if code != 0 || out != "deleted 1 dead letter\n" {
		t.Errorf("purge --id: exit %d, stdout %q", code, out)
	}

	// --all goes even for letters that do not decode.
	if _, err := f.js.Publish(context.Background(), trigger.DefaultDLQPrefix+".junk", []byte("not a letter")); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = f.run(t, "dlq", "purge", "--all", "--yes")
	if code != 0 || out != "deleted 4 dead letters\n" {
		t.Errorf("purge --all: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if n := f.msgs(t, trigger.DefaultDLQStream); n != 0 {
		t.Errorf("%d letters left after --all", n)
	}
	code, out, _ = f.run(t, "dlq", "purge", "--all", "--yes")
	if code != 0 || out != "deleted 0 dead letters\n" {
		t.Errorf("purge --all of nothing: exit %d, stdout %q", code, out)
	}
}
