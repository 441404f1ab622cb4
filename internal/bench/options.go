package bench

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hookworker/hookworker/internal/config"
)

// Options configures a run. Zero values take the defaults.
type Options struct {
	// Events is N, the events of each burst; default 20000.
	Events int
	// Concurrency is the worker's concurrency, and that of the raw
	// JetStream consumer and the raw HTTP client; default 64.
	Concurrency int
	// MaxAckPending is the consumers' MaxAckPending (the worker's and the
	// raw one); default the worker's default, or Concurrency if larger.
	MaxAckPending int
	// Bursts is how many times each burst runs; the median is reported.
	// Default 3.
	Bursts int
	// Rate is the paced phase's events/s; 0 means half the measured burst
	// rate.
	Rate float64
	// HalfRate adds a second paced phase at half the burst rate (when
	// Rate is not already that).
	HalfRate bool
	// Duration is the paced phase's length; default 5s.
	Duration time.Duration
	// WorkerBin is the hookworker binary to run as the worker (required).
	WorkerBin string
	// WorkerEnv holds extra KEY=VALUE settings for the worker process,
	// applied last (HOOKWORKER_* variables of this process are not
	// passed on).
	WorkerEnv []string
	// Backlog, when above 0, adds a last phase: with the worker stopped,
	// Backlog events are published, then a fresh worker process drains
	// them; its peak RSS and drain rate are reported.
	Backlog int
	// Preset names the event fired (one of Presets; default the first,
	// "realistic"); EventFile, when set, is a file of the same format
	// to use instead.
	Preset    string
	EventFile string
	// ProfileSeconds is the window of the profile phase, a burst during
	// which the worker's CPU profile is read and attributed to the phases
	// of an event; default 3, -1 skips the phase.
	ProfileSeconds int
	// ProfileOut, when set, is where the worker's profile is written
	// (for go tool pprof).
	ProfileOut string
	// Workers is how many worker processes share the consumer; default
	// 1. Cluster, when above 1, runs a cluster of that many JetStream
	// servers (streams with as many replicas), the workers connected to
	// its nodes in turn.
	Workers, Cluster int
	// Bots spreads the events over this many bots, in turn (<bot>-0,
	// <bot>-1, …; 1: the preset's bot alone); default 8. One bot alone
	// meets the worker's per-bot share of the pool (worker.bot_share).
	Bots int
	// NoBaseline skips the baseline worker (package baseline), which
	// otherwise runs a burst after each of hookworker's.
	NoBaseline bool
	// BaselineProfileOut, when set, is where the baseline worker writes
	// its CPU profile over the whole run.
	BaselineProfileOut string
	// Log receives progress lines and the worker's log; nil discards them.
	Log io.Writer
}

// Limits on the options, so that every loop is bounded.
const (
	maxEvents      = 10_000_000
	maxConcurrency = 10_000
	maxBursts      = 100
	maxDuration    = 10 * time.Minute
	maxRate        = 1_000_000
)

// DefaultOptions returns the defaults (without WorkerBin).
func DefaultOptions() Options {
	return Options{Events: 20000, Concurrency: 64, Bursts: 3, Rate: 1000, Duration: 5 * time.Second}
}

func (o Options) normalize() (Options, error) {
	d := DefaultOptions()
	if o.Events == 0 {
		o.Events = d.Events
	}
	if o.Concurrency == 0 {
		o.Concurrency = d.Concurrency
	}
	if o.Bursts == 0 {
		o.Bursts = d.Bursts
	}
	if o.Duration == 0 {
		o.Duration = d.Duration
	}
	if o.MaxAckPending == 0 {
		o.MaxAckPending = max(config.Default().Worker.MaxAckPending, o.Concurrency)
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	if o.Bots == 0 {
		o.Bots = 8
	}
	if o.Workers == 0 {
		o.Workers = 1
	}
	if o.ProfileSeconds == 0 {
		o.ProfileSeconds = 3
	}
	switch {
	case o.Backlog < 0 || o.Backlog > maxEvents:
		return o, fmt.Errorf("backlog: %d is outside 0..%d", o.Backlog, maxEvents)
	case o.Events < 1 || o.Events > maxEvents:
		return o, fmt.Errorf("events: %d is outside 1..%d", o.Events, maxEvents)
	case o.Concurrency < 1 || o.Concurrency > maxConcurrency:
		return o, fmt.Errorf("concurrency: %d is outside 1..%d", o.Concurrency, maxConcurrency)
	case o.MaxAckPending < o.Concurrency:
		return o, fmt.Errorf("max-ack-pending: %d is below the concurrency (%d)", o.MaxAckPending, o.Concurrency)
	case o.Bursts < 1 || o.Bursts > maxBursts:
		return o, fmt.Errorf("bursts: %d is outside 1..%d", o.Bursts, maxBursts)
	case o.Rate < 0 || o.Rate > maxRate:
		return o, fmt.Errorf("rate: %g is outside 0..%d events/s", o.Rate, maxRate)
	case o.Duration < 0 || o.Duration > maxDuration:
		return o, fmt.Errorf("duration: %s is outside 0..%s", o.Duration, maxDuration)
	case o.Rate > 0 && o.Rate*o.Duration.Seconds() > maxEvents:
		return o, fmt.Errorf("rate x duration: over %d events", maxEvents)
	case o.ProfileSeconds < -1 || o.ProfileSeconds > 60:
		return o, fmt.Errorf("profile seconds: %d is outside 1..60 (-1: no profile)", o.ProfileSeconds)
	case o.Preset != "" && o.EventFile != "":
		return o, errors.New("event: give a preset or an event file, not both")
	case o.Bots < 1 || o.Bots > 1000:
		return o, fmt.Errorf("bots: %d is outside 1..1000", o.Bots)
	case o.Workers < 1 || o.Workers > maxWorkers:
		return o, fmt.Errorf("workers: %d is outside 1..%d", o.Workers, maxWorkers)
	case o.Cluster < 0 || o.Cluster > maxCluster:
		return o, fmt.Errorf("cluster: %d is outside 0..%d nodes", o.Cluster, maxCluster)
	case o.WorkerBin == "":
		return o, errors.New("worker binary: required")
	}
	for _, kv := range o.WorkerEnv {
		if k, _, ok := strings.Cut(kv, "="); !ok || k == "" {
			return o, fmt.Errorf("worker env: %q is not KEY=VALUE", kv)
		}
	}
	return o, nil
}

// loadPreset is the event the options name.
func (o Options) loadPreset() (*Preset, error) {
	if o.EventFile != "" {
		if o.Preset != "" {
			return nil, errors.New("event: give a preset or an event file, not both")
		}
		data, err := readFileMax(o.EventFile, maxEventFile)
		if err != nil {
			return nil, fmt.Errorf("event file: %w", err)
		}
		return ParsePreset(filepath.Base(o.EventFile), data)
	}
	if o.Preset == "" {
		o.Preset = Presets[0]
	}
	return LoadPreset(o.Preset)
}

// readFileMax reads a file of at most max bytes.
func readFileMax(name string, max int64) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%s: over %d bytes", name, max)
	}
	return data, nil
}
