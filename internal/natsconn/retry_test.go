package natsconn

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookworker/hookworker/internal/config"
	"github.com/hookworker/hookworker/internal/natsd"
	"github.com/hookworker/hookworker/internal/testport"
)

func freeAddr(t *testing.T) (string, int) {
	t.Helper()
	port := testport.Free(t)
	return "nats://127.0.0.1:" + strconv.Itoa(port), port
}

// TestConnectRetryWaitsForTheServer: with nothing listening, ConnectRetry
// reports each attempt and connects once a server starts.
func TestConnectRetryWaitsForTheServer(t *testing.T) {
	url, port := freeAddr(t)
	var mu sync.Mutex
	var attempts []Attempt
	started := make(chan *natsd.Server, 1)
	go func() {
		time.Sleep(1200 * time.Millisecond)
		s, err := natsd.Start(natsd.Options{Host: "127.0.0.1", Port: port, StoreDir: t.TempDir()})
		if err != nil {
			t.Error(err)
		}
		started <- s
	}()
	t.Cleanup(func() {
		if s := <-started; s != nil {
			s.Shutdown()
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	nc, err := ConnectRetry(ctx, config.NATS{}, url, "test", Retry{Initial: 100 * time.Millisecond, Max: 400 * time.Millisecond},
		func(a Attempt) { mu.Lock(); attempts = append(attempts, a); mu.Unlock() })
	if err != nil {
		t.Fatalf("ConnectRetry: %v", err)
	}
	defer nc.Close()
	mu.Lock()
	defer mu.Unlock()
	if len(attempts) < 2 {
		t.Fatalf("%d failed attempts reported before the server started 1.2s later", len(attempts))
	}
	for i, a := range attempts {
		if a.N != i+1 || a.Err == nil || a.Next <= 0 || a.Next > 500*time.Millisecond {
			t.Errorf("attempt %d: %+v", i, a)
		}
		if !strings.Contains(a.Err.Error(), "connect to NATS at "+url) {
			t.Errorf("attempt %d error does not name the server: %v", i, a.Err)
		}
	}
}

// TestConnectRetryGivesUp: refused credentials and bad settings are
// returned at once; an unreachable server until the context ends.
func TestConnectRetryGivesUp(t *testing.T) {
	srv := start(t, natsd.Options{Token: "s3cret-token"})
	calls := 0
	count := func(Attempt) { calls++ }
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	begin := time.Now()
	if _, err := ConnectRetry(ctx, config.NATS{Token: "wrong-token"}, srv.ClientURL(), "test", Retry{}, count); err == nil || Unreachable(err) {
		t.Errorf("wrong token: %v (unreachable %v)", err, Unreachable(err))
	}
	if _, err := ConnectRetry(ctx, config.NATS{CredsFile: "/nonexistent/x.creds"}, srv.ClientURL(), "test", Retry{}, count); err == nil || Unreachable(err) {
		t.Errorf("missing creds file: %v", err)
	}
	if calls != 0 || time.Since(begin) > 5*time.Second {
		t.Errorf("%d retries, %s, for errors waiting does not cure", calls, time.Since(begin))
	}

	url, _ := freeAddr(t)
	short, cancel2 := context.WithTimeout(context.Background(), 600*time.Millisecond)
	defer cancel2()
	_, err := ConnectRetry(short, config.NATS{}, url, "test", Retry{Initial: 50 * time.Millisecond}, count)
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), url) || calls == 0 {
		t.Errorf("unreachable until the deadline: %v after %d attempts", err, calls)
	}
}
