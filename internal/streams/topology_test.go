package streams_test

import (
	"context"
	"strings"
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookworker/hookworker/internal/config"
	"github.com/hookworker/hookworker/internal/jstest"
	"github.com/hookworker/hookworker/internal/streams"
)

// TestTopologyCreates: every stream, consumer and bucket of the topology
// can be created on a real server as given (the work-queue stream refuses
// consumers with overlapping filters, so the lanes' and the shared
// consumer's filters must not overlap), and has the settings the contract
// relies on.
func TestTopologyCreates(t *testing.T) {
	cfg := config.Default()
	cfg.Ordering.Partitions = 3
	top := streams.NewTopology(cfg)
	srv := jstest.Server(t)
	_, js := jstest.Connect(t, srv)
	ctx := context.Background()

	for _, sc := range []jetstream.StreamConfig{top.Trigger(), top.DeadLetters(), top.Advisories()} {
		if _, err := streams.Ensure(ctx, js, sc); err != nil {
			t.Fatalf("stream %s: %v", sc.Name, err)
		}
	}
	consumers := []jetstream.ConsumerConfig{top.Consumer()}
	for p := range top.Partitions() {
		consumers = append(consumers, top.Lane(p))
	}
	for _, cc := range consumers {
		c, err := js.CreateOrUpdateConsumer(ctx, cfg.Names.Stream, cc)
		if err != nil {
			t.Fatalf("consumer %s: %v", cc.Durable, err)
		}
		if got := c.CachedInfo().Config; got.AckWait != cfg.Worker.AckWait || got.MaxDeliver != cfg.Worker.MaxDeliver {
			t.Errorf("consumer %s: ack_wait %s, max_deliver %d", cc.Durable, got.AckWait, got.MaxDeliver)
		}
	}
	if _, err := js.CreateOrUpdateConsumer(ctx, cfg.Names.AdvisoryStream, top.Backstop()); err != nil {
		t.Fatalf("backstop: %v", err)
	}
	for _, kc := range []jetstream.KeyValueConfig{top.Attempts(), top.Webhooks()} {
		if _, err := streams.EnsureKeyValue(ctx, js, kc); err != nil {
			t.Fatalf("bucket %s: %v", kc.Bucket, err)
		}
	}

	trig := top.Trigger()
	if trig.Retention != jetstream.WorkQueuePolicy || trig.Duplicates == 0 {
		t.Errorf("trigger stream: retention %v, duplicates %s", trig.Retention, trig.Duplicates)
	}
	if len(consumers) != 4 || consumers[1].MaxAckPending != 1 || consumers[0].MaxAckPending != cfg.Worker.MaxAckPending {
		t.Errorf("lanes: %+v", consumers)
	}
	if got := top.AdvisorySubjects(); len(got) != 5 || !strings.HasSuffix(got[3], ".CONNECTIONS.hookworker-ordered-2") ||
		!strings.HasSuffix(got[4], ".CONNECTIONS_RETRY.hookworker-retry") {
		t.Errorf("advisory subjects %v", got)
	}
	if top.Webhooks().History != 64 || top.Attempts().TTL <= cfg.Retry.MaxAge {
		t.Errorf("buckets: history %d, attempts ttl %s", top.Webhooks().History, top.Attempts().TTL)
	}
}

// TestLaneCount reads back the lane count of the transform the topology
// writes, and tells a foreign transform from ours.
func TestLaneCount(t *testing.T) {
	cfg := config.Default()
	for _, parts := range []int{1, 8, 64} {
		cfg.Ordering.Partitions = parts
		top := streams.NewTopology(cfg)
		if n, foreign := top.LaneCount(top.OrderedTransform()); n != parts || foreign {
			t.Errorf("partitions %d: read %d, foreign %v", parts, n, foreign)
		}
	}
	top := streams.NewTopology(config.Default())
	for _, tt := range []struct {
		tr      *jetstream.SubjectTransformConfig
		n       int
		foreign bool
	}{
		{nil, 0, false},
		{&jetstream.SubjectTransformConfig{Source: "other.>", Destination: "x.>"}, 0, true},
		{&jetstream.SubjectTransformConfig{Source: "connections.ordered.*.*", Destination: "connections.ordered.{{partition(4,1,2)}}.{{wildcard(2)}}.{{wildcard(1)}}"}, 4, true},
	} {
		if n, foreign := top.LaneCount(tt.tr); n != tt.n || foreign != tt.foreign {
			t.Errorf("%+v: %d %v, want %d %v", tt.tr, n, foreign, tt.n, tt.foreign)
		}
	}
}

// TestObjects: every object, streams before the consumers on them, the
// webhook and secrets buckets only when configured.
func TestObjects(t *testing.T) {
	cfg := config.Default()
	cfg.Ordering.Partitions = 2
	var names []string
	for _, o := range streams.NewTopology(cfg).Objects() {
		names = append(names, o.String())
	}
	want := []string{"stream CONNECTIONS", "stream CONNECTIONS_DLQ", "stream CONNECTIONS_ADVISORIES",
		"consumer hookworker on CONNECTIONS", "consumer hookworker-ordered-0 on CONNECTIONS", "consumer hookworker-ordered-1 on CONNECTIONS",
		"consumer hookworker-backstop on CONNECTIONS_ADVISORIES", "stream CONNECTIONS_RETRY", "consumer hookworker-retry on CONNECTIONS_RETRY",
		"bucket hookworker-attempts", "bucket hookworker-webhooks", "bucket hookworker-secrets"}
	if strings.Join(names, "; ") != strings.Join(want, "; ") {
		t.Errorf("objects:\n%s\nwant\n%s", strings.Join(names, "\n"), strings.Join(want, "\n"))
	}
	cfg.Webhooks.Bucket, cfg.Secrets.Bucket = "", ""
	objs := streams.NewTopology(cfg).Objects()
	if last := objs[len(objs)-1]; last.Name != "hookworker-attempts" {
		t.Errorf("without webhook and secrets buckets the last object is %s", last)
	}
	for _, o := range objs {
		set := 0
		for _, p := range []bool{o.Stream != nil, o.Consumer != nil, o.Bucket != nil} {
			if p {
				set++
			}
		}
		if set != 1 {
			t.Errorf("%s: %d configurations set", o, set)
		}
	}
}
