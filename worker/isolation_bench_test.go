package worker_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/hookworker/hookworker/internal/config"
	"github.com/hookworker/hookworker/internal/fault"
	"github.com/hookworker/hookworker/internal/jstest"
	"github.com/hookworker/hookworker/internal/workertest"
	"github.com/hookworker/hookworker/trigger"
	"github.com/hookworker/hookworker/trigger/webhook"
	"github.com/hookworker/hookworker/worker"
)

// BenchmarkIsolation measures the fired→Result latency of a healthy
// target's events, paced at 200/s for 3 s, with and without a second
// target that hangs past its timeout and gets 100 events/s. It reports the
// healthy events' p50 and p99 in ms; per-host isolation should keep the
// faulty run's p99 within 2x of the no-fault run's. Run with -benchtime 1x.
//
// Events handed back with a delay still count against the consumer's
// MaxAckPending while they wait: it must exceed the backlog a bad host
// can build up. With MaxAckPending 256, the 300 events for the hanging
// host filled it and healthy events stalled; with the default 1024 they
// do not.
func BenchmarkIsolation(b *testing.B) {
	for _, faulty := range []bool{false, true} {
		name := "no-fault"
		if faulty {
			name = "hanging-target"
		}
		b.Run(name, func(b *testing.B) {
			for range b.N {
				p50, p99 := isolationRun(b, faulty)
				b.ReportMetric(p50, "p50-ms")
				b.ReportMetric(p99, "p99-ms")
			}
		})
	}
}

func isolationRun(b *testing.B, faulty bool) (p50, p99 float64) {
	srv := jstest.Server(b)
	nc, js := jstest.Connect(b, srv)
	hanging, healthy := fault.NewServer(b), fault.NewServer(b)
	hanging.On("/x", fault.Hang(30*time.Second))
	healthy.On("/x", fault.OK(`{}`))
	cfg := config.Default()
	cfg.HTTP.Allow = loopback
	cfg.Log.Level = "error"
	cfg.Worker.Concurrency = 64
	cfg.Worker.MaxAckPending = 1024 // the default; events handed back wait in it
	cfg.Isolation.PerHostConcurrency = 16
	cfg.Retry.MaxAttempts = 1
	_, stop := workertest.Run(b, nc, cfg, worker.Deps{})
	defer stop()
	var mu sync.Mutex
	sent := map[string]time.Time{}
	var lat []float64
	sub, err := nc.Subscribe("connections.result.healthy", func(m *nats.Msg) {
		var r trigger.Result
		if json.Unmarshal(m.Data, &r) != nil {
			return
		}
		mu.Lock()
		if t0, ok := sent[r.EventID]; ok {
			lat = append(lat, float64(time.Since(t0).Microseconds())/1000)
			delete(sent, r.EventID)
		}
		mu.Unlock()
	})
	if err != nil {
		b.Fatal(err)
	}
	defer sub.Unsubscribe()
	time.Sleep(200 * time.Millisecond)
	publish := func(id, bot, url string) {
		ev := trigger.Event{ID: id, BotID: bot, ConversationID: "c", Webhook: &webhook.Definition{URL: url, Timeout: webhook.Duration(5 * time.Second)}}
		data, _ := json.Marshal(ev)
		msg := nats.NewMsg("connections.fired." + bot)
		msg.Data = data
		msg.Header.Set("Nats-Msg-Id", id)
		if _, err := js.PublishMsgAsync(msg); err != nil {
			b.Fatal(err)
		}
	}
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	const n = 600 // 200/s for 3 s
	for i := range n {
		<-tick.C
		id := fmt.Sprintf("healthy-%d-%d", time.Now().UnixNano(), i)
		mu.Lock()
		sent[id] = time.Now()
		mu.Unlock()
		publish(id, "healthy", healthy.URL()+"/x")
		if faulty && i%2 == 0 {
			publish(fmt.Sprintf("hang-%d-%d", time.Now().UnixNano(), i), "hanging", hanging.URL()+"/x")
		}
	}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		mu.Lock()
		got := len(lat)
		mu.Unlock()
		if got == n {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(lat) != n {
		b.Fatalf("%d of %d healthy Results", len(lat), n)
	}
	slices.Sort(lat)
	return lat[len(lat)/2], lat[len(lat)*99/100]
}
