package worker_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/hookworker/hookworker/internal/config"
	"github.com/hookworker/hookworker/internal/fault"
	"github.com/hookworker/hookworker/internal/jstest"
	"github.com/hookworker/hookworker/internal/natsd"
	"github.com/hookworker/hookworker/internal/workertest"
	"github.com/hookworker/hookworker/trigger"
	"github.com/hookworker/hookworker/trigger/webhook"
	"github.com/hookworker/hookworker/worker"
)

// TestSetupWaitsForJetStream: a worker whose server cannot set up its
// streams yet (JetStream not available: a cluster still electing, a
// server still recovering) does not end Run: it tries again with backoff,
// logs each attempt at warn, and Ready says why; once JetStream is there
// it starts and runs events.
func TestSetupWaitsForJetStream(t *testing.T) {
	dir := t.TempDir()
	srv, err := natsd.Start(natsd.Options{Port: -1, StoreDir: dir, Configure: func(o *server.Options) { o.JetStream = false }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
	nc, _ := jstest.Connect(t, srv)
	core, logs := observer.New(zapcore.WarnLevel)
	cfg := config.Default()
	cfg.Worker.Concurrency = 4
	cfg.HTTP.Allow = loopback
	w, err := worker.New(cfg, worker.Deps{Conn: nc, Logger: zap.New(core)})
	if err != nil {
		t.Fatal(err)
	}
	workertest.Start(t, w)
	waitFor(t, 10*time.Second, "a warn line per setup attempt", func() bool {
		return logs.FilterMessage("setting up streams and consumers failed; trying again").Len() >= 1
	})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := w.Ready(ctx); err == nil || !strings.Contains(err.Error(), "setting up streams and consumers") {
		t.Errorf("Ready while JetStream is off: %v, want the setup's reason", err)
	}
	if err := srv.Raw().EnableJetStream(&server.JetStreamConfig{StoreDir: dir}); err != nil {
		t.Fatal(err)
	}
	workertest.WaitReady(t, w)
	target := fault.NewServer(t)
	target.On("/hook", fault.OK(`{"ok": true}`))
	res := fire(t, nc, &trigger.Event{ID: "evt-late-js", BotID: "bot-a", ConversationID: "conv-1",
		Webhook: &webhook.Definition{URL: target.URL() + "/hook", CVars: []webhook.Mapping{{Name: "ok", Mapper: "{{ ok }}"}}}})
	if res.Status != trigger.StatusSucceeded {
		t.Errorf("Result %s %+v", res.Status, res.Error)
	}
}
