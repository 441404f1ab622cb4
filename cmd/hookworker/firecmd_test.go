package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hookworker/hookworker/internal/config"
	"github.com/hookworker/hookworker/internal/jstest"
	"github.com/hookworker/hookworker/internal/workertest"
	"github.com/hookworker/hookworker/trigger"
	"github.com/hookworker/hookworker/worker"
)

// writeEvent writes an event file pointing its inline webhook at url.
func writeEvent(t *testing.T, id, url string) string {
	t.Helper()
	ev := fmt.Sprintf(`{"id": %q, "bot_id": "bot-1", "conversation_id": "conv-1",
		"webhook": {"url": %q, "cvars": [{"name": "ticket_status", "mapper": "{{ ticket.status }}"}]},
		"cvars": {"ticket_id": 388}}`, id, url+"/tickets/{{ ticket_id }}")
	path := filepath.Join(t.TempDir(), id+".json")
	if err := os.WriteFile(path, []byte(ev), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestFireCommand(t *testing.T) {
	srv := jstest.Server(t)
	nc, js := jstest.Connect(t, srv)
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/tickets/388" {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		io.WriteString(w, `{"ticket": {"status": "open"}}`)
	}))
	t.Cleanup(target.Close)

	cfg := config.Default()
	cfg.HTTP.Allow = []string{"127.0.0.0/8"} // the target is an httptest server
	cfg.Worker.Concurrency = 2
	_, stopWorker := workertest.Run(t, nc, cfg, worker.Deps{})

	url := srv.ClientURL()
	tests := []struct {
		name   string
		args   []string
		code   int
		status trigger.Status
		stderr string
	}{
		{name: "succeeded", args: []string{"fire", writeEvent(t, "f-1", target.URL), "--nats-url", url}, status: trigger.StatusSucceeded},
		{name: "duplicate id", args: []string{"fire", writeEvent(t, "f-1", target.URL), "--nats-url", url, "--timeout", "2s"}, code: 1, stderr: "--new-id"},
		{name: "new id", args: []string{"fire", writeEvent(t, "f-1", target.URL), "--nats-url", url, "--new-id"}, status: trigger.StatusSucceeded},
		{name: "ordered", args: []string{"fire", writeEvent(t, "f-o", target.URL), "--nats-url", url, "--ordered"}, status: trigger.StatusSucceeded},
		{name: "failed result", args: []string{"fire", writeEvent(t, "f-2", target.URL+"/missing"), "--nats-url", url}, code: exitFailedResult, status: trigger.StatusFailed, stderr: "http_status"},
		{name: "invalid event file", args: []string{"fire", "testdata/cvars.json", "--nats-url", url}, code: 1, stderr: "testdata/cvars.json: id: required"},
		{name: "no server", args: []string{"fire", writeEvent(t, "f-3", target.URL), "--nats-url", "nats://127.0.0.1:1"}, code: 1, stderr: "connect to NATS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, context.Background(), nil, tt.args...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d; stderr: %s", code, tt.code, errOut)
			}
			if tt.stderr != "" && !strings.Contains(errOut, tt.stderr) {
				t.Errorf("stderr %q does not mention %q", errOut, tt.stderr)
			}
			if tt.status == "" {
				return
			}
			var res trigger.Result
			if err := json.Unmarshal([]byte(out), &res); err != nil {
				t.Fatalf("stdout is not a Result: %v\n%s", err, out)
			}
			if res.Status != tt.status {
				t.Errorf("status %s, want %s", res.Status, tt.status)
			}
			if tt.status == trigger.StatusSucceeded && res.CVars["ticket_status"] != "open" {
				t.Errorf("cvars %v", res.CVars)
			}
		})
	}

	// Only the --ordered event went through an ordered lane.
	laneEvents := 0
	for p := range cfg.Ordering.Partitions {
		c, err := js.Consumer(context.Background(), cfg.Names.Stream, fmt.Sprintf("hookworker-ordered-%d", p))
		if err != nil {
			t.Fatal(err)
		}
		info, err := c.Info(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		laneEvents += int(info.Delivered.Consumer) // deliveries by this lane
	}
	if laneEvents != 1 {
		t.Errorf("the ordered lanes delivered %d events, want 1 (the --ordered one)", laneEvents)
	}

	t.Run("no worker answers", func(t *testing.T) {
		stopWorker()
		start := time.Now()
		code, _, errOut := runCLI(t, context.Background(), nil, "fire", writeEvent(t, "f-4", target.URL), "--nats-url", url, "--timeout", "300ms")
		if code != 1 || !strings.Contains(errOut, "within 300ms") {
			t.Errorf("exit %d, stderr %q; want 1 and a timeout message", code, errOut)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("took %s", d)
		}
	})
}
