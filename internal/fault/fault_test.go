package fault_test

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hookworker/hookworker/internal/fault"
)

// client returns a plain client with its own transport, so tests do not
// share keep-alive connections.
func client(t *testing.T, timeout time.Duration, tweak func(*http.Transport)) *http.Client {
	t.Helper()
	tr := &http.Transport{}
	if tweak != nil {
		tweak(tr)
	}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: timeout}
}

// send makes one request; a nil header map sends none.
func send(c *http.Client, method, url, body string, header map[string]string) (*http.Response, error) {
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		return nil, err
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	return c.Do(req)
}

// get makes a GET and returns the status, headers and full body; it fails
// the test on any error.
func get(t *testing.T, c *http.Client, url string) (int, http.Header, string) {
	t.Helper()
	resp, err := send(c, http.MethodGet, url, "", nil)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: reading body: %v", url, err)
	}
	return resp.StatusCode, resp.Header, string(b)
}

func TestAnswers(t *testing.T) {
	at := time.Date(2030, 1, 2, 3, 4, 5, 0, time.FixedZone("CET", 3600))
	tests := []struct {
		name       string
		steps      []fault.Step // nil: the path has no script
		wantStatus int
		wantType   string // Content-Type prefix; "" to skip
		wantBody   string
		check      func(t *testing.T, h http.Header)
	}{
		{name: "OK", steps: []fault.Step{fault.OK(`{"ok":true}`)},
			wantStatus: 200, wantType: "application/json", wantBody: `{"ok":true}`},
		{name: "Status JSON body", steps: []fault.Step{fault.Status(500, `{"error":"boom"}`)},
			wantStatus: 500, wantType: "application/json", wantBody: `{"error":"boom"}`},
		{name: "Status text body", steps: []fault.Step{fault.Status(502, "bad gateway")},
			wantStatus: 502, wantType: "text/plain", wantBody: "bad gateway"},
		{name: "Status no content", steps: []fault.Step{fault.Status(204, "")},
			wantStatus: 204, wantBody: ""},
		{name: "zero Step", steps: []fault.Step{{}},
			wantStatus: 500, wantBody: "fault: zero Step\n"},
		{name: "no script", steps: nil,
			wantStatus: 404, wantBody: "404 page not found\n"},
		{name: "RetryAfterSeconds", steps: []fault.Step{fault.RetryAfterSeconds(429, 7)},
			wantStatus: 429, wantBody: "",
			check: func(t *testing.T, h http.Header) {
				secs, err := strconv.Atoi(h.Get("Retry-After"))
				if err != nil || secs != 7 {
					t.Errorf("Retry-After %q: got %d, %v; want 7", h.Get("Retry-After"), secs, err)
				}
			}},
		{name: "RetryAfterDate", steps: []fault.Step{fault.RetryAfterDate(503, at.Add(300*time.Millisecond))},
			wantStatus: 503, wantBody: "",
			check: func(t *testing.T, h http.Header) {
				v := h.Get("Retry-After")
				if want := "Wed, 02 Jan 2030 02:04:05 GMT"; v != want {
					t.Errorf("Retry-After = %q, want %q", v, want)
				}
				got, err := http.ParseTime(v)
				if err != nil || !got.Equal(at) {
					t.Errorf("http.ParseTime(%q) = %v, %v; want %v", v, got, err, at)
				}
			}},
		{name: "Func", steps: []fault.Step{fault.Func(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Method", r.Method)
			w.WriteHeader(http.StatusTeapot)
			io.WriteString(w, "short and stout")
		})},
			wantStatus: 418, wantBody: "short and stout",
			check: func(t *testing.T, h http.Header) {
				if h.Get("X-Method") != "GET" {
					t.Errorf("X-Method = %q, want GET", h.Get("X-Method"))
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := fault.NewServer(t)
			if tt.steps != nil {
				s.On("/hook", tt.steps...)
			}
			status, h, body := get(t, client(t, 5*time.Second, nil), s.URL()+"/hook")
			if status != tt.wantStatus {
				t.Errorf("status = %d, want %d", status, tt.wantStatus)
			}
			if ct := h.Get("Content-Type"); tt.wantType != "" && !strings.HasPrefix(ct, tt.wantType) {
				t.Errorf("Content-Type = %q, want %s", ct, tt.wantType)
			}
			if body != tt.wantBody {
				t.Errorf("body = %q, want %q", body, tt.wantBody)
			}
			if tt.check != nil {
				tt.check(t, h)
			}
			if n := s.Count("/hook"); n != 1 {
				t.Errorf("Count = %d, want 1", n)
			}
		})
	}
}

func TestLoopback(t *testing.T) {
	s := fault.NewServer(t)
	host, _, err := net.SplitHostPort(strings.TrimPrefix(s.URL(), "http://"))
	if err != nil {
		t.Fatal(err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		t.Errorf("URL %s is not on a loopback address", s.URL())
	}
}

func TestScript(t *testing.T) {
	s := fault.NewServer(t)
	c := client(t, 5*time.Second, nil)
	s.On("/a", fault.Status(500, ""), fault.RetryAfterSeconds(503, 1), fault.OK("{}"))
	s.On("/b", fault.Status(201, ""))

	start := time.Now()
	var got []int
	for i := range 5 {
		resp, err := send(c, http.MethodPost, s.URL()+"/a?n="+strconv.Itoa(i), strconv.Itoa(i),
			map[string]string{"X-N": strconv.Itoa(i)})
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		got = append(got, resp.StatusCode)
	}
	if want := []int{500, 503, 200, 200, 200}; !slices.Equal(got, want) {
		t.Errorf("statuses = %v, want %v (in order, last step repeating)", got, want)
	}

	reqs := s.Requests("/a")
	if len(reqs) != 5 || s.Count("/a") != 5 {
		t.Fatalf("Requests has %d, Count %d; want 5", len(reqs), s.Count("/a"))
	}
	prev := start
	for i, r := range reqs {
		n := strconv.Itoa(i)
		if r.Method != "POST" || r.Path != "/a" || r.Query != "n="+n || string(r.Body) != n || r.Header.Get("X-N") != n {
			t.Errorf("request %d = %s %s ?%s body %q X-N %q; want POST /a ?n=%s body and X-N %s",
				i, r.Method, r.Path, r.Query, r.Body, r.Header.Get("X-N"), n, n)
		}
		if r.At.Before(prev) {
			t.Errorf("request %d arrived at %v, before %v", i, r.At, prev)
		}
		prev = r.At
	}

	// What Requests returns is a copy.
	reqs[0].Header.Set("X-N", "changed")
	reqs[0].Body[0] = 'x'
	if r := s.Requests("/a")[0]; r.Header.Get("X-N") != "0" || string(r.Body) != "0" {
		t.Errorf("changing a returned Request changed the record: %+v", r)
	}

	// Other paths have their own script and count.
	if status, _, _ := get(t, c, s.URL()+"/b"); status != 201 || s.Count("/b") != 1 || s.Count("/a") != 5 {
		t.Errorf("/b: status %d, Count(/b) %d, Count(/a) %d; want 201, 1, 5", status, s.Count("/b"), s.Count("/a"))
	}

	// On replaces a script and starts it again.
	s.On("/a", fault.Status(409, ""), fault.OK("{}"))
	for _, want := range []int{409, 200} {
		if status, _, _ := get(t, c, s.URL()+"/a"); status != want {
			t.Errorf("after a new On: status = %d, want %d", status, want)
		}
	}
}

func TestCountByKey(t *testing.T) {
	s := fault.NewServer(t)
	c := client(t, 5*time.Second, nil)
	s.On("/x", fault.OK("{}"))
	s.On("/y", fault.Status(500, ""))
	for _, r := range []struct{ path, key string }{
		{"/x", "evt-1"}, {"/y", "evt-2"}, {"/y", "evt-1"}, {"/x", ""}, {"/unknown", "evt-3"},
	} {
		var h map[string]string
		if r.key != "" {
			h = map[string]string{"Idempotency-Key": r.key}
		}
		resp, err := send(c, http.MethodPost, s.URL()+r.path, "{}", h)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	want := map[string]int{"evt-1": 2, "evt-2": 1, "evt-3": 1}
	if got := s.CountByKey(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("CountByKey = %v, want %v", got, want)
	}
	if s.Count("/x") != 2 || s.Count("/y") != 2 || s.Count("/unknown") != 1 {
		t.Errorf("Count /x %d /y %d /unknown %d, want 2 2 1", s.Count("/x"), s.Count("/y"), s.Count("/unknown"))
	}
}

func TestHang(t *testing.T) {
	tests := []struct {
		name          string
		hang          time.Duration
		clientTimeout time.Duration
		closeServer   bool // close the server once the request has arrived
		wantStatus    int  // 0: the client gets an error
		wantTimeout   bool
		minElapsed    time.Duration
	}{
		{name: "answers after d", hang: 50 * time.Millisecond, wantStatus: 200, minElapsed: 50 * time.Millisecond},
		{name: "client timeout", hang: time.Hour, clientTimeout: 100 * time.Millisecond, wantTimeout: true, minElapsed: 100 * time.Millisecond},
		{name: "server close", hang: time.Hour, closeServer: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := fault.NewServer(t)
			s.On("/hang", fault.Hang(tt.hang))
			c := client(t, tt.clientTimeout, nil)

			type result struct {
				resp *http.Response
				err  error
			}
			done := make(chan result, 1)
			start := time.Now()
			go func() {
				resp, err := send(c, http.MethodPost, s.URL()+"/hang", "{}", nil)
				if resp != nil {
					resp.Body.Close()
				}
				done <- result{resp, err}
			}()
			if tt.closeServer {
				for s.Count("/hang") == 0 {
					if time.Since(start) > 2*time.Second {
						t.Fatal("the request never arrived")
					}
					time.Sleep(time.Millisecond)
				}
				closeWithin(t, s, time.Second)
				closeWithin(t, s, time.Second) // and again, harmlessly
			}
			var res result
			select {
			case res = <-done:
			case <-time.After(3 * time.Second):
				t.Fatal("the request did not end")
			}
			elapsed := time.Since(start)

			switch {
			case tt.wantStatus == 0 && res.err == nil:
				t.Errorf("got status %d, want an error", res.resp.StatusCode)
			case tt.wantStatus != 0 && res.err != nil:
				t.Errorf("got %v, want status %d", res.err, tt.wantStatus)
			case tt.wantStatus != 0 && res.resp.StatusCode != tt.wantStatus:
				t.Errorf("status = %d, want %d", res.resp.StatusCode, tt.wantStatus)
			}
			var ne net.Error
			if tt.wantTimeout && !(errors.As(res.err, &ne) && ne.Timeout()) {
				t.Errorf("error %v is not a timeout", res.err)
			}
			if elapsed < tt.minElapsed {
				t.Errorf("took %v, want at least %v", elapsed, tt.minElapsed)
			}

			// Once the client has gone, closing does not wait out the hang.
			closeWithin(t, s, time.Second)
		})
	}
}
