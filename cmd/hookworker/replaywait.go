package main

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookworker/hookworker/internal/deadletter"
)

// replayedEvent is one replay to wait for.
type replayedEvent struct {
	letter *deadletter.Letter
	to     deadletter.Replayed
}

// replayOutcomes is what became of the replayed events.
type replayOutcomes struct {
	// Succeeded counts the events done without a new dead letter
	// (succeeded, or skipped by their condition).
	Succeeded int `json:"succeeded"`
	// Failed counts the events that failed again: back in the dead
	// letters.
	Failed int `json:"failed"`
	// Pending counts the events still running (or waiting for a retry)
	// when the wait ended.
	Pending int `json:"pending"`
	// FailedBy counts the failures by error class.
	FailedBy map[string]int  `json:"failed_by_class,omitempty"`
	Events   []replayOutcome `json:"events"`
}

type replayOutcome struct {
	EventID string `json:"event_id"`
	Replay  int    `json:"replay"`
	// Outcome is succeeded, failed or pending.
	Outcome string `json:"outcome"`
	Class   string `json:"class,omitempty"`
	// Seq is the new dead letter's, for a failure.
	Seq uint64 `json:"seq,omitempty"`
}

func (o *replayOutcomes) line() string {
	s := fmt.Sprintf("outcomes: %d succeeded, %d failed", o.Succeeded, o.Failed)
	if len(o.FailedBy) > 0 {
		var parts []string
		for _, c := range slices.Sorted(maps.Keys(o.FailedBy)) {
			parts = append(parts, fmt.Sprintf("%s %d", c, o.FailedBy[c]))
		}
		s += " (" + strings.Join(parts, ", ") + ")"
	}
	if o.Pending > 0 {
		s += fmt.Sprintf(", %d still running", o.Pending)
	}
	return s
}

// waitPoll is how often waitReplays looks at the replayed events.
var waitPoll = 200 * time.Millisecond

// waitReplays waits, up to timeout, until each replayed event is done: its
// trigger message is gone from the work-queue stream (a worker acked or
// terminated it). A failure leaves a new dead letter for the event and
// replay count (stored before the message is terminated); no letter means
// it succeeded or was skipped. Whatever reply subject the events carry,
// this needs no Result.
func (a *app) waitReplays(ctx context.Context, s *dlqSession, evs []replayedEvent, timeout time.Duration) *replayOutcomes {
	out := &replayOutcomes{FailedBy: map[string]int{}, Events: []replayOutcome{}}
	pending := slices.Clone(evs)
	streams := map[string]jetstream.Stream{}
	deadline := time.Now().Add(timeout)
	lastReport := time.Now()
	for len(pending) > 0 && time.Now().Before(deadline) && ctx.Err() == nil {
		var still []replayedEvent
		for _, e := range pending {
			st, ok := streams[e.to.Stream]
			if !ok {
				var err error
				if st, err = s.js.Stream(ctx, e.to.Stream); err != nil {
					still = append(still, e)
					continue
				}
				streams[e.to.Stream] = st
			}
			if _, err := st.GetMsg(ctx, e.to.Seq); !errors.Is(err, jetstream.ErrMsgNotFound) {
				still = append(still, e) // still there (or unknown yet)
				continue
			}
			out.record(ctx, s, e)
		}
		pending = still
		if len(pending) > 0 {
			if time.Since(lastReport) >= progressEvery {
				lastReport = time.Now()
				fmt.Fprintf(a.io.err, "waiting for %d of %d replayed events\n", len(pending), len(evs))
			}
			select {
			case <-ctx.Done():
			case <-time.After(waitPoll):
			}
		}
	}
	for _, e := range pending {
		out.Pending++
		out.Events = append(out.Events, replayOutcome{EventID: e.letter.EventID, Replay: e.to.N, Outcome: "pending"})
	}
	return out
}

// record looks for the dead letter a failure of e left.
func (o *replayOutcomes) record(ctx context.Context, s *dlqSession, e replayedEvent) {
	r := replayOutcome{EventID: e.letter.EventID, Replay: e.to.N, Outcome: "succeeded"}
	letters, err := s.store.List(ctx, deadletter.Filter{EventID: e.letter.EventID, BotID: e.letter.BotID})
	if err == nil {
		for _, l := range letters {
			if l.Replay == e.to.N {
				r.Outcome, r.Class, r.Seq = "failed", string(l.Error.Class), l.Seq
			}
		}
	}
	if r.Outcome == "failed" {
		o.Failed++
		o.FailedBy[r.Class]++
	} else {
		o.Succeeded++
	}
	o.Events = append(o.Events, r)
}
