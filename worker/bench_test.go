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

	"github.com/hookworker/hookworker/config"
	"github.com/hookworker/hookworker/jstest"
	"github.com/hookworker/hookworker/trigger"
	"github.com/hookworker/hookworker/webhook"
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
	cfg.Worker.Concurrency = benchConcurrency
	cfg.Worker.MaxAckPending = 4 * benchConcurrency
	w, err := worker.New(cfg, worker.Deps{Conn: nc})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	b.Cleanup(func() { cancel(); <-done })
	if _, err := w.Setup(context.Background()); err != nil {
		b.Fatal(err)
	}

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
		if _, err := js.PublishMsgAsync(msg); err != nil {
			b.Fatal(err)
		}
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
// body to the same target, with the same concurrency.
func BenchmarkRawHTTP(b *testing.B) {
	target := benchTarget(b)
	client := worker.NewHTTPClient(config.Default().HTTP, benchConcurrency)
	body := []byte(`{"ticket_id": 388, "name": "Ana", "email": "ana@example.com", "n": 1}`)
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
				resp, err := client.Do(req)
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
}
