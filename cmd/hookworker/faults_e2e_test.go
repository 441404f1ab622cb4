package main

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hookworker/hookworker/internal/jstest"
)

// readyz is the status and body of the process's /readyz on addr (0 and
// the error when it does not answer).
func readyz(addr string) (int, string) {
	c := http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get("http://" + addr + "/readyz")
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestRunWaitsForNATS: `hookworker run` started while its NATS server is
// down does not exit: it tries again with backoff, logs each attempt,
// answers /readyz with 503 and the reason, and starts once the server is
// up, ready then.
func TestRunWaitsForNATS(t *testing.T) {
	bin := buildBinary(t)
	port, ops := freePort(t), freePort(t)
	opsAddr := fmt.Sprintf("127.0.0.1:%d", ops)
	w := startProc(t, bin, "nonats", []string{"run", "--nats-url", fmt.Sprintf("nats://127.0.0.1:%d", port)},
		"HOOKWORKER_OPS_LISTEN="+opsAddr)
	begin := time.Now()
	w.waitLog("NATS cannot be reached; trying again", 10*time.Second)
	var code int
	var body string
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if code, body = readyz(opsAddr); code != 0 {
			break
		}
	}
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "NATS cannot be reached") {
		t.Errorf("/readyz while NATS is down: %d %q, want 503 naming NATS", code, body)
	}
	// Longer than the 8 s after which it used to exit.
	time.Sleep(time.Until(begin.Add(10 * time.Second)))
	select {
	case <-w.exited:
		t.Fatalf("run exited while NATS was down: %v", w.err)
	default:
	}
	tries := w.count("NATS cannot be reached; trying again")
	if tries < 3 {
		t.Errorf("%d attempts logged in 10 s, want a line per attempt (backoff from 500ms)", tries)
	}
	jstest.ServerAt(t, port, t.TempDir())
	up := time.Now()
	w.waitStarted(45 * time.Second)
	t.Logf("NATS down for %s: %d attempts logged; started %s after the server came up",
		up.Sub(begin).Round(time.Millisecond), tries, time.Since(up).Round(time.Millisecond))
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if code, body = readyz(opsAddr); code == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz after NATS came up: %d %q", code, body)
		}
	}
	w.stop(15 * time.Second)
}
