package h1_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookworker/hookworker/internal/h1"
)

func TestIdleBoundsAndExpiry(t *testing.T) {
	srv, conns := counted(t, func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(20 * time.Millisecond)
		io.WriteString(w, "ok")
	})
	var closed atomic.Int32
	c := newClient(t, h1.Config{MaxIdlePerHost: 2, MaxIdle: 3, IdleTimeout: 200 * time.Millisecond, Dial: func(ctx context.Context, n, a string) (net.Conn, error) {
		nc, err := dialer(ctx, n, a)
		if err != nil {
			return nil, err
		}
		return &closeCounter{Conn: nc, n: &closed}, nil
	}})
	u := mustURL(t, srv.URL)
	var wg sync.WaitGroup
	for i := 0; i < 6; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.Do(context.Background(), &h1.Request{Method: "GET", URL: u, Deadline: time.Now().Add(2 * time.Second)}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	made := conns.Load()
	if made < 2 {
		t.Fatalf("%d connections for 6 concurrent requests", made)
	}
	if kept := made - closed.Load(); kept > 2 {
		t.Errorf("%d idle connections kept, MaxIdlePerHost 2", kept)
	}
	deadline := time.Now().Add(3 * time.Second)
	for closed.Load() != made && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if got := closed.Load(); got != made {
		t.Errorf("%d of %d connections closed 3 s after use with IdleTimeout 200ms", got, made)
	}
	// After expiry the next request dials anew and works.
	if _, err := c.Do(context.Background(), &h1.Request{Method: "GET", URL: u, Deadline: time.Now().Add(2 * time.Second)}); err != nil {
		t.Fatal(err)
	}
}

func TestTLS(t *testing.T) {
	var proto atomic.Value
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		proto.Store(r.Proto)
		io.WriteString(w, "secure")
	}))
	var conns atomic.Int32
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.EnableHTTP2 = true
	srv.StartTLS()
	t.Cleanup(srv.Close)
	roots := x509.NewCertPool()
	roots.AddCert(srv.Certificate())
	c := newClient(t, h1.Config{TLS: &tls.Config{RootCAs: roots}})
	u := mustURL(t, srv.URL) // https://127.0.0.1:port, the certificate names 127.0.0.1
	for i := 0; i < 3; i++ {
		time.Sleep(50 * time.Millisecond)
		resp, err := c.Do(context.Background(), &h1.Request{Method: "GET", URL: u, Deadline: time.Now().Add(5 * time.Second)})
		if err != nil {
			t.Fatal(err)
		}
		if string(resp.Body) != "secure" || proto.Load() != "HTTP/1.1" {
			t.Fatalf("body %q over %v", resp.Body, proto.Load())
		}
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("%d TLS connections for 3 requests in turn, want 1 kept alive", n)
	}
	// Without the test root the certificate is refused.
	strict := newClient(t, h1.Config{})
	var uerr x509.UnknownAuthorityError
	if _, err := strict.Do(context.Background(), &h1.Request{Method: "GET", URL: u, Deadline: time.Now().Add(5 * time.Second)}); !errors.As(err, &uerr) {
		var cverr *tls.CertificateVerificationError
		if !errors.As(err, &cverr) {
			t.Errorf("err %v, want a certificate error", err)
		}
	}
}

func TestGzipAnswers(t *testing.T) {
	zipped := func(s string) []byte {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		io.WriteString(zw, s)
		zw.Close()
		return b.Bytes()
	}
	srv, _ := counted(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		w.Header().Set("X-Asked", r.Header.Get("Accept-Encoding"))
		if r.URL.Path == "/bomb" {
			w.Write(zipped(strings.Repeat("0", 10<<20)))
			return
		}
		w.Write(zipped(`{"ok":true}`))
	})
	c := newClient(t, h1.Config{})
	resp, err := c.Do(context.Background(), &h1.Request{Method: "GET", URL: mustURL(t, srv.URL+"/x"), Deadline: time.Now().Add(5 * time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	if string(resp.Body) != `{"ok":true}` || resp.Header.Get("Content-Encoding") != "" || resp.Header.Get("X-Asked") != "gzip" {
		t.Errorf("asked for gzip: %q %v", resp.Body, resp.Header)
	}
	// A bomb stops at the bound, decompressed.
	if _, err := c.Do(context.Background(), &h1.Request{Method: "GET", URL: mustURL(t, srv.URL+"/bomb"), MaxBody: 1 << 20, Deadline: time.Now().Add(5 * time.Second)}); !errors.Is(err, h1.ErrTooLarge) {
		t.Errorf("gzip bomb: err %v, want ErrTooLarge", err)
	}
	// A request that names its encodings gets the answer as sent.
	resp, err = c.Do(context.Background(), &h1.Request{Method: "GET", URL: mustURL(t, srv.URL+"/x"), Header: http.Header{"Accept-Encoding": {"gzip, br"}}, Deadline: time.Now().Add(5 * time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(resp.Body, zipped(`{"ok":true}`)) || resp.Header.Get("Content-Encoding") != "gzip" {
		t.Errorf("own Accept-Encoding: %q %v", resp.Body, resp.Header)
	}
}

func TestAnswerHeaderAsNetHTTP(t *testing.T) {
	s := serveScript(t, func(int, string) (string, bool, bool) {
		return "HTTP/1.1 429 Too Many\r\nretry-after: 7\r\nx-multi: a\r\nX-MULTI: b\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}", false, false
	})
	c := newClient(t, h1.Config{})
	resp, err := c.Do(context.Background(), &h1.Request{Method: "GET", URL: s.url(t), Deadline: time.Now().Add(2 * time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "7" || strings.Join(resp.Header["X-Multi"], ",") != "a,b" ||
		resp.Header.Get("Content-Type") != "application/json" || resp.Header.Get("Content-Length") != "2" {
		t.Errorf("answer %d %v", resp.StatusCode, resp.Header)
	}
}

type closeCounter struct {
	net.Conn
	once sync.Once
	n    *atomic.Int32
}

func (c *closeCounter) Close() error {
	c.once.Do(func() { c.n.Add(1) })
	return c.Conn.Close()
}

// TestIdleOutlivesTheLastDeadline: a connection stays in the pool past
// the deadline of the request that used it last (the deadline is the
// request's, not the connection's).
func TestIdleOutlivesTheLastDeadline(t *testing.T) {
	srv, conns := counted(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	c := newClient(t, h1.Config{})
	u := mustURL(t, srv.URL)
	for i := 0; i < 3; i++ {
		if _, err := c.Do(context.Background(), &h1.Request{Method: "GET", URL: u, Deadline: time.Now().Add(100 * time.Millisecond)}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(150 * time.Millisecond)
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("%d connections for 3 requests 150 ms apart with 100 ms deadlines, want 1", n)
	}
}

// TestNotReplayedWithoutAKey: as in net/http, a POST without an
// Idempotency-Key whose reused connection closes without an answer is an
// error, not sent again; with the key it is sent again.
func TestNotReplayedWithoutAKey(t *testing.T) {
	for _, tc := range []struct {
		header http.Header
		want   int32 // requests the server sees
		fails  bool
	}{
		{nil, 2, true},
		{http.Header{"Idempotency-Key": {"evt-1"}}, 3, false},
	} {
		var reqs atomic.Int32
		s := newRawServer(t, nil, func(c, i int, req *http.Request, w net.Conn) bool {
			reqs.Add(1)
			if c == 1 && i == 1 {
				return false // read, handled, closed without an answer
			}
			io.WriteString(w, ok200)
			return true
		})
		c := newClient(t, h1.Config{})
		u := mustURL(t, "http://"+s.ln.Addr().String()+"/")
		for i := 0; i < 2; i++ {
			_, err := c.Do(context.Background(), &h1.Request{Method: "POST", URL: u, Header: tc.header, Body: []byte("{}"), Deadline: time.Now().Add(2 * time.Second)})
			if i == 1 && (err != nil) != tc.fails {
				t.Errorf("header %v: second POST err %v", tc.header, err)
			}
		}
		if got := reqs.Load(); got != tc.want {
			t.Errorf("header %v: the server saw %d POSTs, want %d", tc.header, got, tc.want)
		}
	}
}
