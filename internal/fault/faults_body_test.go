package fault_test

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"math"
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
