package worker_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookworker/hookworker/internal/config"
	"github.com/hookworker/hookworker/internal/fault"
	"github.com/hookworker/hookworker/internal/jstest"
	"github.com/hookworker/hookworker/internal/workertest"
	"github.com/hookworker/hookworker/trigger"
	"github.com/hookworker/hookworker/trigger/webhook"
	"github.com/hookworker/hookworker/worker"
)

// orderTarget answers /conv/<conversation>?seq=<n>&attempt=<k> after a
// random pause of up to 2 ms; the first attempt of every event with
// seq%handBackEvery == handBackAt gets 503 with Retry-After: 1, which is
// longer than the worker may wait in place, so the event is handed back to
// JetStream with a delay.
func orderTarget(t *testing.T, convs []string, handBackEvery, handBackAt int) *fault.Server {
	t.Helper()
	target := fault.NewServer(t)
	for _, c := range convs {
		target.On("/conv/"+c, fault.Func(func(w http.ResponseWriter, r *http.Request) {
			seq, _ := strconv.Atoi(r.URL.Query().Get("seq"))
			if r.URL.Query().Get("attempt") == "1" && seq%handBackEvery == handBackAt {
				w.Header().Set("Retry-After", "1")
				w.WriteHeader(http.StatusServiceUnavailable)
				return
			}
			time.Sleep(time.Duration(rand.IntN(2000)) * time.Microsecond)
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"seq": %d}`, seq)
		}))
	}
	return target
}

// TestOrderedConversations: the events of one conversation, published to
// the ordered subjects, reach the target one after another in firing order
// (never overlapping), even when some are handed back to JetStream for a
// delayed retry; different conversations run in parallel, across two
// workers. The same events on the fired subjects (the control) do not keep
// their order, so the check can fail.
func TestOrderedConversations(t *testing.T) {
	const (
		convN, perConv = 12, 25
		handBackEvery  = 25
		handBackAt     = 5 // one hand-back per conversation
	)
	for _, ordered := range []bool{true, false} {
		t.Run(map[bool]string{true: "ordered", false: "unordered control"}[ordered], func(t *testing.T) {
			srv := jstest.Server(t)
			var convs []string
			for i := range convN {
				convs = append(convs, fmt.Sprintf("c%02d", i))
			}
			target := orderTarget(t, convs, handBackEvery, handBackAt)
			mutate := func(c *config.Config) {
				c.Worker.Concurrency = 16
				c.Ordering.Partitions = 4 // fewer lanes than conversations: lanes are shared
				c.Retry.QuickMaxWait = 200 * time.Millisecond
				c.Retry.Schedule = []time.Duration{time.Second}
			}
			// Two workers, one after the other (see the fleet test on
			// nats-server's setup race).
			for range 2 {
				nc, _ := jstest.Connect(t, srv)
				startWorker(t, nc, mutate, worker.Deps{})
			}
			nc, _ := jstest.Connect(t, srv)
			results := workertest.CollectResults(t, nc, "res.ordered")
			var opts []trigger.Option
			if ordered {
				opts = append(opts, trigger.WithOrderedBots("bot-o"))
			}
			client, err := trigger.NewClient(nc, opts...)
			if err != nil {
				t.Fatal(err)
			}
			def := &webhook.Definition{
				URL:   target.URL() + "/conv/{{ conversation.id }}?seq={{ seq }}&attempt={{ event.attempt }}",
				CVars: []webhook.Mapping{{Name: "seq", Mapper: "{{ seq }}"}},
			}
			var wg sync.WaitGroup
			errs := make(chan error, convN)
			for _, c := range convs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range perConv {
						ev := &trigger.Event{ID: fmt.Sprintf("%s-%03d", c, i), BotID: "bot-o", ConversationID: c,
							Webhook: def, CVars: map[string]any{"seq": i}, ReplyTo: "res.ordered"}
						if _, err := client.Publish(context.Background(), ev); err != nil {
							errs <- err
							return
						}
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
			got := results.WaitEvents(t, convN*perConv, 60*time.Second)
			for id, rs := range got {
				if len(rs) != 1 || rs[0].Status != trigger.StatusSucceeded {
					t.Errorf("event %s: %d Results, first %+v", id, len(rs), rs[0])
				}
			}
			handBacks := 0
			for _, c := range convs {
				for _, r := range target.Requests("/conv/" + c) {
					if strings.HasSuffix(r.Query, "&attempt=1") && strings.Contains(r.Query, "seq="+strconv.Itoa(handBackAt)+"&") {
						handBacks++
					}
				}
			}
			rep := fault.Order(target.RequestsUnder("/conv/"), fault.ByPath, fault.QueryInt("seq"))
			t.Logf("%d requests over %d conversations; %d hand-backs; out of order %d, overlaps %d, most conversations at once %d",
				rep.Requests, rep.Lanes, handBacks, len(rep.OutOfOrder), len(rep.Overlaps), rep.Parallel)
			if handBacks != convN {
				t.Errorf("%d first attempts were handed back, want %d", handBacks, convN)
			}
			if rep.Lanes != convN || rep.Requests < convN*perConv {
				t.Errorf("%d requests over %d conversations, want at least %d over %d", rep.Requests, rep.Lanes, convN*perConv, convN)
			}
			if !ordered {
				if len(rep.OutOfOrder) == 0 {
					t.Errorf("unordered events kept their order: the check could not have failed")
				}
				return
			}
			if len(rep.OutOfOrder) > 0 || len(rep.Overlaps) > 0 {
				t.Errorf("out of order: %v\noverlaps: %v", firstN(rep.OutOfOrder, 10), firstN(rep.Overlaps, 10))
			}
			if rep.Parallel < 2 {
				t.Errorf("at most %d conversation at once: lanes did not run in parallel", rep.Parallel)
			}
		})
	}
}

func firstN(s []string, n int) []string { return s[:min(n, len(s))] }

// TestOrderedLaneDoesNotWaitForThePool: an ordered event arriving while
// every pool slot of its worker is busy runs at once on its lane's own
// goroutine. (It used to wait for a slot without heartbeats: past AckWait
// another worker ran it, the lane moved on to the next event, and the
// stale copy then ran after that next event.)
func TestOrderedLaneDoesNotWaitForThePool(t *testing.T) {
	srv := jstest.Server(t)
	target := fault.NewServer(t)
	target.On("/slow", fault.Hang(4*time.Second))
	target.On("/conv/c", fault.OK(`{}`))
	mutate := func(conc int) func(c *config.Config) {
		return func(c *config.Config) {
			c.Worker.Concurrency = conc
			c.Worker.MaxAckPending = 64
			c.Worker.AckWait = time.Second
			c.Ordering.Partitions = 1
			c.Worker.ShutdownGrace = 8 * time.Second
		}
	}
	ncA, _ := jstest.Connect(t, srv)
	startWorker(t, ncA, mutate(1), worker.Deps{}) // A: one pool slot
	nc, _ := jstest.Connect(t, srv)
	results := workertest.CollectResults(t, nc, "res.lane")
	ordered, err := trigger.NewClient(nc, trigger.WithOrderedBots("bot-o"))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := trigger.NewClient(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	slow := &webhook.Definition{URL: target.URL() + "/slow", Timeout: webhook.Duration(20 * time.Second)}
	if _, err := plain.Publish(ctx, &trigger.Event{ID: "slow", BotID: "bot-u", ConversationID: "x", Webhook: slow, ReplyTo: "res.lane"}); err != nil {
		t.Fatal(err)
	}
	for target.Count("/slow") == 0 { // A's only slot is now busy
		time.Sleep(10 * time.Millisecond)
	}
	def := &webhook.Definition{URL: target.URL() + "/conv/c?seq={{ seq }}"}
	pub := func(i int) {
		t.Helper()
		if _, err := ordered.Publish(ctx, &trigger.Event{ID: fmt.Sprintf("o-%d", i), BotID: "bot-o", ConversationID: "c",
			Webhook: def, CVars: map[string]any{"seq": i}, ReplyTo: "res.lane"}); err != nil {
			t.Fatal(err)
		}
	}
	pub(0) // A's lane takes it while A's pool is busy
	time.Sleep(300 * time.Millisecond)
	ncB, _ := jstest.Connect(t, srv)
	startWorker(t, ncB, mutate(4), worker.Deps{}) // B would take o-0 again past AckWait
	time.Sleep(2 * time.Second)
	pub(1)
	got := results.WaitEvents(t, 3, 20*time.Second)
	time.Sleep(3 * time.Second) // A's slot is free again: a stale copy would run now
	var seqs []string
	for _, r := range target.Requests("/conv/c") {
		seqs = append(seqs, strings.TrimPrefix(r.Query, "seq="))
	}
	if strings.Join(seqs, ",") != "0,1" {
		t.Errorf("requests of the conversation in arrival order %v, want [0 1]", seqs)
	}
	for _, id := range []string{"o-0", "o-1"} {
		if rs := got[id]; len(rs) != 1 || rs[0].Status != trigger.StatusSucceeded {
			t.Errorf("%s: Results %+v, want one succeeded", id, rs)
		}
	}
}

// TestOrderedSubjectMustMatchTheEvent: an event published by hand to the
// ordered subject of another conversation (or bot) than its own fails as
// invalid_event naming the field, and its lane goes on. The one claiming
// another bot than its subject's gets its Result on the subject's bot's
// result subject, not its reply_to.
func TestOrderedSubjectMustMatchTheEvent(t *testing.T) {
	srv := jstest.Server(t)
	target := fault.NewServer(t)
	target.On("/ok", fault.OK(`{}`))
	nc, js := jstest.Connect(t, srv)
	startWorker(t, nc, func(c *config.Config) { c.Ordering.Partitions = 1 }, worker.Deps{})
	results := workertest.CollectResults(t, nc, "res.subject")
	botA := workertest.CollectResults(t, nc, "connections.result.bot-a")
	url := target.URL() + "/ok"
	tests := []struct {
		id, subject, bot, conv string
		field                  string // "" for a succeeded Result
	}{
		{"m-1", "connections.ordered.bot-a.conv-1", "bot-a", "conv-2", "conversation_id"},
		{"m-2", "connections.ordered.bot-a.conv-1", "bot-b", "conv-1", "bot_id"},
		{"m-3", "connections.ordered.bot-a.conv-1", "bot-a", "conv-1", ""},
	}
	for _, tt := range tests {
		data := fmt.Sprintf(`{"id": %q, "bot_id": %q, "conversation_id": %q, "reply_to": "res.subject", "webhook": {"url": %q}}`,
			tt.id, tt.bot, tt.conv, url)
		if _, err := js.Publish(context.Background(), tt.subject, []byte(data), jetstream.WithMsgID(tt.id)); err != nil {
			t.Fatal(err)
		}
	}
	got := results.WaitNth(t, 1, 20*time.Second, "m-1", "m-3")
	got["m-2"] = botA.WaitNth(t, 1, 20*time.Second, "m-2")["m-2"]
	if b := got["m-2"].BotID; b != "bot-a" {
		t.Errorf("m-2: Result for bot %q, want the subject's bot-a", b)
	}
	for _, tt := range tests {
		r := got[tt.id]
		switch {
		case tt.field == "" && r.Status != trigger.StatusSucceeded:
			t.Errorf("%s: %s %+v, want succeeded", tt.id, r.Status, r.Error)
		case tt.field != "" && (r.Status != trigger.StatusFailed || r.Error == nil || r.Error.Class != trigger.ClassInvalidEvent ||
			!strings.HasPrefix(r.Error.Message, tt.field+": ")):
			t.Errorf("%s: %s %+v, want failed invalid_event naming %s", tt.id, r.Status, r.Error, tt.field)
		}
	}
	if n := target.Count("/ok"); n != 1 {
		t.Errorf("the target saw %d requests, want 1", n)
	}
}
