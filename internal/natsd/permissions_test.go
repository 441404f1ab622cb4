package natsd_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookworker/hookworker/internal/config"
	"github.com/hookworker/hookworker/internal/secret"
	"github.com/hookworker/hookworker/internal/streams"
)

// roleConn connects as user and collects the server's permission
// violations.
type roleConn struct {
	nc   *nats.Conn
	js   jetstream.JetStream
	mu   sync.Mutex
	errs []string
}

func connectAs(t *testing.T, url, user string) *roleConn {
	t.Helper()
	rc := &roleConn{}
	nc, err := nats.Connect(url, nats.UserInfo(user, user+"-pass"),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
			rc.mu.Lock()
			rc.errs = append(rc.errs, err.Error())
			rc.mu.Unlock()
		}))
	if err != nil {
		t.Fatalf("connect as %s: %v", user, err)
	}
	t.Cleanup(nc.Close)
	rc.nc = nc
	rc.js, _ = jetstream.New(nc)
	return rc
}

// refused reports whether the server refused a publish to subject.
func (rc *roleConn) refused(t *testing.T, subject string) bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 700*time.Millisecond)
	defer cancel()
	_, err := rc.js.Publish(ctx, subject, []byte(`{}`))
	deadline := time.Now().Add(time.Second)
	for time.Now().Before(deadline) {
		rc.mu.Lock()
		for _, e := range rc.errs {
			if strings.Contains(e, "Permissions Violation for Publish to \""+subject+"\"") {
				rc.mu.Unlock()
				return true
			}
		}
		rc.mu.Unlock()
		if err == nil {
			return false // stored
		}
		time.Sleep(20 * time.Millisecond)
	}
	return false
}

// TestExamplePermissions: configs/nats-accounts.conf on a real server.
// The worker role sets up everything; the engine fires events and cannot
// publish replays, due retries, dead letters, KV entries or JetStream API
// requests; the builder writes a sealed secret with the bucket's key but
// cannot replace that key, nor fire events.
func TestExamplePermissions(t *testing.T) {
	opts, err := server.ProcessConfigFile("../../configs/nats-accounts.conf")
	if err != nil {
		t.Fatal(err)
	}
	opts.Host, opts.Port, opts.NoSigs, opts.NoLog = "127.0.0.1", -1, true, true
	opts.JetStream, opts.StoreDir = true, t.TempDir()
	srv, err := server.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	go srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		t.Fatal("server not ready")
	}
	t.Cleanup(func() { srv.Shutdown(); srv.WaitForShutdown() })
	url := srv.ClientURL()
	ctx := context.Background()

	// The worker creates the topology, the secret bucket and its key.
	wk := connectAs(t, url, "worker")
	topo := streams.NewTopology(config.Default())
	for _, sc := range []jetstream.StreamConfig{topo.Trigger(), topo.Retry(), topo.DeadLetters()} {
		if _, err := streams.Ensure(ctx, wk.js, sc); err != nil {
			t.Fatal(err)
		}
	}
	for _, kc := range []jetstream.KeyValueConfig{topo.Secrets(), topo.Webhooks()} {
		if _, err := wk.js.CreateKeyValue(ctx, kc); err != nil {
			t.Fatal(err)
		}
	}
	_, public, err := secret.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	wkv, _ := wk.js.KeyValue(ctx, secret.DefaultBucket)
	if _, err := secret.NewStore(wkv).PublishKey(ctx, public); err != nil {
		t.Fatal(err)
	}
	if wk.refused(t, "connections.retry.wait.k") {
		t.Error("the worker may not schedule retries")
	}

	eng := connectAs(t, url, "engine")
	if eng.refused(t, "connections.fired.bot-a") {
		t.Error("the engine may not fire events")
	}
	for _, subj := range []string{
		"connections.replay.bot-a",
		"connections.retry.due.k.connections.fired.bot-b",
		"connections.retry.wait.k",
		"connections.dlq.bot-a.network",
		"$KV.hookworker-webhooks.orders",
		"$KV.hookworker-secrets.bot-b.TOKEN",
		"$JS.API.STREAM.DELETE.CONNECTIONS",
	} {
		if !eng.refused(t, subj) {
			t.Errorf("the engine may publish to %s", subj)
		}
	}
	if _, err := eng.nc.SubscribeSync("connections.result.bot-a"); err != nil {
		t.Fatal(err)
	}
	if err := eng.nc.Flush(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	eng.mu.Lock()
	for _, e := range eng.errs {
		if strings.Contains(e, "Subscription") {
			t.Errorf("the engine may not read Results: %s", e)
		}
	}
	eng.mu.Unlock()

	bld := connectAs(t, url, "builder")
	kv, err := bld.js.KeyValue(ctx, secret.DefaultBucket)
	if err != nil {
		t.Fatalf("builder binds the secret bucket: %v", err)
	}
	store := secret.NewStore(kv)
	sealer, err := store.Sealer(ctx, "")
	if err != nil {
		t.Fatalf("builder reads the sealing key: %v", err)
	}
	if _, err := store.Put(ctx, sealer, "bot-a", "ZENDESK_TOKEN", "tok-123"); err != nil {
		t.Errorf("builder puts a sealed secret: %v", err)
	}
	if !bld.refused(t, "$KV.hookworker-secrets.sealing-key") {
		t.Error("the builder may replace the sealing key")
	}
	if !bld.refused(t, "connections.fired.bot-a") {
		t.Error("the builder may fire events")
	}
	// What the engine was refused is not in the streams.
	for name, want := range map[string]uint64{"CONNECTIONS": 1, "CONNECTIONS_RETRY": 1, "CONNECTIONS_DLQ": 0} {
		s, err := wk.js.Stream(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		if info, _ := s.Info(ctx); info.State.Msgs != want {
			t.Errorf("%s holds %d messages, want %d", name, info.State.Msgs, want)
		}
	}
	if _, err := wkv.Get(ctx, "sealing-key"); err != nil {
		t.Fatal(err)
	} else if e, _ := wkv.Get(ctx, "sealing-key"); string(e.Value()) != public {
		t.Errorf("the sealing key changed: %q", e.Value())
	}
}
