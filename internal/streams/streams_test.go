package streams_test

import (
	"context"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookworker/hookworker/internal/jstest"
	"github.com/hookworker/hookworker/internal/streams"
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

// TestEnsureSetsTransform: an existing stream gets the subject and the
// partitioning transform it lacks, keeps its limits, and from then on
// stores every message of one key in one partition.
func TestEnsureSetsTransform(t *testing.T) {
	srv := jstest.Server(t)
	_, js := jstest.Connect(t, srv)
	ctx := context.Background()
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "ORD", Subjects: []string{"fired.>"}, MaxMsgs: 500}); err != nil {
		t.Fatal(err)
	}
	tr := func(n int) *jetstream.SubjectTransformConfig {
		return &jetstream.SubjectTransformConfig{Source: "ord.*.*", Destination: "ord.{{partition(" + strconv.Itoa(n) + ",1,2)}}.{{wildcard(1)}}.{{wildcard(2)}}"}
	}
	for _, n := range []int{4, 4, 6} { // the second call changes nothing, the third remaps
		s, err := streams.Ensure(ctx, js, jetstream.StreamConfig{Name: "ORD", Subjects: []string{"fired.>", "ord.*.*"}, SubjectTransform: tr(n)})
		if err != nil {
			t.Fatal(err)
		}
		c := s.CachedInfo().Config
		if c.MaxMsgs != 500 || !slices.Equal(c.Subjects, []string{"fired.>", "ord.*.*"}) || c.SubjectTransform == nil || *c.SubjectTransform != *tr(n) {
			t.Fatalf("partitions %d: config %+v, transform %+v", n, c, c.SubjectTransform)
		}
		partition := map[string]string{}
		for i := range 40 {
			conv := "conv-" + strconv.Itoa(i%10)
			ack, err := js.Publish(ctx, "ord.bot-1."+conv, nil)
			if err != nil {
				t.Fatal(err)
			}
			m, err := s.GetMsg(ctx, ack.Sequence)
			if err != nil {
				t.Fatal(err)
			}
			tok := strings.Split(m.Subject, ".")
			if len(tok) != 4 || tok[0] != "ord" || tok[2] != "bot-1" || tok[3] != conv {
				t.Fatalf("stored as %q", m.Subject)
			}
			if p, err := strconv.Atoi(tok[1]); err != nil || p < 0 || p >= n {
				t.Fatalf("partition %q of %d", tok[1], n)
			}
			if was, ok := partition[conv]; ok && was != tok[1] {
				t.Fatalf("%s stored in partitions %s and %s", conv, was, tok[1])
			}
			partition[conv] = tok[1]
		}
		if parts := len(slices.Compact(slices.Sorted(maps.Values(partition)))); parts < 2 {
			t.Errorf("partitions %d: 10 conversations all in %d partition", n, parts)
		}
	}
}
