package bench

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// The baseline worker (package baseline) runs in a process of its own,
// `<bin> bench baseline-worker`, on a stream and consumer of its own,
// configured as the raw phase's.

func (h *harness) baseStream() string  { return "HOOKBENCH_BASE_" + h.run }
func (h *harness) baseSubject() string { return "hookbench." + h.run + ".base." + h.preset.Bot() }

// BaselineArgs is the command line the bench gives the baseline worker,
// after the binary: the bench command runs package baseline with them.
func BaselineArgs(url, stream, consumer string, concurrency int) []string {
	return []string{"bench", "baseline-worker", "--nats-url", url, "--stream", stream,
		"--consumer", consumer, "--concurrency", strconv.Itoa(concurrency)}
}

// startBaseline creates the baseline's stream and consumer and starts
// its process, and waits until it pulls.
func (h *harness) startBaseline(ctx context.Context) error {
	_, err := h.rawJS.CreateStream(ctx, jetstream.StreamConfig{
		Name:       h.baseStream(),
		Subjects:   []string{"hookbench." + h.run + ".base.>"},
		Retention:  jetstream.WorkQueuePolicy,
		Storage:    jetstream.FileStorage,
		Replicas:   h.replicas(),
		Duplicates: 2 * time.Minute,
	})
	if err != nil {
		return fmt.Errorf("bench: baseline stream: %w", err)
	}
	if _, err = h.rawJS.CreateOrUpdateConsumer(ctx, h.baseStream(), jetstream.ConsumerConfig{
		Durable:       "base",
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       30 * time.Second,
		MaxDeliver:    20,
		MaxAckPending: h.o.MaxAckPending,
		DeliverPolicy: jetstream.DeliverAllPolicy,
	}); err != nil {
		return fmt.Errorf("bench: baseline consumer: %w", err)
	}
	h.logf("starting the baseline worker")
	args := BaselineArgs(h.srv.ClientURL(), h.baseStream(), "base", h.o.Concurrency)
	if h.o.BaselineProfileOut != "" {
		args = append(args, "--cpuprofile", h.o.BaselineProfileOut)
	}
	if h.base, err = startProc(h.o.WorkerBin, args,
		h.workerEnv(), h.dir, h.o.Log, "baseline: "); err != nil {
		return err
	}
	return h.waitPulling(ctx, h.base, h.baseStream(), "base", 1)
}

// baselineBurst is burst k of the baseline worker.
func (h *harness) baselineBurst(ctx context.Context, k int) (burstResult, error) {
	return h.burstOn(ctx, k, "w", func(int) string { return h.baseSubject() })
}
