package hostguard

import "slices"

// Breakers returns the breakers that are open and those that are
// half-open, by key (a host's own, or the key given to AcquireFor), each
// sorted (nothing when the breaker is off).
func (g *Guard) Breakers() (open, halfOpen []string) {
	if !g.breakerOn {
		return nil, nil
	}
	g.mu.Lock()
	now := g.clock.Now()
	for _, h := range g.hosts {
		g.advance(h, now)
		switch h.state {
		case StateOpen:
			open = append(open, h.name)
		case StateHalfOpen:
			halfOpen = append(halfOpen, h.name)
		}
	}
	g.mu.Unlock()
	slices.Sort(open)
	slices.Sort(halfOpen)
	return open, halfOpen
}
