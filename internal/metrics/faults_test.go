package metrics

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestFaultCounters(t *testing.T) {
	m := New(Options{})
	m.TopologyRecreated("consumer", "hookworker")
	m.TopologyRecreated("consumer", "hookworker")
	m.TopologyRecreated("stream", "CONNECTIONS")
	m.StaleDelivery()
	m.PullStalled()
	m.WriteRetried("in_process")
	m.BackstopGaveUp()
	f := m.faults
	for _, c := range []struct {
		name      string
		got, want float64
	}{
		{"consumer recreated", testutil.ToFloat64(f.recreated.WithLabelValues("consumer", "hookworker")), 2},
		{"stream recreated", testutil.ToFloat64(f.recreated.WithLabelValues("stream", "CONNECTIONS")), 1},
		{"stale", testutil.ToFloat64(f.stale), 1},
		{"pull stalls", testutil.ToFloat64(f.pullStalls), 1},
		{"in process", testutil.ToFloat64(f.writeRetry.WithLabelValues("in_process")), 1},
		{"storage", testutil.ToFloat64(f.writeRetry.WithLabelValues("storage")), 0},
		{"backstop", testutil.ToFloat64(f.backstopOff), 1},
	} {
		if c.got != c.want {
			t.Errorf("%s: %v, want %v", c.name, c.got, c.want)
		}
	}
	// The write retry kinds exist at 0 before the first.
	if n := testutil.CollectAndCount(f.writeRetry); n != 3 {
		t.Errorf("%d write retry series, want 3", n)
	}
}
