package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hookworker/hookworker/internal/testcert"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookworker/hookworker/internal/config"
	"github.com/hookworker/hookworker/internal/natsconn"
	"github.com/hookworker/hookworker/trigger"
)

// embeddedRun is `hookworker run` running in-process with an embedded
// server configured by the environment.
type embeddedRun struct {
	env    map[string]string // the run's environment
	port   int
	cancel context.CancelFunc
	done   chan struct{}
	code   int
	stderr string
}

// startEmbeddedRun starts `hookworker run` with env added to a private
// embedded server's settings, and waits until its worker consumes: client
// connects to the embedded server with the client settings that reach it.
func startEmbeddedRun(t *testing.T, env map[string]string, client config.NATS) *embeddedRun {
	t.Helper()
	dir := t.TempDir()
	r := &embeddedRun{port: freePort(t), done: make(chan struct{})}
	r.env = map[string]string{
		"HOOKWORKER_EMBEDDED_PORT":      fmt.Sprint(r.port),
		"HOOKWORKER_EMBEDDED_STORE_DIR": filepath.Join(dir, "data"),
		"HOOKWORKER_WEBHOOKS_DIR":       dir,
		"HOOKWORKER_TEMPLATES_DIR":      filepath.Join(dir, "none"),
		"HOOKWORKER_HTTP_ALLOW":         "127.0.0.0/8", // the target is an httptest server
	}
	maps.Copy(r.env, env)
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go func() {
		defer close(r.done)
		r.code, _, r.stderr = runCLI(t, ctx, r.env, "run")
	}()
	t.Cleanup(func() { cancel(); <-r.done })

	// Wait for the worker's consumer.
	deadline := time.Now().Add(20 * time.Second)
	for {
		select {
		case <-r.done:
			t.Fatalf("run exited %d:\n%s", r.code, r.stderr)
		default:
		}
		if nc, err := natsconn.Connect(client, r.url(), "probe"); err == nil {
			js, _ := jetstream.New(nc)
			_, err = js.Consumer(context.Background(), trigger.DefaultStream, "hookworker")
			nc.Close()
			if err == nil {
				return r
			}
		}
		if time.Now().After(deadline) {
			cancel()
			<-r.done
			t.Fatalf("the worker did not start within 20s:\n%s", r.stderr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (r *embeddedRun) url() string { return fmt.Sprintf("nats://127.0.0.1:%d", r.port) }

// stop stops the run and returns its exit status and standard error.
func (r *embeddedRun) stop() (int, string) {
	r.cancel()
	<-r.done
	return r.code, r.stderr
}

// fire runs `hookworker fire` against the run's embedded server (no
// nats.url: the embedded address) with env.
func (r *embeddedRun) fire(t *testing.T, env map[string]string, id, target string) (int, trigger.Result, string) {
	t.Helper()
	all := map[string]string{"HOOKWORKER_EMBEDDED_PORT": fmt.Sprint(r.port)}
	maps.Copy(all, env)
	code, out, errOut := runCLI(t, context.Background(), all, "fire", writeEvent(t, id, target), "--timeout", "10s")
	var res trigger.Result
	if code == 0 {
		if err := json.Unmarshal([]byte(out), &res); err != nil {
			t.Fatalf("fire printed no Result: %v\n%s", err, out)
		}
	}
	return code, res, errOut
}

func ticketTarget(t *testing.T) string {
	t.Helper()
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"ticket": {"status": "open"}}`)
	}))
	t.Cleanup(target.Close)
	return target.URL
}

// TestRunEmbeddedToken: with HOOKWORKER_EMBEDDED_TOKEN, run's embedded
// server requires the token and run itself connects with it; fire gets
// in with HOOKWORKER_NATS_TOKEN (or the same embedded setting), and is
// refused without it, clearly and without showing a token.
func TestRunEmbeddedToken(t *testing.T) {
	const token = "embedded-s3cret-token"
	target := ticketTarget(t)
	r := startEmbeddedRun(t, map[string]string{"HOOKWORKER_EMBEDDED_TOKEN": token}, config.NATS{Token: token})

	t.Run("with HOOKWORKER_NATS_TOKEN", func(t *testing.T) {
		code, res, errOut := r.fire(t, map[string]string{"HOOKWORKER_NATS_TOKEN": token}, "tok-1", target)
		if code != 0 || res.Status != trigger.StatusSucceeded {
			t.Fatalf("exit %d, result %+v, stderr %s", code, res, errOut)
		}
	})
	t.Run("with the embedded token of the same configuration", func(t *testing.T) {
		code, res, errOut := r.fire(t, map[string]string{"HOOKWORKER_EMBEDDED_TOKEN": token}, "tok-2", target)
		if code != 0 || res.Status != trigger.StatusSucceeded {
			t.Fatalf("exit %d, result %+v, stderr %s", code, res, errOut)
		}
	})
	t.Run("with nats.url and the token", func(t *testing.T) {
		code, res, errOut := r.fire(t, map[string]string{"HOOKWORKER_NATS_URL": r.url(), "HOOKWORKER_NATS_TOKEN": token}, "tok-3", target)
		if code != 0 || res.Status != trigger.StatusSucceeded {
			t.Fatalf("exit %d, result %+v, stderr %s", code, res, errOut)
		}
	})
	for _, tt := range []struct {
		name string
		env  map[string]string
		want []string
	}{
		{"without a token", nil, []string{"connect to NATS at " + r.url(), "no credentials", "Authorization Violation", "nats.token"}},
		{"with a wrong token", map[string]string{"HOOKWORKER_NATS_TOKEN": "wrong-token-value"}, []string{"(token)", "Authorization Violation", "refused"}},
		{"nats.url without a token", map[string]string{"HOOKWORKER_NATS_URL": r.url()}, []string{"Authorization Violation"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := r.fire(t, tt.env, "tok-x", target)
			if code != 1 {
				t.Fatalf("exit %d, stderr %s", code, errOut)
			}
			for _, w := range tt.want {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr %q does not mention %q", errOut, w)
				}
			}
			if strings.Contains(errOut, token) || strings.Contains(errOut, "wrong-token-value") {
				t.Errorf("stderr shows a token: %s", errOut)
			}
		})
	}
	t.Run("dlq and webhook commands", func(t *testing.T) {
		env := map[string]string{"HOOKWORKER_EMBEDDED_PORT": fmt.Sprint(r.port), "HOOKWORKER_NATS_TOKEN": token}
		for _, args := range [][]string{{"dlq", "list"}, {"webhook", "list"}} {
			if code, _, errOut := runCLI(t, context.Background(), env, args...); code != 0 {
				t.Errorf("%v: exit %d, stderr %s", args, code, errOut)
			}
			delete(env, "HOOKWORKER_NATS_TOKEN")
			if code, _, errOut := runCLI(t, context.Background(), env, args...); code != 1 || !strings.Contains(errOut, "Authorization Violation") {
				t.Errorf("%v without the token: exit %d, stderr %s", args, code, errOut)
			}
			env["HOOKWORKER_NATS_TOKEN"] = token
		}
	})
	code, stderr := r.stop()
	if code != 0 || !strings.Contains(stderr, "worker stopped") {
		t.Errorf("run: exit %d:\n%s", code, stderr)
	}
	if strings.Contains(stderr, token) {
		t.Errorf("run's log shows the token:\n%s", stderr)
	}
}

// TestRunEmbeddedTLS: run's embedded server requires TLS; run trusts the
// server's own certificate, fire trusts it through nats.tls.ca_file.
func TestRunEmbeddedTLS(t *testing.T) {
	cert, key := testcert.SelfSigned(t)
	target := ticketTarget(t)
	r := startEmbeddedRun(t, map[string]string{
		"HOOKWORKER_EMBEDDED_TLS_CERT_FILE": cert,
		"HOOKWORKER_EMBEDDED_TLS_KEY_FILE":  key,
	}, config.NATS{TLS: config.ClientTLS{CAFile: cert}})

	code, res, errOut := r.fire(t, map[string]string{"HOOKWORKER_NATS_TLS_CA_FILE": cert}, "tls-1", target)
	if code != 0 || res.Status != trigger.StatusSucceeded {
		t.Fatalf("exit %d, result %+v, stderr %s", code, res, errOut)
	}
	// The configuration of run itself: the server's certificate is trusted.
	code, res, errOut = r.fire(t, map[string]string{
		"HOOKWORKER_EMBEDDED_TLS_CERT_FILE": cert,
		"HOOKWORKER_EMBEDDED_TLS_KEY_FILE":  key,
	}, "tls-2", target)
	if code != 0 || res.Status != trigger.StatusSucceeded {
		t.Fatalf("exit %d, result %+v, stderr %s", code, res, errOut)
	}
	code, _, errOut = r.fire(t, map[string]string{"HOOKWORKER_NATS_URL": r.url()}, "tls-3", target)
	if code != 1 || !strings.Contains(errOut, "unknown authority") || !strings.Contains(errOut, "nats.tls.ca_file") {
		t.Errorf("without the CA: exit %d, stderr %s", code, errOut)
	}
}
