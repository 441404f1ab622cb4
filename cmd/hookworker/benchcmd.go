package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/hookworker/hookworker/internal/bench"
	"github.com/hookworker/hookworker/internal/bench/baseline"
)

func (a *app) benchCmd() *cobra.Command {
	o := bench.DefaultOptions()
	var (
		asJSON     bool
		cpuProfile string
	)
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure hookworker against this machine's raw JetStream and HTTP limits",
		Long: `Start an embedded JetStream server and a local keep-alive HTTP target in this
process, start the worker under test as a separate process (this binary, or
--worker-bin, running "run --nats-url <url>"), and measure side by side:

  (a) raw JetStream: N messages the size of the events published, consumed
      and acked with the worker's concurrency;
  (b) raw HTTP: N keep-alive POSTs of the worker's body to the same target,
      with the same concurrency;
  (c) hookworker: N events fired as a burst, N Results back, each checked.

The event is the realistic preset (an inline webhook POSTing a ~300-byte
body with nested lookups and five CVars, two mappers, reply_to a fresh
inbox per event, Nats-Msg-Id the event id); --preset heavy adds a
condition, a loop over 10 items and several filters; --event FILE fires
any other (the target answers with the file's response and the Results
are checked against its want.cvars).

Each burst runs --bursts times and the median is reported, with hookworker's
ratio to the composite limit 1/(1/a+1/b) (quote the ratio: absolute rates
drift with the machine), the worker's CPU time per event and its peak RSS.
Then events are fired at --rate for --duration and the fired->Result and
fired->target latency percentiles are reported. Everything runs on loopback
and is removed afterwards; the worker's HOOKWORKER_* settings come from the
bench (use --worker-env to add some); --config and --nats-url are not used.
Progress goes to standard error.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.WorkerBin == "" {
				exe, err := os.Executable()
				if err != nil {
					return fmt.Errorf("worker binary: %w (give --worker-bin)", err)
				}
				o.WorkerBin = exe
			}
			o.Log = a.io.err
			if cpuProfile != "" {
				// The bench process's own profile: server, target,
				// publisher and checker (the worker has ops.pprof).
				f, err := os.Create(cpuProfile)
				if err != nil {
					return fmt.Errorf("cpu profile: %w", err)
				}
				defer f.Close()
				if err := pprof.StartCPUProfile(f); err != nil {
					return fmt.Errorf("cpu profile: %w", err)
				}
				defer pprof.StopCPUProfile()
			}
			rep, err := bench.Run(cmd.Context(), o)
			if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(a.io.out)
				enc.SetIndent("", "  ")
				return enc.Encode(rep)
			}
			return rep.WriteText(a.io.out)
		},
	}
	f := cmd.Flags()
	f.IntVarP(&o.Events, "events", "n", o.Events, "events (and raw messages and requests) per burst")
	f.IntVar(&o.Concurrency, "concurrency", o.Concurrency, "the worker's concurrency, also used by the raw consumer and HTTP client")
	f.IntVar(&o.MaxAckPending, "max-ack-pending", 0, "MaxAckPending of the worker's and the raw consumer (default the worker's default, at least --concurrency)")
	f.IntVar(&o.Bursts, "bursts", o.Bursts, "how many times each burst runs; the median is reported")
	f.Float64Var(&o.Rate, "rate", o.Rate, "events/s of the paced latency phase (0: half the burst rate)")
	f.BoolVar(&o.HalfRate, "half-rate", false, "add a second paced phase at half the burst rate")
	f.DurationVar(&o.Duration, "duration", o.Duration, "length of the paced latency phase")
	f.StringVar(&o.WorkerBin, "worker-bin", "", "hookworker binary to run as the worker (default this executable)")
	f.StringArrayVar(&o.WorkerEnv, "worker-env", nil, "KEY=VALUE for the worker's environment, e.g. HOOKWORKER_PULL_EXPIRY=2s (repeatable)")
	f.IntVar(&o.Backlog, "backlog", 0, "after the other phases, store this many events with the worker stopped and measure a fresh worker's peak RSS while it drains them (0: skip)")
	f.StringVar(&o.Preset, "preset", "", "the event fired: "+strings.Join(bench.Presets, " or ")+" (default "+bench.Presets[0]+")")
	f.StringVar(&o.EventFile, "event", "", "fire this event instead of a preset: a JSON file {\"event\", \"response\", \"want\"} as internal/bench/presets/*.json")
	f.IntVar(&o.ProfileSeconds, "profile-seconds", 0, "window of the profile phase, a burst during which the worker's CPU profile is attributed to an event's phases (default 3; -1: skip)")
	f.StringVar(&o.ProfileOut, "worker-profile", "", "write the worker's CPU profile of the profile phase to this file (go tool pprof)")
	f.IntVar(&o.Bots, "bots", 8, "spread the events over this many bots in turn (1: the preset's bot alone, which meets the worker's per-bot share of the pool, worker.bot_share)")
	f.IntVar(&o.Workers, "workers", 1, "worker processes sharing the consumer (scale-out)")
	f.IntVar(&o.Cluster, "cluster", 0, "run a cluster of this many JetStream servers on loopback (streams replicated as many times), the workers connected to its nodes in turn (0: one server)")
	f.BoolVar(&o.NoBaseline, "no-baseline", false, "skip the baseline worker's bursts")
	f.StringVar(&o.BaselineProfileOut, "baseline-profile", "", "write the baseline worker's CPU profile (the whole run) to this file")
	f.BoolVar(&asJSON, "json", false, "print the figures as JSON")
	f.StringVar(&cpuProfile, "cpuprofile", "", "write this process's CPU profile (server, target, publisher, checker) to the file")
	cmd.AddCommand(baselineWorkerCmd())
	return cmd
}

// baselineWorkerCmd is the bench's baseline worker (package baseline),
// run by the bench in a process of its own; hidden.
func baselineWorkerCmd() *cobra.Command {
	var o baseline.Options
	var cpuProfile string
	cmd := &cobra.Command{
		Use:    "baseline-worker",
		Short:  "The bench's baseline worker (run by hookworker bench)",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			if cpuProfile != "" {
				f, err := os.Create(cpuProfile)
				if err != nil {
					return fmt.Errorf("cpu profile: %w", err)
				}
				defer f.Close()
				if err := pprof.StartCPUProfile(f); err != nil {
					return fmt.Errorf("cpu profile: %w", err)
				}
				defer pprof.StopCPUProfile()
			}
			return baseline.Run(ctx, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.URL, "nats-url", "", "NATS server")
	f.StringVar(&o.Stream, "stream", "", "stream")
	f.StringVar(&o.Consumer, "consumer", "", "durable consumer")
	f.IntVar(&o.Concurrency, "concurrency", 64, "pool size and pull batch")
	f.StringVar(&cpuProfile, "cpuprofile", "", "write the baseline's CPU profile to this file")
	return cmd
}
