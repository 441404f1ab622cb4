package streams_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookworker/hookworker/jstest"
	"github.com/hookworker/hookworker/streams"
)

// TestEnsureKeepsOperatorSettings: an existing stream keeps its limits
// (and would keep its replicas); a missing subject is added; a missing
// stream is created, once, by many callers at once.
func TestEnsureKeepsOperatorSettings(t *testing.T) {
	srv := jstest.Server(t)
	_, js := jstest.Connect(t, srv)
	ctx := context.Background()
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "OPS", Subjects: []string{"ops.a"}, MaxMsgs: 77, MaxAge: time.Hour}); err != nil {
		t.Fatal(err)
	}
	s, err := streams.Ensure(ctx, js, jetstream.StreamConfig{Name: "OPS", Subjects: []string{"ops.a", "ops.b.>"}})
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c := info.Config
	if c.MaxMsgs != 77 || c.MaxAge != time.Hour || !slices.Equal(c.Subjects, []string{"ops.a", "ops.b.>"}) {
		t.Errorf("existing stream changed: max_msgs %d, max_age %s, subjects %v", c.MaxMsgs, c.MaxAge, c.Subjects)
	}

	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := streams.Ensure(ctx, js, jetstream.StreamConfig{Name: "NEW", Subjects: []string{"new.>"}})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("concurrent Ensure: %v", err)
		}
	}

	if _, err := js.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: "kvops", History: 5}); err != nil {
		t.Fatal(err)
	}
	kv, err := streams.EnsureKeyValue(ctx, js, jetstream.KeyValueConfig{Bucket: "kvops", History: 64})
	if err != nil {
		t.Fatal(err)
	}
	st, err := kv.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.History() != 5 {
		t.Errorf("existing bucket's history changed to %d", st.History())
	}
	if _, err := streams.EnsureKeyValue(ctx, js, jetstream.KeyValueConfig{Bucket: "kvnew"}); err != nil {
		t.Errorf("create bucket: %v", err)
	}
}
