package secret

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
)

// Bots holds every bot's secrets, opened, as the bucket has them: a
// worker watches the bucket and keeps the values in memory, so that a
// render never waits for NATS.
type Bots struct {
	opener *Opener
	log    *zap.Logger

	mu sync.RWMutex
	m  map[string]map[string]string // bot -> name -> value
}

// NewBots opens values with o; log (nil: none) hears of entries that do
// not open.
func NewBots(o *Opener, log *zap.Logger) *Bots {
	if log == nil {
		log = zap.NewNop()
	}
	return &Bots{opener: o, log: log, m: map[string]map[string]string{}}
}

// Secret returns bot's secret name.
func (b *Bots) Secret(bot, name string) (string, bool) {
	if b == nil {
		return "", false
	}
	b.mu.RLock()
	defer b.mu.RUnlock()
	v, ok := b.m[bot][name]
	return v, ok
}

// Len is the number of secrets held, of every bot.
func (b *Bots) Len() int {
	b.mu.RLock()
	defer b.mu.RUnlock()
	n := 0
	for _, names := range b.m {
		n += len(names)
	}
	return n
}

// Watch reads the bucket's secrets and returns once they are all held;
// it follows the bucket's changes until ctx ends.
func (b *Bots) Watch(ctx context.Context, kv jetstream.KeyValue) error {
	w, err := kv.WatchAll(ctx)
	if err != nil {
		return fmt.Errorf("secret: watch %s: %w", kv.Bucket(), err)
	}
	ready, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		defer func() { _ = w.Stop() }()
		initial := true
		for {
			select {
			case <-ctx.Done():
				return
			case e, ok := <-w.Updates():
				if !ok {
					return
				}
				if e == nil {
					if initial {
						initial = false
						close(ready)
					}
					continue
				}
				b.apply(e)
			}
		}
	}()
	select {
	case <-ready:
		return nil
	case <-stopped:
		return fmt.Errorf("secret: watch %s: stopped before the current secrets were read", kv.Bucket())
	case <-ctx.Done():
		return ctx.Err()
	}
}

// apply takes one bucket update.
func (b *Bots) apply(e jetstream.KeyValueEntry) {
	if e.Key() == KeyEntry {
		if pub := strings.TrimSpace(string(e.Value())); e.Operation() == jetstream.KeyValuePut && pub != b.opener.PublicKey() {
			if _, held := b.opener.keys[pub]; !held {
				b.log.Error("the secrets bucket names a sealing key this worker does not hold: secrets written from now on cannot be opened",
					zap.String("bucket_key", pub), zap.String("worker_key", b.opener.PublicKey()))
			}
		}
		return
	}
	bot, name, ok := ParseKey(e.Key())
	if !ok {
		b.log.Warn("secrets bucket: a key that names no bot secret, ignored", zap.String("key", clip(e.Key())))
		return
	}
	var value string
	var err error
	if e.Operation() == jetstream.KeyValuePut {
		if value, err = b.opener.Open(bot, name, e.Value()); err != nil {
			b.log.Warn("bot secret not opened; the bot has no secret of that name until it is written again",
				zap.String("bot_id", bot), zap.String("secret", name), zap.Uint64("revision", e.Revision()), zap.Error(err))
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	names := b.m[bot]
	if e.Operation() != jetstream.KeyValuePut || err != nil {
		delete(names, name)
		if len(names) == 0 {
			delete(b.m, bot)
		}
		return
	}
	if names == nil {
		names = map[string]string{}
		b.m[bot] = names
	}
	names[name] = value
}

// Scope resolves {{ secrets.NAME }} for the events of one bot at a time:
// that bot's own secrets and, for the names the configuration shares
// (secrets.shared), the worker's own (environment, secret directory).
// Nothing of another bot is ever reachable.
type Scope struct {
	bots   *Bots
	own    Source
	shared map[string]bool
}

// NewScope resolves from bots (nil: no bot secrets) and, for the names in
// shared only, from own.
func NewScope(bots *Bots, own Source, shared []string) *Scope {
	s := &Scope{bots: bots, own: own, shared: make(map[string]bool, len(shared))}
	for _, n := range shared {
		s.shared[n] = true
	}
	return s
}

// For is the source of bot's events.
func (s *Scope) For(bot string) Source { return botSource{s: s, bot: bot} }

// Shared reports whether the worker's own secret name reaches every bot.
func (s *Scope) Shared(name string) bool {
	return s.shared[name] || s.shared[strings.ToUpper(name)]
}

type botSource struct {
	s   *Scope
	bot string
}

// Secret returns the bot's own secret name, else a shared one of the
// worker's.
func (b botSource) Secret(name string) (string, bool) {
	if v, ok := b.s.bots.Secret(b.bot, name); ok {
		return v, true
	}
	if b.s.own != nil && b.s.Shared(name) {
		return b.s.own.Secret(name)
	}
	return "", false
}
