package hostguard

import "slices"

// Breakers returns the hosts whose circuit breaker is open and those whose
// breaker is half-open, each sorted (nothing when the breaker is off).
func (g *Guard) Breakers() (open, halfOpen []string) {
	if !g.breakerOn {
		return nil, nil
	}
	g.mu.Lock()
	now := g.clock.Now()
	for name, h := range g.hosts {
		g.advance(h, now)
		switch h.state {
		case StateOpen:
			open = append(open, name)
		case StateHalfOpen:
			halfOpen = append(halfOpen, name)
		}
	}
	g.mu.Unlock()
	slices.Sort(open)
	slices.Sort(halfOpen)
	return open, halfOpen
}
