package main

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hookworker/hookworker/internal/bench"
)

// TestBenchCommand runs the whole harness with small numbers, the worker
// being the real binary in a process of its own.
func TestBenchCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs a worker process")
	}
	bin := buildBinary(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	start := time.Now()
	code, out, errOut := runCLI(t, ctx, nil, "bench", "--json", "--worker-bin", bin,
		"-n", "300", "--concurrency", "16", "--rate", "200", "--duration", "1s", "--bursts", "1", "--backlog", "400",
		"--profile-seconds", "1", "--half-rate")
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	t.Logf("bench took %s\n%s", time.Since(start), errOut)

	var rep bench.Report
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rep); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	// Every figure is present: check the raw JSON for the documented keys.
	var raw map[string]any
	if err := json.Unmarshal([]byte(out), &raw); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"jetstream_eps", "http_eps", "composite_eps", "hookworker_eps", "ratio",
		"worker_cpu_us_per_event", "worker_peak_rss_mb", "latency_ms", "n", "concurrency", "go_version", "cpus",
		"results_checked", "results_ok", "paced", "runs", "cpu", "pull_stalls", "slow_bursts", "workers", "cluster_nodes", "preset"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("JSON has no %q", k)
		}
	}
	positive := map[string]float64{
		"jetstream_eps": rep.JetStreamEPS, "http_eps": rep.HTTPEPS, "composite_eps": rep.CompositeEPS,
		"hookworker_eps": rep.HookworkerEPS, "ratio": rep.Ratio,
		"worker_cpu_us_per_event": rep.WorkerCPUUsPerEvent, "worker_peak_rss_mb": rep.WorkerPeakRSSMB,
		"paced.achieved_rate":                rep.Paced.AchievedRate,
		"cpu.hookworker.bench_us_per_event":  rep.CPU.Hookworker.BenchUsPerEvent,
		"cpu.hookworker.worker_us_per_event": rep.CPU.Hookworker.WorkerUsPerEvent,
		"cpu.jetstream.bench_us_per_event":   rep.CPU.JetStream.BenchUsPerEvent,
		"cpu.http.bench_us_per_event":        rep.CPU.HTTP.BenchUsPerEvent,
	}
	for name, p := range map[string]bench.Percentiles{
		"fired_to_result": rep.LatencyMS.FiredToResult, "fired_to_target": rep.LatencyMS.FiredToTarget,
	} {
		positive[name+".p50"], positive[name+".p90"] = p.P50, p.P90
		positive[name+".p99"], positive[name+".max"] = p.P99, p.Max
		if !(p.P50 <= p.P90 && p.P90 <= p.P99 && p.P99 <= p.Max) {
			t.Errorf("%s: percentiles out of order: %+v", name, p)
		}
	}
	for name, v := range positive {
		if !(v > 0) {
			t.Errorf("%s = %v, want > 0", name, v)
		}
	}
	// The ratio is hookworker's rate over the composite limit of the same
	// run (its value depends on the machine's load with numbers this
	// small, so only its arithmetic is checked).
	if want := 1 / (1/rep.JetStreamEPS + 1/rep.HTTPEPS); math.Abs(rep.CompositeEPS-want) > 0.01*want {
		t.Errorf("composite_eps %v, want 1/(1/%v + 1/%v) = %v", rep.CompositeEPS, rep.JetStreamEPS, rep.HTTPEPS, want)
	}
	if want := rep.HookworkerEPS / rep.CompositeEPS; math.IsInf(rep.Ratio, 0) || math.Abs(rep.Ratio-want) > 0.01*want {
		t.Errorf("ratio %v, want hookworker_eps / composite_eps = %v", rep.Ratio, want)
	}
	pf := rep.Profile
	if pf == nil || pf.Events < 1 || pf.BurstEvents < 300 || !(pf.UsPerEvent > 0) || len(pf.Phases) != len(bench.PhaseOrder) {
		t.Fatalf("profile %+v", pf)
	}
	sum := 0.0
	for _, ph := range pf.Phases {
		sum += ph.UsPerEvent
	}
	if math.Abs(sum-pf.UsPerEvent) > 0.01*pf.UsPerEvent {
		t.Errorf("phases add up to %.1f µs/event, the profile has %.1f", sum, pf.UsPerEvent)
	}
	// The worker's own steps are in the profile, when it holds enough
	// samples (100 a CPU second) for a step of their size to have one: on
	// a busy machine a 1 s window may hold only a few dozen, and render
	// (about a seventh of the worker's CPU) none of them by chance.
	cpu := time.Duration(pf.UsPerEvent * float64(pf.Events) * float64(time.Microsecond))
	for _, ph := range pf.Phases {
		need := 300 * time.Millisecond // HTTP: a third of the worker's CPU
		if ph.Phase == bench.PhaseRender {
			need = time.Second
		}
		if (ph.Phase == bench.PhaseHTTP || ph.Phase == bench.PhaseRender) && !(ph.UsPerEvent > 0) {
			if cpu >= need {
				t.Errorf("phase %s: %v µs/event in a profile of %s of CPU", ph.Phase, ph.UsPerEvent, cpu)
			} else {
				t.Logf("phase %s: no sample in a profile of %s of CPU (too few to tell)", ph.Phase, cpu)
			}
		}
	}
	if bl := rep.Baseline; bl == nil || !(bl.EPS > 0) || !(bl.CPUUsPerEvent > 0) || !(bl.Ratio > 0) ||
		math.Abs(bl.WorkerCPUShare-rep.WorkerCPUUsPerEvent/bl.CPUUsPerEvent) > 0.01*bl.WorkerCPUShare ||
		!(rep.CPU.Baseline.BaselineUsPerEvent > 0) {
		t.Errorf("baseline %+v, cpu %+v", bl, rep.CPU.Baseline)
	}
	hb := rep.HalfBurst
	if hb == nil || math.Abs(hb.Paced.Rate-rep.HookworkerEPS/2) > 0.01*hb.Paced.Rate || !(hb.LatencyMS.FiredToResult.P99 > 0) || hb.Paced.Events < 1 {
		t.Fatalf("half_burst %+v", hb)
	}
	if want := 300 + 300 + 200 + 400 + pf.BurstEvents + hb.Paced.Events; !rep.ResultsOK || rep.ResultsChecked != want {
		t.Errorf("results_ok %v, results_checked %d, want true and %d", rep.ResultsOK, rep.ResultsChecked, want)
	}
	if rep.Preset != "realistic" || rep.EventBytes < 900 || rep.Bots != 8 {
		t.Errorf("preset %q, event %d bytes: want the realistic event", rep.Preset, rep.EventBytes)
	}
	if bl := rep.Backlog; bl == nil || bl.Events != 400 || !(bl.DrainEPS > 0) || !(bl.WorkerPeakRSSMB > 0) ||
		!(bl.ServerStoredMB > 0) || !(bl.PublishS > 0) || !(bl.WorkerCPUUsPerEvent > 0) {
		t.Errorf("backlog %+v", bl)
	}
	if rep.N != 300 || rep.Concurrency != 16 || rep.Bursts != 1 || rep.Paced.Events != 200 || rep.CPUs < 1 || rep.GoVersion == "" {
		t.Errorf("settings not echoed: %+v", rep)
	}
	if len(rep.Runs.HookworkerEPS) != 1 || len(rep.Runs.JetStreamEPS) != 1 || len(rep.Runs.HTTPEPS) != 1 {
		t.Errorf("runs: %+v", rep.Runs)
	}

	// The human table names every figure; the heavy preset runs too.
	code, out, errOut = runCLI(t, ctx, nil, "bench", "--worker-bin", bin, "--preset", "heavy",
		"-n", "100", "--concurrency", "8", "--rate", "100", "--duration", "200ms", "--bursts", "1", "--backlog", "100",
		"--profile-seconds", "1")
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	for _, s := range []string{"raw JetStream", "raw HTTP", "composite", "ratio c / composite",
		"worker CPU per event", "worker peak RSS", "fired -> Result", "fired -> target", "every one succeeded",
		"worker peak RSS while draining", "worker CPU profile", "decode", "GC", "heavy", "baseline worker", "hookworker CPU / baseline CPU"} {
		if !strings.Contains(out, s) {
			t.Errorf("table lacks %q:\n%s", s, out)
		}
	}
}

// A worker whose Results are wrong fails the bench: here its egress guard
// refuses the loopback target, so every event fails with class blocked.
func TestBenchCommandChecksResults(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs a worker process")
	}
	bin := buildBinary(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	code, out, errOut := runCLI(t, ctx, nil, "bench", "--json", "--worker-bin", bin,
		"--worker-env", "HOOKWORKER_HTTP_ALLOW=10.0.0.0/8",
		"-n", "50", "--concurrency", "8", "--duration", "100ms", "--bursts", "1")
	if code == 0 {
		t.Fatalf("exit 0 with blocked requests:\n%s", out)
	}
	if !strings.Contains(errOut, "failed the check") || !strings.Contains(errOut, "blocked") {
		t.Errorf("stderr does not explain the failed check:\n%s", errOut)
	}
	if out != "" {
		t.Errorf("stdout %q, want nothing", out)
	}
}

// --event fires the file's event, and its want.cvars are checked: here
// the realistic event with a want the target's answer does not give.
func TestBenchCommandEventFile(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs a worker process")
	}
	bin := buildBinary(t)
	data, err := os.ReadFile(filepath.Join("..", "..", "internal", "bench", "presets", "realistic.json"))
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "closed.json")
	changed := strings.Replace(string(data), `"ticket_status": "open"`, `"ticket_status": "closed"`, 1)
	if changed == string(data) {
		t.Fatal("the preset has no want.cvars.ticket_status to change")
	}
	if err := os.WriteFile(file, []byte(changed), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	code, out, errOut := runCLI(t, ctx, nil, "bench", "--json", "--worker-bin", bin, "--event", file,
		"-n", "50", "--concurrency", "8", "--duration", "100ms", "--bursts", "1", "--profile-seconds", "-1")
	if code == 0 || !strings.Contains(errOut, "failed the check") || !strings.Contains(errOut, "closed") {
		t.Errorf("exit %d with a want the Results do not meet:\n%s\n%s", code, out, errOut)
	}
	code, _, errOut = runCLI(t, ctx, nil, "bench", "--worker-bin", bin, "--event", file, "--preset", "heavy")
	if code == 0 || !strings.Contains(errOut, "not both") {
		t.Errorf("--event with --preset: exit %d, %s", code, errOut)
	}
}

// Scale-out: two worker processes on one consumer against a 3-node
// cluster (streams with 3 replicas); every Result checked.
func TestBenchCommandScaleOut(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs worker processes and a cluster")
	}
	bin := buildBinary(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	code, out, errOut := runCLI(t, ctx, nil, "bench", "--json", "--worker-bin", bin, "--workers", "2", "--cluster", "3",
		"-n", "400", "--concurrency", "8", "--rate", "100", "--duration", "300ms", "--bursts", "1", "--no-baseline")
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	var rep bench.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Workers != 2 || rep.ClusterNodes != 3 || !rep.ResultsOK || rep.ResultsChecked != 400+30 || !(rep.HookworkerEPS > 0) ||
		!(rep.WorkerCPUUsPerEvent > 0) || rep.Profile != nil || rep.Baseline != nil {
		t.Errorf("report %+v", rep)
	}
	if !strings.Contains(errOut, "worker 2: ") {
		t.Errorf("no second worker's log:\n%s", errOut)
	}
}

func TestBenchCommandRejectsBadFlags(t *testing.T) {
	code, _, errOut := runCLI(t, context.Background(), nil, "bench", "--worker-bin", "/nonexistent", "--bursts", "0", "--concurrency", "-3")
	if code == 0 || !strings.Contains(errOut, "concurrency") {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
	code, _, errOut = runCLI(t, context.Background(), nil, "bench", "--worker-bin", "/nonexistent/hookworker", "-n", "10", "--bursts", "1")
	if code == 0 || !strings.Contains(errOut, "start the worker") {
		t.Errorf("missing binary: exit %d, stderr %q", code, errOut)
	}
}
