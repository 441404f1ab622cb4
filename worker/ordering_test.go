package worker_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/hookworker/hookworker/config"
	"github.com/hookworker/hookworker/fault"
	"github.com/hookworker/hookworker/jstest"
	"github.com/hookworker/hookworker/trigger"
	"github.com/hookworker/hookworker/webhook"
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

// orderOf reports how the target's requests of each conversation followed
// one another.
func orderOf(target *fault.Server, convs []string) fault.OrderReport {
	var reqs []fault.Request
	for _, c := range convs {
		reqs = append(reqs, target.Requests("/conv/"+c)...)
	}
	// Requests of all paths, back in arrival order.
	slicesSortByAt(reqs)
	return fault.Order(reqs,
		func(r fault.Request) string { return r.Path },
		func(r fault.Request) int {
			q := r.Query[strings.Index(r.Query, "seq=")+4:]
			n, _ := strconv.Atoi(strings.SplitN(q, "&", 2)[0])
			return n
		})
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
			results := collectResults(t, nc, "res.ordered")
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
			got := results.wait(t, convN*perConv, 60*time.Second)
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
			rep := orderOf(target, convs)
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

// resultSink gathers the Results published to one subject, by event id.
type resultSink struct {
	mu   sync.Mutex
	byID map[string][]trigger.Result
}

func collectResults(t *testing.T, nc *nats.Conn, subject string) *resultSink {
	t.Helper()
	s := &resultSink{byID: map[string][]trigger.Result{}}
	sub, err := nc.Subscribe(subject, func(m *nats.Msg) {
		var r trigger.Result
		if err := json.Unmarshal(m.Data, &r); err != nil {
			t.Errorf("result: %v", err)
			return
		}
		s.mu.Lock()
		s.byID[r.EventID] = append(s.byID[r.EventID], r)
		s.mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sub.Unsubscribe() })
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	return s
}

// wait returns the Results once n events have one, after a short pause
// for strays.
func (s *resultSink) wait(t *testing.T, n int, d time.Duration) map[string][]trigger.Result {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		s.mu.Lock()
		have := len(s.byID)
		s.mu.Unlock()
		if have >= n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Results for %d events after %s, want %d", have, d, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond)
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string][]trigger.Result, len(s.byID))
	for k, v := range s.byID {
		out[k] = append([]trigger.Result(nil), v...)
	}
	return out
}

func firstN(s []string, n int) []string { return s[:min(n, len(s))] }

func slicesSortByAt(reqs []fault.Request) {
	slices.SortStableFunc(reqs, func(a, b fault.Request) int { return a.At.Compare(b.At) })
}
