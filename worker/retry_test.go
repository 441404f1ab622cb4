package worker_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/nats-io/nats.go"

	"github.com/hookworker/hookworker/internal/config"
	"github.com/hookworker/hookworker/internal/deadletter"
	"github.com/hookworker/hookworker/internal/fault"
	"github.com/hookworker/hookworker/internal/jstest"
	"github.com/hookworker/hookworker/render"
	"github.com/hookworker/hookworker/trigger"
	"github.com/hookworker/hookworker/trigger/webhook"
	"github.com/hookworker/hookworker/worker"
)

// fastRetry shortens every delay so that retries are observable in tests:
// quick waits of ~50 ms, then delayed retries of 1.2 s through JetStream.
func fastRetry(c *config.Config) {
	c.Retry.MaxAttempts = 4
	c.Retry.QuickAttempts = 1
	c.Retry.QuickInitial = 50 * time.Millisecond
	c.Retry.QuickMaxWait = 1500 * time.Millisecond
	c.Retry.Schedule = []time.Duration{1200 * time.Millisecond}
	c.Retry.Floor429 = 400 * time.Millisecond
	c.Worker.AckWait = 5 * time.Second
	// Every case fails against the same fault server: keep its breaker
	// closed (isolation has its own tests).
	c.Isolation.BreakerFailureRatio = 0
}

// gaps returns the time between consecutive requests.
func gaps(reqs []fault.Request) []time.Duration {
	var out []time.Duration
	for i := 1; i < len(reqs); i++ {
		out = append(out, reqs[i].At.Sub(reqs[i-1].At))
	}
	return out
}

// letters lists the dead letters of the test's server.
func letters(t *testing.T, nc *nats.Conn) []*deadletter.Letter {
	t.Helper()
	js, _ := jstestJS(nc)
	ls, err := deadletter.NewStore(js, config.Default()).List(context.Background(), deadletter.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	return ls
}

func TestRetries(t *testing.T) {
	srv := jstest.Server(t)
	nc, js := jstest.Connect(t, srv)
	ft := fault.NewServer(t)
	startWorker(t, nc, fastRetry, worker.Deps{Secrets: sharedSecrets(render.Secrets{"KEY": "k-123456789"})})

	hook := func(path string) *webhook.Definition {
		return &webhook.Definition{
			ID: "h" + strings.ReplaceAll(path, "/", "-"), URL: ft.URL() + path,
			Headers: map[string]string{"X-Attempt": "{{ event.attempt }}", "X-Key": "{{ secrets.KEY }}"},
			CVars:   []webhook.Mapping{{Name: "ok", Mapper: "{{ ok }}"}},
		}
	}
	type gap struct{ min, max time.Duration }
	tests := []struct {
		name     string
		path     string
		steps    []fault.Step
		timeout  time.Duration
		status   trigger.Status
		class    trigger.Class
		attempts int
		gaps     []gap // between consecutive attempts
		letter   bool
		// transportRetry: the target may see one request more than the
		// worker's attempts (see the reset case).
		transportRetry bool
	}{
		{
			name: "500 then ok: one quick retry", path: "/flaky",
			steps:  []fault.Step{fault.Status(500, "boom"), fault.OK(`{"ok": true}`)},
			status: trigger.StatusSucceeded, attempts: 2,
			gaps: []gap{{20 * time.Millisecond, 900 * time.Millisecond}},
		},
		{
			name: "503 always: quick, delayed, quick, then dead letter", path: "/down",
			steps:  []fault.Step{fault.Status(503, "down for maintenance")},
			status: trigger.StatusFailed, class: trigger.ClassHTTPStatus, attempts: 4, letter: true,
			// quick (~50ms), delayed (the 1.2s schedule), quick again
			gaps: []gap{{20 * time.Millisecond, 900 * time.Millisecond}, {1150 * time.Millisecond, 4 * time.Second}, {20 * time.Millisecond, 900 * time.Millisecond}},
		},
		{
			name: "404 is permanent", path: "/gone",
			steps:  []fault.Step{fault.Status(404, `{"error":"not found"}`)},
			status: trigger.StatusFailed, class: trigger.ClassHTTPStatus, attempts: 1, letter: true,
		},
		{
			name: "429 with Retry-After seconds waits that long", path: "/limited",
			steps:  []fault.Step{fault.RetryAfterSeconds(429, 1), fault.OK(`{"ok": 1}`)},
			status: trigger.StatusSucceeded, attempts: 2,
			gaps: []gap{{950 * time.Millisecond, 2 * time.Second}},
		},
		{
			name: "503 with Retry-After date", path: "/date",
			steps: []fault.Step{fault.Func(func(w http.ResponseWriter, r *http.Request) {
				// The date is taken when the request arrives.
				w.Header().Set("Retry-After", time.Now().Add(2*time.Second).UTC().Format(http.TimeFormat))
				w.WriteHeader(503)
			}), fault.OK(`{"ok": 1}`)},
			status: trigger.StatusSucceeded, attempts: 2,
			// An HTTP date has one-second resolution.
			gaps: []gap{{900 * time.Millisecond, 3 * time.Second}},
		},
		{
			name: "429 without Retry-After gets the floor", path: "/floor",
			steps:  []fault.Step{fault.Status(429, ""), fault.OK(`{"ok": 1}`)},
			status: trigger.StatusSucceeded, attempts: 2,
			gaps: []gap{{380 * time.Millisecond, 2 * time.Second}},
		},
		{
			name: "hang past the timeout is retried", path: "/hang", timeout: 150 * time.Millisecond,
			steps:  []fault.Step{fault.Hang(5 * time.Second), fault.OK(`{"ok": 1}`)},
			status: trigger.StatusSucceeded, attempts: 2,
		},
		{
			// Go's transport re-sends a request once by itself when a reused
			// keep-alive connection dies before any response byte (the
			// server never handled it); two resets in a row reach the
			// worker whichever connection the first one hit.
			name: "connection reset is retried", path: "/reset",
			steps:  []fault.Step{fault.Reset(), fault.Reset(), fault.OK(`{"ok": 1}`)},
			status: trigger.StatusSucceeded, attempts: 2, transportRetry: true,
		},
		{
			name: "truncated body is retried", path: "/truncated",
			steps:  []fault.Step{fault.Truncated(`{"ok": 1`, 100), fault.OK(`{"ok": 1}`)},
			status: trigger.StatusSucceeded, attempts: 2,
		},
		{
			name: "slow body within the timeout succeeds", path: "/slow",
			steps:  []fault.Step{fault.SlowBody(`{"ok": "slow"}`, 4, 20*time.Millisecond)},
			status: trigger.StatusSucceeded, attempts: 1,
		},
		{
			name: "timeouts exhaust the attempts", path: "/always-hang", timeout: 100 * time.Millisecond,
			steps:  []fault.Step{fault.Hang(5 * time.Second)},
			status: trigger.StatusFailed, class: trigger.ClassTimeout, attempts: 4, letter: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ft.On(tt.path, tt.steps...)
			def := hook(tt.path)
			if tt.timeout > 0 {
				def.Timeout = webhook.Duration(tt.timeout)
			}
			ev := &trigger.Event{ID: "rt" + strings.ReplaceAll(tt.path, "/", "-"), BotID: "rb", ConversationID: "c", Webhook: def}
			res := fire(t, nc, ev)
			if res.Status != tt.status {
				t.Fatalf("status %s, want %s (error %+v)", res.Status, tt.status, res.Error)
			}
			if tt.class != "" && (res.Error == nil || res.Error.Class != tt.class) {
				t.Errorf("error %+v, want class %s", res.Error, tt.class)
			}
			if res.Attempts != tt.attempts {
				t.Errorf("Result attempts %d, want %d", res.Attempts, tt.attempts)
			}
			reqs := ft.Requests(tt.path)
			if tt.transportRetry {
				if len(reqs) < tt.attempts || len(reqs) > tt.attempts+1 {
					t.Fatalf("target saw %d requests, want %d or %d", len(reqs), tt.attempts, tt.attempts+1)
				}
				return
			}
			if len(reqs) != tt.attempts {
				t.Fatalf("target saw %d requests, want %d", len(reqs), tt.attempts)
			}
			for i, r := range reqs {
				if got, want := r.Header.Get("X-Attempt"), string(rune('1'+i)); got != want {
					t.Errorf("request %d: X-Attempt %q, want %q", i, got, want)
				}
				if got := r.Header.Get("Idempotency-Key"); got != ev.ID {
					t.Errorf("request %d: Idempotency-Key %q", i, got)
				}
			}
			for i, g := range tt.gaps {
				d := gaps(reqs)[i]
				if d < g.min || d > g.max {
					t.Errorf("gap before attempt %d: %s, want within [%s, %s] (all gaps %v)", i+2, d, g.min, g.max, gaps(reqs))
				}
			}
			var letter *deadletter.Letter
			for _, l := range letters(t, nc) {
				if l.EventID == ev.ID {
					letter = l
				}
			}
			if !tt.letter {
				if letter != nil {
					t.Errorf("unexpected dead letter %+v", letter)
				}
				return
			}
			if letter == nil {
				t.Fatal("no dead letter")
			}
			if letter.Error.Class != tt.class || len(letter.Attempts) != tt.attempts || letter.WebhookID != def.ID || letter.BotID != "rb" {
				t.Errorf("dead letter %+v", letter)
			}
			var orig trigger.Event
			if err := json.Unmarshal(letter.Event, &orig); err != nil || orig.ID != ev.ID {
				t.Errorf("dead letter does not hold the original event: %v %s", err, letter.Event)
			}
			for i, a := range letter.Attempts {
				if a.At.IsZero() || a.Class != tt.class || a.DurationMS <= 0 {
					t.Errorf("attempt %d record %+v", i, a)
				}
			}
			if letter.Request == nil || letter.Request.URL != ft.URL()+tt.path {
				t.Fatalf("dead letter request %+v", letter.Request)
			}
			if got := letter.Request.Headers["X-Key"]; len(got) != 1 || got[0] != render.Mask {
				t.Errorf("secret header not redacted in the dead letter: %v", got)
			}
			raw, _ := json.Marshal(letter)
			if strings.Contains(string(raw), "k-123456789") {
				t.Errorf("the secret leaked into the dead letter: %s", raw)
			}
		})
	}
	assertDrained(t, js, "CONNECTIONS", "hookworker")
}

// TestQuickRetryWaitsOnTheWorkersClock: an in-worker retry waits on the
// clock of Deps, and the Result's timing reads the same clock. The wait
// is 10-30 s of that clock (20 s of backoff, jitter ±50%); the test moves
// a fake clock and gives up after 8 s of real time, so a wait on the real
// clock fails it.
func TestQuickRetryWaitsOnTheWorkersClock(t *testing.T) {
	srv := jstest.Server(t)
	nc, _ := jstest.Connect(t, srv)
	ft := fault.NewServer(t)
	ft.On("/flaky", fault.Status(500, "boom"), fault.OK(`{"ok": true}`))
	clk := clockwork.NewFakeClock()
	startWorker(t, nc, func(c *config.Config) {
		c.Retry.QuickAttempts = 1
		c.Retry.QuickInitial = 20 * time.Second
		c.Retry.QuickMaxWait = 40 * time.Second
		c.Worker.AckWait = 2 * time.Minute // the wait ends within half of it
	}, worker.Deps{Clock: clk})

	ev := &trigger.Event{ID: "fake-clock", BotID: "clk", ConversationID: "c",
		Webhook: &webhook.Definition{URL: ft.URL() + "/flaky", CVars: []webhook.Mapping{{Name: "ok", Mapper: "{{ ok }}"}}}}
	sub := publishEvent(t, nc, ev)
	started := time.Now()
	deadline := started.Add(8 * time.Second)
	for ft.Count("/flaky") < 1 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if ft.Count("/flaky") != 1 {
		t.Fatalf("first attempt not made: %d requests", ft.Count("/flaky"))
	}
	moved := time.Duration(0)
	for ft.Count("/flaky") < 2 && time.Now().Before(deadline) {
		clk.Advance(time.Second)
		moved += time.Second
		time.Sleep(5 * time.Millisecond)
	}
	if n := ft.Count("/flaky"); n != 2 {
		t.Fatalf("after moving the fake clock %s: %d requests, want the retry (2)", moved, n)
	}
	if moved < 10*time.Second {
		t.Errorf("the retry came after %s of the fake clock, want at least the 10 s the backoff allows", moved)
	}
	res := nextResult(t, sub, time.Until(deadline)+2*time.Second)
	if res.Status != trigger.StatusSucceeded || res.Attempts != 2 {
		t.Fatalf("result %s after %d attempts, want succeeded after 2 (%+v)", res.Status, res.Attempts, res.Error)
	}
	if res.DurationMS < 10_000 || time.Since(started) > 10*time.Second {
		t.Errorf("Result duration %.0f ms (the fake clock), real time %s: want at least 10 s of the fake clock", res.DurationMS, time.Since(started))
	}
}
