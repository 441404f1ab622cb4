package worker_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookworker/hookworker/internal/config"
	"github.com/hookworker/hookworker/internal/fault"
	"github.com/hookworker/hookworker/internal/jstest"
	"github.com/hookworker/hookworker/internal/workertest"
	"github.com/hookworker/hookworker/trigger"
	"github.com/hookworker/hookworker/trigger/webhook"
	"github.com/hookworker/hookworker/worker"
)

const benchConcurrency = 64

// benchBody is the JSON reply of the benchmark target.
const benchBody = `{"ticket":{"id":388,"status":"open","subject":"Parcel late","priority":null,"tags":["chatbot","shipping"]}}`

func benchTarget(b *testing.B) *httptest.Server {
	b.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, benchBody)
	}))
	b.Cleanup(srv.Close)
	return srv
}

// cpuTime is the process's user+system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// report adds events/s and CPU µs per event (the whole process: server,
// target and worker) to the benchmark's output.
func report(b *testing.B, n int, elapsed, cpu time.Duration) {
	b.ReportMetric(float64(n)/elapsed.Seconds(), "events/s")
	b.ReportMetric(float64(cpu.Microseconds())/float64(n), "cpu-µs/event")
}

func benchEvent(i int, url string) []byte {
	ev := trigger.Event{
		ID: fmt.Sprintf("bench-%d-%d", time.Now().UnixNano(), i), BotID: "bench", ConversationID: fmt.Sprintf("conv-%d", i%100),
		Webhook: &webhook.Definition{
			ID: "bench", Method: "POST", URL: url + "/tickets/{{ ticket_id }}",
			Headers: map[string]string{"Accept": "application/json"},
			Body:    `{"ticket_id": {{ ticket_id }}, "name": {{ userName | tojson }}, "email": {{ email | tojson }}, "n": {{ n }}}`,
			CVars: []webhook.Mapping{
				{Name: "ticket_status", Mapper: "{{ ticket.status }}"},
				{Name: "ticket_subject", Mapper: "{{ ticket.subject }}"},
				{Name: "ticket_tags", Mapper: "{{ ticket.tags }}"},
				{Name: "shout", Mapper: "{{ ticket.status | upper }}"},
			},
		},
		CVars: map[string]any{"ticket_id": 388, "userName": "Ana", "email": "ana@example.com", "n": i},
	}
	data, _ := json.Marshal(ev)
	return data
}

// BenchmarkPipeline fires b.N events (published up front, as a burst) and
// waits for b.N Results: the events/s of a worker against a local
// keep-alive target.
func BenchmarkPipeline(b *testing.B) {
	srv := jstest.Server(b)
	nc, js := jstest.Connect(b, srv)
	target := benchTarget(b)

	cfg := config.Default()
	cfg.HTTP.Allow = loopback
	cfg.Worker.Concurrency = benchConcurrency
	cfg.Worker.MaxAckPending = 4 * benchConcurrency
	workertest.Run(b, nc, cfg, worker.Deps{}) // ready, and stopped when the benchmark ends

	var got atomic.Int64
	all := make(chan struct{})
	n := int64(b.N)
	sub, err := nc.Subscribe("connections.result.bench", func(m *nats.Msg) {
		if got.Add(1) == n {
			close(all)
		}
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = sub.Unsubscribe() })
	time.Sleep(200 * time.Millisecond) // the worker's first pull

	events := make([][]byte, b.N)
	for i := range events {
		events[i] = benchEvent(i, target.URL)
	}
	b.ResetTimer()
	cpu0, t0 := cpuTime(), time.Now()
	for i, data := range events {
		msg := nats.NewMsg("connections.fired.bench")
		msg.Data = data
		msg.Header.Set("Nats-Msg-Id", fmt.Sprintf("b-%d-%d", t0.UnixNano(), i))
		publishAsync(b, js, msg)
	}
	select {
	case <-all:
	case <-time.After(5 * time.Minute):
		b.Fatalf("%d of %d Results after 5 minutes", got.Load(), n)
	}
	report(b, b.N, time.Since(t0), cpuTime()-cpu0)
}

// BenchmarkRawJetStream is the JetStream limit: publish b.N small
// messages, then consume and ack them with the same concurrency.
func BenchmarkRawJetStream(b *testing.B) {
	srv := jstest.Server(b)
	_, js := jstest.Connect(b, srv)
	ctx := context.Background()
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "RAW", Subjects: []string{"raw.>"}, Retention: jetstream.WorkQueuePolicy}); err != nil {
		b.Fatal(err)
	}
	cons, err := js.CreateOrUpdateConsumer(ctx, "RAW", jetstream.ConsumerConfig{Durable: "raw", AckPolicy: jetstream.AckExplicitPolicy, MaxAckPending: 4 * benchConcurrency})
	if err != nil {
		b.Fatal(err)
	}
	payload := benchEvent(0, "http://127.0.0.1:1")
	b.ResetTimer()
	cpu0, t0 := cpuTime(), time.Now()
	for i := 0; i < b.N; i++ {
		if _, err := js.PublishAsync(fmt.Sprintf("raw.%d", i%100), payload); err != nil {
			b.Fatal(err)
		}
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(benchConcurrency))
	if err != nil {
		b.Fatal(err)
	}
	var left atomic.Int64
	left.Store(int64(b.N))
	var wg sync.WaitGroup
	for range benchConcurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				m, err := it.Next()
				if err != nil {
					return
				}
				_ = m.Ack()
				if left.Add(-1) == 0 {
					it.Stop()
				}
			}
		}()
	}
	wg.Wait()
	report(b, b.N, time.Since(t0), cpuTime()-cpu0)
}

// BenchmarkRawHTTP is the HTTP limit: b.N keep-alive POSTs of the same
// body to the same target, with the same concurrency, through the
// worker's client (Do) and through its transport alone (transport, as
// an attempt sends them with redirects off: worker/attempt.go send).
func BenchmarkRawHTTP(b *testing.B) {
	target := benchTarget(b)
	hc := config.Default().HTTP
	hc.Allow = loopback
	client, err := worker.NewHTTPClient(hc, benchConcurrency)
	if err != nil {
		b.Fatal(err)
	}
	body := []byte(`{"ticket_id": 388, "name": "Ana", "email": "ana@example.com", "n": 1}`)
	for _, mode := range []struct {
		name string
		send func(*http.Request) (*http.Response, error)
	}{{"do", client.Do}, {"transport", client.Transport.RoundTrip}} {
		b.Run(mode.name, func(b *testing.B) {
			b.ReportAllocs()
			var next atomic.Int64
			b.ResetTimer()
			cpu0, t0 := cpuTime(), time.Now()
			var wg sync.WaitGroup
			for range benchConcurrency {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for next.Add(1) <= int64(b.N) {
						req, _ := http.NewRequest("POST", target.URL+"/tickets/388", bytes.NewReader(body))
						req.Header.Set("Content-Type", "application/json")
						resp, err := mode.send(req)
						if err != nil {
							b.Error(err)
							return
						}
						io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
					}
				}()
			}
			wg.Wait()
			report(b, b.N, time.Since(t0), cpuTime()-cpu0)
		})
	}
}

// BenchmarkFlakyTarget fires b.N events at a target that fails 20% of
// requests at random (503), with the default retry policy but a shortened
// durable schedule (1s, 2s, 4s), and waits until every event has a Result.
// It reports attempts per event, dead letters and the time to drain, and
// fails if any event is lost.
func BenchmarkFlakyTarget(b *testing.B) {
	srv := jstest.Server(b)
	nc, js := jstest.Connect(b, srv)
	ft := fault.NewServer(b)
	ft.On("/flaky", fault.Random(0.2, fault.Status(503, "flaky"), fault.OK(benchBody), 42))

	cfg := config.Default()
	cfg.HTTP.Allow = loopback
	cfg.Worker.Concurrency = benchConcurrency
	cfg.Worker.MaxAckPending = 4 * benchConcurrency
	cfg.Retry.Schedule = []time.Duration{time.Second, 2 * time.Second, 4 * time.Second}
	cfg.Log.Level = "warn"
	workertest.Run(b, nc, cfg, worker.Deps{}) // ready, and stopped when the benchmark ends
	var mu sync.Mutex
	seen := map[string]trigger.Result{}
	all := make(chan struct{})
	sub, err := nc.Subscribe("connections.result.bench", func(m *nats.Msg) {
		var r trigger.Result
		if json.Unmarshal(m.Data, &r) != nil {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if _, dup := seen[r.EventID]; !dup {
			seen[r.EventID] = r
			if len(seen) == b.N {
				close(all)
			}
		}
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = sub.Unsubscribe() })
	time.Sleep(200 * time.Millisecond)

	b.ResetTimer()
	t0 := time.Now()
	for i := 0; i < b.N; i++ {
		ev := trigger.Event{ID: fmt.Sprintf("flaky-%d-%d", t0.UnixNano(), i), BotID: "bench", ConversationID: "c",
			Webhook: &webhook.Definition{URL: ft.URL() + "/flaky", CVars: []webhook.Mapping{{Name: "s", Mapper: "{{ ticket.status }}"}}}}
		data, _ := json.Marshal(ev)
		msg := nats.NewMsg("connections.fired.bench")
		msg.Data = data
		msg.Header.Set("Nats-Msg-Id", ev.ID)
		publishAsync(b, js, msg)
	}
	select {
	case <-all:
	case <-time.After(10 * time.Minute):
		mu.Lock()
		b.Fatalf("lost events: %d of %d Results after 10 minutes", len(seen), b.N)
	}
	drain := time.Since(t0)
	b.StopTimer()
	mu.Lock()
	attempts, failed := 0, 0
	for _, r := range seen {
		attempts += r.Attempts
		if r.Status != trigger.StatusSucceeded {
			failed++
		}
	}
	mu.Unlock()
	b.ReportMetric(float64(attempts)/float64(b.N), "attempts/event")
	b.ReportMetric(float64(failed), "dead-letters")
	b.ReportMetric(drain.Seconds(), "drain-s")
	b.ReportMetric(float64(ft.Count("/flaky")), "requests")
}

// publishAsync publishes without waiting for each PubAck, in windows of
// 1,000 so that the client's async limit is never reached.
func publishAsync(b *testing.B, js jetstream.JetStream, msg *nats.Msg) {
	b.Helper()
	if js.PublishAsyncPending() >= 1000 {
		select {
		case <-js.PublishAsyncComplete():
		case <-time.After(time.Minute):
			b.Fatal("publish acks did not arrive within a minute")
		}
	}
	if _, err := js.PublishMsgAsync(msg); err != nil {
		b.Fatal(err)
	}
}
