package metrics

import "github.com/prometheus/client_golang/prometheus"

// The series of self-healing, each counted by the part of the worker that
// heals (see docs/operations.md):
//
//	hookworker_topology_recreated_total{kind,name}   streams, consumers and buckets found missing and recreated (kind stream, consumer or bucket)
//	hookworker_stale_deliveries_total                deliveries handed back unrun because the worker could no longer be sure it held them (a frozen or paused process)
//	hookworker_pull_stalls_total                     pulls the pull watchdog ended because the server held no pull request while events waited
//	hookworker_write_retries_total{fault}            Results and dead letters sent again with the same id: fault in_process (409), storage (store or limits unavailable), no_answer (no PubAck in time)
//	hookworker_backstop_given_up_total               MAX_DELIVERIES advisories the backstop gave up on after its bounded tries (logged at error)
type faults struct {
	recreated   *prometheus.CounterVec
	stale       prometheus.Counter
	pullStalls  prometheus.Counter
	writeRetry  *prometheus.CounterVec
	backstopOff prometheus.Counter
}

func newFaults(reg *prometheus.Registry) faults {
	f := faults{
		recreated: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "topology_recreated_total",
			Help: "Streams, consumers and buckets of hookworker found missing on the server and recreated, by kind (stream, consumer, bucket) and name.",
		}, []string{"kind", "name"}),
		stale: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Name: "stale_deliveries_total",
			Help: "Deliveries handed back unrun because the worker could no longer be sure it held them (its ack deadline may have passed, e.g. after the process was frozen).",
		}),
		pullStalls: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Name: "pull_stalls_total",
			Help: "Pull requests the pull watchdog ended because the server held none of them while events waited.",
		}),
		writeRetry: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "write_retries_total",
			Help: "Results and dead letters sent again with the same message id, by fault: in_process (409 duplicate message id is in process), storage (store or limits unavailable), no_answer (no PubAck in time).",
		}, []string{"fault"}),
		backstopOff: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Name: "backstop_given_up_total",
			Help: "MAX_DELIVERIES advisories the backstop gave up on after its bounded number of tries (each logged at error level).",
		}),
	}
	reg.MustRegister(f.recreated, f.stale, f.pullStalls, f.writeRetry, f.backstopOff)
	for _, k := range []string{"in_process", "storage", "no_answer"} {
		f.writeRetry.WithLabelValues(k)
	}
	return f
}

// TopologyRecreated counts a stream, consumer or bucket recreated.
func (m *Metrics) TopologyRecreated(kind, name string) {
	m.faults.recreated.WithLabelValues(clipLabel(kind), clipLabel(name)).Inc()
}

// StaleDelivery counts a delivery handed back unrun.
func (m *Metrics) StaleDelivery() { m.faults.stale.Inc() }

// PullStalled counts a pull ended by the pull watchdog.
func (m *Metrics) PullStalled() { m.faults.pullStalls.Inc() }

// WriteRetried counts a Result or dead letter sent again; fault is
// in_process, storage or no_answer.
func (m *Metrics) WriteRetried(fault string) {
	m.faults.writeRetry.WithLabelValues(clipLabel(fault)).Inc()
}

// BackstopGaveUp counts an advisory the backstop gave up on.
func (m *Metrics) BackstopGaveUp() { m.faults.backstopOff.Inc() }
