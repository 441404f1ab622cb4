package worker

import (
	"context"
	"math"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/nats-io/nats.go/jetstream"
)

// inflight tracks the messages being handled and sends InProgress for
// those held longer than a third of AckWait, so that a long attempt or an
// in-worker backoff is not redelivered under the worker's feet. It also
// says whether a delivery may still be held (held, see guard.go).
type inflight struct {
	clock clockwork.Clock
	mu    sync.Mutex
	// msgs holds when each delivery was last known held: received, or
	// its last InProgress.
	msgs  map[jetstream.Msg]time.Time
	every time.Duration
	pause pauses
	// paused is told of each pause seen (its start), outside the lock;
	// nil: nobody.
	paused func(start time.Time)
}

func newInflight(clock clockwork.Clock, ackWait time.Duration) *inflight {
	f := &inflight{clock: clock, msgs: map[jetstream.Msg]time.Time{}, every: ackWait / 3}
	f.pause = newPauses(ackWait, f.tick(), clock.Now())
	return f
}

// tick is how often run looks: a quarter of the heartbeat interval, so a
// heartbeat is sent at most every + tick after the last one.
func (f *inflight) tick() time.Duration { return max(f.every/4, time.Millisecond) }

// add tracks m, received at at.
func (f *inflight) add(m jetstream.Msg, at time.Time) {
	f.mu.Lock()
	f.msgs[m] = at
	f.mu.Unlock()
}

func (f *inflight) remove(m jetstream.Msg) {
	f.mu.Lock()
	delete(f.msgs, m)
	f.mu.Unlock()
}

// run sends heartbeats until ctx is cancelled. A delivery that may have
// been lost already (held reports false) gets none: an InProgress from a
// process that no longer holds a message would extend the deadline of the
// process that does.
func (f *inflight) run(ctx context.Context) {
	t := f.clock.NewTicker(f.tick())
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.Chan():
			var due []jetstream.Msg
			f.mu.Lock()
			if f.pause.ticked(now) && f.paused != nil {
				go f.paused(f.pause.start)
			}
			for m, since := range f.msgs {
				if now.Sub(since) >= f.every && f.pause.held(since, now) {
					due = append(due, m)
					f.msgs[m] = now
				}
			}
			f.mu.Unlock()
			for _, m := range due {
				_ = m.InProgress()
			}
		}
	}
}

// held reports whether m's delivery is still this process's, as far as it
// can tell (see pauses.held); an untracked message is.
func (f *inflight) held(m jetstream.Msg) bool {
	now := f.clock.Now()
	f.mu.Lock()
	defer f.mu.Unlock()
	since, ok := f.msgs[m]
	return !ok || f.pause.held(since, now)
}

// botShare counts the events each bot holds in this process and refuses
// one more above the bot's share of the pool (worker.bot_share) while
// another bot is active (holds an event, or had one arrive within
// shareWindow). It is work-conserving: a bot alone may use the pool but
// for a reserve (an eighth, at least one slot), so that another bot's
// first event finds a slot at once, and from then on the share holds.
//
// A refusal defers the event (to the retry stream, for a second or two):
// right for a bot whose events are stuck, wasteful for one whose events
// finish by the millisecond (a burst of one bot would defer the few
// events above its limit each time, and its last events would come back
// seconds after the rest). So an event at its bot's limit first waits up
// to shareWait for one of that bot's events to end, when the bot's count
// changed within shareWait (its events are moving); a bot whose events
// are stuck has its next ones deferred at once.
type botShare struct {
	clock clockwork.Clock
	limit int // 0: no limit
	alone int // the limit while no other bot is active
	mu    sync.Mutex
	n     map[string]int
	seen  map[string]time.Time // last arrival of each bot, within shareWindow
	// moves holds, per bot that holds events, when its count last
	// changed and a channel closed at its next release.
	moves map[string]*shareMoves
}

type shareMoves struct {
	changed time.Time
	freed   chan struct{}
}

// shareWindow is how long a bot counts as active after an event of it
// arrived.
const shareWindow = 2 * time.Second

// shareWait is how long an event at its bot's limit waits for a slot of
// that bot while the bot's events are moving.
const shareWait = 20 * time.Millisecond

// maxSeenBots bounds botShare.seen; older entries are dropped first.
const maxSeenBots = 10_000

func newBotShare(clock clockwork.Clock, concurrency int, share float64) *botShare {
	s := &botShare{clock: clock, n: map[string]int{}, seen: map[string]time.Time{}, moves: map[string]*shareMoves{}}
	if share < 1 {
		s.limit = max(1, int(math.Ceil(share*float64(concurrency))))
		s.alone = max(s.limit, concurrency-max(1, concurrency/8))
	}
	return s
}

// acquire takes a slot for bot, false when bot holds its share already
// and another bot is active (or holds all but the reserve), and no slot
// of it came free within shareWait.
func (s *botShare) acquire(bot string) bool {
	if s.limit == 0 || bot == "" {
		return true
	}
	now := s.clock.Now()
	deadline := now.Add(shareWait)
	for {
		s.mu.Lock()
		s.note(bot, now)
		held := s.n[bot]
		if held < s.alone && (held < s.limit || !s.othersActive(bot, now)) {
			s.n[bot]++
			m := s.moves[bot]
			if m == nil {
				m = &shareMoves{freed: make(chan struct{})}
				s.moves[bot] = m
			}
			m.changed = now
			s.mu.Unlock()
			return true
		}
		m := s.moves[bot]
		if m == nil || now.Sub(m.changed) > shareWait || !now.Before(deadline) {
			s.mu.Unlock()
			return false
		}
		freed := m.freed
		s.mu.Unlock()
		t := s.clock.NewTimer(deadline.Sub(now))
		select {
		case <-freed:
		case <-t.Chan():
		}
		t.Stop()
		now = s.clock.Now()
	}
}

// note records that an event of bot arrived at now; s.mu is held.
func (s *botShare) note(bot string, now time.Time) {
	if len(s.seen) >= maxSeenBots {
		for b, at := range s.seen {
			if now.Sub(at) > shareWindow {
				delete(s.seen, b)
			}
		}
		if len(s.seen) >= maxSeenBots {
			clear(s.seen)
		}
	}
	s.seen[bot] = now
}

// othersActive reports whether a bot other than bot holds an event or had
// one arrive within shareWindow.
func (s *botShare) othersActive(bot string, now time.Time) bool {
	if len(s.n) > 1 || len(s.n) == 1 && s.n[bot] == 0 {
		return true
	}
	for b, at := range s.seen {
		if b != bot && now.Sub(at) <= shareWindow {
			return true
		}
	}
	return false
}

// release gives back a slot acquire took, waking the events of bot that
// wait for one.
func (s *botShare) release(bot string) {
	if s.limit == 0 || bot == "" {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.moves[bot]
	if m != nil {
		close(m.freed)
	}
	if s.n[bot]--; s.n[bot] <= 0 {
		delete(s.n, bot)
		delete(s.moves, bot)
		return
	}
	if m != nil {
		m.changed, m.freed = s.clock.Now(), make(chan struct{})
	}
}
