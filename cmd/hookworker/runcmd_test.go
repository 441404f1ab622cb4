package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hookworker/hookworker/internal/testport"
	"github.com/hookworker/hookworker/trigger"
)

// buildBinary returns the hookworker binary, built once per test process
// (linking it takes seconds; every process test shares the one binary)
// and removed by TestMain when the tests end.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin, err := built()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

var (
	binDir string
	built  = sync.OnceValues(func() (string, error) {
		dir, err := os.MkdirTemp("", "hookworker-bin-")
		if err != nil {
			return "", err
		}
		binDir = dir
		bin := filepath.Join(dir, "hookworker")
		if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
			return "", fmt.Errorf("go build: %v\n%s", err, out)
		}
		return bin, nil
	})
)

// childEnv is this process's environment without the variables that
// configure hookworker (HOOKWORKER_*, NATS_*), plus extra: a test's child
// sees only the settings the test gives it, whatever the shell that runs
// `go test` exports (HOOKWORKER_TEST_TOOLS under .ci/run, a developer's
// NATS_URL).
func childEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "HOOKWORKER_") || strings.HasPrefix(kv, "NATS_") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, extra...)
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

func freePort(t *testing.T) int { return testport.Free(t) }

// TestRunBinary runs the real binary as a user would: `hookworker run`
// with no NATS URL starts the embedded server, `hookworker fire` gets a
// Result through it, and SIGTERM stops it cleanly.
func TestRunBinary(t *testing.T) {
	bin := buildBinary(t)
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"ticket": {"status": "pending"}}`)
	}))
	t.Cleanup(target.Close)

	dir := t.TempDir()
	port := freePort(t)
	cmd := exec.Command(bin, "run")
	cmd.Dir = dir // no configs/hookworker.yaml here: defaults
	cmd.Env = childEnv(
		fmt.Sprintf("HOOKWORKER_EMBEDDED_PORT=%d", port),
		"HOOKWORKER_NATS_URL=",
		"HOOKWORKER_HTTP_ALLOW=127.0.0.0/8", // the target is an httptest server
	)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })

	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var logs []string
	waitFor := func(s string) {
		t.Helper()
		deadline := time.After(15 * time.Second)
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatalf("run exited before logging %q:\n%s", s, strings.Join(logs, "\n"))
				}
				logs = append(logs, l)
				if strings.Contains(l, s) {
					return
				}
			case <-deadline:
				t.Fatalf("no %q within 15s:\n%s", s, strings.Join(logs, "\n"))
			}
		}
	}
	waitFor(fmt.Sprintf("nats://127.0.0.1:%d", port))
	waitFor("worker started")
	if _, err := os.Stat(filepath.Join(dir, "data", "jetstream")); err != nil {
		t.Errorf("embedded store not under ./data: %v", err)
	}

	event := writeEvent(t, "bin-1", target.URL)
	fire := exec.Command(bin, "fire", event, "--nats-url", fmt.Sprintf("nats://127.0.0.1:%d", port), "--timeout", "10s")
	fire.Env = childEnv()
	out, err := fire.Output()
	if err != nil {
		t.Fatalf("fire: %v\n%s", err, out)
	}
	var res trigger.Result
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("fire printed no Result: %v\n%s", err, out)
	}
	if res.Status != trigger.StatusSucceeded || res.CVars["ticket_status"] != "pending" {
		t.Errorf("result %+v", res)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waitFor("worker stopped")
	errc := make(chan error, 1)
	go func() {
		for range lines {
		}
		errc <- cmd.Wait()
	}()
	select {
	case err := <-errc:
		if err != nil {
			t.Errorf("run exited with %v after SIGTERM, want status 0", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not exit within 10s of SIGTERM")
	}
}
