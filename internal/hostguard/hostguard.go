package hostguard

import (
	"fmt"
	"math"
	"net"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"
	"golang.org/x/time/rate"
)

// Config sets the limits applied to each host. The zero value limits
// nothing. Negative numbers count as zero.
type Config struct {
	// MaxConcurrent is the number of attempts a host may have in flight at
	// once; 0 means unlimited.
	MaxConcurrent int
	// Rate is the number of attempts per second a host may start, on
	// average; 0 means unlimited.
	Rate float64
	// Burst is how many attempts a host may start at once when its bucket
	// is full. With a Rate, values below 1 mean 1.
	Burst int

	// The breaker is on when FailureRatio > 0. It opens when, over the last
	// Window, at least MinRequests attempts finished and the ratio of
	// failed to finished is at least FailureRatio. It stays open for
	// OpenFor, then turns half-open: it lets HalfOpenProbes attempts
	// through, closes after that many successes in a row and opens again
	// when a probe fails.
	//
	// With the breaker on, a zero Window means 1 minute, a MinRequests
	// below 1 means 1, a zero OpenFor means 30 seconds, a HalfOpenProbes
	// below 1 means 1, and a FailureRatio above 1 means 1.
	Window         time.Duration
	MinRequests    int
	FailureRatio   float64
	OpenFor        time.Duration
	HalfOpenProbes int

	// MaxHosts bounds the number of hosts tracked; idle ones are forgotten
	// to make room. 0 means DefaultMaxHosts.
	MaxHosts int

	// BusyDelay is the RetryAfter of a "concurrency" denial, and of a
	// "breaker_open" denial while a half-open breaker waits for its probes;
	// 0 means DefaultBusyDelay.
	BusyDelay time.Duration

	// OnChange, when set, is called at every transition of a breaker,
	// with its key (see [Guard.AcquireFor]), under the Guard's lock: it
	// must not call the Guard.
	OnChange func(breaker string, from, to State)
}

// Defaults for zero fields of a [Config].
const (
	DefaultMaxHosts  = 10000
	DefaultBusyDelay = time.Second

	defaultWindow  = time.Minute
	defaultOpenFor = 30 * time.Second
)

// Reasons for a [Deny].
const (
	ReasonConcurrency = "concurrency"  // MaxConcurrent attempts in flight
	ReasonRate        = "rate"         // token bucket empty
	ReasonBreakerOpen = "breaker_open" // breaker open, or half-open with all probes out
)

// State is the state of a host's circuit breaker.
type State string

// Breaker states.
const (
	StateClosed   State = "closed"
	StateOpen     State = "open"
	StateHalfOpen State = "half_open"
)

// Deny says an attempt was not allowed, why, and how long the caller should
// wait before trying the host again.
type Deny struct {
	Reason     string        // ReasonConcurrency, ReasonRate or ReasonBreakerOpen
	RetryAfter time.Duration // >= 0
}

// Error implements error, so a Deny can travel as one. Note that Acquire
// returns a *Deny: compare it with nil before turning it into an error.
func (d *Deny) Error() string {
	return fmt.Sprintf("hostguard: attempt denied (%s), retry after %v", d.Reason, d.RetryAfter)
}

// HostKey returns the host key for u that [Guard.Acquire] expects: its host
// name in lower case and its port, or the scheme's default port (80 for
// http, 443 for https) when u names none.
func HostKey(u *url.URL) string {
	name := strings.ToLower(u.Hostname())
	port := u.Port()
	if port == "" {
		switch strings.ToLower(u.Scheme) {
		case "http":
			port = "80"
		case "https":
			port = "443"
		default:
			return name
		}
	}
	return net.JoinHostPort(name, port)
}

// numBuckets is the number of sub-windows of the breaker's sliding window.
const numBuckets = 10

// Guard decides, per host, whether an attempt may start now. It is safe for
// concurrent use.
type Guard struct {
	cfg       Config
	clock     clockwork.Clock
	breakerOn bool
	tracking  bool          // some limit is on, so hosts need state
	bucketLen time.Duration // Window / numBuckets
	start     time.Time     // origin of bucket numbers

	mu    sync.Mutex
	hosts map[string]*host
}

// host is the state of one host. All fields are guarded by Guard.mu.
type host struct {
	name     string // the host, or the breaker's key
	inflight int
	lastUsed time.Time
	lim      *rate.Limiter // nil: no rate limit

	state     State
	gen       uint64    // bumped at every breaker transition
	openUntil time.Time // while open
	probes    int       // half-open: probes let through
	okProbes  int       // half-open: probes that succeeded
	buckets   [numBuckets]bucket
	lastEpoch int64 // newest bucket number written
}

// bucket counts the outcomes of one sub-window of the breaker's window.
type bucket struct {
	epoch      int64 // bucket number: time since Guard.start / bucketLen
	ok, failed int
}

// New returns a Guard applying cfg to every host, reading the time from
// clock (nil means the real time): the process's one clock, so that the
// guard's windows and buckets move with the rest of the worker.
func New(cfg Config, clock clockwork.Clock) *Guard {
	if clock == nil {
		clock = clockwork.NewRealClock()
	}
	cfg.MaxConcurrent = max(cfg.MaxConcurrent, 0)
	if !(cfg.Rate > 0) || math.IsInf(cfg.Rate, 1) {
		cfg.Rate = 0
	} else {
		cfg.Burst = max(cfg.Burst, 1)
	}
	g := &Guard{clock: clock, hosts: make(map[string]*host)}
	if cfg.FailureRatio > 0 {
		g.breakerOn = true
		cfg.FailureRatio = min(cfg.FailureRatio, 1)
		if cfg.Window <= 0 {
			cfg.Window = defaultWindow
		}
		cfg.MinRequests = max(cfg.MinRequests, 1)
		if cfg.OpenFor <= 0 {
			cfg.OpenFor = defaultOpenFor
		}
		cfg.HalfOpenProbes = max(cfg.HalfOpenProbes, 1)
		g.bucketLen = max(cfg.Window/numBuckets, 1)
	} else {
		cfg.FailureRatio = 0
	}
	if cfg.MaxHosts <= 0 {
		cfg.MaxHosts = DefaultMaxHosts
	}
	if cfg.BusyDelay <= 0 {
		cfg.BusyDelay = DefaultBusyDelay
	}
	g.cfg = cfg
	g.tracking = cfg.MaxConcurrent > 0 || cfg.Rate > 0 || g.breakerOn
	g.start = clock.Now()
	return g
}

func noop(bool) {}

// Acquire asks to make one attempt to host (a key from [HostKey]). It never
// blocks. If the attempt is allowed, it returns a release func that must be
// called once, when the attempt is over, with failed set when the attempt
// met a network error or a timeout or got a status worth retrying (5xx,
// 429). If it is not allowed, it returns a [Deny] with the reason and the
// time after which the host is likely usable again.
func (g *Guard) Acquire(host string) (release func(failed bool), deny *Deny) {
	return g.AcquireFor(host, host)
}

// AcquireFor is [Guard.Acquire] with the circuit breaker of key breaker
// instead of host's own: the concurrency and rate limits are host's (they
// protect the target), the breaker is breaker's, so that what fails
// behind one key (a webhook of one bot, say) does not hold back the rest
// of the host. [Guard.Breakers] and [Guard.State] name breakers by key.
func (g *Guard) AcquireFor(host, breaker string) (release func(failed bool), deny *Deny) {
	if !g.tracking {
		return noop, nil
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.clock.Now()
	h := g.lookup(host, now)
	h.lastUsed = now
	b := h
	if breaker != host && g.breakerOn {
		b = g.lookupBreaker(breaker, now)
		b.lastUsed = now
	}

	probe := false
	if g.breakerOn {
		g.advance(b, now)
		switch b.state {
		case StateOpen:
			return nil, &Deny{Reason: ReasonBreakerOpen, RetryAfter: max(b.openUntil.Sub(now), 0)}
		case StateHalfOpen:
			if b.probes >= g.cfg.HalfOpenProbes {
				return nil, &Deny{Reason: ReasonBreakerOpen, RetryAfter: g.cfg.BusyDelay}
			}
			probe = true
		}
	}
	if g.cfg.MaxConcurrent > 0 && h.inflight >= g.cfg.MaxConcurrent {
		return nil, &Deny{Reason: ReasonConcurrency, RetryAfter: g.cfg.BusyDelay}
	}
	if h.lim != nil && !h.lim.AllowN(now, 1) {
		return nil, &Deny{Reason: ReasonRate, RetryAfter: g.tokenDelay(h.lim.TokensAt(now))}
	}

	h.inflight++
	if b != h {
		b.inflight++ // not evicted while in use
	}
	if probe {
		b.probes++
	}
	gen := b.gen
	released := false // guarded by g.mu
	return func(failed bool) {
		g.mu.Lock()
		defer g.mu.Unlock()
		if released {
			return
		}
		released = true
		now := g.clock.Now()
		h.inflight--
		h.lastUsed = now
		if b != h {
			b.inflight--
			b.lastUsed = now
		}
		if g.breakerOn && b.gen == gen {
			g.record(b, now, failed)
		}
		for len(g.hosts) > g.cfg.MaxHosts && g.evictOne() {
			// Back under the bound once attempts end.
		}
	}, nil
}

// tokenDelay returns the time until a bucket holding tokens holds one,
// rounded up to the nanosecond so that waiting it out is enough.
func (g *Guard) tokenDelay(tokens float64) time.Duration {
	need := 1 - tokens
	if need <= 0 {
		return 0
	}
	return time.Duration(math.Ceil(need / g.cfg.Rate * float64(time.Second)))
}

// State returns the state of host's breaker: closed for a host not tracked
// or when the breaker is off.
func (g *Guard) State(host string) State {
	if !g.breakerOn {
		return StateClosed
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	h, ok := g.hosts[host]
	if !ok {
		if h, ok = g.hosts[breakerPrefix+host]; !ok {
			return StateClosed
		}
	}
	g.advance(h, g.clock.Now())
	return h.state
}

// Hosts returns the number of hosts tracked.
func (g *Guard) Hosts() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.hosts)
}

// breakerPrefix keeps breaker keys apart from host keys in Guard.hosts.
const breakerPrefix = "\x00breaker "

// lookupBreaker returns the state of the breaker key (a host entry whose
// limits are not used).
func (g *Guard) lookupBreaker(key string, now time.Time) *host {
	h := g.lookup(breakerPrefix+key, now)
	h.name = key
	return h
}

// lookup returns the state of key, creating it, and making room for it, if
// need be.
func (g *Guard) lookup(key string, now time.Time) *host {
	if h, ok := g.hosts[key]; ok {
		return h
	}
	for len(g.hosts) >= g.cfg.MaxHosts && g.evictOne() {
		// If every host is busy, go over MaxHosts rather than refuse the
		// new one; releases bring the count back under.
	}
	h := &host{name: key, state: StateClosed, lastUsed: now}
	if g.cfg.Rate > 0 {
		h.lim = rate.NewLimiter(rate.Limit(g.cfg.Rate), g.cfg.Burst)
	}
	g.hosts[key] = h
	return h
}

// evictOne forgets the idle host least worth keeping: closed breakers
// before others, then the least recently used. It reports whether it found
// one.
func (g *Guard) evictOne() bool {
	var (
		victim string
		vh     *host
	)
	for k, h := range g.hosts {
		if h.inflight > 0 {
			continue
		}
		if vh == nil || worse(h, vh) {
			victim, vh = k, h
		}
	}
	if vh == nil {
		return false
	}
	delete(g.hosts, victim)
	return true
}

// worse reports whether a is less worth keeping than b.
func worse(a, b *host) bool {
	ac, bc := a.state == StateClosed, b.state == StateClosed
	if ac != bc {
		return ac
	}
	return a.lastUsed.Before(b.lastUsed)
}

// advance turns an open breaker whose time is up half-open.
func (g *Guard) advance(h *host, now time.Time) {
	if h.state == StateOpen && !now.Before(h.openUntil) {
		g.changed(h, StateHalfOpen)
		h.state = StateHalfOpen
		h.gen++
		h.probes, h.okProbes = 0, 0
	}
}

// record counts the outcome of an attempt admitted in the breaker's current
// state, and moves the breaker if the outcome calls for it.
func (g *Guard) record(h *host, now time.Time, failed bool) {
	switch h.state {
	case StateHalfOpen:
		if failed {
			g.open(h, now)
			return
		}
		h.okProbes++
		if h.okProbes >= g.cfg.HalfOpenProbes {
			g.changed(h, StateClosed)
			h.state = StateClosed
			h.gen++
			h.buckets = [numBuckets]bucket{}
		}
	case StateClosed:
		epoch := max(int64(now.Sub(g.start)/g.bucketLen), h.lastEpoch)
		h.lastEpoch = epoch
		b := &h.buckets[epoch%numBuckets]
		if b.epoch != epoch {
			*b = bucket{epoch: epoch}
		}
		if failed {
			b.failed++
		} else {
			b.ok++
		}
		var ok, bad int
		for _, b := range h.buckets {
			if b.epoch > epoch-numBuckets {
				ok += b.ok
				bad += b.failed
			}
		}
		total := ok + bad
		if total >= g.cfg.MinRequests && float64(bad)/float64(total) >= g.cfg.FailureRatio {
			g.open(h, now)
		}
	}
}

func (g *Guard) open(h *host, now time.Time) {
	g.changed(h, StateOpen)
	h.state = StateOpen
	h.gen++
	h.openUntil = now.Add(g.cfg.OpenFor)
}

// changed reports h's breaker moving to state to OnChange.
func (g *Guard) changed(h *host, to State) {
	if g.cfg.OnChange != nil && h.state != to {
		g.cfg.OnChange(h.name, h.state, to)
	}
}
