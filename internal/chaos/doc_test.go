// Package chaos is the chaos suite: real `hookworker run` processes against
// real nats-server processes (one, restarted, or a 3-node cluster) and
// loopback HTTP targets in the test process, with faults staged while
// events flow: SIGKILL, SIGSTOP, SIGTERM, server crashes, a leader and then
// a quorum lost, flapping and hanging targets, poison events, deleted
// streams, consumers and buckets, a full store, a worker started before
// NATS. Run it with
//
//	go test ./internal/chaos -run Chaos -v
//
// The promise of every row (one test each): every event whose publish was
// acknowledged ends with exactly one terminal outcome, a succeeded Result
// or a dead letter with its failed Result (published = succeeded +
// dead-lettered, 0 lost); the webhook requests sent twice for one event id
// are bounded by what the faulted process had on the wire at the fault;
// and the fleet recovers without any worker being restarted (a SIGKILLed
// worker aside). Each row records its figures (events, lost, duplicates,
// time to heal); the suite prints them as a table at the end (and writes
// it as Markdown to $HOOKWORKER_CHAOS_TABLE when set), the table kept in
// docs/operations.md ("Chaos suite").
//
// The binaries are built once per test binary: hookworker from this
// module, nats-server from the module cache (it is a dependency of this
// module, so no network is needed). The processes spawned are not race
// builds; the test process is under -race in CI.
package chaos

import (
	"flag"
	"fmt"
	"os"
	"testing"
)

// parallel is how many rows run at once unless -test.parallel is given:
// rows mostly wait (for ack_wait, an outage, a watchdog), so more than
// the 2 cores' worth share the machine well.
const parallel = "4"

func TestMain(m *testing.M) {
	flag.Parse()
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "test.parallel" })
	if !set {
		_ = flag.Set("test.parallel", parallel)
	}
	code := m.Run()
	if table := figures.markdown(); table != "" {
		fmt.Println("chaos suite figures:")
		fmt.Print(table)
		if path := os.Getenv("HOOKWORKER_CHAOS_TABLE"); path != "" {
			if err := os.WriteFile(path, []byte(table), 0o644); err != nil {
				fmt.Fprintln(os.Stderr, "chaos: write table:", err)
			}
		}
	}
	cleanupBinaries()
	os.Exit(code)
}
