package worker

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
)

// consumeLoop keeps one Consume running on a durable consumer for as long
// as Run does, whatever happens to the consumer on the server:
//
//   - nats.go's Consume stops for good when the server answers a pull
//     with "consumer deleted" (jetstream.ErrConsumerDeleted): the loop
//     starts it again, on the consumer as the server has it, as soon as it
//     is back (the topology watchdog recreates it);
//   - a pull the server lost while the client thinks it outstanding (a
//     pull stall) ends at the client's heartbeat check, 2 x heartbeat
//     (pull_expiry): the loop's pull watchdog ends it sooner, when no
//     message came for stallAfter while the server says events wait, no
//     pull request of the fleet is waiting and ack-pending room is left.
type consumeLoop struct {
	w       *Worker
	stream  string
	name    string
	handler jetstream.MessageHandler
	opts    []jetstream.PullConsumeOpt

	mu       sync.Mutex
	cur      jetstream.ConsumeContext
	draining bool
	// quit is closed by Drain or Stop.
	quit     chan struct{}
	quitOnce sync.Once
	// done is closed once the loop ends: drained or stopped.
	done chan struct{}
	// last is when the last message (unix nanoseconds, the worker's
	// clock) arrived or the current Consume started; busy counts
	// handlers running (a handler blocked on a full pool is not a stall).
	last atomic.Int64
	busy atomic.Int32
}

// stallAfter is how long a consumer may go without a message, while
// events wait for it, before the pull watchdog restarts its pull.
const stallAfter = 3 * time.Second

// consume starts consuming cons and keeps it going (see consumeLoop).
func (w *Worker) consume(cons jetstream.Consumer, handler jetstream.MessageHandler, opts ...jetstream.PullConsumeOpt) (*consumeLoop, error) {
	info := cons.CachedInfo()
	l := &consumeLoop{w: w, stream: info.Stream, name: info.Name, handler: handler, opts: opts,
		done: make(chan struct{}), quit: make(chan struct{})}
	cc, err := l.start(cons)
	if err != nil {
		return nil, err
	}
	l.cur = cc
	w.loopsMu.Lock()
	w.loops = append(w.loops, l)
	w.loopsMu.Unlock()
	go l.run(cc)
	return l, nil
}

func (l *consumeLoop) start(cons jetstream.Consumer) (jetstream.ConsumeContext, error) {
	l.last.Store(l.w.clock.Now().UnixNano())
	return cons.Consume(func(m jetstream.Msg) {
		l.last.Store(l.w.clock.Now().UnixNano())
		l.busy.Add(1)
		defer l.busy.Add(-1)
		l.handler(m)
	}, l.opts...)
}

// run watches the current Consume until the loop is drained or stopped.
func (l *consumeLoop) run(cc jetstream.ConsumeContext) {
	defer close(l.done)
	check := l.w.clock.NewTicker(time.Second)
	defer check.Stop()
	closed := cc.Closed()
	for {
		select {
		case <-closed:
		case <-check.Chan():
			if l.stalled() {
				l.w.metrics.PullStalled()
				l.w.log.Warn("pull stalled: no message while events wait and no pull request is waiting; pulling again",
					zap.String("stream", l.stream), zap.String("consumer", l.name), zap.Duration("after", stallAfter))
				// Drain, not Stop: a message that did arrive meanwhile
				// (this was no stall after all) still goes to the pool.
				cc.Drain()
				<-closed
				if cc = l.restart("pull stalled"); cc == nil {
					return
				}
				closed = cc.Closed()
			}
			continue
		}
		if l.isDraining() {
			return
		}
		if cc = l.restart("consuming stopped (was the consumer deleted?)"); cc == nil {
			return
		}
		closed = cc.Closed()
	}
}

// stalled reports a pull stall (see consumeLoop).
func (l *consumeLoop) stalled() bool {
	if l.busy.Load() > 0 || l.isDraining() || l.w.clock.Since(time.Unix(0, l.last.Load())) < stallAfter {
		return false
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	c, err := l.w.js.Consumer(ctx, l.stream, l.name)
	if err != nil {
		return false
	}
	i := c.CachedInfo()
	room := i.Config.MaxAckPending <= 0 || i.NumAckPending < i.Config.MaxAckPending
	if i.NumPending > 0 && i.NumWaiting == 0 && room {
		return true
	}
	// Not a stall: look again in stallAfter.
	l.last.Store(l.w.clock.Now().UnixNano())
	return false
}

// restart starts Consume again once the server has the consumer, trying
// every second; nil once the loop is drained or stopped meanwhile.
func (l *consumeLoop) restart(why string) jetstream.ConsumeContext {
	l.w.log.Warn(why+": consuming again as soon as the server has the consumer",
		zap.String("stream", l.stream), zap.String("consumer", l.name))
	for n := 1; ; n++ {
		if l.isDraining() {
			return nil
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		cons, err := l.w.js.Consumer(ctx, l.stream, l.name)
		cancel()
		var cc jetstream.ConsumeContext
		if err == nil {
			cc, err = l.start(cons)
		}
		if err == nil {
			l.mu.Lock()
			l.cur = cc
			draining := l.draining
			l.mu.Unlock()
			if draining {
				cc.Drain()
			}
			l.w.log.Info("consuming again", zap.String("stream", l.stream), zap.String("consumer", l.name), zap.Int("tries", n))
			return cc
		}
		if !errors.Is(err, jetstream.ErrConsumerNotFound) && !errors.Is(err, jetstream.ErrStreamNotFound) {
			l.w.log.Debug("consume again", zap.String("consumer", l.name), zap.Error(err))
		}
		t := l.w.clock.NewTimer(time.Second)
		select {
		case <-t.Chan():
		case <-l.quit:
			t.Stop()
		}
	}
}

func (l *consumeLoop) isDraining() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.draining
}

// Drain drains the current Consume (see jetstream.ConsumeContext) and
// starts no other.
func (l *consumeLoop) Drain() {
	l.mu.Lock()
	l.draining = true
	cc := l.cur
	l.mu.Unlock()
	l.quitOnce.Do(func() { close(l.quit) })
	cc.Drain()
}

// Stop stops the current Consume and starts no other.
func (l *consumeLoop) Stop() {
	l.mu.Lock()
	l.draining = true
	cc := l.cur
	l.mu.Unlock()
	l.quitOnce.Do(func() { close(l.quit) })
	cc.Stop()
}

// Closed is closed once the loop has ended.
func (l *consumeLoop) Closed() <-chan struct{} { return l.done }

// delivery is a message taken from a consumer and when it arrived; bot
// is the bot whose share it counts against ("" for none: see shareBot),
// slot whether a slot of that share is taken for it already (park),
// noWait whether it may not wait for one (park, admitDefer).
type delivery struct {
	msg      jetstream.Msg
	at       time.Time
	bot      string
	slot     bool
	noWait   bool
	parkedAt time.Time
}

// pullBatch is the most events one pull of the shared consumer asks for
// (worker.pull_batch; 0: twice the pool, at most MaxAckPending).
func (w *Worker) pullBatch() int {
	if b := w.cfg.Worker.PullBatch; b > 0 {
		return b
	}
	return min(2*w.cfg.Worker.Concurrency, w.cfg.Worker.MaxAckPending)
}
