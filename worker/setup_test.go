package worker_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookworker/hookworker/config"
	"github.com/hookworker/hookworker/jstest"
	"github.com/hookworker/hookworker/worker"
)

// TestSetupIdempotent: many processes starting at once create the stream
// and consumer once, with the configured settings, and a restart with a
// changed setting updates the consumer.
func TestSetupIdempotent(t *testing.T) {
	srv := jstest.Server(t)
	nc, js := jstest.Connect(t, srv)
	cfg := config.Default()
	var wg sync.WaitGroup
	errs := make(chan error, 5)
	for range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w, err := worker.New(cfg, worker.Deps{Conn: nc})
			if err == nil {
				_, err = w.Setup(context.Background())
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("concurrent Setup: %v", err)
		}
	}
	ctx := context.Background()
	s, err := js.Stream(ctx, "CONNECTIONS")
	if err != nil {
		t.Fatal(err)
	}
	if subj := s.CachedInfo().Config.Subjects; len(subj) != 1 || subj[0] != "connections.fired.>" {
		t.Errorf("stream subjects %v", subj)
	}
	names := s.ConsumerNames(ctx)
	var n int
	for range names.Name() {
		n++
	}
	if n != 1 {
		t.Errorf("%d consumers, want 1", n)
	}

	cfg.Worker.AckWait = 45 * time.Second
	w, err := worker.New(cfg, worker.Deps{Conn: nc})
	if err != nil {
		t.Fatal(err)
	}
	cons, err := w.Setup(ctx)
	if err != nil {
		t.Fatal(err)
	}
	info, err := cons.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.Config.AckWait != 45*time.Second || info.Config.AckPolicy != jetstream.AckExplicitPolicy || info.Config.Durable != "hookworker" {
		t.Errorf("consumer config %+v", info.Config)
	}
}
