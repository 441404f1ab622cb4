package worker

import (
	"strings"
	"sync"

	lru "github.com/hashicorp/golang-lru/v2"
)

// copies knows which stream messages this process is running or has
// settled for good, so that a second copy of one it holds is not run
// again. Copies arise when a message waits in the client's pull buffer
// (its AckWait already running, no heartbeat yet) long enough for the
// server to deliver it again: both copies reach this process, and
// neither the stale-delivery guard (it counts from the hand-off to the
// pool) nor the server (an ack or heartbeat of any delivery counts for
// the message) can tell them apart.
type copies struct {
	mu      sync.Mutex
	running map[copyKey]struct{}
	done    *lru.Cache[copyKey, struct{}]
	names   map[string]string // interned stream names
}

// copyKey is one stored message: its stream, sequence and store time (a
// stream deleted and recreated numbers its messages from 1 again).
type copyKey struct {
	stream string
	seq    uint64
	stored int64 // unix ns
}

// copiesDone bounds the settled messages remembered. A second copy comes
// from the server ack_wait after the first was delivered, while the first
// waited in the client's buffer; it reaches the pool about one buffer's
// wait after the first settled, that is within the pull batch plus the
// pool (a few hundred messages) settled in between: 4,096 is well beyond,
// and small (the worker's GC target multiplies the live heap: 65,536
// entries cost ~70 MB of RSS in the bench's backlog phase).
const copiesDone = 4096

func newCopies() *copies {
	done, _ := lru.New[copyKey, struct{}](copiesDone)
	return &copies{running: map[copyKey]struct{}{}, done: done, names: map[string]string{}}
}

// copyState is what begin found.
type copyState int

const (
	copyNew     copyState = iota // run it
	copyRunning                  // another copy runs here: its settling settles this one
	copyDone                     // settled for good here already
)

// begin registers the message (stream, seq, stored: its store time in
// unix ns) as running unless a copy of it runs or was settled, and
// returns its key for end. The stream name is interned: a metadata field
// is a slice of the message's whole reply subject.
func (c *copies) begin(stream string, seq uint64, stored int64) (copyKey, copyState) {
	c.mu.Lock()
	defer c.mu.Unlock()
	name, ok := c.names[stream]
	if !ok {
		if len(c.names) >= 64 {
			clear(c.names)
		}
		name = strings.Clone(stream)
		c.names[name] = name
	}
	k := copyKey{name, seq, stored}
	if _, ok := c.running[k]; ok {
		return k, copyRunning
	}
	if c.done.Contains(k) {
		return k, copyDone
	}
	c.running[k] = struct{}{}
	return k, copyNew
}

// end unregisters k; final: it was acknowledged or terminated (not
// handed back, which brings it here again legitimately).
func (c *copies) end(k copyKey, final bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.running, k)
	if final {
		c.done.Add(k, struct{}{})
	}
}
