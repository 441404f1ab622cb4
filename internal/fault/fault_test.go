package fault_test

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
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

// closeWithin closes s and fails the test if that takes longer than d.
func closeWithin(t *testing.T, s *fault.Server, d time.Duration) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		s.Close()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("Close took more than %v", d)
	}
}

func TestReset(t *testing.T) {
	s := fault.NewServer(t)
	s.On("/reset", fault.Reset())
	// No keep-alive: a request on a fresh connection is never retried by
	// the transport, so the error is the reset itself.
	c := client(t, 5*time.Second, func(tr *http.Transport) { tr.DisableKeepAlives = true })
	for _, method := range []string{http.MethodGet, http.MethodPost} {
		resp, err := send(c, method, s.URL()+"/reset", `{"a":1}`, map[string]string{"Idempotency-Key": "k"})
		if resp != nil {
			resp.Body.Close()
			t.Errorf("%s: got status %d, want no response", method, resp.StatusCode)
		}
		if !errors.Is(err, syscall.ECONNRESET) {
			t.Errorf("%s: error %v, want a connection reset (ECONNRESET)", method, err)
		}
	}
	if n := s.CountByKey()["k"]; n != 2 {
		t.Errorf("the server saw %d requests, want 2", n)
	}
}

func TestTruncated(t *testing.T) {
	tests := []struct {
		body     string
		declared int
	}{
		{"", 10},
		{`{"id":`, 100},
		{strings.Repeat("x", 100_000), 100_001},
	}
	for _, tt := range tests {
		t.Run(strconv.Itoa(len(tt.body)), func(t *testing.T) {
			s := fault.NewServer(t)
			s.On("/t", fault.Truncated(tt.body, tt.declared))
			resp, err := send(client(t, 5*time.Second, nil), http.MethodGet, s.URL()+"/t", "", nil)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != 200 || resp.ContentLength != int64(tt.declared) {
				t.Errorf("status %d, Content-Length %d; want 200, %d", resp.StatusCode, resp.ContentLength, tt.declared)
			}
			b, err := io.ReadAll(resp.Body)
			if !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Errorf("reading the body: %v, want io.ErrUnexpectedEOF", err)
			}
			if string(b) != tt.body {
				t.Errorf("read %d bytes, want the %d sent", len(b), len(tt.body))
			}
		})
	}
}

func TestSlowBody(t *testing.T) {
	tests := []struct {
		name   string
		body   string
		chunk  int
		every  time.Duration
		chunks int
	}{
		{"five chunks", `{"a":"bc"}`, 2, 40 * time.Millisecond, 5},
		{"uneven last chunk", `{"a":1}`, 3, 50 * time.Millisecond, 3},
		{"one chunk", `{}`, 100, 100 * time.Millisecond, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := fault.NewServer(t)
			s.On("/slow", fault.SlowBody(tt.body, tt.chunk, tt.every))
			total := time.Duration(tt.chunks) * tt.every

			start := time.Now()
			resp, err := send(client(t, 5*time.Second, nil), http.MethodGet, s.URL()+"/slow", "", nil)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			headers := time.Since(start)
			b, err := io.ReadAll(resp.Body)
			elapsed := time.Since(start)
			if err != nil || string(b) != tt.body {
				t.Errorf("body = %q, %v; want %q", b, err, tt.body)
			}
			if resp.StatusCode != 200 || resp.ContentLength != int64(len(tt.body)) {
				t.Errorf("status %d, Content-Length %d; want 200, %d", resp.StatusCode, resp.ContentLength, len(tt.body))
			}
			if headers >= tt.every {
				t.Errorf("headers took %v, want them before the first chunk (%v)", headers, tt.every)
			}
			if elapsed < total || elapsed > total+time.Second {
				t.Errorf("body took %v, want about %d*%v = %v", elapsed, tt.chunks, tt.every, total)
			}
		})
	}
}

func TestGzipBomb(t *testing.T) {
	for _, size := range []int{0, 1000, 2 << 20} {
		t.Run(strconv.Itoa(size), func(t *testing.T) {
			bomb := fault.GzipBomb(size)
			if limit := size/500 + 100; len(bomb) > limit {
				t.Errorf("compressed to %d bytes, want at most %d", len(bomb), limit)
			}
			s := fault.NewServer(t)
			s.On("/gz", fault.Gzip(bomb))

			// A plain client asks for gzip and decompresses transparently.
			resp, err := send(client(t, 5*time.Second, nil), http.MethodGet, s.URL()+"/gz", "", nil)
			if err != nil {
				t.Fatal(err)
			}
			n, zeros, err := countZeros(resp.Body)
			resp.Body.Close()
			if err != nil || n != size || zeros != size || !resp.Uncompressed {
				t.Errorf("decompressed %d bytes (%d zero), %v, uncompressed %v; want %d zero bytes",
					n, zeros, err, resp.Uncompressed, size)
			}

			// Without transparent decompression, the wire form is the bomb.
			resp, err = send(client(t, 5*time.Second, func(tr *http.Transport) { tr.DisableCompression = true }),
				http.MethodGet, s.URL()+"/gz", "", nil)
			if err != nil {
				t.Fatal(err)
			}
			raw, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil || !bytes.Equal(raw, bomb) || resp.ContentLength != int64(len(bomb)) ||
				resp.Header.Get("Content-Encoding") != "gzip" {
				t.Errorf("raw: %d bytes, %v, Content-Length %d, Content-Encoding %q; want the %d-byte bomb, gzip",
					len(raw), err, resp.ContentLength, resp.Header.Get("Content-Encoding"), len(bomb))
			}
			zr, err := gzip.NewReader(bytes.NewReader(raw))
			if err != nil {
				t.Fatal(err)
			}
			if n, _, err := countZeros(zr); err != nil || n != size {
				t.Errorf("gunzip: %d bytes, %v; want %d", n, err, size)
			}
		})
	}
}

// countZeros reads r to the end and counts its bytes and its zero bytes.
func countZeros(r io.Reader) (n, zeros int, err error) {
	buf := make([]byte, 64<<10)
	for {
		k, err := r.Read(buf)
		n += k
		zeros += bytes.Count(buf[:k], []byte{0})
		if err == io.EOF {
			return n, zeros, nil
		}
		if err != nil {
			return n, zeros, err
		}
	}
}

func TestRandom(t *testing.T) {
	// run sends n requests in turn to a fresh server answering with Random
	// and returns the statuses.
	run := func(t *testing.T, p float64, seed int64, n int) []int {
		s := fault.NewServer(t)
		s.On("/r", fault.Random(p, fault.Status(503, ""), fault.OK("{}"), seed))
		c := client(t, 5*time.Second, nil)
		out := make([]int, n)
		for i := range out {
			out[i], _, _ = get(t, c, s.URL()+"/r")
		}
		return out
	}
	fails := func(statuses []int) int {
		n := 0
		for _, st := range statuses {
			switch st {
			case 503:
				n++
			case 200:
			default:
				t.Fatalf("status %d, want 200 or 503", st)
			}
		}
		return n
	}

	a := run(t, 0.2, 42, 1000)
	if n := fails(a); n < 150 || n > 250 {
		t.Errorf("p=0.2: %d of 1000 failed, want 150..250", n)
	}
	if b := run(t, 0.2, 42, 1000); !slices.Equal(a, b) {
		t.Error("the same seed gave a different sequence")
	}
	if c := run(t, 0.2, 43, 200); slices.Equal(a[:200], c) {
		t.Error("another seed gave the same sequence")
	}
	for _, tt := range []struct {
		p    float64
		want int
	}{{0, 0}, {1, 50}} {
		if n := fails(run(t, tt.p, 7, 50)); n != tt.want {
			t.Errorf("p=%v: %d of 50 failed, want %d", tt.p, n, tt.want)
		}
	}
}

func TestConcurrent(t *testing.T) {
	s := fault.NewServer(t)
	s.On("/c", fault.Status(500, ""), fault.Random(0.5, fault.Status(503, ""), fault.OK("{}"), 1))
	c := client(t, 5*time.Second, nil)
	const workers, each = 20, 10
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		statuses = map[int]int{}
	)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				key := fmt.Sprintf("%d-%d", w, i)
				resp, err := send(c, http.MethodPost, s.URL()+"/c", key, map[string]string{"Idempotency-Key": key})
				if err != nil {
					t.Error(err)
					return
				}
				resp.Body.Close()
				mu.Lock()
				statuses[resp.StatusCode]++
				mu.Unlock()
				_ = s.Requests("/c") // read while others write
			}
		})
	}
	wg.Wait()
	if statuses[500] != 1 || statuses[200]+statuses[503] != workers*each-1 {
		t.Errorf("statuses = %v, want one 500 (first step) and the rest 200 or 503", statuses)
	}
	keys := s.CountByKey()
	if len(keys) != workers*each || s.Count("/c") != workers*each {
		t.Errorf("%d keys, Count %d; want %d each", len(keys), s.Count("/c"), workers*each)
	}
	for k, n := range keys {
		if n != 1 {
			t.Errorf("key %s counted %d times", k, n)
		}
	}
}

func TestPanics(t *testing.T) {
	s := fault.NewServer(t)
	tests := []struct {
		name string
		f    func()
	}{
		{"On without steps", func() { s.On("/p") }},
		{"SlowBody chunk 0", func() { fault.SlowBody("x", 0, time.Millisecond) }},
		{"Truncated not short", func() { fault.Truncated("abc", 3) }},
		{"Random p < 0", func() { fault.Random(-0.1, fault.OK(""), fault.OK(""), 1) }},
		{"Random p > 1", func() { fault.Random(1.5, fault.OK(""), fault.OK(""), 1) }},
		{"Random p NaN", func() { fault.Random(math.NaN(), fault.OK(""), fault.OK(""), 1) }},
		{"Func nil", func() { fault.Func(nil) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("did not panic")
				}
			}()
			tt.f()
		})
	}
}
