package chaos

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// row is the figures of one chaos row.
type row struct {
	name      string
	events    int // stored (acknowledged) events
	succeeded int
	dead      int // dead-lettered
	lost      int
	dups      int // extra executions at the target
	bound     int // what was on the wire at the faults
	heal      time.Duration
	took      time.Duration
	failed    bool
	note      string
	// readyLate is how long a worker's /readyz took to say 200 again
	// after the events settled, when over 5s.
	readyLate time.Duration
}

// table collects the rows of a test binary's run.
type table struct {
	mu   sync.Mutex
	rows []row
}

var figures table

// record adds r to the table once the test has ended (so that failed
// reflects the whole test) and logs it.
func record(t *testing.T, r *row) {
	t.Helper()
	start := time.Now()
	t.Cleanup(func() {
		r.failed = t.Failed()
		r.took = time.Since(start)
		if r.name == "" {
			r.name = t.Name()
		}
		t.Logf("figures: events %d, succeeded %d, dead-lettered %d, lost %d, duplicates %d (bound %d), heal %s; %s",
			r.events, r.succeeded, r.dead, r.lost, r.dups, r.bound, r.heal.Round(10*time.Millisecond), r.note)
		figures.mu.Lock()
		figures.rows = append(figures.rows, *r)
		figures.mu.Unlock()
	})
}

// markdown is the table in the form docs/operations.md keeps.
func (tb *table) markdown() string {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	if len(tb.rows) == 0 {
		return ""
	}
	rows := append([]row(nil), tb.rows...)
	sort.Slice(rows, func(i, j int) bool { return rows[i].name < rows[j].name })
	var b strings.Builder
	b.WriteString("| row | events | succeeded | dead-lettered | lost | duplicates (bound) | time to heal | row took | result | notes |\n")
	b.WriteString("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |\n")
	for _, r := range rows {
		res := "pass"
		if r.failed {
			res = "**FAIL**"
		}
		if r.readyLate > 0 {
			r.note += fmt.Sprintf("; /readyz 200 again only %s after the events settled", r.readyLate.Round(time.Second))
		}
		fmt.Fprintf(&b, "| %s | %d | %d | %d | %d | %d (%d) | %s | %s | %s | %s |\n",
			strings.TrimPrefix(r.name, "TestChaos"), r.events, r.succeeded, r.dead, r.lost, r.dups, r.bound,
			r.heal.Round(100*time.Millisecond), r.took.Round(time.Second), res, r.note)
	}
	return b.String()
}
