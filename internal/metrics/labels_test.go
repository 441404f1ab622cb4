package metrics

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestWebhookAndFieldLabelsAreBounded: webhook ids and unknown field names
// come from bots' definitions and events: their labels are capped in count
// and length, whatever arrives.
func TestWebhookAndFieldLabelsAreBounded(t *testing.T) {
	m := New(Options{})
	long := strings.Repeat("é", 100) // 200 bytes
	for i := range MaxWebhooks + 50 {
		m.Completed(fmt.Sprintf("hook-%d", i), "succeeded", time.Millisecond, time.Second)
	}
	m.Completed(long, "failed", time.Millisecond, 0)
	if n := testutil.CollectAndCount(m.webhookResults); n != MaxWebhooks+2 { // other twice: succeeded, failed
		t.Errorf("%d webhook series, want %d and other", n, MaxWebhooks)
	}
	if got := testutil.ToFloat64(m.webhookResults.WithLabelValues(Other, "succeeded")); got != 50 {
		t.Errorf("other = %v, want 50", got)
	}
	if got := testutil.ToFloat64(m.webhookResults.WithLabelValues(Other, "failed")); got != 1 {
		t.Errorf("a new id over the cap: other{failed} = %v", got)
	}
	// The fired->Result histogram observed every event with a known
	// arrival (not the one with 0).
	if n := testutil.CollectAndCount(m.firedToResult); n != 1 {
		t.Errorf("%d fired_to_result series, want 1", n)
	}

	f := New(Options{})
	f.UnknownFields([]string{long, "tenant_id"}, 5)
	for i := range MaxUnknownFields + 10 {
		f.UnknownFields([]string{fmt.Sprintf("f%d", i)}, 1)
	}
	clipped := strings.Repeat("é", MaxLabelLen/2)
	for _, c := range []struct {
		field string
		want  float64
	}{{clipped, 1}, {"tenant_id", 1}, {Other, 3 + 12}} {
		if got := testutil.ToFloat64(f.unknownFields.WithLabelValues(c.field)); got != c.want {
			t.Errorf("unknown_fields{field=%q} = %v, want %v", c.field, got, c.want)
		}
	}
	if n := testutil.CollectAndCount(f.unknownFields); n != MaxUnknownFields+1 {
		t.Errorf("%d field series, want %d and other", n, MaxUnknownFields)
	}
}
