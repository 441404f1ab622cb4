package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hookworker/hookworker/internal/console"
	"github.com/hookworker/hookworker/internal/jstest"
)

// TestConsoleCommand: `hookworker console` refuses to start without its
// token; with it, it serves the console over the NATS connection settings
// every command takes (here --server), behind the token, and sees the
// worker that `hookworker run` runs.
func TestConsoleCommand(t *testing.T) {
	code, _, errOut := runCLI(t, context.Background(), nil, "console", "--server", "nats://127.0.0.1:1")
	if code != 1 || !strings.Contains(errOut, "HOOKWORKER_CONSOLE_TOKEN is not set") {
		t.Errorf("without a token: exit %d, %q", code, errOut)
	}
	bin := buildBinary(t)
	srv := jstest.Server(t)
	startWorker(t, bin, "w1", srv.ClientURL())
	port := freePort(t)
	const token = "e2e-console-token-0123456789"
	startProc(t, bin, "console", []string{"console", "--server", srv.ClientURL(), "--listen", fmt.Sprintf("127.0.0.1:%d", port)},
		"HOOKWORKER_CONSOLE_TOKEN="+token)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	get := func(path string, header map[string]string) (int, string) {
		req, _ := http.NewRequest("GET", base+path, nil)
		for k, v := range header {
			req.Header.Set(k, v)
		}
		c := &http.Client{Timeout: 5 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := c.Do(req)
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		if code, _ := get("/login", nil); code == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the console did not answer /login within 20s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if code, _ := get("/overview.json", nil); code != http.StatusUnauthorized {
		t.Errorf("without the token: %d", code)
	}
	var o console.Overview
	for time.Now().Before(deadline) {
		code, body := get("/overview.json", map[string]string{"Authorization": "Bearer " + token})
		if code != http.StatusOK {
			t.Fatalf("with the token: %d %s", code, body)
		}
		if err := json.Unmarshal([]byte(body), &o); err != nil {
			t.Fatal(err)
		}
		if len(o.Workers) == 1 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if o.Stream != "CONNECTIONS" || len(o.Workers) != 1 || o.Workers[0].Ready != "" || o.TriggerError != "" {
		t.Errorf("overview %+v: want the stream and one ready worker", o)
	}
}
