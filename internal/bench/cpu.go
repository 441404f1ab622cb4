package bench

import (
	"runtime"
	"time"
)

// cpuSample is a reading of the CPU time used so far by the worker, this
// process and the whole machine.
type cpuSample struct {
	at                    time.Time
	worker, self, machine time.Duration
	workerOK, machineOK   bool
	base                  time.Duration // the baseline worker's
}

func (h *harness) sampleCPU() cpuSample {
	s := cpuSample{at: time.Now(), self: selfCPU()}
	s.worker, s.workerOK = h.workersCPU()
	if h.base != nil {
		s.base, _ = h.base.cpu()
	}
	s.machine, s.machineOK = machineBusy()
	return s
}

// cpuUse is the CPU time used between two samples.
type cpuUse struct {
	elapsed             time.Duration
	worker, self, other time.Duration
	base                time.Duration // the baseline worker's
	busy                time.Duration // the whole machine's
	workerOK, machineOK bool
}

func (a cpuSample) until(b cpuSample) cpuUse {
	u := cpuUse{elapsed: b.at.Sub(a.at), self: b.self - a.self, base: b.base - a.base, workerOK: a.workerOK && b.workerOK, machineOK: a.machineOK && b.machineOK}
	if u.workerOK {
		u.worker = b.worker - a.worker
	}
	if u.machineOK {
		u.busy = b.machine - a.machine
		u.other = max(0, u.busy-u.worker-u.self-u.base)
	}
	return u
}

// PhaseCPU is where the CPU time went during one kind of burst (medians
// over the bursts). Shares are of the machine's capacity (CPUs x time).
type PhaseCPU struct {
	// BenchUsPerEvent is this process's CPU time per event: the JetStream
	// server, the HTTP target, and the publisher, consumer, client or
	// Result checker of the phase.
	BenchUsPerEvent float64 `json:"bench_us_per_event"`
	// WorkerUsPerEvent is the worker process's (idle in the raw phases).
	WorkerUsPerEvent float64 `json:"worker_us_per_event"`
	// BaselineUsPerEvent is the baseline worker's (idle but in its own
	// bursts).
	BaselineUsPerEvent float64 `json:"baseline_us_per_event"`
	// BusyShare is the share of the machine's CPUs in use, by anything.
	BusyShare float64 `json:"busy_share"`
	// OthersShare is the share used by processes other than the bench
	// and the worker (other work on a shared machine, and steal time).
	OthersShare float64 `json:"others_share"`
}

// phaseCPU summarizes the uses of one kind of burst, n events each.
func phaseCPU(uses []cpuUse, n int) PhaseCPU {
	var bench, worker, base, busy, others []float64
	capacity := func(u cpuUse) float64 { return float64(u.elapsed) * float64(runtime.NumCPU()) }
	for _, u := range uses {
		bench = append(bench, us(u.self)/float64(n))
		worker = append(worker, us(u.worker)/float64(n))
		base = append(base, us(u.base)/float64(n))
		if u.machineOK && u.elapsed > 0 {
			busy = append(busy, min(1, float64(u.busy)/capacity(u)))
			others = append(others, min(1, float64(u.other)/capacity(u)))
		}
	}
	return PhaseCPU{
		BenchUsPerEvent: median(bench), WorkerUsPerEvent: median(worker), BaselineUsPerEvent: median(base),
		BusyShare: median(busy), OthersShare: median(others),
	}
}
