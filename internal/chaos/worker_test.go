package chaos

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// worker is one `hookworker run` process with its ops listener on a port
// of its own (for /readyz) and a User-Agent naming it, so the target can
// tell which process sent a request.
type worker struct {
	*proc
	ua      string
	opsPort int
}

// workerEnv is what every worker of the suite runs with: quick ack and
// retry timings so that faults heal within a row's budget.
func workerEnv(extra ...string) []string {
	return append([]string{
		"HOOKWORKER_LOG_FORMAT=console",
		"HOOKWORKER_LOG_LEVEL=info",
		"HOOKWORKER_HTTP_ALLOW=127.0.0.0/8",
		"HOOKWORKER_CONCURRENCY=16",
		"HOOKWORKER_ACK_WAIT=3s",
		"HOOKWORKER_SHUTDOWN_GRACE=5s",
		"HOOKWORKER_RETRY_SCHEDULE=500ms,1s",
		"HOOKWORKER_RETRY_QUICK_INITIAL=100ms",
		"HOOKWORKER_STREAM_REFRESH=1s",
		"HOOKWORKER_PULL_EXPIRY=2s",
		"HOOKWORKER_ISOLATION_BREAKER_WINDOW=5s",
		"HOOKWORKER_ISOLATION_BREAKER_OPEN_FOR=2s",
	}, extra...)
}

// startWorker starts `hookworker run --nats-url url` and, unless
// noWait, waits for "worker started".
func startWorker(t *testing.T, name, url string, noWait bool, env ...string) *worker {
	t.Helper()
	b := bins(t)
	w := &worker{ua: "chaos/" + name, opsPort: freePort(t)}
	dir := t.TempDir()
	// No configs/ in the working directory: defaults plus env only.
	cfg := filepath.Join(dir, "hookworker.yaml")
	if err := os.WriteFile(cfg, []byte("{}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	all := workerEnv(
		"HOOKWORKER_USER_AGENT="+w.ua,
		"HOOKWORKER_NATS_NAME="+w.ua,
		fmt.Sprintf("HOOKWORKER_OPS_LISTEN=127.0.0.1:%d", w.opsPort),
	)
	all = append(all, env...)
	w.proc = startProc(t, "worker "+name, b.hookworker, dir, []string{"run", "--config", cfg, "--nats-url", url}, childEnv(all...))
	if !noWait && !w.waitLog("worker started", 40*time.Second) {
		t.Fatalf("worker %s did not start within 40s (exited: %v)", name, !w.alive())
	}
	return w
}

// ready asks the worker's /readyz: its status code and body.
func (w *worker) ready() (int, string) {
	c := http.Client{Timeout: 3 * time.Second}
	resp, err := c.Get(fmt.Sprintf("http://127.0.0.1:%d/readyz", w.opsPort))
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	return resp.StatusCode, strings.TrimSpace(string(b))
}

// metric reads the sum of the worker's series whose line starts with
// prefix (a name, or a name and labels) from /metrics.
func (w *worker) metric(prefix string) float64 {
	c := http.Client{Timeout: 3 * time.Second}
	resp, err := c.Get(fmt.Sprintf("http://127.0.0.1:%d/metrics", w.opsPort))
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	sum := 0.0
	for _, l := range strings.Split(string(b), "\n") {
		if !strings.HasPrefix(l, prefix) {
			continue
		}
		var v float64
		if i := strings.LastIndexByte(l, ' '); i > 0 {
			if _, err := fmt.Sscan(l[i+1:], &v); err == nil {
				sum += v
			}
		}
	}
	return sum
}

// waitReady polls /readyz until it answers 200, or fails the test after d.
func (w *worker) waitReady(t *testing.T, d time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	var code int
	var body string
	for time.Since(start) < d {
		if code, body = w.ready(); code == http.StatusOK {
			return time.Since(start)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("worker %s: /readyz %d %q after %s, want 200", w.name, code, body, d)
	return 0
}
