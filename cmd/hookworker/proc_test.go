package main

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// workerProc is one `hookworker` process started by a test: its stderr is
// kept line by line, it is killed when the test ends, and the first
// warnings and last lines of its stderr are logged if the test fails.
type workerProc struct {
	t    *testing.T
	name string
	ua   string // the User-Agent its webhook requests carry
	cmd  *exec.Cmd

	mu    sync.Mutex
	lines []string
	seen  chan struct{} // signalled on every new line

	exited chan struct{} // closed when the process has exited
	err    error         // its exit error, valid after exited
}

// startProc starts `bin args...` in a fresh directory with the given
// HOOKWORKER_* overrides over the tests' defaults (console logs at info,
// loopback targets allowed, no ops listener, a User-Agent and NATS
// connection name of its own). It does not wait for the worker to start.
func startProc(t *testing.T, bin, name string, args []string, env ...string) *workerProc {
	t.Helper()
	w := &workerProc{t: t, name: name, ua: "hookworker/" + name, seen: make(chan struct{}, 1), exited: make(chan struct{})}
	w.cmd = exec.Command(bin, args...)
	w.cmd.Dir = t.TempDir()
	w.cmd.Env = childEnv(
		"HOOKWORKER_LOG_FORMAT=console",
		"HOOKWORKER_LOG_LEVEL=info",
		"HOOKWORKER_HTTP_ALLOW=127.0.0.0/8",
		"HOOKWORKER_OPS_LISTEN=off",
		"HOOKWORKER_USER_AGENT="+w.ua,
		"HOOKWORKER_NATS_NAME="+w.ua, // the server's connz shows where it is
	)
	w.cmd.Env = append(w.cmd.Env, env...)
	stderr, err := w.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := w.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			w.mu.Lock()
			w.lines = append(w.lines, sc.Text())
			w.mu.Unlock()
			select {
			case w.seen <- struct{}{}:
			default:
			}
		}
		_, _ = io.Copy(io.Discard, stderr)
		w.err = w.cmd.Wait()
		close(w.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-w.exited:
		default:
			_ = w.cmd.Process.Kill()
			<-w.exited
		}
		if t.Failed() {
			t.Logf("worker %s (%v): first warnings:\n%s\nlast stderr lines:\n%s", name, w.err, w.warnings(20), w.tail(60))
		}
	})
	return w
}

// startWorker runs `hookworker run --nats-url url` (see startProc) and
// waits for "worker started".
func startWorker(t *testing.T, bin, name, url string, env ...string) *workerProc {
	t.Helper()
	begin := time.Now()
	w := startProc(t, bin, name, []string{"run", "--nats-url", url}, env...)
	w.waitStarted(30 * time.Second)
	t.Logf("worker %s started in %s", name, time.Since(begin).Round(time.Millisecond))
	return w
}

// stderr returns everything the process wrote to stderr so far.
func (w *workerProc) stderr() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return strings.Join(w.lines, "\n")
}

// tail returns the last n stderr lines.
func (w *workerProc) tail(n int) string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return strings.Join(w.lines[max(0, len(w.lines)-n):], "\n")
}

// warnings returns the first n WARN or ERROR lines.
func (w *workerProc) warnings(n int) string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for _, l := range w.lines {
		if len(out) < n && (strings.Contains(l, "WARN") || strings.Contains(l, "ERROR")) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// count returns how many stderr lines contain s.
func (w *workerProc) count(s string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := 0
	for _, l := range w.lines {
		if strings.Contains(l, s) {
			n++
		}
	}
	return n
}

// waitLog waits until a stderr line contains s.
func (w *workerProc) waitLog(s string, d time.Duration) {
	w.t.Helper()
	deadline := time.After(d)
	for w.count(s) == 0 {
		select {
		case <-w.seen:
		case <-w.exited:
			if w.count(s) > 0 {
				return
			}
			w.t.Fatalf("worker %s exited (%v) before logging %q", w.name, w.err, s)
		case <-deadline:
			w.t.Fatalf("worker %s: no %q within %s", w.name, s, d)
		}
	}
}

// waitStarted waits for "worker started".
func (w *workerProc) waitStarted(d time.Duration) {
	w.t.Helper()
	w.waitLog("worker started", d)
}

// signal sends sig to the process.
func (w *workerProc) signal(sig os.Signal) {
	w.t.Helper()
	if err := w.cmd.Process.Signal(sig); err != nil {
		w.t.Fatalf("signal %v to worker %s: %v", sig, w.name, err)
	}
}

// wait waits up to d for the process to exit and returns its exit error.
func (w *workerProc) wait(d time.Duration) error {
	w.t.Helper()
	select {
	case <-w.exited:
		return w.err
	case <-time.After(d):
		w.t.Fatalf("worker %s did not exit within %s", w.name, d)
		return nil
	}
}

// stop sends SIGTERM and requires a clean exit (status 0, "worker
// stopped" logged) within d; it returns how long the exit took.
func (w *workerProc) stop(d time.Duration) time.Duration {
	w.t.Helper()
	start := time.Now()
	w.signal(syscall.SIGTERM)
	if err := w.wait(d); err != nil {
		w.t.Fatalf("worker %s exited with %v after SIGTERM, want status 0", w.name, err)
	}
	if w.count("worker stopped") == 0 {
		w.t.Errorf("worker %s exited without logging \"worker stopped\"", w.name)
	}
	return time.Since(start)
}
