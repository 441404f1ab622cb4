package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/time/rate"

	"github.com/hookworker/hookworker/internal/deadletter"
)

// progressEvery is how often a replay reports progress on standard error.
var progressEvery = time.Second

// maxConsecutiveFailures stops a replay that keeps failing (NATS down, the
// trigger stream gone) instead of waiting out every letter.
const maxConsecutiveFailures = 10

type replayFlags struct {
	filter      filterFlags
	all         bool
	dryRun      bool
	rate        float64
	asJSON      bool
	wait        bool
	waitTimeout time.Duration
}

// replaySummary is what replay reports (--json prints it as it is).
type replaySummary struct {
	Selected int `json:"selected"`
	Replayed int `json:"replayed"`
	// Failed counts replays JetStream did not accept (the letter stays).
	Failed  int `json:"failed"`
	Skipped int `json:"skipped"`
	// Outcomes, with --wait: what became of the replayed events.
	Outcomes *replayOutcomes `json:"outcomes,omitempty"`
}

func (a *app) replayCmd() *cobra.Command {
	var rf replayFlags
	cmd := &cobra.Command{
		Use:   "replay",
		Short: "Re-publish dead letters to the trigger subjects",
		Long: `Re-publish the original event of every dead letter the filters select
(--since, --until, --bot, --webhook, --class, --id, --conversation; every
letter takes --all instead of filters) to connections.fired.<bot_id>,
oldest first, at most --rate events a second.

Each replay carries Hookworker-Replay: <n> (the event's replay count plus one)
and Nats-Msg-Id: <event id>-replay-<n>; its letter is deleted only once
JetStream has accepted it. Letters whose event cannot be replayed (it was
not JSON, or has no valid bot id) are reported and kept. Progress goes to
standard error; the summary to standard output. Exit status 1 when any
replay failed. --json prints the summary as JSON and changes nothing else
(with --dry-run: the selected letters).

--wait then waits (up to --wait-timeout) until every replayed event is done
and reports how many succeeded (or were skipped) and how many failed again
(back in the dead letters, with their class): exit status 3 when any failed
again, 1 when some were still running at the timeout.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.replay(cmd.Context(), rf) },
	}
	rf.filter.register(cmd.Flags())
	cmd.Flags().BoolVar(&rf.dryRun, "dry-run", false, "list what would be replayed; change nothing")
	cmd.Flags().Float64Var(&rf.rate, "rate", 50, "events per second (0: unlimited)")
	cmd.Flags().BoolVar(&rf.asJSON, "json", false, "print the summary (with --dry-run: the letters) as JSON")
	cmd.Flags().BoolVar(&rf.all, "all", false, "replay every dead letter (required when no filter is given)")
	cmd.Flags().BoolVar(&rf.wait, "wait", false, "wait for the replayed events' outcomes and report them")
	cmd.Flags().DurationVar(&rf.waitTimeout, "wait-timeout", 5*time.Minute, "with --wait, how long to wait")
	return cmd
}

func (a *app) replay(ctx context.Context, rf replayFlags) error {
	if rf.rate < 0 || math.IsNaN(rf.rate) || math.IsInf(rf.rate, 0) {
		return fmt.Errorf("--rate %v: want events per second, or 0 for unlimited", rf.rate)
	}
	switch {
	case rf.filter.empty() && !rf.all && !rf.dryRun:
		return usageError(errors.New("replay without filters would re-publish every dead letter: add --all, or filters (--since, --until, --bot, --webhook, --class, --id, --conversation); --dry-run shows the selection"))
	case !rf.filter.empty() && rf.all:
		return usageError(errors.New("--all cannot be combined with filters"))
	case rf.wait && rf.dryRun:
		return usageError(errors.New("--wait waits for replays: it cannot be combined with --dry-run"))
	}
	f, err := rf.filter.filter(time.Now())
	if err != nil {
		return err
	}
	s, err := a.openDLQ("hookworker-replay")
	if err != nil {
		return err
	}
	defer s.Close()
	letters, err := s.list(ctx, f)
	if err != nil {
		return err
	}
	var todo, skip []*deadletter.Letter
	for _, l := range letters {
		if l.Replayable() != nil {
			skip = append(skip, l)
		} else {
			todo = append(todo, l)
		}
	}
	if rf.dryRun {
		if rf.asJSON {
			return writeLettersJSON(a.io.out, letters)
		}
		if len(letters) > 0 {
			if err := writeLetterTable(a.io.out, letters); err != nil {
				return err
			}
		}
		for _, l := range skip {
			fmt.Fprintf(a.io.out, "not replayable: seq %d: %v\n", l.Seq, l.Replayable())
		}
		_, err := fmt.Fprintf(a.io.out, "would replay %d dead letter%s, skip %d\n", len(todo), plural(len(todo)), len(skip))
		return err
	}
	for _, l := range skip {
		fmt.Fprintf(a.io.err, "skipped seq %d: %v\n", l.Seq, l.Replayable())
	}
	sum := replaySummary{Selected: len(letters), Skipped: len(skip)}
	var done []replayedEvent

	var limiter *rate.Limiter
	if rf.rate > 0 {
		limiter = rate.NewLimiter(rate.Limit(rf.rate), 1)
	}
	start := time.Now()
	lastReport := start
	replayed, failed, consecutive := 0, 0, 0
	var stopErr error
	for i, l := range todo {
		if limiter != nil {
			if err := limiter.Wait(ctx); err != nil {
				stopErr = fmt.Errorf("stopped after %d of %d: %w", i, len(todo), err)
				break
			}
		} else if ctx.Err() != nil {
			stopErr = fmt.Errorf("stopped after %d of %d: %w", i, len(todo), context.Cause(ctx))
			break
		}
		r, err := s.store.ReplayAck(ctx, l)
		if r.N > 0 {
			done = append(done, replayedEvent{letter: l, to: r})
		}
		if err != nil {
			failed++
			consecutive++
			fmt.Fprintf(a.io.err, "replay seq %d (event %s): %v\n", l.Seq, l.EventID, err)
			if consecutive >= maxConsecutiveFailures && i+1 < len(todo) {
				stopErr = fmt.Errorf("stopped after %d consecutive failures, %d of %d done", consecutive, i+1, len(todo))
				break
			}
		} else {
			replayed++
			consecutive = 0
		}
		if now := time.Now(); now.Sub(lastReport) >= progressEvery && i+1 < len(todo) {
			lastReport = now
			perSec := float64(i+1) / now.Sub(start).Seconds()
			line := fmt.Sprintf("replayed %d/%d (%.0f/s)", i+1, len(todo), perSec)
			if failed > 0 {
				line += fmt.Sprintf(", %d failed", failed)
			}
			fmt.Fprintln(a.io.err, line)
		}
	}
	sum.Replayed, sum.Failed = replayed, failed
	summary := fmt.Sprintf("replayed %d, failed %d", replayed, failed)
	if len(skip) > 0 {
		summary += fmt.Sprintf(", skipped %d not replayable", len(skip))
	}
	if rf.wait && stopErr == nil {
		sum.Outcomes = a.waitReplays(ctx, s, done, rf.waitTimeout)
	}
	if rf.asJSON {
		if err := writeJSON(a.io.out, sum); err != nil {
			return err
		}
	} else {
		fmt.Fprintln(a.io.out, summary)
		if o := sum.Outcomes; o != nil {
			fmt.Fprintln(a.io.out, o.line())
		}
	}
	switch {
	case stopErr != nil:
		return stopErr
	case failed > 0:
		return errors.New(summary)
	case sum.Outcomes != nil && sum.Outcomes.Failed > 0:
		return &exitError{code: exitFailedResult, err: errors.New(sum.Outcomes.line())}
	case sum.Outcomes != nil && sum.Outcomes.Pending > 0:
		return errors.New(sum.Outcomes.line())
	}
	return nil
}
