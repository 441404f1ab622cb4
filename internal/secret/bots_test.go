package secret_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookworker/hookworker/internal/config"
	"github.com/hookworker/hookworker/internal/jstest"
	"github.com/hookworker/hookworker/internal/secret"
	"github.com/hookworker/hookworker/internal/streams"
)

func bucket(t *testing.T) jetstream.KeyValue {
	t.Helper()
	_, js := jstest.Connect(t, jstest.Server(t))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	kv, err := streams.EnsureKeyValue(ctx, js, streams.NewTopology(config.Default()).Secrets())
	if err != nil {
		t.Fatal(err)
	}
	return kv
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestStoreAndBots(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	kv := bucket(t)
	seed, pub, err := secret.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	opener, err := secret.NewOpener([][]byte{seed})
	if err != nil {
		t.Fatal(err)
	}
	store := secret.NewStore(kv)
	if _, err := store.Sealer(ctx, ""); !errors.Is(err, secret.ErrNoKey) {
		t.Fatalf("Sealer with no key published = %v, want ErrNoKey", err)
	}
	// A worker publishes its key; a second one with another key finds the
	// first one's there.
	if got, err := store.PublishKey(ctx, pub); err != nil || got != pub {
		t.Fatalf("PublishKey = %q, %v", got, err)
	}
	_, otherPub, _ := secret.NewKey()
	if got, err := store.PublishKey(ctx, otherPub); err != nil || got != pub {
		t.Fatalf("second PublishKey = %q, %v; want the first key kept", got, err)
	}
	sealer, err := store.Sealer(ctx, "")
	if err != nil || sealer.Recipient() != pub {
		t.Fatalf("Sealer = %v, %v", sealer, err)
	}
	// Written before the worker watches.
	if _, err := store.Put(ctx, sealer, "bot-a", "TOKEN", "a-token-1"); err != nil {
		t.Fatal(err)
	}
	bots := secret.NewBots(opener, nil)
	if err := bots.Watch(ctx, kv); err != nil {
		t.Fatal(err)
	}
	if v, ok := bots.Secret("bot-a", "TOKEN"); !ok || v != "a-token-1" {
		t.Fatalf("after Watch: %q, %v", v, ok)
	}
	// Written while it watches: put, overwrite, another bot, a bot id
	// that is not a plain token.
	for _, p := range [][3]string{{"bot-a", "TOKEN", "a-token-2"}, {"bot-b", "TOKEN", "b-token"}, {"bot:c", "K", "c-key"}} {
		if _, err := store.Put(ctx, sealer, p[0], p[1], p[2]); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "the new values", func() bool {
		a, _ := bots.Secret("bot-a", "TOKEN")
		b, _ := bots.Secret("bot-b", "TOKEN")
		c, _ := bots.Secret("bot:c", "K")
		return a == "a-token-2" && b == "b-token" && c == "c-key"
	})
	list, err := store.List(ctx, "bot-a")
	if err != nil || len(list) != 1 || list[0].Name != "TOKEN" || list[0].Updated.IsZero() {
		t.Fatalf("List(bot-a) = %+v, %v", list, err)
	}
	if err := store.Delete(ctx, "bot-a", "TOKEN"); err != nil {
		t.Fatal(err)
	}
	if err := store.Delete(ctx, "bot-a", "TOKEN"); !errors.Is(err, secret.ErrNotFound) {
		t.Fatalf("second Delete = %v, want ErrNotFound", err)
	}
	waitFor(t, "the delete", func() bool { _, ok := bots.Secret("bot-a", "TOKEN"); return !ok })
	if list, err := store.List(ctx, "bot-a"); err != nil || len(list) != 0 {
		t.Fatalf("List after delete = %+v, %v", list, err)
	}
	// bot-b's value copied into bot-a's key (a writer of bot-a's keys who
	// can read the bucket): not opened, bot-a has no such secret.
	e, err := kv.Get(ctx, secret.Key("bot-b", "TOKEN"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Put(ctx, secret.Key("bot-a", "TOKEN"), e.Value()); err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Put(ctx, secret.Key("bot-a", "MARK"), mustSeal(t, sealer, "bot-a", "MARK", "after-copy")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the later entry", func() bool { _, ok := bots.Secret("bot-a", "MARK"); return ok })
	if v, ok := bots.Secret("bot-a", "TOKEN"); ok {
		t.Fatalf("bot-b's sealed value opened as bot-a's: %q", v)
	}
}

func mustSeal(t *testing.T, s *secret.Sealer, bot, name, value string) []byte {
	t.Helper()
	data, err := s.Seal(bot, name, value)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// A bot sees its own secrets and the shared names of the worker's own,
// never another bot's, and never an unshared one of the worker's.
func TestScope(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	kv := bucket(t)
	seed, pub, _ := secret.NewKey()
	opener, _ := secret.NewOpener([][]byte{seed})
	sealer, _ := secret.NewSealer(pub)
	store := secret.NewStore(kv)
	for _, p := range [][3]string{{"bot-a", "A_ONLY", "a-only-value"}, {"bot-b", "B_ONLY", "b-only-value"}, {"bot-b", "DEMO", "b-own-demo"}} {
		if _, err := store.Put(ctx, sealer, p[0], p[1], p[2]); err != nil {
			t.Fatal(err)
		}
	}
	bots := secret.NewBots(opener, nil)
	if err := bots.Watch(ctx, kv); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"HOOKWORKER_SECRET_DEMO": "shared-demo", "HOOKWORKER_SECRET_PRIVATE": "worker-private"}
	scope := secret.NewScope(bots, secret.Env{Getenv: func(k string) string { return env[k] }}, []string{"DEMO"})
	tests := []struct {
		bot, name, want string
		ok              bool
	}{
		{"bot-a", "A_ONLY", "a-only-value", true},
		{"bot-a", "B_ONLY", "", false},
		{"bot-b", "A_ONLY", "", false},
		{"bot-a", "DEMO", "shared-demo", true},
		{"bot-a", "demo", "shared-demo", true},
		{"bot-b", "DEMO", "b-own-demo", true}, // its own wins
		{"bot-a", "PRIVATE", "", false},
		{"bot-c", "B_ONLY", "", false},
	}
	for _, tt := range tests {
		v, ok := scope.For(tt.bot).Secret(tt.name)
		if v != tt.want || ok != tt.ok {
			t.Errorf("%s: secrets.%s = %q, %v; want %q, %v", tt.bot, tt.name, v, ok, tt.want, tt.ok)
		}
	}
}
