package worker

import (
	"testing"

	"github.com/jonboulle/clockwork"
	"github.com/nats-io/nats.go"

	"github.com/hookworker/hookworker/internal/config"
	"github.com/hookworker/hookworker/internal/streams"
	"github.com/hookworker/hookworker/trigger"
)

// TestNewJobOfDueRetry: a due retry is its origin's event: the same bot
// (so it counts against that bot's share and its Result is that bot's)
// and, for a replay, the same replay count; a replay header on a subject
// that is not a replay one still counts for nothing.
func TestNewJobOfDueRetry(t *testing.T) {
	cfg := config.Default()
	w := &Worker{cfg: cfg, clock: clockwork.NewFakeClock(), topo: streams.NewTopology(cfg), tenancy: tenancyOf(cfg)}
	replayHdr := nats.Header{}
	replayHdr.Set(trigger.HeaderReplay, "3")
	for _, tc := range []struct {
		subject string
		hdr     nats.Header
		bot     string
		replay  int
		retried bool
	}{
		{"connections.fired.bot-a", nil, "bot-a", 0, false},
		{"connections.fired.bot-a", replayHdr, "bot-a", 0, false},
		{"connections.replay.bot-a", replayHdr, "bot-a", 3, false},
		{w.topo.RetryDueSubject("k1", "connections.fired.bot-a"), nil, "bot-a", 0, true},
		{w.topo.RetryDueSubject("k2", "connections.replay.bot-b"), replayHdr, "bot-b", 3, true},
		{w.topo.RetryDueSubject("k3", "connections.fired.bot-c"), replayHdr, "bot-c", 0, true},
		{"connections.retry.due.k4", nil, "", 0, false},
	} {
		j := w.newJob([]byte(`{}`), tc.hdr, tc.subject, nil)
		if j.bot != tc.bot || j.replay != tc.replay || j.retried != tc.retried {
			t.Errorf("%s: bot %q replay %d retried %v, want %q %d %v", tc.subject, j.bot, j.replay, j.retried, tc.bot, tc.replay, tc.retried)
		}
	}
}
