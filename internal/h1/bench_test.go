package h1_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hookworker/hookworker/internal/h1"
)

// BenchmarkClient is one keep-alive POST of a 300-byte body answered
// with 400 bytes by a net/http server on loopback, from 64 goroutines,
// through package h1 and through net/http's client. cpu-µs/op is the
// process's CPU time per request, the server's share included (the same
// for both), so the difference is the clients':
//
//	go test -run '^$' -bench Client -benchtime 50000x -count 3 ./internal/h1
func BenchmarkClient(b *testing.B) {
	body := bytes.Repeat([]byte("x"), 300)
	answer := bytes.Repeat([]byte("y"), 400)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(201)
		w.Write(answer)
	}))
	b.Cleanup(srv.Close)
	u := mustURL(b, srv.URL+"/tickets")
	header := http.Header{"Content-Type": {"application/json"}, "Idempotency-Key": {"evt-1"}, "User-Agent": {"hookworker/1"}}

	b.Run("h1", func(b *testing.B) {
		c, err := h1.New(h1.Config{Dial: dialer, MaxIdlePerHost: 64, MaxIdle: 256})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(c.Close)
		parallel64(b, func() error {
			resp, err := c.Do(context.Background(), &h1.Request{Method: "POST", URL: u, Header: header, Body: body, Deadline: time.Now().Add(10 * time.Second)})
			if err == nil && resp.StatusCode != 201 {
				b.Errorf("status %d", resp.StatusCode)
			}
			return err
		})
	})
	b.Run("net-http", func(b *testing.B) {
		tr := &http.Transport{MaxIdleConnsPerHost: 64, MaxIdleConns: 256}
		b.Cleanup(tr.CloseIdleConnections)
		parallel64(b, func() error {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			req, err := http.NewRequestWithContext(ctx, "POST", u.String(), bytes.NewReader(body))
			if err != nil {
				return err
			}
			req.Header = header.Clone()
			resp, err := tr.RoundTrip(req)
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			if _, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20)); err != nil {
				return err
			}
			if resp.StatusCode != 201 {
				b.Errorf("status %d", resp.StatusCode)
			}
			return nil
		})
	})
}

// parallel64 runs do b.N times from 64 goroutines and reports the
// process's CPU time per call.
func parallel64(b *testing.B, do func() error) {
	work := make(chan struct{}, b.N)
	for range b.N {
		work <- struct{}{}
	}
	close(work)
	before := cpuTime()
	b.ResetTimer()
	var wg sync.WaitGroup
	for range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range work {
				if err := do(); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64((cpuTime()-before).Microseconds())/float64(b.N), "cpu-µs/op")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
