package worker

import (
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
}

// copyKey is one stored message: its stream, sequence and store time (a
// stream deleted and recreated numbers its messages from 1 again).
type copyKey struct {
	stream string
	seq    uint64
	stored int64 // unix ns
}

// copiesDone bounds the settled messages remembered: far more than a
// process holds within any AckWait.
const copiesDone = 1 << 16

func newCopies() *copies {
	done, _ := lru.New[copyKey, struct{}](copiesDone)
	return &copies{running: map[copyKey]struct{}{}, done: done}
}

// copyState is what begin found.
type copyState int

const (
	copyNew     copyState = iota // run it
	copyRunning                  // another copy runs here: its settling settles this one
	copyDone                     // settled for good here already
)

// begin registers k as running unless a copy of it runs or was settled.
func (c *copies) begin(k copyKey) copyState {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.running[k]; ok {
		return copyRunning
	}
	if c.done.Contains(k) {
		return copyDone
	}
	c.running[k] = struct{}{}
	return copyNew
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
