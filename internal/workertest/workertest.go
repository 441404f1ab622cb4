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

	"github.com/hookworker/hookworker/internal/config"
	"github.com/hookworker/hookworker/worker"
)

// Run runs a worker on nc with cfg and deps (deps.Conn is set to
// nc) and returns once it is ready: consuming, with its stream and
// consumer in place. stop is Start's.
func Run(t testing.TB, nc *nats.Conn, cfg config.Config, deps worker.Deps) (w *worker.Worker, stop func()) {
	t.Helper()
	deps.Conn = nc
	w, err := worker.New(cfg, deps)
	if err != nil {
		t.Fatalf("worker.New: %v", err)
	}
	stop = Start(t, w)
	WaitReady(t, w)
	return w, stop
}

// Start runs w, built by the test, without waiting for it to be ready.
// stop cancels it and requires a clean stop within 15 s; it runs at the
// end of the test if the test did not call it.
func Start(t testing.TB, w *worker.Worker) (stop func()) {
	t.Helper()
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
			case <-time.After(15 * time.Second):
				t.Errorf("worker did not stop within 15s")
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// WaitReady waits up to 10 s for w to report ready.
func WaitReady(t testing.TB, w *worker.Worker) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		rctx, rcancel := context.WithTimeout(context.Background(), 2*time.Second)
		err := w.Ready(rctx)
		rcancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("worker not ready within 10s: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
