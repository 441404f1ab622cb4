package worker

import "sync"

// compiledCache keeps compiled definitions by pointer: the registry's,
// and inline ones, which the trigger decoder shares between events with the
// same webhook text, so an inline webhook that comes with every event is
// compiled once. It is emptied when it reaches max entries.
type compiledCache struct {
	mu  sync.RWMutex
	m   map[any]*compiled
	max int
}

func newCompiledCache(max int) *compiledCache {
	return &compiledCache{m: make(map[any]*compiled), max: max}
}

func (c *compiledCache) get(key any) (*compiled, bool) {
	c.mu.RLock()
	v, ok := c.m[key]
	c.mu.RUnlock()
	return v, ok
}

func (c *compiledCache) put(key any, v *compiled) {
	c.mu.Lock()
	if len(c.m) >= c.max {
		c.m = make(map[any]*compiled)
	}
	c.m[key] = v
	c.mu.Unlock()
}
