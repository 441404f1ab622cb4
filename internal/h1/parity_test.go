package h1_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookworker/hookworker/internal/egress"
	"github.com/hookworker/hookworker/internal/h1"
)

// outcome is what a client made of an answer.
type outcome struct {
	status int
	header http.Header
	body   string
	err    bool
}

func h1Outcome(t *testing.T, c *h1.Client, method, u string) (outcome, error) {
	t.Helper()
	r, err := c.Do(context.Background(), &h1.Request{Method: method, URL: mustURL(t, u), Header: http.Header{"User-Agent": {"t"}}, Deadline: time.Now().Add(2 * time.Second)})
	if err != nil {
		return outcome{err: true}, err
	}
	return outcome{status: r.StatusCode, header: r.Header, body: string(r.Body)}, nil
}

// netOutcome is net/http's transport behind egress.EndInformational, as
// the worker's other path sends.
func netOutcome(rt http.RoundTripper, method, u string) (outcome, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, method, u, nil)
	req.Header.Set("User-Agent", "t")
	resp, err := rt.RoundTrip(req)
	if err != nil {
		return outcome{err: true}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return outcome{err: true}, err
	}
	return outcome{status: resp.StatusCode, header: resp.Header, body: string(b)}, nil
}

// TestParityWithNetHTTP: for answers good, odd and hostile, package h1
// gives what net/http's transport gives (status, header, body, or an
// error), and reuses the connection for the next request when net/http
// does. Where h1 is deliberately stricter the case says so.
func TestParityWithNetHTTP(t *testing.T) {
	cases := []struct {
		name, method, answer string
		h1Stricter           bool // an error where net/http answers
	}{
		{"plain", "GET", "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}", false},
		{"length then chunked", "GET", "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n", false},
		{"chunked then length", "GET", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n2\r\nhi\r\n0\r\n\r\n", false},
		{"same length twice", "GET", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nhi", false},
		{"differing lengths", "GET", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nhi!", false},
		{"HTTP/1.0 with a length", "GET", "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nhi", false},
		{"HTTP/1.0 keep-alive", "GET", "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nhi", false},
		{"HTTP/1.0 ignores chunked", "GET", "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\nContent-Length: 10\r\n\r\n2\r\nhi\r\n0\r\n", false},
		{"folded header", "GET", "HTTP/1.1 200 OK\r\nX-A: 1\r\n  folded\r\nContent-Length: 2\r\n\r\nhi", false},
		{"no colon", "GET", "HTTP/1.1 200 OK\r\nGarbage\r\nContent-Length: 2\r\n\r\nhi", false},
		{"bare LF", "GET", "HTTP/1.1 200 OK\nContent-Length: 2\n\nhi", false},
		{"no reason", "GET", "HTTP/1.1 200\r\nContent-Length: 2\r\n\r\nhi", false},
		{"four-digit status", "GET", "HTTP/1.1 2000 OK\r\nContent-Length: 2\r\n\r\nhi", false},
		{"status 099", "GET", "HTTP/1.1 099 X\r\nContent-Length: 2\r\n\r\nhi", true},
		{"HTTP/2.0 status line", "GET", "HTTP/2.0 200 OK\r\nContent-Length: 2\r\n\r\nhi", false},
		{"ICY", "GET", "ICY 200 OK\r\nContent-Length: 2\r\n\r\nhi", false},
		{"length +2", "GET", "HTTP/1.1 200 OK\r\nContent-Length: +2\r\n\r\nhi", false},
		{"length with a space", "GET", "HTTP/1.1 200 OK\r\nContent-Length: 2 \r\n\r\nhi", false},
		{"CHUNKED", "GET", "HTTP/1.1 200 OK\r\nTransfer-Encoding: CHUNKED\r\n\r\n2\r\nhi\r\n0\r\n\r\n", false},
		{"gzip, chunked", "GET", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n", false},
		{"identity", "GET", "HTTP/1.1 200 OK\r\nTransfer-Encoding: identity\r\nContent-Length: 2\r\n\r\nhi", false},
		{"huge chunk size", "GET", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\nhi\r\n0\r\n\r\n", false},
		{"negative chunk size", "GET", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-2\r\nhi\r\n0\r\n\r\n", false},
		{"chunk extension", "GET", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2;a=b\r\nhi\r\n0\r\n\r\n", false},
		{"trailer", "GET", "HTTP/1.1 200 OK\r\nTrailer: X-T\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\nX-T: v\r\n\r\n", false},
		{"NUL in a value", "GET", "HTTP/1.1 200 OK\r\nX-A: a\x00b\r\nContent-Length: 2\r\n\r\nhi", false},
		{"CR in a value", "GET", "HTTP/1.1 200 OK\r\nX-A: a\rb\r\nContent-Length: 2\r\n\r\nhi", false},
		{"UTF-8 name", "GET", "HTTP/1.1 200 OK\r\nX-\xc3\xa9: v\r\nContent-Length: 2\r\n\r\nhi", false},
		{"empty name", "GET", "HTTP/1.1 200 OK\r\n: v\r\nContent-Length: 2\r\n\r\nhi", false},
		{"no Content-Type", "GET", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi", false},
		{"two Content-Types", "GET", "HTTP/1.1 200 OK\r\nContent-Type: a/b\r\nContent-Type: c/d\r\nContent-Length: 2\r\n\r\nhi", false},
		{"two Servers", "GET", "HTTP/1.1 200 OK\r\nServer: a\r\nServer: b\r\nContent-Length: 2\r\n\r\nhi", false},
		{"two cookies", "GET", "HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nSet-Cookie: a=2\r\nContent-Length: 2\r\n\r\nhi", false},
		{"close among tokens", "GET", "HTTP/1.1 200 OK\r\nConnection: close, x\r\nContent-Length: 2\r\n\r\nhi", false},
		{"lower-case framing", "GET", "HTTP/1.1 200 OK\r\ncontent-length: 2\r\nx-multi: a\r\nX-MULTI: b\r\n\r\nhi", false},
		{"101", "GET", "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n", false},
		{"102", "GET", "HTTP/1.1 102 Processing\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi", false},
		{"100 then 200", "GET", "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi", false},
		{"100 with a body", "GET", "HTTP/1.1 100 Continue\r\nContent-Length: 4\r\n\r\nabcdHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi", false},
		{"leading blank lines", "GET", "\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi", false},
		{"gzip 204", "GET", "HTTP/1.1 204 No Content\r\nContent-Encoding: gzip\r\n\r\n", false},
		{"chunked 204", "GET", "HTTP/1.1 204 No Content\r\nTransfer-Encoding: chunked\r\n\r\n", false},
		{"304 with a length", "GET", "HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n", false},
		{"HEAD chunked", "HEAD", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", false},
		{"HEAD with a length", "HEAD", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", false},
		{"until close", "GET", "HTTP/1.1 200 OK\r\n\r\nhi", false},
		{"empty gzip, chunked", "GET", "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", false},
		{"malformed trailer", "GET", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\nnocolon\r\n\r\n", false},
		{"HTTP/1.0 keep-alive without a length", "GET", "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n\r\nhi", false},
		{"keep-alive, close", "GET", "HTTP/1.1 200 OK\r\nConnection: keep-alive, close\r\nContent-Length: 2\r\n\r\nhi", false},
		{"103 then 101", "GET", "HTTP/1.1 103 Early Hints\r\n\r\nHTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n", false},
		{"status 600", "GET", "HTTP/1.1 600 Odd\r\nContent-Length: 2\r\n\r\nhi", false},
		{"empty Content-Length", "GET", "HTTP/1.1 200 OK\r\nContent-Length: \r\n\r\nhi", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			script := func(c, i int, req *http.Request, w net.Conn) bool {
				if c == 1 && i == 0 {
					io.WriteString(w, tc.answer)
					return !strings.HasPrefix(tc.name, "until close") && !strings.HasPrefix(tc.name, "HTTP/1.0") && !strings.HasPrefix(tc.name, "empty Content-Length")
				}
				io.WriteString(w, "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nsecond")
				return true
			}
			s1 := newRawServer(t, nil, script)
			c := newClient(t, h1.Config{})
			got, gerr := h1Outcome(t, c, tc.method, "http://"+s1.ln.Addr().String()+"/")
			second, _ := h1Outcome(t, c, "GET", "http://"+s1.ln.Addr().String()+"/")

			s2 := newRawServer(t, nil, script)
			tr := &http.Transport{}
			t.Cleanup(tr.CloseIdleConnections)
			rt := egress.EndInformational(tr)
			want, werr := netOutcome(rt, tc.method, "http://"+s2.ln.Addr().String()+"/")
			wantSecond, _ := netOutcome(rt, "GET", "http://"+s2.ln.Addr().String()+"/")

			if tc.h1Stricter {
				if !got.err || want.err {
					t.Errorf("h1 %+v (%v), net/http %+v: want h1 stricter", got, gerr, want)
				}
				return
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("h1 %+v (%v)\nnet/http %+v (%v)", got, gerr, want, werr)
			}
			if second.body != "second" || wantSecond.body != "second" {
				t.Errorf("second request: h1 %+v, net/http %+v", second, wantSecond)
			}
			if !got.err {
				if h, n := s1.conns.Load(), s2.conns.Load(); h != n {
					t.Errorf("connections for two requests: h1 %d, net/http %d", h, n)
				}
			}
		})
	}
}

// TestNoAnswerReachesAnotherRequest: bytes a target sends unasked after
// an answer (a doubled answer, a body on a HEAD, 204 or 304 answer) are
// never read as the next request's answer, which may be another bot's;
// over plain TCP and TLS.
func TestNoAnswerReachesAnotherRequest(t *testing.T) {
	srv := httptest.NewUnstartedServer(nil)
	srv.StartTLS()
	cert := srv.TLS.Certificates
	srv.Close()
	roots := x509.NewCertPool()
	roots.AddCert(srv.Certificate())
	for _, first := range []struct{ name, method, answer string }{
		{"a doubled answer", "GET", ""},
		{"a body on a HEAD answer", "HEAD", "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n"},
		{"a body on a 204", "GET", "HTTP/1.1 204 No Content\r\n\r\n"},
		{"a body on a 304", "GET", "HTTP/1.1 304 Not Modified\r\n\r\n"},
	} {
		for _, secure := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/tls=%v", first.name, secure), func(t *testing.T) {
				var tlsCfg *tls.Config
				cfg := h1.Config{}
				scheme := "http"
				if secure {
					tlsCfg = &tls.Config{Certificates: cert}
					cfg.TLS = &tls.Config{RootCAs: roots, ServerName: "example.com"}
					scheme = "https"
				}
				s := newRawServer(t, tlsCfg, func(c, i int, req *http.Request, w net.Conn) bool {
					mine := "data of " + req.Header.Get("X-Bot")
					answer := fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s", len(mine), mine)
					if c == 1 && i == 0 && first.answer != "" {
						answer = first.answer
					}
					io.WriteString(w, answer)
					if c == 1 && i == 0 {
						time.Sleep(20 * time.Millisecond)
						io.WriteString(w, "HTTP/1.1 200 OK\r\nContent-Length: 16\r\n\r\nplanted for bot2")
					}
					return true
				})
				c := newClient(t, cfg)
				u := mustURL(t, scheme+"://"+s.ln.Addr().String()+"/me")
				for n, bot := range []string{"bot1", "bot2", "bot3"} {
					time.Sleep(60 * time.Millisecond)
					method := "GET"
					if n == 0 {
						method = first.method
					}
					r, err := c.Do(context.Background(), &h1.Request{Method: method, URL: u, Header: http.Header{"X-Bot": {bot}}, Deadline: time.Now().Add(2 * time.Second)})
					if err != nil {
						t.Fatalf("%s: %v", bot, err)
					}
					if n > 0 && string(r.Body) != "data of "+bot {
						t.Errorf("%s got %q", bot, r.Body)
					}
				}
			})
		}
	}
}

// TestAnsweredRequestIsNotSentAgain: on a reused connection, a server
// that starts an answer and then closes gets an error back, not the
// request a second time (only a connection closed before any byte of an
// answer is tried again).
func TestAnsweredRequestIsNotSentAgain(t *testing.T) {
	s := newRawServer(t, nil, func(c, i int, req *http.Request, w net.Conn) bool {
		if i == 0 {
			io.WriteString(w, ok200)
			return true
		}
		io.WriteString(w, "HTTP/1.1 200 OK\r\nX-Started: yes\r\n")
		return false
	})
	c := newClient(t, h1.Config{})
	u := mustURL(t, "http://"+s.ln.Addr().String()+"/")
	for i := 0; i < 2; i++ {
		_, err := c.Do(context.Background(), &h1.Request{Method: "POST", URL: u, Body: []byte("{}"), Deadline: time.Now().Add(2 * time.Second)})
		if (err != nil) != (i == 1) {
			t.Fatalf("request %d: %v", i, err)
		}
	}
	if n := s.reqs.Load(); n != 2 {
		t.Errorf("the server got %d requests for 2", n)
	}
}

// TestErrorsQuoteNoAnswer: an answer may echo a secret of the request;
// no error quotes the answer's bytes.
func TestErrorsQuoteNoAnswer(t *testing.T) {
	const secret = "sk-SECRET-123"
	pad := strings.Repeat("p", 300)
	for name, answer := range map[string]string{
		"reset in the header":       "HTTP/1.1 200 OK\r\nX-Echo: Bearer " + secret + "\r\n",
		"bad header value":          "HTTP/1.1 200 OK\r\nX-Echo: " + secret + "\x01\r\nContent-Length: 2\r\n\r\nhi",
		"bad status":                "HTTP/1.1 2x0 " + secret + "\r\nContent-Length: 2\r\n\r\nhi",
		"bad first line":            secret + "\r\nContent-Length: 2\r\n\r\nhi",
		"bad header name":           "HTTP/1.1 200 OK\r\n" + secret + "\r\n\r\n",
		"bad length":                "HTTP/1.1 200 OK\r\nContent-Length: " + secret + "\r\n\r\n",
		"bad encoding":              "HTTP/1.1 200 OK\r\nTransfer-Encoding: " + secret + "\r\n\r\n",
		"bad chunk":                 "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + secret + "\r\n",
		"header block over the cap": "HTTP/1.1 200 OK\r\nX-A: " + pad + secret + strings.Repeat("q", 70<<10) + "\r\n\r\n",
		"trailer over the cap":      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-A: " + secret + strings.Repeat("q", 70<<10) + "\r\n\r\n",
	} {
		t.Run(name, func(t *testing.T) {
			s := newRawServer(t, nil, func(c, i int, req *http.Request, w net.Conn) bool {
				io.WriteString(w, answer)
				time.Sleep(20 * time.Millisecond)
				w.(*net.TCPConn).SetLinger(0) // a reset
				return false
			})
			c := newClient(t, h1.Config{})
			_, err := c.Do(context.Background(), &h1.Request{Method: "GET", URL: mustURL(t, "http://"+s.ln.Addr().String()+"/"), Deadline: time.Now().Add(2 * time.Second)})
			if err == nil {
				t.Fatal("no error")
			}
			if strings.Contains(err.Error(), "sk-") || strings.Contains(err.Error(), "qqqq") {
				t.Errorf("the error quotes the answer: %v", err)
			}
		})
	}
}

// TestCancelDoesNotReachTheNextRequest: a request cancelled as its answer
// arrives (the server cancels it right after writing the answer) leaves
// no deadline behind on the connection the next request takes. With the
// cancellation's stop checked after the connection went back to the pool,
// about 2% of the rounds failed.
func TestCancelDoesNotReachTheNextRequest(t *testing.T) {
	var cancelNext atomic.Pointer[context.CancelFunc]
	s := newRawServer(t, nil, func(c, i int, req *http.Request, w net.Conn) bool {
		io.WriteString(w, ok200)
		if cancel := cancelNext.Swap(nil); cancel != nil {
			(*cancel)()
		}
		return true
	})
	c := newClient(t, h1.Config{MaxIdlePerHost: 1})
	u := mustURL(t, "http://"+s.ln.Addr().String()+"/")
	for i := 0; i < 2000; i++ {
		ctx, cancel := context.WithCancel(context.Background())
		cancelNext.Store(&cancel)
		c.Do(ctx, &h1.Request{Method: "GET", URL: u, Deadline: time.Now().Add(2 * time.Second)})
		cancel()
		if _, err := c.Do(context.Background(), &h1.Request{Method: "GET", URL: u, Deadline: time.Now().Add(2 * time.Second)}); err != nil {
			t.Fatalf("round %d: the request after a cancelled one failed: %v", i, err)
		}
	}
}
