package worker_test

import (
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/hookworker/hookworker/internal/config"
	"github.com/hookworker/hookworker/internal/jstest"
	"github.com/hookworker/hookworker/trigger"
	"github.com/hookworker/hookworker/trigger/webhook"
	"github.com/hookworker/hookworker/worker"
)

// TestSendAsClientDo: with redirects off the worker hands its requests to
// the transport directly (worker/attempt.go send); what an attempt does
// must stay what http.Client.Do did: a 3xx is the answer, redirects are
// followed only when configured, a URL's user info is Basic
// authentication, and a transport error reads as Do's (method, URL,
// cause).
func TestSendAsClientDo(t *testing.T) {
	var mu sync.Mutex
	auths := map[string]string{} // path -> Authorization
	mux := http.NewServeMux()
	mux.HandleFunc("/start", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/end", http.StatusFound)
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		auths[r.URL.Path] = r.Header.Get("Authorization")
		mu.Unlock()
		w.WriteHeader(http.StatusOK)
	})
	tg := newTarget(t, mux.ServeHTTP)
	// A port nothing listens on, for the transport error.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := l.Addr().String()
	l.Close()

	for _, tc := range []struct {
		name      string
		redirects int
		url       string
		status    trigger.Status
		http      int
		reached   string // path the target saw, "" for none
		auth      string // its Authorization
		message   string // in the Result's error
	}{
		{name: "3xx is the answer", url: tg.URL + "/start", status: trigger.StatusFailed, http: 302},
		{name: "redirect followed", redirects: 1, url: tg.URL + "/start", status: trigger.StatusSucceeded, http: 200, reached: "/end"},
		{name: "user info is basic auth", url: strings.Replace(tg.URL, "://", "://user:pw@", 1) + "/auth",
			status: trigger.StatusSucceeded, http: 200, reached: "/auth", auth: "Basic dXNlcjpwdw=="},
		{name: "plain request", url: tg.URL + "/plain", status: trigger.StatusSucceeded, http: 200, reached: "/plain"},
		{name: "transport error", url: "http://" + down + "/down", status: trigger.StatusFailed,
			message: `Post "http://` + down + `/down": dial tcp ` + down + `: connect: connection refused`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mu.Lock()
			clear(auths)
			mu.Unlock()
			srv := jstest.Server(t)
			nc, _ := jstest.Connect(t, srv)
			startWorker(t, nc, func(c *config.Config) {
				c.Retry.MaxAttempts = 1
				c.HTTP.MaxRedirects = tc.redirects
			}, worker.Deps{})
			res := fire(t, nc, &trigger.Event{ID: "send", BotID: botA, ConversationID: "c",
				Webhook: &webhook.Definition{Method: http.MethodPost, URL: tc.url, Body: `{}`}})
			if res.Status != tc.status || res.HTTPStatus != tc.http {
				t.Fatalf("Result %s http_status %d (%+v); want %s %d", res.Status, res.HTTPStatus, res.Error, tc.status, tc.http)
			}
			if tc.message != "" && (res.Error == nil || !strings.Contains(res.Error.Message, tc.message)) {
				t.Errorf("error %+v; want it to contain %q", res.Error, tc.message)
			}
			mu.Lock()
			defer mu.Unlock()
			if tc.reached == "" {
				if len(auths) != 0 {
					t.Errorf("target saw %v; want nothing followed", auths)
				}
				return
			}
			if auth, ok := auths[tc.reached]; !ok || auth != tc.auth || len(auths) != 1 {
				t.Errorf("target saw %v; want %s with Authorization %q alone", auths, tc.reached, tc.auth)
			}
		})
	}
}
