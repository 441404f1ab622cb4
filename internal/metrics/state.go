package metrics

import (
	"context"
	"sort"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// This file holds the collectors read at scrape time: build information,
// the dead-letter backlog and the circuit breakers.
//
//	hookworker_build_info{version,revision,goversion}      1, labelled with the binary's build
//	hookworker_dead_letters_backlog{bot,class}             letters stored now, by bot (the MaxBacklogBots bots with most letters; the rest as bot "other") and error class
//	hookworker_dead_letters_backlog_errors_total           scrapes at which the backlog could not be read
//	hookworker_breakers{state}                             target hosts whose circuit breaker is open or half_open in this process
//	hookworker_breaker_open{host}                          1 for each host whose breaker is open or half-open (at most MaxBreakerHosts hosts)

// BuildInfo labels hookworker_build_info.
type BuildInfo struct {
	Version, Revision, GoVersion string
}

// MaxBacklogBots bounds the bot label of the backlog gauge.
const MaxBacklogBots = 100

// MaxBreakerHosts bounds the host label of hookworker_breaker_open.
const MaxBreakerHosts = 100

// ObserveBuild exports hookworker_build_info.
func (m *Metrics) ObserveBuild(b BuildInfo) {
	g := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: namespace, Name: "build_info",
		Help: "1, labelled with the version, source revision and Go version of this binary.",
	}, []string{"version", "revision", "goversion"})
	g.WithLabelValues(clipLabel(b.Version), clipLabel(b.Revision), clipLabel(b.GoVersion)).Set(1)
	m.reg.MustRegister(g)
}

// Backlog is the dead letters stored for one bot and class.
type Backlog struct {
	Bot, Class string
	Count      uint64
}

// ObserveDeadLetters reads the dead-letter backlog with read (given a
// context with timeout; zero: 2s) at every scrape.
func (m *Metrics) ObserveDeadLetters(read func(context.Context) ([]Backlog, error), timeout time.Duration) {
	if timeout <= 0 {
		timeout = 2 * time.Second
	}
	m.reg.MustRegister(&backlogCollector{
		read: read, timeout: timeout,
		desc: prometheus.NewDesc(prometheus.BuildFQName(namespace, "dead_letters", "backlog"),
			"Dead letters stored now, by bot (the 100 bots with most letters; the others summed as other) and error class, read from the dead-letter stream at scrape time.",
			[]string{"bot", "class"}, nil),
		errors: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Name: "dead_letters_backlog_errors_total",
			Help: "Scrapes at which the dead-letter backlog could not be read.",
		}),
	})
}

type backlogCollector struct {
	read    func(context.Context) ([]Backlog, error)
	timeout time.Duration
	desc    *prometheus.Desc
	errors  prometheus.Counter
}

func (c *backlogCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.desc
	c.errors.Describe(ch)
}

func (c *backlogCollector) Collect(ch chan<- prometheus.Metric) {
	defer c.errors.Collect(ch)
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	backlog, err := c.read(ctx)
	if err != nil {
		c.errors.Inc()
		return
	}
	for k, n := range BoundBacklog(backlog, MaxBacklogBots) {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(n), k[0], k[1])
	}
}

// BoundBacklog sums the backlog by (bot, class), keeping the max bots with
// the most letters by name (clipped) and summing the others as Other.
func BoundBacklog(backlog []Backlog, max int) map[[2]string]uint64 {
	perBot := map[string]uint64{}
	for _, b := range backlog {
		perBot[clipLabel(b.Bot)] += b.Count
	}
	bots := make([]string, 0, len(perBot))
	for b := range perBot {
		bots = append(bots, b)
	}
	sort.Slice(bots, func(i, j int) bool {
		if perBot[bots[i]] != perBot[bots[j]] {
			return perBot[bots[i]] > perBot[bots[j]]
		}
		return bots[i] < bots[j]
	})
	keep := map[string]bool{}
	for i, b := range bots {
		keep[b] = i < max
	}
	out := map[[2]string]uint64{}
	for _, b := range backlog {
		bot := clipLabel(b.Bot)
		if !keep[bot] {
			bot = Other
		}
		out[[2]string{bot, clipLabel(b.Class)}] += b.Count
	}
	return out
}

// ObserveBreakers reads, at every scrape, the hosts whose circuit breaker
// is open and half-open.
func (m *Metrics) ObserveBreakers(read func() (open, halfOpen []string)) {
	m.reg.MustRegister(&breakerCollector{
		read: read,
		count: prometheus.NewDesc(prometheus.BuildFQName(namespace, "", "breakers"),
			"Target hosts whose circuit breaker is open or half_open in this process (closed ones are not counted).", []string{"state"}, nil),
		open: prometheus.NewDesc(prometheus.BuildFQName(namespace, "", "breaker_open"),
			"1 for each target host whose circuit breaker is open or half-open in this process (at most 100 hosts).", []string{"host"}, nil),
	})
}

type breakerCollector struct {
	read        func() (open, halfOpen []string)
	count, open *prometheus.Desc
}

func (c *breakerCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.count
	ch <- c.open
}

func (c *breakerCollector) Collect(ch chan<- prometheus.Metric) {
	open, half := c.read()
	ch <- prometheus.MustNewConstMetric(c.count, prometheus.GaugeValue, float64(len(open)), "open")
	ch <- prometheus.MustNewConstMetric(c.count, prometheus.GaugeValue, float64(len(half)), "half_open")
	seen := map[string]bool{}
	for _, h := range append(open, half...) {
		h = clipLabel(h)
		if seen[h] || len(seen) >= MaxBreakerHosts {
			continue
		}
		seen[h] = true
		ch <- prometheus.MustNewConstMetric(c.open, prometheus.GaugeValue, 1, h)
	}
}

// clipLabel bounds a label value's length (MaxLabelLen bytes, valid UTF-8).
func clipLabel(v string) string {
	return clipTo(v, MaxLabelLen)
}
