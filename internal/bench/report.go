package bench

import (
	"fmt"
	"io"
	"strings"
)

// The team's goals, shown beside the figures.
const (
	goalRatio = 0.70
	goalCPUUs = 60
	goalP99MS = 5
	// goalP99HalfMS is the p99 goal at half the burst rate.
	goalP99HalfMS = 10
	goalRSSMB     = 150
	goalMarkOK    = "ok"
	goalMarkNo    = "MISSED"
)

func mark(ok bool) string {
	if ok {
		return goalMarkOK
	}
	return goalMarkNo
}

// WriteText writes the report as a table for people.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	runs := func(xs []float64, format string) string {
		s := make([]string, len(xs))
		for i, x := range xs {
			s[i] = fmt.Sprintf(format, x)
		}
		return strings.Join(s, " ")
	}
	p("hookworker bench: %d events x %d bursts (median), %d worker(s) of concurrency %d, max ack pending %d, %d JetStream server(s)\n",
		r.N, r.Bursts, r.Workers, r.Concurrency, r.MaxAckPending, r.ClusterNodes)
	p("  event %s (%d bots), %d B, %s, %d CPUs, load average %.2f at start, %.2f at end\n\n",
		r.Preset, r.Bots, r.EventBytes, r.GoVersion, r.CPUs, r.LoadAvgStart, r.LoadAvgEnd)
	p("  %-38s %10s   %s\n", "burst", "events/s", "each burst")
	p("  %-38s %10.0f   %s\n", "(a) raw JetStream: publish, ack", r.JetStreamEPS, runs(r.Runs.JetStreamEPS, "%.0f"))
	p("  %-38s %10.0f   %s\n", "(b) raw HTTP: keep-alive POST", r.HTTPEPS, runs(r.Runs.HTTPEPS, "%.0f"))
	p("  %-38s %10.0f\n", "    composite 1/(1/a+1/b)", r.CompositeEPS)
	p("  %-38s %10.0f   %s\n", "(c) hookworker: fired to Result", r.HookworkerEPS, runs(r.Runs.HookworkerEPS, "%.0f"))
	p("  %-38s %10.2f   goal >= %.2f: %s\n", "    ratio c / composite", r.Ratio, goalRatio, mark(r.Ratio >= goalRatio))
	p("  %-38s %7.1f µs   %s; goal <= %d µs: %s\n", "worker CPU per event (bursts)", r.WorkerCPUUsPerEvent,
		runs(r.Runs.WorkerCPUUsPerEvent, "%.1f"), goalCPUUs, mark(r.WorkerCPUUsPerEvent <= goalCPUUs))
	if bl := r.Baseline; bl != nil {
		p("  %-38s %10.0f   %s\n", "(w) baseline worker: fired to Result", bl.EPS, runs(r.Runs.BaselineEPS, "%.0f"))
		p("  %-38s %10.2f\n", "    ratio w / composite", bl.Ratio)
		p("  %-38s %7.1f µs   %s\n", "baseline CPU per event (bursts)", bl.CPUUsPerEvent, runs(r.Runs.BaselineCPUUsPerEvent, "%.1f"))
		p("  %-38s %10.2f   goal <= 0.25: %s\n", "    hookworker CPU / baseline CPU", bl.WorkerCPUShare, mark(bl.WorkerCPUShare <= 0.25))
	}
	p("  %-38s %10d   of %d bursts (under 1/%d of the median); pull stalls the worker restarted: %d\n",
		"slow bursts", r.SlowBursts, r.Bursts, stallFactor, r.PullStalls)
	p("  %-38s %7.1f MB   goal < %d MB: %s\n\n", "worker peak RSS", r.WorkerPeakRSSMB, goalRSSMB, mark(r.WorkerPeakRSSMB < goalRSSMB))
	p("  %-30s %14s %8s %9s %10s %16s\n", "CPU per event (µs), busy CPUs", "bench process", "worker", "baseline", "CPUs busy", "other processes")
	for _, c := range []struct {
		name string
		c    PhaseCPU
	}{{"(a) raw JetStream", r.CPU.JetStream}, {"(b) raw HTTP", r.CPU.HTTP}, {"(c) hookworker", r.CPU.Hookworker}, {"(w) baseline", r.CPU.Baseline}} {
		if c.name == "(w) baseline" && r.Baseline == nil {
			continue
		}
		p("  %-30s %14.1f %8.1f %9.1f %9.0f%% %15.0f%%\n", c.name, c.c.BenchUsPerEvent, c.c.WorkerUsPerEvent, c.c.BaselineUsPerEvent, 100*c.c.BusyShare, 100*c.c.OthersShare)
	}
	p("  (bench process: JetStream server, HTTP target, publisher and checker; shares of %d CPUs x burst time)\n\n", r.CPUs)
	if pf := r.Profile; pf != nil {
		p("worker CPU profile: %d events in a %.0fs window of a burst, %.1f µs/event in the profile\n", pf.Events, pf.Seconds, pf.UsPerEvent)
		p("  %-18s %8s %7s\n", "phase", "µs/event", "share")
		for _, ph := range pf.Phases {
			p("  %-18s %8.1f %6.1f%%\n", ph.Phase, ph.UsPerEvent, 100*ph.Share)
		}
		if len(pf.TopOther) > 0 {
			p("  other, by leaf function (µs/event): %s\n", strings.Join(pf.TopOther, ", "))
		}
		p("\n")
	}
	pc := r.Paced
	p("paced: %.0f events/s asked, %.0f/s fired, %d events over %.1fs; worker CPU %.1f µs/event\n",
		pc.Rate, pc.AchievedRate, pc.Events, pc.DurationS, pc.WorkerCPUUsPerEvent)
	p("  %-18s %8s %8s %8s %8s\n", "latency (ms)", "p50", "p90", "p99", "max")
	l := r.LatencyMS.FiredToResult
	p("  %-18s %8.2f %8.2f %8.2f %8.2f   goal p99 <= %d ms: %s\n", "fired -> Result", l.P50, l.P90, l.P99, l.Max,
		goalP99MS, mark(l.P99 <= goalP99MS))
	l = r.LatencyMS.FiredToTarget
	p("  %-18s %8.2f %8.2f %8.2f %8.2f\n\n", "fired -> target", l.P50, l.P90, l.P99, l.Max)
	if hb := r.HalfBurst; hb != nil {
		pc := hb.Paced
		p("paced at half the burst rate: %.0f events/s asked, %.0f/s fired, %d events over %.1fs; worker CPU %.1f µs/event\n",
			pc.Rate, pc.AchievedRate, pc.Events, pc.DurationS, pc.WorkerCPUUsPerEvent)
		p("  %-18s %8s %8s %8s %8s\n", "latency (ms)", "p50", "p90", "p99", "max")
		l := hb.LatencyMS.FiredToResult
		p("  %-18s %8.2f %8.2f %8.2f %8.2f   goal p99 <= %d ms: %s\n", "fired -> Result", l.P50, l.P90, l.P99, l.Max,
			goalP99HalfMS, mark(l.P99 <= goalP99HalfMS))
		l = hb.LatencyMS.FiredToTarget
		p("  %-18s %8.2f %8.2f %8.2f %8.2f\n\n", "fired -> target", l.P50, l.P90, l.P99, l.Max)
	}
	if bl := r.Backlog; bl != nil {
		p("backlog: %d events (%.0f MB in the stream) stored in %.1fs with no worker, then drained by a fresh worker in %.1fs (%.0f events/s, %.1f µs CPU/event)\n",
			bl.Events, bl.ServerStoredMB, bl.PublishS, bl.DrainS, bl.DrainEPS, bl.WorkerCPUUsPerEvent)
		p("  %-38s %7.1f MB   goal < %d MB: %s; pull stalls the worker restarted: %d\n\n", "worker peak RSS while draining",
			bl.WorkerPeakRSSMB, goalRSSMB, mark(bl.WorkerPeakRSSMB < goalRSSMB), bl.PullStalls)
	}
	if r.ResultsOK {
		p("results: %d checked, every one succeeded with the expected CVars; %d duplicates\n", r.ResultsChecked, r.Duplicates)
	} else {
		p("results: %d checked, NOT all as expected\n", r.ResultsChecked)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
