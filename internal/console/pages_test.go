package console_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hookworker/hookworker/internal/console"
	"github.com/hookworker/hookworker/internal/fault"
)

// TestPagesAnswerBadInput: every page says what is wrong with its input
// instead of failing blindly.
func TestPagesAnswerBadInput(t *testing.T) {
	st := newStack(t)
	st.fail(t, "e-1", "shop-bot", "/orders/B-1")
	c := httpClient(t)
	csrf := login(t, st, c)
	get := func(path string) (int, string) {
		code, _, body := do(t, c, "GET", st.srv.URL+path, nil, nil)
		return code, body
	}
	for _, tt := range []struct {
		path string
		code int
		want string
	}{
		{"/letters?since=yesterday", 400, "since: &#34;yesterday&#34; is neither"},
		{"/letters?class=oops", 400, "not an error class"},
		{"/letters?bot=shop-bot&since=1h", 200, "1 letter matches"},
		{"/letters/abc", 404, "sequence number"},
		{"/letters/999", 404, "no dead letter at seq 999"},
		{"/registry/nope", 404, "no definition"},
		{"/replays/nope", 404, "no such replay"},
		{"/nope", 404, "no such page"},
	} {
		code, body := get(tt.path)
		must(t, code == tt.code && strings.Contains(body, tt.want), "GET %s: %d, want %d with %q:\n%s", tt.path, code, tt.code, tt.want, clip(body))
	}
	post := func(path string, v url.Values) (int, string) {
		v.Set("csrf", csrf)
		code, _, body := do(t, c, "POST", st.srv.URL+path, v, nil)
		return code, body
	}
	for _, tt := range []struct {
		form url.Values
		code int
		want string
	}{
		{url.Values{"seq": {"x"}}, 400, "seq"},
		{url.Values{}, 400, "confirm that every dead letter is meant"},
		{url.Values{"bot": {"shop-bot"}, "rate": {"-3"}}, 400, "rate"},
		{url.Values{"since": {"soon"}}, 400, "since"},
	} {
		code, body := post("/replays", tt.form)
		must(t, code == tt.code && strings.Contains(body, tt.want), "POST /replays %v: %d, want %d with %q", tt.form, code, tt.code, tt.want)
	}
	for _, tt := range []struct {
		form  url.Values
		field string
	}{
		{url.Values{"bot": {"b"}, "webhook": {""}}, "webhook"},
		{url.Values{"bot": {"b"}, "webhook": {"{not json"}}, "webhook"},
		{url.Values{"bot": {"b"}, "webhook": {"url: [unclosed"}}, "webhook"},
		{url.Values{"bot": {"b"}, "webhook": {"url: https://x.example/"}, "cvars": {"[1]"}}, "cvars"},
		{url.Values{"bot": {"b"}, "webhook": {"url: https://x.example/"}, "status": {"ok"}}, "status"},
		{url.Values{"bot": {"b"}, "webhook": {"url: https://x.example/"}, "headers": {"no colon"}}, "headers"},
		{url.Values{"bot": {"b"}, "webhook": {strings.Repeat("x", 300<<10)}}, "webhook"},
	} {
		code, body := post("/test/preview", tt.form)
		var p console.Preview
		must(t, code == 200 && json.Unmarshal([]byte(body), &p) == nil && p.InputError != nil && p.InputError.Field == tt.field,
			"preview %.60v: %d %s; want an input error on %s", tt.form, code, clip(body), tt.field)
	}
	// A definition that does not validate, one that does not render, a
	// bot that lacks a secret.
	code, body := post("/test/preview", url.Values{"bot": {"b"}, "webhook": {"method: FETCH\nurl: https://x.example/"}})
	must(t, code == 200 && strings.Contains(body, `"valid":false`) && strings.Contains(body, `"field":"method"`), "invalid: %s", body)
	code, body = post("/test/preview", url.Values{"bot": {"b"}, "webhook": {"url: https://x.example/{{ 1 % 0 }}"}})
	must(t, code == 200 && strings.Contains(body, `"render_error"`) && strings.Contains(body, `"field":"webhook.url"`), "render error: %s", body)
	code, body = post("/test/preview", url.Values{"bot": {"support-bot"}, "webhook": {"url: https://x.example/\nauth: {type: bearer, token: '{{ secrets.ORDERS_TOKEN }}'}"}})
	must(t, code == 200 && strings.Contains(body, "ORDERS_TOKEN") && strings.Contains(body, `"render_error"`) && !strings.Contains(body, "shop-s3cret-token"),
		"another bot's secret: %s", body)
	code, body = post("/test/preview", url.Values{"bot": {"shop-bot"}, "webhook": {"url: https://x.example/\nauth: {type: bearer, token: '{{ secrets.ORDERS_TOKEN }}'}"}})
	must(t, code == 200 && strings.Contains(body, `"Authorization":"Bearer ****"`) && !strings.Contains(body, "shop-s3cret-token"), "own secret: %s", body)
	if n := len(st.target.RequestsUnder("/")); n != 1 {
		t.Errorf("the target saw %d requests, want 1 (the failed event's): a preview sent one", n)
	}
}

// TestReplayJobFollowsResults: a replay started with a form replays the
// selected letters one by one and follows each one's Result; its status
// says how each ended.
func TestReplayJobFollowsResults(t *testing.T) {
	st := newStack(t)
	st.fail(t, "e-1", "shop-bot", "/orders/A-1")
	st.fail(t, "e-2", "shop-bot", "/orders/B-1")
	st.target.On("/orders/A-1", fault.OK(`{"status":"ok"}`))
	c := httpClient(t)
	csrf := login(t, st, c)
	code, h, body := do(t, c, "POST", st.srv.URL+"/replays", url.Values{"csrf": {csrf}, "bot": {"shop-bot"}, "rate": {"100"}}, nil)
	if code != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/replays/") {
		t.Fatalf("start: %d %q %s", code, h.Get("Location"), body)
	}
	loc := h.Get("Location")
	var st2 console.ReplayStatus
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, _, body := do(t, c, "GET", st.srv.URL+loc+"/status", nil, nil)
		if err := json.Unmarshal([]byte(body), &st2); err != nil {
			t.Fatalf("%s: %v", body, err)
		}
		if st2.Done || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	must(t, st2.Done && st2.Selected == 2 && st2.Replayed == 2 && st2.Succeeded == 1 && st2.Failed == 1 && st2.Error == "", "job: %+v", st2)
	for _, r := range st2.Rows {
		switch r.EventID {
		case "e-1":
			must(t, r.Result == "succeeded" && r.Detail == "HTTP 200" && r.Replay == 1, "e-1: %+v", r)
		case "e-2":
			must(t, r.Result == "failed" && strings.Contains(r.Detail, "http_status"), "e-2: %+v", r)
		}
	}
	_, _, page := do(t, c, "GET", st.srv.URL+loc, nil, nil)
	must(t, strings.Contains(page, "Result: succeeded") && strings.Contains(page, "Finished"), "the job's page:\n%s", clip(page))
}

func clip(s string) string {
	if len(s) > 600 {
		return s[:600] + "…"
	}
	return s
}
