package chaos

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestChaosDeleteBuckets: every KV bucket of hookworker is deleted under
// load, while a flapping target makes events keep attempt histories.
// The watchdog recreates them; no event is lost.
func TestChaosDeleteBuckets(t *testing.T) {
	t.Parallel()
	nd := startNATS(t, natsOptions{})
	g := newRig(t, nd.url(), 1, 10*time.Millisecond)
	g.worker("w1")
	g.worker("w2")
	g.tg.setFailure(0.3)
	n := scale(900)
	pub := publish(t, g.c, okEvents("delkv", n, g.tg.url()), 150)
	pub.waitCount(t, n/3, 60*time.Second)
	var buckets []string
	if err := retry(10*time.Second, func(ctx context.Context) error {
		buckets = buckets[:0]
		names := g.c.js.KeyValueStoreNames(ctx)
		for name := range names.Name() {
			if strings.HasPrefix(name, "hookworker-") {
				buckets = append(buckets, name)
			}
		}
		return names.Error()
	}); err != nil || len(buckets) == 0 {
		t.Fatalf("list buckets: %v (%v)", buckets, err)
	}
	del := time.Now()
	g.zero = del
	for _, b := range buckets {
		if err := retry(10*time.Second, func(ctx context.Context) error { return g.c.js.DeleteKeyValue(ctx, b) }); err != nil {
			t.Fatalf("delete bucket %s: %v", b, err)
		}
	}
	back := waitFor(t, fmt.Sprintf("buckets %v recreated", buckets), 40*time.Second, func(ctx context.Context) bool {
		for _, b := range buckets {
			if _, err := g.c.js.KeyValue(ctx, b); err != nil {
				return false
			}
		}
		return true
	})
	pub.waitCount(t, 2*n/3, 60*time.Second)
	g.tg.setFailure(0)
	tl, ids := g.finish(pub, expect{mayFail: true}, 60*time.Second)
	g.r.heal = max(back.Sub(del), tl.healedBy(ids, del))
	g.checkDups()
	g.r.note = fmt.Sprintf("2 workers, 150 events/s, target failing 30%%; buckets %v deleted, all recreated after %s", buckets, back.Sub(del).Round(100*time.Millisecond))
}
