package worker_test

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/hookworker/hookworker/internal/config"
	"github.com/hookworker/hookworker/internal/jstest"
	"github.com/hookworker/hookworker/internal/metrics"
	"github.com/hookworker/hookworker/trigger"
	"github.com/hookworker/hookworker/trigger/webhook"
	"github.com/hookworker/hookworker/worker"
)

// hostLabels records the host labels of attempts.
type hostLabels struct {
	*metrics.Metrics
	mu    sync.Mutex
	hosts []string
}

func (h *hostLabels) Attempt(host, class string, d time.Duration) {
	h.mu.Lock()
	h.hosts = append(h.hosts, host)
	h.mu.Unlock()
	h.Metrics.Attempt(host, class, d)
}

// TestErrorFormsOfSecretsMasked: a hostile bot puts its own (odd) secret
// where transport errors quote it: in the query (percent-encoded in the
// error), in the path, in the host (a long one). Nothing of it shows in
// the Result, the dead letter, the log lines or the metrics' host label,
// which stays bounded in length.
func TestErrorFormsOfSecretsMasked(t *testing.T) {
	const odd = "p@ss/w rd+1&x=ü"
	long := strings.Repeat("s3cr3t", 30) // a 180-byte label
	srv := jstest.Server(t)
	nc, js := jstest.Connect(t, srv)
	scope := botSecrets(t, js, map[string]map[string]string{botA: {"ODD": odd, "LONG": long}})
	core, logs := observer.New(zapcore.DebugLevel)
	rec := &hostLabels{Metrics: metrics.New(metrics.Options{})}
	w := startWorker(t, nc, func(c *config.Config) {
		c.Retry.MaxAttempts, c.Retry.QuickAttempts = 1, 0
		c.Isolation.BreakerMinRequests = 1 // every failing webhook's breaker opens (and is logged)
	}, worker.Deps{Secrets: scope, Logger: zap.New(core), Metrics: rec})
	forms := []string{odd, url.QueryEscape(odd), url.PathEscape(odd), strings.ReplaceAll(url.QueryEscape(odd), "+", "%20"), long}
	for i, u := range []string{
		"http://127.0.0.1:1/x?k={{ secrets.ODD }}",
		"http://127.0.0.1:1/{{ secrets.ODD }}/y",
		"http://{{ secrets.LONG }}.invalid/",
	} {
		res := fire(t, nc, &trigger.Event{ID: "leak-" + string(rune('a'+i)), BotID: botA, ConversationID: "c",
			Webhook: &webhook.Definition{URL: u}})
		if res.Status != trigger.StatusFailed {
			t.Fatalf("%s: %s", u, res.Status)
		}
		out, _ := json.Marshal(res)
		for _, f := range forms {
			if strings.Contains(string(out), f) {
				t.Errorf("%s: the Result shows %q: %s", u, f, out)
			}
		}
	}
	for _, l := range letters(t, nc) {
		out, _ := json.Marshal(l)
		for _, f := range forms {
			if strings.Contains(string(out), f) {
				t.Errorf("dead letter %s shows %q: %s", l.EventID, f, out)
			}
		}
	}
	for _, e := range logs.All() {
		line, _ := json.Marshal(e.ContextMap())
		for _, f := range forms {
			if strings.Contains(e.Message+string(line), f) {
				t.Errorf("log line %q %s shows %q", e.Message, line, f)
			}
		}
	}
	if logs.FilterMessage("circuit breaker open").Len() == 0 {
		t.Error("no breaker opened: its key was not checked")
	}
	open, half := w.Breakers()
	for _, k := range append(open, half...) {
		if strings.Contains(k, "s3cr3t") || strings.Contains(k, "ss/w") {
			t.Errorf("breaker key %q", k)
		}
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	for _, h := range rec.hosts {
		if strings.Contains(h, "s3cr3t") || len(h) > 128 {
			t.Errorf("host label %q (%d bytes)", h, len(h))
		}
	}
}

// TestSwitchingProtocolsEndsTheAttempt: a target that answers 101 and
// keeps the connection open does not hold the attempt: the event fails
// with http_status 101 well within its timeout.
func TestSwitchingProtocolsEndsTheAttempt(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				if _, err := http.ReadRequest(bufio.NewReader(conn)); err != nil {
					return
				}
				io.WriteString(conn, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n")
				conn.SetReadDeadline(time.Now().Add(20 * time.Second))
				io.Copy(io.Discard, conn)
			}()
		}
	}()
	srv := jstest.Server(t)
	nc, _ := jstest.Connect(t, srv)
	startWorker(t, nc, func(c *config.Config) { c.Retry.MaxAttempts = 1 }, worker.Deps{})
	start := time.Now()
	res := fire(t, nc, &trigger.Event{ID: "switch", BotID: botA, ConversationID: "c",
		Webhook: &webhook.Definition{URL: "http://" + l.Addr().String() + "/", Timeout: webhook.Duration(3 * time.Second)}})
	if took := time.Since(start); res.Status != trigger.StatusFailed || res.Error == nil || res.Error.Class != trigger.ClassHTTPStatus || res.HTTPStatus != 101 || took > 2*time.Second {
		t.Errorf("Result %s %+v status %d after %s; want failed, http_status 101, at once", res.Status, res.Error, res.HTTPStatus, took)
	}
}
