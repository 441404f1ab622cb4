package worker

import (
	"strings"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/nats-io/nats.go/jetstream"
)

// park holds, in memory and in arrival order per bot, the deliveries of a
// bot that is at its share of the pool (botShare) while its events are
// moving, so that the consumer goes on pulling and another bot's events
// stored behind a flood reach a free slot at once, instead of waiting for
// the flood ahead of them to be run or deferred. A parked delivery runs
// when a slot of its bot comes free (the slot passes from the event that
// ends to it), in the order its bot's events arrived.
//
// Parking costs no write; a deferral (the retry stream) costs three. It
// is bounded: at most max deliveries and maxBytes of payload per process,
// a bot's k-th parked event only when its bot's recent rate of ends says
// it gets a slot within wait (botShare.soonFree: a bot whose events are
// stuck has its next ones deferred as before), and a delivery parked
// longer than wait goes to the pool, where the share defers it. Parked
// deliveries count against the consumer's ack-pending budget and get
// heartbeats like running ones (inflight); they are handed back (Nak) at
// shutdown, when other processes can run them at once.
type park struct {
	share    *botShare
	clock    clockwork.Clock
	max      int
	maxBytes int64
	wait     time.Duration
	// held starts the heartbeats of a delivery being parked; called
	// under mu, so the delivery is tracked before anyone can pop it (and
	// its handler untrack it).
	held  func(m jetstream.Msg, at time.Time)
	gauge func(delta int)

	mu     sync.Mutex
	closed bool
	q      map[string][]parked
	n      int
	bytes  int64
}

type parked struct {
	d    delivery
	size int64
}

// parkOverhead is what a parked delivery costs besides its payload (the
// message, its headers and the queue entry), counted against maxBytes.
const parkOverhead = 512

// admission is what park.admit decided for a delivery.
type admission int

const (
	// admitPool: to the pool without a slot; the share decides there
	// (takeShare: it may wait for a slot or defer the event).
	admitPool admission = iota
	// admitDefer: to the pool without a slot, behind parked deliveries
	// of its bot that the park has no room for: the share defers it
	// unless a slot is free at once.
	admitDefer
	// admitRun: to the pool with a slot of its bot's share taken.
	admitRun
	// admitParked: held in the park until a slot of its bot is free.
	admitParked
)

// parkLimits bound a park (see park).
type parkLimits struct {
	max      int
	maxBytes int64
	wait     time.Duration
}

// newPark is a park within lim that starts heartbeats with held and
// counts in gauge; nil (no parking) when lim.max or lim.maxBytes is zero
// or the share has no limit.
func newPark(share *botShare, clock clockwork.Clock, lim parkLimits, held func(jetstream.Msg, time.Time), gauge func(int)) *park {
	if share.limit == 0 || lim.max <= 0 || lim.maxBytes <= 0 {
		return nil
	}
	return &park{share: share, clock: clock, max: lim.max, maxBytes: lim.maxBytes, wait: lim.wait,
		held: held, gauge: gauge, q: map[string][]parked{}}
}

// admit decides for delivery d of d.bot (see admission). A bot with
// parked deliveries has its later ones parked behind them, or sent to the
// pool: never run ahead of them.
func (p *park) admit(d delivery) admission {
	if p == nil || d.bot == "" {
		return admitPool
	}
	size := int64(len(d.msg.Data()) + parkOverhead)
	p.mu.Lock()
	defer p.mu.Unlock()
	q := p.q[d.bot]
	if len(q) == 0 && p.share.tryAcquire(d.bot) {
		return admitRun
	}
	if p.closed || p.n >= p.max || p.bytes+size > p.maxBytes || !p.share.soonFree(d.bot, len(q)+1, p.wait) {
		if len(q) > 0 {
			return admitDefer
		}
		return admitPool
	}
	d.parkedAt = p.clock.Now()
	p.held(d.msg, d.at)
	p.q[d.bot] = append(q, parked{d: d, size: size})
	p.n++
	p.bytes += size
	p.gauge(1)
	return admitParked
}

// next pops bot's first parked delivery with a slot of bot's share taken
// for it, when one is free.
func (p *park) next(bot string) (delivery, bool) {
	if p == nil {
		return delivery{}, false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.q[bot]) == 0 || !p.share.tryAcquire(bot) {
		return delivery{}, false
	}
	d := p.popLocked(bot)
	d.slot = true
	return d, true
}

// overdue pops the deliveries parked longer than wait, oldest first of
// each bot, and the first ones of each bot that a slot is free for now
// (with their slot taken: the share's limit can rise, when the other bots
// go quiet, without any of the bot's events ending).
func (p *park) overdue() []delivery {
	if p == nil {
		return nil
	}
	now := p.clock.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []delivery
	for bot, q := range p.q {
		for len(q) > 0 && now.Sub(q[0].d.parkedAt) >= p.wait {
			out = append(out, p.popLocked(bot))
			q = p.q[bot]
		}
		for len(q) > 0 && p.share.tryAcquire(bot) {
			d := p.popLocked(bot)
			d.slot = true
			out = append(out, d)
			q = p.q[bot]
		}
	}
	return out
}

// close refuses further parking and returns what is parked.
func (p *park) close() []delivery {
	if p == nil {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	var out []delivery
	for bot := range p.q {
		for len(p.q[bot]) > 0 {
			out = append(out, p.popLocked(bot))
		}
	}
	return out
}

// popLocked removes bot's first parked delivery; p.mu is held and the
// queue is not empty.
func (p *park) popLocked(bot string) delivery {
	q := p.q[bot]
	first := q[0]
	q[0] = parked{}
	if q = q[1:]; len(q) == 0 {
		delete(p.q, bot)
	} else {
		p.q[bot] = q
	}
	p.n--
	p.bytes -= first.size
	p.gauge(-1)
	return first.d
}

// parkTick is how often runPark looks for overdue deliveries and for
// slots that came free without an event ending.
const parkTick = 100 * time.Millisecond

// dispatch is the consume callback of the shared consumer and of due
// retries: it parks a delivery of a bot at its share (see park), or hands
// it to the pool, blocking while the pool is busy.
func (w *Worker) dispatch(to chan<- delivery, quit <-chan struct{}) func(jetstream.Msg) {
	return func(m jetstream.Msg) {
		d := delivery{msg: m, at: w.clock.Now(), bot: w.shareBot(m.Subject())}
		switch w.park.admit(d) {
		case admitParked:
			return
		case admitRun:
			d.slot = true
		case admitDefer:
			d.noWait = true
		}
		select {
		case to <- d:
		case <-quit:
			w.returnUnstarted([]delivery{d})
		}
	}
}

// runPark hands the pool the parked deliveries that are overdue (the
// share defers them there) or that a slot came free for, until quit.
func (w *Worker) runPark(to chan<- delivery, quit <-chan struct{}) {
	t := w.clock.NewTicker(parkTick)
	defer t.Stop()
	for {
		select {
		case <-t.Chan():
		case <-quit:
			return
		}
		due := w.park.overdue()
		for i, d := range due {
			select {
			case to <- d:
			case <-quit:
				w.returnUnstarted(due[i:])
				return
			}
		}
	}
}

// returnUnstarted gives deliveries that did not start back to JetStream at once
// (Nak: another process may run them now), with the slots taken for them.
func (w *Worker) returnUnstarted(ds []delivery) {
	for _, d := range ds {
		w.inflight.remove(d.msg)
		if d.slot {
			w.share.release(d.bot)
		}
		_ = d.msg.Nak()
	}
}

// parkMax is how many deliveries this process may park: worker.park_max,
// but at most half of the consumer's ack-pending budget less a pull
// batch, so that one process parking does not hold what the fleet's
// other processes need to pull; 0 (no parking) below that.
func (w *Worker) parkMax(cons jetstream.Consumer) int {
	budget := w.cfg.Worker.MaxAckPending
	if cons != nil {
		if mp := cons.CachedInfo().Config.MaxAckPending; mp > 0 {
			budget = mp
		}
	}
	return max(0, min(w.cfg.Worker.ParkMax, budget/2-w.pullBatch()))
}

// shareBot is the bot whose share a message on subject counts against:
// its subject's bot (a due retry's origin's), "" for the ordered lanes'
// events, which are not limited (a lane holds one event at a time).
func (w *Worker) shareBot(subject string) string {
	if _, orig, ok := w.topo.RetryOrigin(subject); ok {
		subject = orig
	}
	if strings.HasPrefix(subject, w.cfg.Names.OrderedPrefix+".") {
		return ""
	}
	return w.tenancy.SubjectBot(subject)
}

// closed reports whether ch is closed.
func closed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}
