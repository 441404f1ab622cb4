package main

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookworker/hookworker/internal/fault"
	"github.com/hookworker/hookworker/internal/jstest"
	"github.com/hookworker/hookworker/trigger"
	"github.com/hookworker/hookworker/trigger/webhook"
)

// TestOrderedFleetSurvivesKill: three `hookworker run` processes take
// ordered events of 40 conversations, published concurrently (each
// conversation's in order). One event hangs at the target; the process
// running it is SIGKILLed. The event runs again on another process after
// AckWait, and its conversation's later events wait for it: every
// conversation's requests reach the target one after another in firing
// order, conversations run in parallel, and every event has exactly one
// stored succeeded Result.
func TestOrderedFleetSurvivesKill(t *testing.T) {
	const (
		convN, perConv = 40, 50
		hangConv       = "c07"
		hangSeq        = 20
	)
	bin := buildBinary(t)
	srv := jstest.Server(t)
	url := srv.ClientURL()
	nc, js, _ := connect(t, url)
	res := subscribeResults(t, nc)
	createResultsStream(t, js, 1)

	target := fault.NewServer(t)
	hanging := make(chan string, 1) // the User-Agent running the hanging event
	var hangOnce atomic.Bool
	var convs []string
	for i := range convN {
		convs = append(convs, fmt.Sprintf("c%02d", i))
	}
	for _, c := range convs {
		target.On("/conv/"+c, fault.Func(func(w http.ResponseWriter, r *http.Request) {
			seq, _ := strconv.Atoi(r.URL.Query().Get("seq"))
			if c == hangConv && seq == hangSeq && hangOnce.CompareAndSwap(false, true) {
				hanging <- r.Header.Get("User-Agent")
				select { // until the worker is killed
				case <-r.Context().Done():
					return
				case <-time.After(20 * time.Second):
				}
			}
			time.Sleep(time.Duration(500+rand.IntN(2500)) * time.Microsecond)
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"seq": %d}`, seq)
		}))
	}

	env := []string{
		"HOOKWORKER_CONCURRENCY=16",
		"HOOKWORKER_ORDERING_PARTITIONS=8",
		// What the killed process held comes back after 3s, not 30s.
		"HOOKWORKER_ACK_WAIT=3s",
		"HOOKWORKER_SHUTDOWN_GRACE=10s",
	}
	var procs []*workerProc
	for i := 1; i <= 3; i++ { // one after another: see TestFleetSharesWork
		procs = append(procs, startWorker(t, bin, fmt.Sprintf("o%d", i), url, env...))
	}

	client, err := trigger.NewClient(nc, trigger.WithJetStream(js), trigger.WithOrderedBots("bot-o"))
	if err != nil {
		t.Fatal(err)
	}
	def := &webhook.Definition{URL: target.URL() + "/conv/{{ conversation.id }}?seq={{ seq }}",
		CVars: []webhook.Mapping{{Name: "seq", Mapper: "{{ seq }}"}}}
	var ids []string
	var wg sync.WaitGroup
	errs := make(chan error, convN)
	start := time.Now()
	for _, c := range convs {
		for i := range perConv {
			ids = append(ids, fmt.Sprintf("%s-%03d", c, i))
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perConv {
				ev := &trigger.Event{ID: fmt.Sprintf("%s-%03d", c, i), BotID: "bot-o", ConversationID: c,
					Webhook: def, CVars: map[string]any{"seq": i}}
				if _, err := publish(client, ev, 30*time.Second); err != nil {
					errs <- fmt.Errorf("publish %s: %w", ev.ID, err)
					return
				}
			}
		}()
	}

	var victim *workerProc
	select {
	case ua := <-hanging:
		for _, p := range procs {
			if p.ua == ua {
				victim = p
			}
		}
	case <-time.After(60 * time.Second):
		t.Fatal("the hanging event did not reach the target within 60s")
	}
	if victim == nil {
		t.Fatal("the hanging event came from no known worker")
	}
	victim.signal(syscall.SIGKILL)
	killedAt := time.Now()
	_ = victim.wait(10 * time.Second)
	t.Logf("%s SIGKILLed %s after publishing began, holding %s-%03d; %d events done",
		victim.name, killedAt.Sub(start).Round(time.Millisecond), hangConv, hangSeq, res.distinctSucceeded())

	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	res.waitSucceeded(t, len(ids), 90*time.Second)
	waitEmpty(t, js, 30*time.Second)
	t.Logf("%d events done %s after publishing began", len(ids), time.Since(start).Round(time.Millisecond))
	for _, p := range procs {
		if p != victim {
			p.stop(20 * time.Second)
		}
	}

	checkStored(t, js, "RESULTS", ids)
	if _, _, bad := res.snapshot(); len(bad) > 0 {
		t.Errorf("%d unexpected Results: %s", len(bad), firstOf(bad, 20))
	}
	reqs := target.RequestsUnder("/conv/")
	querySeq := fault.QueryInt("seq")
	rep := fault.Order(reqs, fault.ByPath, querySeq)
	hangRuns, byUA := 0, map[string]int{}
	for _, r := range reqs {
		byUA[r.Header.Get("User-Agent")]++
		if r.Path == "/conv/"+hangConv && querySeq(r) == hangSeq {
			hangRuns++
		}
	}
	t.Logf("%d requests over %d conversations, per process %v; %s-%03d ran %d times; out of order %d, overlaps %d, most conversations at once %d",
		rep.Requests, rep.Lanes, byUA, hangConv, hangSeq, hangRuns, len(rep.OutOfOrder), len(rep.Overlaps), rep.Parallel)
	if hangRuns != 2 {
		t.Errorf("%s-%03d ran %d times, want 2 (on the killed worker, then again)", hangConv, hangSeq, hangRuns)
	}
	if len(rep.OutOfOrder) > 0 || len(rep.Overlaps) > 0 {
		t.Errorf("out of order: %v\noverlaps: %v", rep.OutOfOrder[:min(10, len(rep.OutOfOrder))], rep.Overlaps[:min(10, len(rep.Overlaps))])
	}
	if rep.Parallel < 4 {
		t.Errorf("at most %d conversations at once: ordered lanes did not run in parallel", rep.Parallel)
	}
	for _, p := range procs {
		if byUA[p.ua] == 0 {
			t.Errorf("worker %s ran no ordered event", p.name)
		}
	}
}

// waitEmpty waits until the trigger stream holds no event: every one,
// ordered lanes included, acked or terminated.
func waitEmpty(t *testing.T, js jetstream.JetStream, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		info, err := streamInfo(js, trigger.DefaultStream, 5*time.Second)
		if err == nil && info.State.Msgs == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("trigger stream not empty after %s: %+v %v", d, info.State, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
