package api

import "github.com/nats-io/nats.go/micro"

// status is this process's state, with empty lists rather than null.
func (s *Service) status() InstanceStatus {
	st := InstanceStatus{InFlight: -1}
	if s.deps.Status != nil {
		st = s.deps.Status()
	}
	if st.BreakersOpen == nil {
		st.BreakersOpen = []string{}
	}
	if st.BreakersHalfOpen == nil {
		st.BreakersHalfOpen = []string{}
	}
	return st
}

func (s *Service) handleStatus(req micro.Request) {
	respondJSON(req, StatusReply{ID: s.ID(), InstanceStatus: s.status()})
}
