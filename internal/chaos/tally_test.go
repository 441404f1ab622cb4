package chaos

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookworker/hookworker/trigger"
)

func streamInfo(ctx context.Context, js jetstream.JetStream, name string) (*jetstream.StreamInfo, error) {
	s, err := js.Stream(ctx, name)
	if err != nil {
		return nil, err
	}
	return s.Info(ctx)
}

// stored is one message read back from a stream.
type stored struct {
	subject string
	data    []byte
	at      time.Time // the server's timestamp
}

// readStream returns every message of stream, oldest first. A read that
// fails (a cluster node still recovering answers "no responders") is
// started again, for up to 30s.
func readStream(t *testing.T, c *client, stream string) []stored {
	t.Helper()
	var out []stored
	err := retry(30*time.Second, func(context.Context) error {
		var err error
		out, err = readOnce(c, stream)
		return err
	})
	if err != nil {
		t.Fatalf("read %s: %v", stream, err)
	}
	return out
}

func readOnce(c *client, stream string) ([]stored, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	oc, err := c.js.OrderedConsumer(ctx, stream, jetstream.OrderedConsumerConfig{})
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	info, err := oc.Info(ctx)
	if err != nil {
		return nil, err
	}
	var out []stored
	for want := int(info.NumPending); len(out) < want; {
		batch, err := oc.Fetch(min(want-len(out), 500), jetstream.FetchMaxWait(5*time.Second))
		if err != nil {
			return nil, err
		}
		k := 0
		for m := range batch.Messages() {
			k++
			st := stored{subject: m.Subject(), data: m.Data()}
			if meta, err := m.Metadata(); err == nil {
				st.at = meta.Timestamp
			}
			out = append(out, st)
		}
		if err := batch.Error(); err != nil && !errors.Is(err, nats.ErrTimeout) {
			return nil, err
		}
		if k == 0 {
			return nil, fmt.Errorf("%d of %d messages read", len(out), want)
		}
	}
	return out, nil
}

// expect says how the events of a row may end.
type expect struct {
	// failClass, if set, gives the class an event id must fail with (a
	// poison event); every other event must succeed unless mayFail.
	failClass map[string]string
	// mayFail lets ordinary events fail for good (a target that is down
	// past the retry budget): they then need their dead letter.
	mayFail bool
	// mayFailAs lets an event id succeed or fail with the given class.
	mayFailAs map[string]string
}

// account checks the promise of a row for the stored ids (what the
// publisher got a PubAck for) and returns succeeded, dead-lettered and
// lost counts.
func (tl *tally) account(t *testing.T, ids map[string]time.Time, e expect) (succeeded, dead, lost int) {
	t.Helper()
	var lostIDs, twice, wrong []string
	for id := range ids {
		o := tl.byID[id]
		want := e.failClass[id]
		switch {
		case o == nil || o.results == 0:
			lost++
			lostIDs = append(lostIDs, id)
			continue
		case o.results > 1:
			twice = append(twice, fmt.Sprintf("%s×%d", id, o.results))
		}
		switch o.status {
		case string(trigger.StatusSucceeded):
			succeeded++
			if o.letters > 0 {
				wrong = append(wrong, id+": succeeded and dead-lettered")
			}
			if want != "" {
				wrong = append(wrong, fmt.Sprintf("%s: succeeded, want failed with %s", id, want))
			}
		case string(trigger.StatusFailed):
			if o.letters == 0 {
				lost++
				lostIDs = append(lostIDs, id+" (failed Result, no dead letter)")
				continue
			}
			dead++
			switch {
			case want != "" && o.class != want:
				wrong = append(wrong, fmt.Sprintf("%s: failed with %s (letter %s), want %s", id, o.class, o.dlqClass, want))
			case want == "" && e.mayFailAs[id] != "" && o.class != e.mayFailAs[id]:
				wrong = append(wrong, fmt.Sprintf("%s: failed with %s, want succeeded or %s", id, o.class, e.mayFailAs[id]))
			case want == "" && !e.mayFail && e.mayFailAs[id] == "":
				wrong = append(wrong, fmt.Sprintf("%s: failed with %s, want succeeded", id, o.class))
			}
		default:
			wrong = append(wrong, fmt.Sprintf("%s: %s", id, o.status))
		}
	}
	sort.Strings(lostIDs)
	sort.Strings(wrong)
	if lost > 0 {
		t.Errorf("%d of %d events lost (no terminal outcome): %s", lost, len(ids), firstOf(lostIDs, 10))
	}
	if len(twice) > 0 {
		t.Errorf("%d events with more than one stored Result: %s", len(twice), firstOf(twice, 10))
	}
	if len(wrong) > 0 {
		t.Errorf("%d events ended wrongly: %s", len(wrong), firstOf(wrong, 10))
	}
	if succeeded+dead != len(ids) {
		t.Errorf("published %d != succeeded %d + dead-lettered %d", len(ids), succeeded, dead)
	}
	return succeeded, dead, lost
}

// duplicates is the number of extra executions at the target: Σ (n-1)
// over event ids executed n > 1 times.
func duplicates(tg *target) (extra, keys int) {
	for _, n := range tg.executions() {
		if n > 1 {
			extra += n - 1
			keys++
		}
	}
	return extra, keys
}

// healedBy is how long after instant at the last event stored before at
// completed (0 if all had completed by then).
func (tl *tally) healedBy(ids map[string]time.Time, at time.Time) time.Duration {
	var worst time.Duration
	for id, stored := range ids {
		if o := tl.byID[id]; o != nil && stored.Before(at) && o.completed.Sub(at) > worst {
			worst = o.completed.Sub(at)
		}
	}
	return worst
}

// firstAfter is how long after instant at the first event completed that
// was stored after at.
func (tl *tally) firstAfter(ids map[string]time.Time, at time.Time) time.Duration {
	var first time.Time
	for id, stored := range ids {
		if o := tl.byID[id]; o != nil && stored.After(at) && (first.IsZero() || o.completed.Before(first)) {
			first = o.completed
		}
	}
	if first.IsZero() {
		return -1
	}
	return first.Sub(at)
}

func firstOf(s []string, n int) string {
	if len(s) > n {
		return strings.Join(s[:n], ", ") + ", …"
	}
	return strings.Join(s, ", ")
}

// checkHealthy requires every worker to be alive and ready at the end of
// a row: the fleet recovered without a restart. A write fault the worker
// saw (the store full, a stream or bucket briefly gone) holds its
// readiness until a write of the same kind succeeds, or for 15 s
// (worker/health.go faultMemory): hence the long wait. It returns the
// longest wait.
func checkHealthy(t *testing.T, ws ...*worker) time.Duration {
	t.Helper()
	var worst time.Duration
	for _, w := range ws {
		if !w.alive() {
			t.Errorf("worker %s exited (%v): it should have recovered by itself", w.name, w.err)
			continue
		}
		_, before := w.ready()
		if d := w.waitReady(t, 75*time.Second); d > 5*time.Second {
			t.Logf("%s took %s to be ready again after the row; it said %q", w.name, d.Round(100*time.Millisecond), before)
			worst = max(worst, d)
		}
	}
	return worst
}
