package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hookworker/hookworker/internal/config"
	"github.com/hookworker/hookworker/trigger"
)

func httpGet(url string) (int, string, error) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// TestRunServesOps: `run` with ops.listen serves the probes and metrics
// while it runs, counts a fired event, and closes the listener on exit.
func TestRunServesOps(t *testing.T) {
	ops := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	r := startEmbeddedRun(t, map[string]string{"HOOKWORKER_OPS_LISTEN": ops}, config.NATS{})
	base := "http://" + ops

	var code int
	var body string
	for range 100 {
		if code, body, _ = httpGet(base + "/readyz"); code == 200 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if code != 200 || strings.TrimSpace(body) != "ready" {
		t.Fatalf("/readyz: %d %q", code, body)
	}
	if code, body, err := httpGet(base + "/healthz"); err != nil || code != 200 {
		t.Errorf("/healthz: %d %q %v", code, body, err)
	}
	if fc, res, errOut := r.fire(t, nil, "ops-1", ticketTarget(t)); fc != 0 || res.Status != trigger.StatusSucceeded {
		t.Fatalf("fire: exit %d, %+v\n%s", fc, res, errOut)
	}
	// The Result reaches fire a moment before the worker counts it, and
	// the pending gauge follows the consumer's info: poll until every
	// series is there (5 s), then name the ones missing.
	wants := []string{`hookworker_results_total{class="none",status="succeeded"} 1`,
		"hookworker_events_received_total 1", "hookworker_consumer_pending_messages 0",
		"hookworker_template_cache_entries", "go_goroutines", "process_",
		`hookworker_build_info{goversion="go`, `hookworker_webhook_results_total{status="succeeded",webhook="inline"} 1`,
		`hookworker_fired_to_result_seconds_count{status="succeeded"} 1`, `hookworker_breakers{state="open"} 0`,
		"hookworker_dead_letters_backlog_errors_total 0"}
	var missing []string
	for range 100 {
		code, body, _ = httpGet(base + "/metrics")
		missing = missing[:0]
		for _, s := range wants {
			if !strings.Contains(body, s) {
				missing = append(missing, s)
			}
		}
		if len(missing) == 0 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, s := range missing {
		t.Errorf("/metrics (%d) lacks %q", code, s)
	}
	if len(missing) > 0 {
		t.Logf("/metrics:\n%s", body)
	}

	exit, stderr := r.stop()
	if exit != 0 || !strings.Contains(stderr, "ops listener") {
		t.Errorf("run: exit %d:\n%s", exit, stderr)
	}
	if _, _, err := httpGet(base + "/healthz"); err == nil {
		t.Errorf("the ops listener still answers after run returned")
	}
}

// TestRunOpsPortTaken: a taken ops port is logged and run goes on (a
// second process on the same machine); off disables the listener.
func TestRunOpsPortTaken(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	r := startEmbeddedRun(t, map[string]string{"HOOKWORKER_OPS_LISTEN": ln.Addr().String()}, config.NATS{})
	if fc, res, errOut := r.fire(t, nil, "ops-taken", ticketTarget(t)); fc != 0 || res.Status != trigger.StatusSucceeded {
		t.Fatalf("fire: exit %d, %+v\n%s", fc, res, errOut)
	}
	exit, stderr := r.stop()
	if exit != 0 || !strings.Contains(stderr, "the ops listener did not start") || !strings.Contains(stderr, "address already in use") {
		t.Errorf("run: exit %d:\n%s", exit, stderr)
	}

	r = startEmbeddedRun(t, map[string]string{"HOOKWORKER_OPS_LISTEN": "off"}, config.NATS{})
	if fc, res, errOut := r.fire(t, nil, "ops-off", ticketTarget(t)); fc != 0 || res.Status != trigger.StatusSucceeded {
		t.Fatalf("fire: exit %d, %+v\n%s", fc, res, errOut)
	}
	exit, stderr = r.stop()
	if exit != 0 || strings.Contains(stderr, "ops listener") {
		t.Errorf("run with ops.listen off: exit %d:\n%s", exit, stderr)
	}
}
