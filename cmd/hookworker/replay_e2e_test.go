package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hookworker/hookworker/internal/config"
	"github.com/hookworker/hookworker/internal/deadletter"
	"github.com/hookworker/hookworker/internal/fault"
	"github.com/hookworker/hookworker/internal/jstest"
	"github.com/hookworker/hookworker/internal/workertest"
	"github.com/hookworker/hookworker/trigger"
	"github.com/hookworker/hookworker/trigger/webhook"
	"github.com/hookworker/hookworker/worker"
)

// TestReplayAfterRecovery: events dead-lettered while their target was
// down are replayed with `hookworker replay` once it is back, and succeed;
// filters pick exactly the intended letters; a dry run changes nothing.
func TestReplayAfterRecovery(t *testing.T) {
	srv := jstest.Server(t)
	nc, js := jstest.Connect(t, srv)
	ft := fault.NewServer(t)
	ft.On("/api", fault.Status(503, `{"error":"down"}`))

	cfg := config.Default()
	cfg.HTTP.Allow = []string{"127.0.0.0/8"} // the target is an httptest server
	cfg.Retry.MaxAttempts = 1                // fail at once: this test is about replay
	cfg.Worker.Concurrency = 4
	workertest.Run(t, nc, cfg, worker.Deps{})

	results, err := nc.SubscribeSync("connections.result.>")
	if err != nil {
		t.Fatal(err)
	}
	next := func() trigger.Result {
		t.Helper()
		m, err := results.NextMsg(10 * time.Second)
		if err != nil {
			t.Fatalf("no Result: %v", err)
		}
		var r trigger.Result
		if err := json.Unmarshal(m.Data, &r); err != nil {
			t.Fatal(err)
		}
		return r
	}
	client, err := trigger.NewClient(nc)
	if err != nil {
		t.Fatal(err)
	}
	bots := map[string]int{"b1": 3, "b2": 2}
	total := 0
	for bot, n := range bots {
		for i := range n {
			ev := &trigger.Event{ID: fmt.Sprintf("%s-ev%d", bot, i), BotID: bot, ConversationID: "c",
				Webhook: &webhook.Definition{ID: "api-" + bot, URL: ft.URL() + "/api",
					CVars: []webhook.Mapping{{Name: "ok", Mapper: "{{ ok }}"}}}}
			if _, err := client.Publish(context.Background(), ev); err != nil {
				t.Fatal(err)
			}
			total++
		}
	}
	for range total {
		if r := next(); r.Status != trigger.StatusFailed {
			t.Fatalf("while the target is down: %+v", r)
		}
	}
	store := deadletter.NewStore(js, cfg)
	waitLetters := func(want int) {
		t.Helper()
		var n int
		for range 100 {
			ls, err := store.List(context.Background(), deadletter.Filter{})
			if err != nil {
				t.Fatal(err)
			}
			if n = len(ls); n == want {
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Fatalf("%d dead letters, want %d", n, want)
	}
	waitLetters(total)

	ft.On("/api", fault.OK(`{"ok": "yes"}`))
	url := srv.ClientURL()

	// Dry run: lists b1's letters, changes nothing.
	code, out, errOut := runCLI(t, context.Background(), nil, "replay", "--nats-url", url, "--bot", "b1", "--dry-run")
	if code != 0 || strings.Count(out, "b1-ev") != 3 || strings.Contains(out, "b2-ev") {
		t.Fatalf("dry run: exit %d\n%s%s", code, out, errOut)
	}
	time.Sleep(300 * time.Millisecond)
	if m, err := results.NextMsg(100 * time.Millisecond); err == nil {
		t.Fatalf("a dry run produced a Result: %s", m.Data)
	}
	waitLetters(total)

	// b1 only.
	code, _, errOut = runCLI(t, context.Background(), nil, "replay", "--nats-url", url, "--bot", "b1", "--rate", "0")
	if code != 0 {
		t.Fatalf("replay b1: exit %d: %s", code, errOut)
	}
	for range bots["b1"] {
		r := next()
		if r.Status != trigger.StatusSucceeded || !r.Replayed || r.BotID != "b1" || r.CVars["ok"] != "yes" {
			t.Errorf("replayed Result %+v", r)
		}
	}
	waitLetters(bots["b2"])

	// The rest.
	if code, _, errOut = runCLI(t, context.Background(), nil, "replay", "--nats-url", url, "--rate", "0", "--all"); code != 0 {
		t.Fatalf("replay: exit %d: %s", code, errOut)
	}
	for range bots["b2"] {
		if r := next(); r.Status != trigger.StatusSucceeded || !r.Replayed || r.BotID != "b2" {
			t.Errorf("replayed Result %+v", r)
		}
	}
	waitLetters(0)
	// Every event reached the target once while down and once replayed.
	for key, n := range ft.CountByKey() {
		if n != 2 {
			t.Errorf("event %s reached the target %d times, want 2", key, n)
		}
	}
}
