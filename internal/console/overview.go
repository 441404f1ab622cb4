package console

import (
	"cmp"
	"context"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/hookworker/hookworker/internal/api"
)

// instancesWait is how long the overview waits for the workers' STATS.
const instancesWait = 250 * time.Millisecond

// Overview is the fleet at one instant, as the overview page and
// /overview.json show it. A part that could not be read has its error
// and leaves the rest standing.
type Overview struct {
	At time.Time `json:"at"`

	Stream     string          `json:"stream"`
	Consumers  []ConsumerState `json:"consumers"`
	Pending    uint64          `json:"pending"`
	AckPending int             `json:"ack_pending"`
	// FiredPerSec is the rate of events stored in the trigger stream and
	// DeliveredPerSec of deliveries to its consumers (redeliveries
	// included), over the time since the previous sample; -1 until there
	// are two samples.
	FiredPerSec     float64 `json:"fired_per_sec"`
	DeliveredPerSec float64 `json:"delivered_per_sec"`
	TriggerError    string  `json:"trigger_error,omitempty"`

	Workers []api.Instance `json:"workers"`
	// InFlight sums the workers' events in flight; -1 when no worker
	// reports it.
	InFlight      int          `json:"in_flight"`
	Breakers      []BreakerRow `json:"breakers"`
	NotReady      int          `json:"not_ready"`
	WorkersError  string       `json:"workers_error,omitempty"`
	DeadLetters   []BacklogRow `json:"dead_letters"`
	DeadTotal     uint64       `json:"dead_total"`
	DeadByClass   []BacklogRow `json:"dead_by_class"`
	DeadLetterErr string       `json:"dead_letter_error,omitempty"`
}

// BreakerRow is a target host whose breaker is not closed in some worker.
type BreakerRow struct {
	Host    string `json:"host"`
	State   string `json:"state"` // open or half-open
	Workers int    `json:"workers"`
}

// BacklogRow counts dead letters of a bot and class (Bot empty: all bots).
type BacklogRow struct {
	Bot   string `json:"bot,omitempty"`
	Class string `json:"class"`
	Count uint64 `json:"count"`
}

// maxBacklogRows bounds the bot and class rows shown.
const maxBacklogRows = 50

// rateSampler turns counters into rates between two overviews.
type rateSampler struct {
	mu                   sync.Mutex
	have                 bool
	at                   time.Time
	fired, delivered     uint64  // the counters at
	firedRate, delivRate float64 // the last rates computed
}

// rates records a sample and returns the rates since the previous one at
// least a second older (the last rates when it is younger; -1 at first).
func (rs *rateSampler) rates(now time.Time, fired, delivered uint64) (float64, float64) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if !rs.have {
		rs.have, rs.at, rs.fired, rs.delivered = true, now, fired, delivered
		rs.firedRate, rs.delivRate = -1, -1
		return -1, -1
	}
	dt := now.Sub(rs.at).Seconds()
	if dt >= 1 {
		rs.firedRate, rs.delivRate = perSec(fired, rs.fired, dt), perSec(delivered, rs.delivered, dt)
		rs.at, rs.fired, rs.delivered = now, fired, delivered
	}
	return rs.firedRate, rs.delivRate
}

func perSec(now, before uint64, dt float64) float64 {
	if now < before { // the stream or a consumer was recreated
		return 0
	}
	return float64(now-before) / dt
}

func (s *Server) snapshot(ctx context.Context) Overview {
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	o := Overview{At: s.clock.Now(), InFlight: -1, Consumers: []ConsumerState{}, Workers: []api.Instance{},
		Breakers: []BreakerRow{}, DeadLetters: []BacklogRow{}, DeadByClass: []BacklogRow{}}
	var wg sync.WaitGroup
	wg.Add(3)
	go func() {
		defer wg.Done()
		ts, err := s.deps.Fleet.Trigger(ctx)
		if err != nil {
			o.TriggerError = err.Error()
			return
		}
		o.Stream, o.Consumers = ts.Stream, ts.Consumers
		var delivered uint64
		for _, c := range ts.Consumers {
			o.Pending += c.Pending
			o.AckPending += c.AckPending
			delivered += c.Delivered
		}
		o.FiredPerSec, o.DeliveredPerSec = s.rates.rates(o.At, ts.LastSeq, delivered)
	}()
	go func() {
		defer wg.Done()
		ins, err := s.deps.Service.Instances(ctx, instancesWait)
		if err != nil {
			o.WorkersError = err.Error()
			return
		}
		slices.SortFunc(ins, func(a, b api.Instance) int { return cmp.Compare(a.ID, b.ID) })
		o.Workers = ins
		breakers := map[[2]string]int{}
		for _, in := range ins {
			if in.InFlight >= 0 {
				o.InFlight = max(o.InFlight, 0) + in.InFlight
			}
			if in.Ready != "" {
				o.NotReady++
			}
			for _, h := range in.BreakersOpen {
				breakers[[2]string{h, "open"}]++
			}
			for _, h := range in.BreakersHalfOpen {
				breakers[[2]string{h, "half-open"}]++
			}
		}
		for k, n := range breakers {
			o.Breakers = append(o.Breakers, BreakerRow{Host: k[0], State: k[1], Workers: n})
		}
		slices.SortFunc(o.Breakers, func(a, b BreakerRow) int { return cmp.Or(cmp.Compare(a.State, b.State), cmp.Compare(a.Host, b.Host)) })
		if len(ins) == 0 {
			o.WorkersError = "no worker answers $SRV.STATS.hookworker (is `hookworker run` running?)"
		}
	}()
	go func() {
		defer wg.Done()
		bl, err := s.deps.Fleet.Backlog(ctx)
		if err != nil {
			o.DeadLetterErr = err.Error()
			return
		}
		byClass := map[string]uint64{}
		for _, b := range bl {
			o.DeadTotal += b.Count
			byClass[b.Class] += b.Count
			o.DeadLetters = append(o.DeadLetters, BacklogRow{Bot: b.BotID, Class: b.Class, Count: b.Count})
		}
		slices.SortFunc(o.DeadLetters, func(a, b BacklogRow) int {
			return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Bot, b.Bot), cmp.Compare(a.Class, b.Class))
		})
		if len(o.DeadLetters) > maxBacklogRows {
			o.DeadLetters = o.DeadLetters[:maxBacklogRows]
		}
		for c, n := range byClass {
			o.DeadByClass = append(o.DeadByClass, BacklogRow{Class: c, Count: n})
		}
		slices.SortFunc(o.DeadByClass, func(a, b BacklogRow) int { return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Class, b.Class)) })
	}()
	wg.Wait()
	return o
}

func (s *Server) overview(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "overview", map[string]any{"O": s.snapshot(r.Context())})
}

func (s *Server) overviewJSON(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.snapshot(r.Context()))
}
