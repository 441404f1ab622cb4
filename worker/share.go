package worker

import (
	"math"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"
)

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
	// released counts the bot's releases in the rate window that began
	// at since, and before those of the window ended before it.
	since    time.Time
	released int
	before   int
	// first is when the bot took its first slot since it held none.
	first time.Time
}

// rateWindow is the span over which a bot's rate of releases is counted
// (the current window and the one before it).
const rateWindow = 500 * time.Millisecond

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
		if s.fits(bot, now) {
			s.take(bot, now)
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

// fits reports whether bot may take one more slot at now; s.mu is held.
func (s *botShare) fits(bot string, now time.Time) bool {
	held := s.n[bot]
	return held < s.alone && (held < s.limit || !s.othersActive(bot, now))
}

// take counts a slot of bot taken at now; s.mu is held.
func (s *botShare) take(bot string, now time.Time) {
	s.n[bot]++
	m := s.moves[bot]
	if m == nil {
		m = &shareMoves{freed: make(chan struct{}), since: now, first: now}
		s.moves[bot] = m
	}
	m.changed = now
}

// tryAcquire takes a slot for bot if one is free at once, without
// waiting; it notes bot's arrival either way.
func (s *botShare) tryAcquire(bot string) bool {
	if s.limit == 0 || bot == "" {
		return true
	}
	now := s.clock.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.note(bot, now)
	if !s.fits(bot, now) {
		return false
	}
	s.take(bot, now)
	return true
}

// soonFree reports whether a slot of bot is likely to come free within
// wait for an event queued k-th behind its running ones: from the rate at
// which its events ended over the last rate windows. Before any of them
// ended, it is trusted for wait from its first slot taken: a flood's
// first events are not deferred for want of a measured rate, and a bot
// whose events are all stuck (none ends within wait) is refused from then
// on, its parked events deferred once overdue (park.overdue).
func (s *botShare) soonFree(bot string, k int, wait time.Duration) bool {
	now := s.clock.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.moves[bot]
	if m == nil {
		return false
	}
	m.roll(now)
	n := m.released + m.before
	if n == 0 {
		return now.Sub(m.first) < wait
	}
	span := now.Sub(m.since)
	if m.before > 0 {
		span += rateWindow
	}
	perSecond := float64(n) / max(span, time.Millisecond).Seconds()
	return float64(k) <= perSecond*wait.Seconds()
}

// roll starts a new rate window when the current one is over.
func (m *shareMoves) roll(now time.Time) {
	switch d := now.Sub(m.since); {
	case d < rateWindow:
	case d < 2*rateWindow:
		m.before, m.released, m.since = m.released, 0, m.since.Add(rateWindow)
	default:
		m.before, m.released, m.since = 0, 0, now
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
		now := s.clock.Now()
		m.roll(now)
		m.released++
		m.changed, m.freed = now, make(chan struct{})
	}
}
