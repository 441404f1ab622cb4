package h1_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookworker/hookworker/internal/h1"
)

func dialer(ctx context.Context, network, addr string) (net.Conn, error) {
	var d net.Dialer
	return d.DialContext(ctx, network, addr)
}

func newClient(t *testing.T, cfg h1.Config) *h1.Client {
	t.Helper()
	if cfg.Dial == nil {
		cfg.Dial = dialer
	}
	c, err := h1.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func mustURL(t testing.TB, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// counted is a net/http test server counting its new connections.
func counted(t *testing.T, h http.HandlerFunc) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, &conns
}

func TestDoKeepAliveAndWire(t *testing.T) {
	type seen struct {
		method, uri, host, body string
		header                  http.Header
		cl                      int64
	}
	got := make(chan seen, 100)
	srv, conns := counted(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- seen{r.Method, r.RequestURI, r.Host, string(b), r.Header, r.ContentLength}
		w.Header().Add("X-Multi", "a")
		w.Header().Add("X-Multi", "b")
		w.WriteHeader(201)
		io.WriteString(w, `{"ok":true}`)
	})
	c := newClient(t, h1.Config{})
	u := mustURL(t, srv.URL+"/p/a%20th?q=1&r=x%2Fy")
	for i := 0; i < 20; i++ {
		resp, err := c.Do(context.Background(), &h1.Request{
			Method: "POST", URL: u, Body: []byte(`{"n":1}`),
			Header:   http.Header{"Content-Type": {"application/json"}, "X-Api-Key": {"  k1 "}, "Host": {"evil.example"}},
			Deadline: time.Now().Add(5 * time.Second),
		})
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != 201 || string(resp.Body) != `{"ok":true}` || strings.Join(resp.Header["X-Multi"], ",") != "a,b" || resp.Header.Get("Content-Type") == "" {
			t.Fatalf("answer %d %q %v", resp.StatusCode, resp.Body, resp.Header)
		}
		s := <-got
		if s.method != "POST" || s.uri != "/p/a%20th?q=1&r=x%2Fy" || s.host != u.Host || s.body != `{"n":1}` || s.cl != 7 ||
			s.header.Get("X-Api-Key") != "k1" || s.header.Get("Content-Type") != "application/json" || s.header.Get("Accept-Encoding") != "gzip" {
			t.Fatalf("the server saw %+v", s)
		}
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("%d connections for 20 requests in turn, want 1", n)
	}
	// A POST without a body says Content-Length: 0; a GET says nothing.
	for _, m := range []string{"POST", "GET"} {
		if _, err := c.Do(context.Background(), &h1.Request{Method: m, URL: u}); err != nil {
			t.Fatal(err)
		}
		s := <-got
		if s.cl != 0 || s.body != "" || (m == "GET") != (s.header.Get("Content-Length") == "") {
			t.Errorf("%s without a body: the server saw %+v", m, s)
		}
	}
}

func TestInvalidRequestIsNotSent(t *testing.T) {
	srv, conns := counted(t, func(w http.ResponseWriter, r *http.Request) {})
	c := newClient(t, h1.Config{})
	u := mustURL(t, srv.URL)
	for name, r := range map[string]*h1.Request{
		"value with a newline": {Method: "GET", URL: u, Header: http.Header{"X-A": {"a\r\nX-Injected: 1"}}},
		"value with a NUL":     {Method: "GET", URL: u, Header: http.Header{"X-A": {"a\x00"}}},
		"name with a space":    {Method: "GET", URL: u, Header: http.Header{"X A": {"a"}}},
		"method with a space":  {Method: "GET /x HTTP/1.1\r\n", URL: u},
	} {
		if _, err := c.Do(context.Background(), r); !errors.Is(err, h1.ErrInvalidRequest) {
			t.Errorf("%s: err %v, want an invalid-header or -method error", name, err)
		}
	}
	if n := conns.Load(); n != 0 {
		t.Errorf("%d connections made for invalid requests", n)
	}
}

func TestEligible(t *testing.T) {
	for raw, want := range map[string]bool{
		"http://a.example/x":       true,
		"https://a.example:8443/":  true,
		"http://[::1]:80/":         true,
		"http://u:p@a.example/":    false,
		"http://[fe80::1%25eth0]/": false,
		"http://bücher.example/":   false,
		"ftp://a.example/":         false,
		"mailto:x@a.example":       false,
	} {
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		if got := h1.Eligible(u); got != want {
			t.Errorf("Eligible(%s) = %v", raw, got)
		}
	}
	if h1.Eligible(nil) {
		t.Error("Eligible(nil)")
	}
}

const ok200 = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"

func TestInformationalAnswers(t *testing.T) {
	for _, tc := range []struct {
		name, out  string
		hang       bool
		wantStatus int
		wantBody   string
	}{
		{"100 then 200", "HTTP/1.1 100 Continue\r\n\r\n" + ok200, false, 200, "ok"},
		{"103 then 200", "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n" + ok200, false, 200, "ok"},
		{"five 100s then 200", strings.Repeat("HTTP/1.1 100 Continue\r\n\r\n", 5) + ok200, false, 200, "ok"},
		{"six 100s end it", strings.Repeat("HTTP/1.1 100 Continue\r\n\r\n", 6) + ok200, false, 100, ""},
		{"101 ends it at once", "HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: Upgrade\r\n\r\n", true, 101, ""},
		{"102 ends it at once", "HTTP/1.1 102 Processing\r\n\r\n", true, 102, ""},
		{"199 ends it at once", "HTTP/1.1 199 Whatever\r\n\r\n", true, 199, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := serveScript(t, func(int, string) (string, bool, bool) { return tc.out, false, tc.hang })
			c := newClient(t, h1.Config{})
			start := time.Now()
			resp, err := c.Do(context.Background(), &h1.Request{Method: "POST", URL: s.url(t), Body: []byte("{}"), Deadline: time.Now().Add(5 * time.Second)})
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tc.wantStatus || string(resp.Body) != tc.wantBody {
				t.Errorf("answer %d %q, want %d %q", resp.StatusCode, resp.Body, tc.wantStatus, tc.wantBody)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("took %s: the informational answer was waited past", d)
			}
			if tc.wantStatus < 200 {
				// Its connection is not reused.
				s2 := s.conns.Load()
				c.Do(context.Background(), &h1.Request{Method: "GET", URL: s.url(t), Deadline: time.Now().Add(200 * time.Millisecond)})
				if s.conns.Load() != s2+1 {
					t.Errorf("the connection of a %d answer was reused", tc.wantStatus)
				}
			}
		})
	}
}

func TestBodyBounds(t *testing.T) {
	big := strings.Repeat("x", 2000)
	for _, tc := range []struct {
		name, out string
		close     bool
		wantErr   error
		wantBody  string
		reused    bool
	}{
		{"length within", "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nabcd", false, nil, "abcd", true},
		{"length over", "HTTP/1.1 200 OK\r\nContent-Length: 1001\r\n\r\n" + big[:1001], false, h1.ErrTooLarge, "", false},
		{"length huge, nothing sent", "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999\r\n\r\n", false, h1.ErrTooLarge, "", false},
		{"chunked within", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n0\r\nX-T: 1\r\n\r\n", false, nil, "abcd", true},
		{"chunked over", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n7d0\r\n" + big + "\r\n0\r\n\r\n", false, h1.ErrTooLarge, "", false},
		{"until close within", "HTTP/1.1 200 OK\r\n\r\nabcd", true, nil, "abcd", false},
		{"until close over", "HTTP/1.1 200 OK\r\n\r\n" + big, true, h1.ErrTooLarge, "", false},
		{"HEAD-like 204 with a length", "HTTP/1.1 204 No Content\r\n\r\n", false, nil, "", true},
		{"304", "HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n", false, nil, "", true},
		{"connection close", "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok", true, nil, "ok", false},
		{"lower-case length", "HTTP/1.1 200 OK\r\ncontent-length: 4\r\n\r\nabcd", false, nil, "abcd", true},
		{"lower-case chunked", "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n4\r\nabcd\r\n0\r\n\r\n", false, nil, "abcd", true},
		{"lower-case close", "HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 2\r\n\r\nok", true, nil, "ok", false},
		{"bare LF line ends, as net/http reads them", "HTTP/1.1 200 OK\nContent-Length: 4\n\nabcd", false, nil, "abcd", true},
		{"HTTP/1.0", "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok", true, nil, "ok", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := serveScript(t, func(int, string) (string, bool, bool) { return tc.out, tc.close, false })
			c := newClient(t, h1.Config{})
			resp, err := c.Do(context.Background(), &h1.Request{Method: "GET", URL: s.url(t), MaxBody: 1000, Deadline: time.Now().Add(5 * time.Second)})
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err %v, want %v", err, tc.wantErr)
			}
			if err == nil && string(resp.Body) != tc.wantBody {
				t.Errorf("body %q, want %q", resp.Body, tc.wantBody)
			}
			c.Do(context.Background(), &h1.Request{Method: "GET", URL: s.url(t), MaxBody: 1000, Deadline: time.Now().Add(5 * time.Second)})
			if reused := s.conns.Load() == 1; reused != tc.reused {
				t.Errorf("second request on the first connection: %v, want %v (%d connections)", reused, tc.reused, s.conns.Load())
			}
		})
	}
}

func TestHeadSkipsTheBody(t *testing.T) {
	s := serveScript(t, func(n int, head string) (string, bool, bool) {
		if strings.HasPrefix(head, "HEAD") {
			return "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", false, false
		}
		return ok200, false, false
	})
	c := newClient(t, h1.Config{})
	for _, m := range []string{"HEAD", "GET"} {
		resp, err := c.Do(context.Background(), &h1.Request{Method: m, URL: s.url(t), Deadline: time.Now().Add(2 * time.Second)})
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("%s: %v %v", m, resp, err)
		}
	}
	if n := s.conns.Load(); n != 1 {
		t.Errorf("%d connections, want the HEAD's reused", n)
	}
}

func TestHostileAnswers(t *testing.T) {
	for name, out := range map[string]string{
		"garbage":                "SSH-2.0-OpenSSH\r\n\r\n",
		"no status code":         "HTTP/1.1 OK\r\n\r\n",
		"status 099":             "HTTP/1.1 099 Low\r\nContent-Length: 0\r\n\r\n",
		"header block too large": "HTTP/1.1 200 OK\r\nX-Big: " + strings.Repeat("a", 70<<10) + "\r\n\r\n",
		"negative length":        "HTTP/1.1 200 OK\r\nContent-Length: -5\r\n\r\n",
		"bad chunk size":         "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
		"huge chunk size":        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\nab",
		"truncated body":         "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc",
	} {
		t.Run(name, func(t *testing.T) {
			s := serveScript(t, func(int, string) (string, bool, bool) { return out, true, false })
			c := newClient(t, h1.Config{})
			resp, err := c.Do(context.Background(), &h1.Request{Method: "GET", URL: s.url(t), MaxBody: 1 << 20, Deadline: time.Now().Add(3 * time.Second)})
			if err == nil && (resp.StatusCode < 100 || len(resp.Body) > 1<<20) {
				t.Errorf("answer %d with %d bytes accepted", resp.StatusCode, len(resp.Body))
			}
			if err == nil {
				t.Errorf("no error for a hostile answer (%d, %d bytes)", resp.StatusCode, len(resp.Body))
			} else if strings.Contains(err.Error(), "aaaa") || strings.Contains(err.Error(), "OpenSSH") {
				t.Errorf("the error quotes the answer: %v", err)
			}
			if errors.Is(err, os.ErrDeadlineExceeded) {
				t.Errorf("waited to the deadline: %v", err)
			}
		})
	}
}

func TestDeadlineAndCancel(t *testing.T) {
	s := serveScript(t, func(int, string) (string, bool, bool) { return "", false, true })
	c := newClient(t, h1.Config{})
	start := time.Now()
	_, err := c.Do(context.Background(), &h1.Request{Method: "GET", URL: s.url(t), Deadline: time.Now().Add(300 * time.Millisecond)})
	var ne net.Error
	if !errors.Is(err, os.ErrDeadlineExceeded) || !errors.As(err, &ne) || !ne.Timeout() {
		t.Errorf("err %v, want a timeout", err)
	}
	if d := time.Since(start); d < 250*time.Millisecond || d > 2*time.Second {
		t.Errorf("returned after %s, want about 300ms", d)
	}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	start = time.Now()
	if _, err := c.Do(ctx, &h1.Request{Method: "GET", URL: s.url(t)}); !errors.Is(err, context.Canceled) {
		t.Errorf("err %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("a cancelled request returned after %s", d)
	}
	// A dial that cannot finish is bounded by the deadline too.
	slow := newClient(t, h1.Config{Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	}})
	if _, err := slow.Do(context.Background(), &h1.Request{Method: "GET", URL: s.url(t), Deadline: time.Now().Add(100 * time.Millisecond)}); !errors.Is(err, os.ErrDeadlineExceeded) && !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("slow dial: err %v, want a timeout", err)
	}
}

func TestDialErrorPassesThrough(t *testing.T) {
	refused := errors.New("refused by the guard")
	c := newClient(t, h1.Config{Dial: func(context.Context, string, string) (net.Conn, error) { return nil, refused }})
	if _, err := c.Do(context.Background(), &h1.Request{Method: "GET", URL: mustURL(t, "http://10.0.0.1/")}); !errors.Is(err, refused) {
		t.Errorf("err %v, want the dialer's", err)
	}
}

func TestReusedConnectionClosedByServer(t *testing.T) {
	// The server answers one request per connection with keep-alive
	// headers and then closes it, as a server whose idle timeout just
	// passed does: the next request must go out on a new connection.
	s := serveScript(t, func(int, string) (string, bool, bool) { return ok200, true, false })
	c := newClient(t, h1.Config{})
	for i := 0; i < 5; i++ {
		time.Sleep(20 * time.Millisecond) // let the close arrive
		if _, err := c.Do(context.Background(), &h1.Request{Method: "POST", URL: s.url(t), Body: []byte("{}"), Deadline: time.Now().Add(2 * time.Second)}); err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
	}
	if got := s.reqs.Load(); got != 5 {
		t.Errorf("the server got %d requests for 5", got)
	}
	// A new connection that closes without an answer is an error, not
	// sent twice.
	s2 := serveScript(t, func(int, string) (string, bool, bool) { return "", true, false })
	if _, err := c.Do(context.Background(), &h1.Request{Method: "POST", URL: s2.url(t), Body: []byte("{}"), Deadline: time.Now().Add(2 * time.Second)}); err == nil {
		t.Error("no error for a connection closed without an answer")
	}
	if got := s2.reqs.Load(); got != 1 {
		t.Errorf("the request was sent %d times on new connections", got)
	}
}
