package metrics

import (
	"context"
	"errors"
	"sync"
)

// Readiness is what /readyz reports while a process comes up and runs: a
// reason of its own before there is anything to ask (the ops listener
// starts before NATS is reached: "connecting to NATS …"), then the answer
// of the ReadyFunc it is given (the worker's). Its methods are safe for
// concurrent use; the zero value is not ready ("starting").
type Readiness struct {
	mu     sync.Mutex
	reason string
	check  ReadyFunc
}

// NotReady makes Ready answer reason until Use is called.
func (r *Readiness) NotReady(reason string) {
	r.mu.Lock()
	r.reason, r.check = reason, nil
	r.mu.Unlock()
}

// Use makes Ready ask f from now on.
func (r *Readiness) Use(f ReadyFunc) {
	r.mu.Lock()
	r.check = f
	r.mu.Unlock()
}

// Ready is the ReadyFunc to serve.
func (r *Readiness) Ready(ctx context.Context) error {
	r.mu.Lock()
	check, reason := r.check, r.reason
	r.mu.Unlock()
	if check != nil {
		return check(ctx)
	}
	if reason == "" {
		reason = "starting"
	}
	return errors.New(reason)
}
