// Package workertest runs a worker in a test against a real server (see
// jstest), ready before the test goes on and stopped cleanly at its end,
// and gathers the Results it publishes (CollectResults).
// It is apart from jstest because jstest must not import the worker (the
// packages the worker imports test with jstest).
package workertest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/hookworker/hookworker/config"
	"github.com/hookworker/hookworker/worker"
)

// Run runs a worker on nc with cfg and deps (deps.Conn is set to
// nc) and returns once it is ready: consuming, with its stream and
// consumer in place. stop cancels it and requires a clean stop within
// 10 s; it runs at the end of the test if the test did not call it.
func Run(t testing.TB, nc *nats.Conn, cfg config.Config, deps worker.Deps) (w *worker.Worker, stop func()) {
	t.Helper()
	deps.Conn = nc
	w, err := worker.New(cfg, deps)
	if err != nil {
		t.Fatalf("worker.New: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("worker.Run: %v", err)
				}
			case <-time.After(10 * time.Second):
				t.Errorf("worker did not stop within 10s")
			}
		})
	}
	t.Cleanup(stop)
	deadline := time.Now().Add(10 * time.Second)
	for {
		rctx, rcancel := context.WithTimeout(context.Background(), 2*time.Second)
		err := w.Ready(rctx)
		rcancel()
		if err == nil {
			return w, stop
		}
		if time.Now().After(deadline) {
			t.Fatalf("worker not ready within 10s: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
