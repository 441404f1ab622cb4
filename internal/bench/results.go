package bench

// Report holds every figure of a run. Rates are medians over the bursts;
// Runs has each burst's figure.
type Report struct {
	// Preset is the event fired: a preset's name or the event file's.
	Preset string `json:"preset"`
	N      int    `json:"n"`
	// Workers is the worker processes; ClusterNodes the JetStream
	// servers (and the streams' replicas).
	Workers int `json:"workers"`
	// Bots is how many bots the events are spread over.
	Bots          int     `json:"bots"`
	ClusterNodes  int     `json:"cluster_nodes"`
	Concurrency   int     `json:"concurrency"`
	MaxAckPending int     `json:"max_ack_pending"`
	Bursts        int     `json:"bursts"`
	EventBytes    int     `json:"event_bytes"`
	GoVersion     string  `json:"go_version"`
	CPUs          int     `json:"cpus"`
	LoadAvgStart  float64 `json:"load_avg_start"`
	LoadAvgEnd    float64 `json:"load_avg_end"`

	JetStreamEPS  float64 `json:"jetstream_eps"`
	HTTPEPS       float64 `json:"http_eps"`
	CompositeEPS  float64 `json:"composite_eps"`
	HookworkerEPS float64 `json:"hookworker_eps"`
	// Ratio is HookworkerEPS / CompositeEPS.
	Ratio float64 `json:"ratio"`
	// WorkerCPUUsPerEvent is the worker process's CPU time during a burst
	// (from the first publish to the last Result) per event: the median
	// over the bursts.
	WorkerCPUUsPerEvent float64 `json:"worker_cpu_us_per_event"`
	// WorkerPeakRSSMB is the worker process's peak resident set (VmHWM).
	WorkerPeakRSSMB float64 `json:"worker_peak_rss_mb"`

	// Baseline is the baseline worker's figures, when it ran.
	Baseline *Baseline `json:"baseline,omitempty"`

	// CPU tells where the CPU time went in each kind of burst.
	CPU   CPU   `json:"cpu"`
	Runs  Runs  `json:"runs"`
	Paced Paced `json:"paced"`
	// LatencyMS holds the paced phase's latencies in milliseconds.
	LatencyMS Latency `json:"latency_ms"`
	// HalfBurst is the second paced phase, at half the burst rate, when
	// it ran.
	HalfBurst *PacedRun `json:"half_burst,omitempty"`
	// SlowBursts counts hookworker bursts more than 3 times slower than
	// their median: pull stalls.
	SlowBursts int `json:"slow_bursts"`
	// PullStalls is the first worker's hookworker_pull_stalls_total after
	// the bursts: pulls its watchdog restarted.
	PullStalls int `json:"pull_stalls"`
	// Profile is the worker's CPU time per event by phase, from its CPU
	// profile during the profile phase (when it ran).
	Profile *Profile `json:"profile,omitempty"`
	// Backlog is the backlog phase's, when it ran.
	Backlog *Backlog `json:"backlog,omitempty"`

	// ResultsChecked counts the distinct Results checked (bursts and
	// paced phase); ResultsOK is true when every one succeeded with the
	// expected CVars. Duplicates counts Results that came twice.
	ResultsChecked int  `json:"results_checked"`
	ResultsOK      bool `json:"results_ok"`
	Duplicates     int  `json:"duplicate_results"`
}

// CPU holds the CPU figures of each kind of burst.
type CPU struct {
	JetStream  PhaseCPU `json:"jetstream"`
	HTTP       PhaseCPU `json:"http"`
	Hookworker PhaseCPU `json:"hookworker"`
	Baseline   PhaseCPU `json:"baseline"`
}

// Baseline holds the baseline worker's bursts (medians): the plainest
// worker doing the same job with the same engine (package baseline).
type Baseline struct {
	EPS float64 `json:"eps"`
	// Ratio is EPS over the same run's composite limit.
	Ratio         float64 `json:"ratio"`
	CPUUsPerEvent float64 `json:"cpu_us_per_event"`
	// WorkerCPUShare is hookworker's CPU per event over the baseline's.
	WorkerCPUShare float64 `json:"worker_cpu_share"`
}

// Runs holds each burst's figures, in the order they ran.
type Runs struct {
	JetStreamEPS          []float64 `json:"jetstream_eps"`
	HTTPEPS               []float64 `json:"http_eps"`
	HookworkerEPS         []float64 `json:"hookworker_eps"`
	WorkerCPUUsPerEvent   []float64 `json:"worker_cpu_us_per_event"`
	BaselineEPS           []float64 `json:"baseline_eps,omitempty"`
	BaselineCPUUsPerEvent []float64 `json:"baseline_cpu_us_per_event,omitempty"`
}

// Paced describes the latency phase.
type Paced struct {
	// Rate is the rate asked for; AchievedRate what the publisher kept.
	Rate         float64 `json:"rate"`
	AchievedRate float64 `json:"achieved_rate"`
	DurationS    float64 `json:"duration_s"`
	Events       int     `json:"events"`
	// WorkerCPUUsPerEvent is the worker's CPU time per event at this
	// rate, idle time included.
	WorkerCPUUsPerEvent float64 `json:"worker_cpu_us_per_event"`
}

// PacedRun is a paced phase with its latencies (ms).
type PacedRun struct {
	Paced     Paced   `json:"paced"`
	LatencyMS Latency `json:"latency_ms"`
}

// Backlog describes the backlog phase: Events stored while no worker ran,
// then drained by a fresh worker process.
type Backlog struct {
	Events int `json:"events"`
	// PublishS is how long storing the backlog took; DrainS from the fresh
	// worker's start to the last Result.
	PublishS float64 `json:"publish_s"`
	DrainS   float64 `json:"drain_s"`
	DrainEPS float64 `json:"drain_eps"`
	// WorkerPeakRSSMB is the fresh worker's peak resident set (VmHWM)
	// while it drained the backlog.
	WorkerPeakRSSMB     float64 `json:"worker_peak_rss_mb"`
	WorkerCPUUsPerEvent float64 `json:"worker_cpu_us_per_event"`
	// PullStalls is the worker's hookworker_pull_stalls_total at the end.
	PullStalls int `json:"pull_stalls"`
	// ServerStoredMB is the trigger stream's size with the whole backlog
	// stored.
	ServerStoredMB float64 `json:"server_stored_mb"`
}

// Latency holds the paced phase's percentiles.
type Latency struct {
	FiredToResult Percentiles `json:"fired_to_result"`
	FiredToTarget Percentiles `json:"fired_to_target"`
}

// Percentiles of a latency distribution, in milliseconds.
type Percentiles struct {
	P50 float64 `json:"p50"`
	P90 float64 `json:"p90"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}
