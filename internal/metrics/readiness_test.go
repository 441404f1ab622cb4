package metrics_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/hookworker/hookworker/internal/metrics"
)

// TestReadiness: /readyz answers the process's own reason until a check
// is in use, then the check's answer.
func TestReadiness(t *testing.T) {
	var r metrics.Readiness
	srv, err := metrics.Listen("127.0.0.1:0", metrics.New(metrics.Options{}), r.Ready, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Shutdown(context.Background()) })
	probe := func() (int, string) {
		t.Helper()
		resp, err := http.Get(srv.URL() + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, strings.TrimSpace(string(b))
	}
	steps := []struct {
		do   func()
		code int
		body string
	}{
		{func() {}, 503, "not ready: starting"},
		{func() { r.NotReady("connecting to NATS at nats://127.0.0.1:4222: attempt 3: no servers available") }, 503,
			"not ready: connecting to NATS at nats://127.0.0.1:4222: attempt 3: no servers available"},
		{func() {
			r.Use(func(context.Context) error { return errors.New("consumer hookworker on stream CONNECTIONS: not found") })
		}, 503,
			"not ready: consumer hookworker on stream CONNECTIONS: not found"},
		{func() { r.Use(func(context.Context) error { return nil }) }, 200, "ready"},
		{func() { r.NotReady("reconnecting") }, 503, "not ready: reconnecting"},
	}
	for i, s := range steps {
		s.do()
		if code, body := probe(); code != s.code || body != s.body {
			t.Errorf("step %d: %d %q, want %d %q", i, code, body, s.code, s.body)
		}
	}
}
