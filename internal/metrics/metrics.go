// Package metrics is the worker's operations surface: Prometheus
// collectors and the HTTP listener that serves them with the health
// probes.
//
// [Metrics] implements worker.Metrics: the worker calls its methods as
// events go through. Every series has the hookworker_ prefix; label values
// are bounded (a target host, never a URL; a status or class, never an
// event id), and the number of distinct hosts is capped (see
// [Options.MaxHosts]).
//
//	hookworker_events_received_total                       messages taken from the trigger consumer (redeliveries included)
//	hookworker_events_in_flight                            events being handled now
//	hookworker_events_parked                               deliveries held in memory until a slot of their bot's share is free (worker.park_max)
//	hookworker_results_total{status,class}                 terminal outcomes: status succeeded, failed or skipped; class the error class, "none" without error
//	hookworker_attempts_total{host,class}                  HTTP attempts: class 1xx..5xx by the response status, or network, timeout, blocked, too_large, render, canceled
//	hookworker_request_duration_seconds{host}              histogram of attempt durations (request to last byte of the response)
//	hookworker_retries_scheduled_total{kind}               retries: kind delayed (handed back to JetStream with a delay) or in_worker (a short wait in the worker)
//	hookworker_dead_letters_total{class}                   dead letters written, by error class
//	hookworker_definition_cache_hits_total                 compiled webhook definitions found in the worker's cache
//	hookworker_definition_cache_misses_total               webhook definitions compiled (not in the cache)
//	hookworker_template_cache_entries                      templates in the render environment's cache
//	hookworker_consumer_pending_messages                   the trigger consumer's pending messages (not yet delivered), read from the server at scrape time
//	hookworker_consumer_ack_pending_messages               the trigger consumer's delivered, unacknowledged messages, read at scrape time
//	hookworker_consumer_info_errors_total                  scrapes at which the consumer's state could not be read
//	hookworker_webhook_results_total{webhook,status}       terminal outcomes by webhook: its registry id, "inline" for inline definitions, "none" for events that did not decode
//	hookworker_webhook_duration_seconds{webhook}           histogram of the time an event's last delivery took, by webhook
//	hookworker_fired_to_result_seconds{status}             histogram of the time from an event's arrival in the trigger stream to its Result (retries and delays included)
//	hookworker_event_unknown_fields_total{field}           top-level event fields this version of the contract does not know (ignored), by name
//
// the series of self-healing (faults.go), the collectors read at scrape
// time (state.go), plus the standard go_* and process_* collectors.
package metrics

import (
	"context"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

const namespace = "hookworker"

// OtherHost is the host label of attempts to hosts beyond Options.MaxHosts.
const OtherHost = "other"

// Other is the value of a bounded label (webhook, field) beyond its cap.
const Other = "other"

// Caps of the bounded labels other than host: distinct values, and the
// length of one value in bytes (longer ones are clipped).
const (
	MaxWebhooks      = 500
	MaxUnknownFields = 32
	MaxLabelLen      = 64
)

// Options tune Metrics.
type Options struct {
	// MaxHosts caps the distinct values of the host label; later hosts
	// are counted as OtherHost. Zero: 1000.
	MaxHosts int
	// Buckets of the request duration histogram, in seconds. Nil: 5ms to
	// 30s.
	Buckets []float64
}

// Metrics holds the worker's collectors in a registry of its own.
type Metrics struct {
	reg *prometheus.Registry

	received    prometheus.Counter
	inFlight    prometheus.Gauge
	parked      prometheus.Gauge
	results     *prometheus.CounterVec
	attempts    *prometheus.CounterVec
	latency     *prometheus.HistogramVec
	retries     *prometheus.CounterVec
	deadLetters *prometheus.CounterVec
	cacheHits   prometheus.Counter
	cacheMisses prometheus.Counter
	unordered   prometheus.Counter

	webhookResults  *prometheus.CounterVec
	webhookDuration *prometheus.HistogramVec
	firedToResult   *prometheus.HistogramVec
	unknownFields   *prometheus.CounterVec

	faults faults // faults.go

	hosts, webhooks, fields *boundedSet
}

// New registers the collectors, the Go runtime's and the process's
// included, in a new registry.
func New(o Options) *Metrics {
	if o.MaxHosts <= 0 {
		o.MaxHosts = 1000
	}
	if o.Buckets == nil {
		o.Buckets = []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}
	}
	m := &Metrics{
		reg:      prometheus.NewRegistry(),
		hosts:    newBoundedSet(o.MaxHosts, 255, OtherHost),
		webhooks: newBoundedSet(MaxWebhooks, MaxLabelLen, Other),
		fields:   newBoundedSet(MaxUnknownFields, MaxLabelLen, Other),
		webhookResults: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "webhook_results_total",
			Help: "Terminal outcomes of events by webhook (registry id, inline, or none for events that did not decode) and status.",
		}, []string{"webhook", "status"}),
		webhookDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "webhook_duration_seconds",
			Help:    "Time an event's last delivery took, from receipt to Result, by webhook.",
			Buckets: o.Buckets,
		}, []string{"webhook"}),
		firedToResult: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "fired_to_result_seconds",
			Help:    "Time from an event's arrival in the trigger stream to its Result, retries and delays included, by status.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 3600, 4 * 3600, 24 * 3600},
		}, []string{"status"}),
		unknownFields: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "event_unknown_fields_total",
			Help: "Top-level event fields this version of the contract does not know (ignored, from an engine newer than the worker), by name (the first 32 names seen; later ones count as other).",
		}, []string{"field"}),
		received: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Name: "events_received_total",
			Help: "Messages taken from the trigger consumer, redeliveries (delayed retries) included.",
		}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: namespace, Name: "events_in_flight",
			Help: "Events being handled now.",
		}),
		parked: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: namespace, Name: "events_parked",
			Help: "Deliveries held in memory, in arrival order, until a slot of their bot's share is free (worker.park_max).",
		}),
		results: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "results_total",
			Help: "Terminal outcomes of events (one Result each), by status and error class (none without error).",
		}, []string{"status", "class"}),
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "attempts_total",
			Help: "HTTP attempts by target host and class: 1xx to 5xx by response status, or network, timeout, blocked, too_large, render, canceled.",
		}, []string{"host", "class"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "request_duration_seconds",
			Help:    "Duration of HTTP attempts, from the request to the end of the response body, by target host.",
			Buckets: o.Buckets,
		}, []string{"host"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "retries_scheduled_total",
			Help: "Retries scheduled: delayed (handed back to JetStream with a delay) or in_worker (a short wait in the worker).",
		}, []string{"kind"}),
		deadLetters: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "dead_letters_total",
			Help: "Dead letters written, by error class.",
		}, []string{"class"}),
		cacheHits: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Name: "definition_cache_hits_total",
			Help: "Webhook definitions found compiled in the worker's cache.",
		}),
		unordered: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Name: "unordered_events_total",
			Help: "Events of a definition marked ordered that arrived on the unordered (fired) subjects, so ran without per-conversation order.",
		}),
		cacheMisses: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Name: "definition_cache_misses_total",
			Help: "Webhook definitions compiled because they were not in the worker's cache.",
		}),
	}
	m.reg.MustRegister(m.received, m.inFlight, m.parked, m.results, m.attempts, m.latency,
		m.retries, m.deadLetters, m.cacheHits, m.cacheMisses, m.unordered,
		m.webhookResults, m.webhookDuration, m.firedToResult, m.unknownFields,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	m.faults = newFaults(m.reg)
	// Series that should read 0 rather than be missing before the first
	// event.
	for _, k := range []string{"delayed", "in_worker"} {
		m.retries.WithLabelValues(k)
	}
	return m
}

// Registry is where the collectors are registered.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// EventReceived counts a message taken from the trigger consumer.
func (m *Metrics) EventReceived() { m.received.Inc() }

// InFlight adds delta to the events being handled.
func (m *Metrics) InFlight(delta int) { m.inFlight.Add(float64(delta)) }

// Parked adds delta to the deliveries parked.
func (m *Metrics) Parked(delta int) { m.parked.Add(float64(delta)) }

// Outcome counts a terminal outcome; class is empty without error.
func (m *Metrics) Outcome(status, class string) {
	if class == "" {
		class = "none"
	}
	m.results.WithLabelValues(status, class).Inc()
}

// Attempt counts one HTTP attempt to host (host[:port], never a URL) and
// its duration; class is the response's status class (2xx...) or the
// failure class. A zero duration (no request was made) is not observed.
func (m *Metrics) Attempt(host, class string, d time.Duration) {
	host = m.hostLabel(host)
	m.attempts.WithLabelValues(host, class).Inc()
	if d > 0 {
		m.latency.WithLabelValues(host).Observe(d.Seconds())
	}
}

// RetryScheduled counts a retry of the given kind: delayed or in_worker.
func (m *Metrics) RetryScheduled(kind string) { m.retries.WithLabelValues(kind).Inc() }

// DeadLetter counts a dead letter written with the given error class.
func (m *Metrics) DeadLetter(class string) { m.deadLetters.WithLabelValues(class).Inc() }

// Unordered counts an event of an ordered definition that arrived on the
// unordered subjects.
func (m *Metrics) Unordered() { m.unordered.Inc() }

// DefinitionCache counts a lookup of a compiled definition.
func (m *Metrics) DefinitionCache(hit bool) {
	if hit {
		m.cacheHits.Inc()
	} else {
		m.cacheMisses.Inc()
	}
}

// Completed counts an event's terminal outcome for its webhook and
// observes how long it took; a zero sinceFired is not observed.
func (m *Metrics) Completed(webhook, status string, handled, sinceFired time.Duration) {
	webhook = m.webhooks.label(webhook)
	m.webhookResults.WithLabelValues(webhook, status).Inc()
	m.webhookDuration.WithLabelValues(webhook).Observe(handled.Seconds())
	if sinceFired > 0 {
		m.firedToResult.WithLabelValues(status).Observe(sinceFired.Seconds())
	}
}

// UnknownFields counts the unknown top-level fields of one event: names
// are the first of them, the rest count as Other.
func (m *Metrics) UnknownFields(names []string, count int) {
	for _, n := range names {
		m.unknownFields.WithLabelValues(m.fields.label(n)).Inc()
	}
	if rest := count - len(names); rest > 0 {
		m.unknownFields.WithLabelValues(Other).Add(float64(rest))
	}
}

// hostLabel bounds the host label: the first MaxHosts hosts keep their
// name, later ones are OtherHost.
func (m *Metrics) hostLabel(host string) string {
	host = strings.ToLower(host)
	if host == "" {
		return "none"
	}
	return m.hosts.label(host)
}

// boundedSet bounds a label: the first max values seen keep their name
// (clipped to maxLen bytes on a rune boundary), later ones are other.
type boundedSet struct {
	mu     sync.RWMutex
	seen   map[string]struct{}
	max    int
	maxLen int
	other  string
}

func newBoundedSet(max, maxLen int, other string) *boundedSet {
	return &boundedSet{seen: map[string]struct{}{}, max: max, maxLen: maxLen, other: other}
}

func (b *boundedSet) clip(v string) string { return clipTo(v, b.maxLen) }

// clipTo cuts v to max bytes on a rune boundary, as valid UTF-8.
func clipTo(v string, max int) string {
	if len(v) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(v[cut]) {
			cut--
		}
		v = v[:cut]
	}
	return strings.ToValidUTF8(v, "\uFFFD")
}

func (b *boundedSet) label(v string) string {
	v = b.clip(v)
	b.mu.RLock()
	_, ok := b.seen[v]
	b.mu.RUnlock()
	if ok {
		return v
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.seen[v]; ok {
		return v
	}
	if len(b.seen) >= b.max {
		return b.other
	}
	b.seen[v] = struct{}{}
	return v
}

// ObserveTemplateCache exports n, the render environment's template cache
// size, as hookworker_template_cache_entries.
func (m *Metrics) ObserveTemplateCache(n func() int) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Namespace: namespace, Name: "template_cache_entries",
		Help: "Compiled templates in the render environment's cache.",
	}, func() float64 { return float64(n()) }))
}

// ConsumerState is what the consumer collector reads from the server.
type ConsumerState struct {
	// Pending: messages not yet delivered to any worker.
	Pending uint64
	// AckPending: messages delivered and not yet acknowledged.
	AckPending uint64
}

// ObserveConsumer reads the trigger consumer's state with read (given a
// context with the timeout; zero: 2s) at every scrape and exports its
// pending and ack-pending counts. A failed read leaves the two gauges out
// of that scrape and counts hookworker_consumer_info_errors_total.
func (m *Metrics) ObserveConsumer(read func(context.Context) (ConsumerState, error), timeout time.Duration) {
	if timeout <= 0 {
		timeout = 2 * time.Second
	}
	m.reg.MustRegister(&consumerCollector{
		read:    read,
		timeout: timeout,
		pending: prometheus.NewDesc(prometheus.BuildFQName(namespace, "consumer", "pending_messages"),
			"Messages of the trigger consumer not yet delivered, read from the server at scrape time.", nil, nil),
		ackPending: prometheus.NewDesc(prometheus.BuildFQName(namespace, "consumer", "ack_pending_messages"),
			"Messages of the trigger consumer delivered and not yet acknowledged, read from the server at scrape time.", nil, nil),
		errors: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Name: "consumer_info_errors_total",
			Help: "Scrapes at which the trigger consumer's state could not be read.",
		}),
	})
}

type consumerCollector struct {
	read                func(context.Context) (ConsumerState, error)
	timeout             time.Duration
	pending, ackPending *prometheus.Desc
	errors              prometheus.Counter
}

func (c *consumerCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.pending
	ch <- c.ackPending
	c.errors.Describe(ch)
}

func (c *consumerCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	st, err := c.read(ctx)
	if err != nil {
		c.errors.Inc()
	} else {
		ch <- prometheus.MustNewConstMetric(c.pending, prometheus.GaugeValue, float64(st.Pending))
		ch <- prometheus.MustNewConstMetric(c.ackPending, prometheus.GaugeValue, float64(st.AckPending))
	}
	c.errors.Collect(ch)
}
