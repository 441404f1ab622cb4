package main

// Fleet tests: several real `hookworker run` processes share the durable
// consumer. TestFleetSharesWork has three processes split a burst on one
// NATS server and SIGKILLs one of them midway; TestClusterLeaderLoss runs
// two processes against a 3-node JetStream cluster whose streams have three
// replicas and shuts down the trigger stream's leader under load. Results
// are captured by a RESULTS stream, so the workers publish them with
// JetStream and a duplicate Result is absorbed by its Nats-Msg-Id: the
// stream tells whether every event got exactly one; a core subscription
// counts the duplicates.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookworker/hookworker/internal/fault"
	"github.com/hookworker/hookworker/internal/jstest"
	"github.com/hookworker/hookworker/trigger"
)

// publishBurst publishes an event per id (inline webhook to url) with
// asynchronous JetStream publishes, window at a time, and publishes again,
// with the same Nats-Msg-Id, those whose PubAck did not come. It returns
// how many events needed more than one publish.
func publishBurst(nc *nats.Conn, ids []string, url string, window int, d time.Duration) (retried int, err error) {
	js, err := jetstream.New(nc,
		jetstream.WithPublishAsyncTimeout(10*time.Second),
		jetstream.WithPublishAsyncMaxPending(window))
	if err != nil {
		return 0, err
	}
	subject := trigger.FiredSubject(trigger.DefaultFiredPrefix, "bot-1")
	deadline := time.Now().Add(d)
	tries := map[string]int{}
	for pending := ids; len(pending) > 0; {
		if time.Now().After(deadline) {
			return retried, fmt.Errorf("%d of %d events not stored after %s", len(pending), len(ids), d)
		}
		var failed []string
		for from := 0; from < len(pending); from += window {
			chunk := pending[from:min(from+window, len(pending))]
			futs := make([]jetstream.PubAckFuture, len(chunk))
			for i, id := range chunk {
				ev := event(id, url)
				if err := ev.Validate(); err != nil {
					return retried, err
				}
				data, err := json.Marshal(ev)
				if err != nil {
					return retried, err
				}
				if tries[id]++; tries[id] == 2 {
					retried++
				}
				if futs[i], err = js.PublishAsync(subject, data, jetstream.WithMsgID(id)); err != nil {
					failed = append(failed, id)
				}
			}
			for i, f := range futs {
				if f == nil {
					continue
				}
				select {
				case <-f.Ok():
				case <-f.Err():
					failed = append(failed, chunk[i])
				case <-time.After(15 * time.Second):
					failed = append(failed, chunk[i])
				}
			}
		}
		if pending = failed; len(pending) > 0 {
			time.Sleep(100 * time.Millisecond)
		}
	}
	return retried, nil
}

// createResultsStream creates the RESULTS stream capturing every Result
// subject, with replicas copies.
func createResultsStream(t *testing.T, js jetstream.JetStream, replicas int) jetstream.StreamConfig {
	t.Helper()
	cfg := jetstream.StreamConfig{
		Name:       "RESULTS",
		Subjects:   []string{trigger.DefaultResultPrefix + ".>"},
		Storage:    jetstream.FileStorage,
		Duplicates: 5 * time.Minute,
		Replicas:   replicas,
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := js.CreateStream(ctx, cfg); err != nil {
		t.Fatalf("create stream RESULTS: %v", err)
	}
	return cfg
}

// streamInfo fetches the info of a stream, trying again for up to d (a
// client reconnecting, a leader election).
func streamInfo(js jetstream.JetStream, name string, d time.Duration) (*jetstream.StreamInfo, error) {
	deadline := time.Now().Add(d)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		s, err := js.Stream(ctx, name)
		var info *jetstream.StreamInfo
		if err == nil {
			info, err = s.Info(ctx)
		}
		cancel()
		if err == nil || time.Now().After(deadline) {
			return info, err
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitStored waits until stream holds at least n messages.
func waitStored(t *testing.T, js jetstream.JetStream, stream string, n uint64, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	var last string
	for {
		info, err := streamInfo(js, stream, 5*time.Second)
		if err == nil && info.State.Msgs >= n {
			return
		}
		if err != nil {
			last = err.Error()
		} else {
			last = fmt.Sprintf("%d messages", info.State.Msgs)
		}
		if time.Now().After(deadline) {
			t.Fatalf("stream %s holds %s after %s, want %d", stream, last, d, n)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// readStored reads every Result stored in stream: how many per event id,
// when each event's (last stored) Result completed, and those that do not
// decode or did not succeed.
func readStored(t *testing.T, js jetstream.JetStream, stream string) (stored map[string]int, at map[string]time.Time, bad []string, total int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	oc, err := js.OrderedConsumer(ctx, stream, jetstream.OrderedConsumerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	info, err := oc.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	stored, at = map[string]int{}, map[string]time.Time{}
	want := int(info.NumPending)
	for total < want {
		batch, err := oc.Fetch(min(want-total, 1000), jetstream.FetchMaxWait(5*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		k := 0
		for m := range batch.Messages() {
			k++
			var r trigger.Result
			if err := json.Unmarshal(m.Data(), &r); err != nil {
				bad = append(bad, fmt.Sprintf("undecodable %q", m.Data()))
				continue
			}
			if r.Status != trigger.StatusSucceeded {
				bad = append(bad, fmt.Sprintf("%s: %s %+v", r.EventID, r.Status, r.Error))
			}
			stored[r.EventID]++
			at[r.EventID] = r.CompletedAt
		}
		if err := batch.Error(); err != nil && !errors.Is(err, nats.ErrTimeout) {
			t.Fatal(err)
		}
		if k == 0 {
			t.Fatalf("read %d of %d stored Results", total, want)
		}
		total += k
	}
	return stored, at, bad, total
}

// checkStored requires exactly one succeeded Result stored per id and no
// other, and returns how many are stored.
func checkStored(t *testing.T, js jetstream.JetStream, stream string, ids []string) int {
	t.Helper()
	stored, _, bad, total := readStored(t, js, stream)
	var lost, twice []string
	for _, id := range ids {
		switch stored[id] {
		case 0:
			lost = append(lost, id)
		case 1:
		default:
			twice = append(twice, fmt.Sprintf("%s×%d", id, stored[id]))
		}
	}
	if len(lost) > 0 {
		t.Errorf("%d events without a stored Result: %s", len(lost), firstOf(lost, 20))
	}
	if len(twice) > 0 {
		t.Errorf("%d events with more than one stored Result (dedup did not absorb them): %s", len(twice), firstOf(twice, 20))
	}
	if len(bad) > 0 {
		t.Errorf("%d unexpected stored Results: %s", len(bad), firstOf(bad, 20))
	}
	if total != len(ids) {
		t.Errorf("%s holds %d Results for %d events", stream, total, len(ids))
	}
	return total
}

func firstOf(s []string, n int) string {
	if len(s) > n {
		return strings.Join(s[:n], ", ") + ", …"
	}
	return strings.Join(s, ", ")
}

// byUserAgent counts the webhook requests on path per User-Agent, that is
// per worker process.
func byUserAgent(target *fault.Server, path string) map[string]int {
	m := map[string]int{}
	for _, r := range target.Requests(path) {
		m[r.Header.Get("User-Agent")]++
	}
	return m
}

// TestFleetSharesWork: three processes share the consumer and split a
// burst of 10,000 events; one is SIGKILLed midway. Every event gets
// exactly one stored Result, the trigger stream drains, the survivors exit
// 0 on SIGTERM, and each process had done some of the work before the kill.
func TestFleetSharesWork(t *testing.T) {
	const (
		n         = 10_000
		conc      = 16
		killAfter = 3_000
	)
	start := time.Now()
	bin := buildBinary(t)
	t.Logf("binary built in %s", time.Since(start).Round(time.Millisecond))
	srv := jstest.Server(t)
	url := srv.ClientURL()
	nc, js, _ := connect(t, url)
	res := subscribeResults(t, nc)
	createResultsStream(t, js, 1)
	target := fault.NewServer(t)
	target.On("/hook", fault.Hang(5*time.Millisecond))

	env := []string{
		fmt.Sprintf("HOOKWORKER_CONCURRENCY=%d", conc),
		// What the killed process held comes back after 5s, not 30s.
		"HOOKWORKER_ACK_WAIT=5s",
		"HOOKWORKER_SHUTDOWN_GRACE=10s",
	}
	// One after another: a stream update by one worker's setup racing
	// with a consumer create by another's is a data race inside
	// nats-server v2.15.2 (fileStore.UpdateConfig writes fs.cfg under
	// fs.mu, fileStore.ConsumerStore reads fs.cfg.Name without it), which
	// the race detector reports in this process, where the server runs.
	var procs []*workerProc
	for i := 1; i <= 3; i++ {
		p := startProc(t, bin, fmt.Sprintf("w%d", i), []string{"run", "--nats-url", url}, env...)
		p.waitStarted(30 * time.Second)
		procs = append(procs, p)
	}
	t.Logf("3 workers started %s after the test began", time.Since(start).Round(time.Millisecond))

	ids := eventIDs("fleet", n)
	pubStart := time.Now()
	type pubResult struct {
		retried int
		took    time.Duration
		err     error
	}
	pubDone := make(chan pubResult, 1)
	go func() {
		retried, err := publishBurst(nc, ids, target.URL()+"/hook", 500, 60*time.Second)
		pubDone <- pubResult{retried, time.Since(pubStart), err}
	}()

	res.waitSucceeded(t, killAfter, 60*time.Second)
	victim := procs[1]
	atKill := byUserAgent(target, "/hook")
	victim.signal(syscall.SIGKILL)
	killedAt := time.Now()
	_ = victim.wait(10 * time.Second)
	doneAtKill := res.distinctSucceeded()
	t.Logf("%s SIGKILLed %s after publishing began, with %d events done; requests per process so far %v",
		victim.name, killedAt.Sub(pubStart).Round(time.Millisecond), doneAtKill, atKill)
	for _, p := range procs {
		if atKill[p.ua] == 0 {
			t.Errorf("worker %s had handled no event when %s was killed (requests per User-Agent %v)", p.name, victim.name, atKill)
		}
	}

	var pub pubResult
	select {
	case pub = <-pubDone:
	case <-time.After(90 * time.Second):
		t.Fatal("publishing not done after 90s")
	}
	if pub.err != nil {
		t.Fatalf("publish: %v", pub.err)
	}
	t.Logf("%d events published in %s (%d republished)", n, pub.took.Round(time.Millisecond), pub.retried)

	res.waitSucceeded(t, n, 90*time.Second)
	allDone := time.Since(pubStart)
	waitDrained(t, js, 30*time.Second)
	drained := time.Since(pubStart)
	time.Sleep(300 * time.Millisecond) // let any stray Result arrive
	var stops []string
	for _, p := range procs {
		if p != victim {
			stops = append(stops, fmt.Sprintf("%s %s", p.name, p.stop(20*time.Second).Round(time.Millisecond)))
		}
	}

	stored := checkStored(t, js, "RESULTS", ids)
	c := countDelivery(t, res, target)
	split := byUserAgent(target, "/hook")
	var splitLog []string
	for _, p := range procs {
		splitLog = append(splitLog, fmt.Sprintf("%s: %d requests (%d before the kill), %d \"event done\"",
			p.name, split[p.ua], atKill[p.ua], p.count("event done")))
	}
	t.Logf("work split: %s; %s had %d webhooks running when killed (requests without \"event done\")",
		strings.Join(splitLog, "; "), victim.name, split[victim.ua]-victim.count("event done"))
	t.Logf("stored Results %d for %d events; on the subscription %d Results, %d events with more than one (%d extra) %v",
		stored, n, c.total, c.res.keys, c.res.extra, c.res.worst)
	t.Logf("webhook requests %d over %d keys, keys run more than once %d (%d extra) %v",
		target.Count("/hook"), len(c.requests), c.http.keys, c.http.extra, c.http.worst)
	t.Logf("all done %s after publishing began (%s after the kill), drained at %s; survivors stopped in %s; whole test %s",
		allDone.Round(time.Millisecond), time.Since(killedAt).Round(time.Millisecond), drained.Round(time.Millisecond),
		strings.Join(stops, ", "), time.Since(start).Round(time.Millisecond))
	for _, p := range procs {
		if c := p.count("result not published") + p.count("ack failed"); c > 0 {
			t.Logf("worker %s logged %d result/ack failures", p.name, c)
		}
	}
	if len(c.requests) != n {
		t.Errorf("the target saw %d Idempotency-Keys, want %d", len(c.requests), n)
	}
	// Only what the killed process held can run twice: conc events in its
	// handlers and PullMaxMessages (= conc) in its client buffer. A
	// transport retry could add one more request per held event.
	if held := 2 * conc; c.res.keys > held || c.http.keys > held || c.http.extra > 2*held {
		t.Errorf("%d events with more than one Result, %d keys run more than once (%d extra requests): more than %s could hold (%d)",
			c.res.keys, c.http.keys, c.http.extra, victim.name, held)
	}
}
