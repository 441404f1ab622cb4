// Package watchdog keeps the streams, consumers and buckets hookworker
// created present while it runs. At every check it asks the server for
// each object of a topology (streams.Topology.Objects); one the server
// says does not exist (and still does not a moment later) is recreated, with
// the configuration the watchdog last saw it have, or with the topology's
// when it never saw it. An object that exists is never changed, whatever
// its settings: an operator's replicas, limits and placement stay theirs.
//
// Only an explicit "not found" counts as missing. A server that does not
// answer, a cluster without a leader, or JetStream switched off are not
// reasons to create anything: the check tries again at the next tick.
//
// Missing reports what is missing now (found missing and not yet
// recreated, or whose recreation failed), for readiness probes; every
// recreation is logged at warn level and reported to Options.Recreated.
package watchdog

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/hookworker/hookworker/internal/streams"
)

// Defaults of Options.
const (
	DefaultEvery   = 5 * time.Second
	DefaultConfirm = time.Second
	DefaultTimeout = 5 * time.Second
)

// Options tune a Watchdog; zero values take the defaults.
type Options struct {
	// Every is the time between checks (DefaultEvery): what is deleted
	// is recreated within Every + Confirm plus the requests' time.
	Every time.Duration
	// Confirm is how long after a first "not found" the object is asked
	// for again before it is recreated (DefaultConfirm).
	Confirm time.Duration
	// Timeout bounds each request to the server (DefaultTimeout).
	Timeout time.Duration
	// Logger receives a warning per recreation and an error per failed
	// one; nil: none.
	Logger *zap.Logger
	// Clock paces the checks; nil: the real one.
	Clock clockwork.Clock
	// Recreated is told of each object recreated (kind and name, as in
	// streams.Object); nil: nobody.
	Recreated func(kind streams.Kind, name string)
}

// Watchdog checks and recreates the objects of one topology. Its methods
// are safe for concurrent use.
type Watchdog struct {
	js      jetstream.JetStream
	objects []streams.Object
	o       Options

	mu sync.Mutex
	// seen is the configuration each object (by String) had when last
	// seen, to recreate it with.
	seen map[string]streams.Object
	// missing holds why each object found missing is not there (yet).
	missing map[string]string
}

// New watches objects (streams first, each consumer after its stream, as
// streams.Topology.Objects lists them) through js.
func New(js jetstream.JetStream, objects []streams.Object, o Options) *Watchdog {
	if o.Every <= 0 {
		o.Every = DefaultEvery
	}
	if o.Confirm <= 0 {
		o.Confirm = DefaultConfirm
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	if o.Clock == nil {
		o.Clock = clockwork.NewRealClock()
	}
	if o.Recreated == nil {
		o.Recreated = func(streams.Kind, string) {}
	}
	return &Watchdog{js: js, objects: slices.Clone(objects), o: o,
		seen: map[string]streams.Object{}, missing: map[string]string{}}
}

// Run checks at once and then every Options.Every until ctx ends.
func (w *Watchdog) Run(ctx context.Context) {
	t := w.o.Clock.NewTicker(w.o.Every)
	defer t.Stop()
	for {
		w.Check(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.Chan():
		}
	}
}

// Missing lists what is missing now, one "<object>: <why>" each, in the
// topology's order; empty when everything is there (as far as the last
// check could tell).
func (w *Watchdog) Missing() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for _, obj := range w.objects {
		if why, ok := w.missing[obj.String()]; ok {
			out = append(out, obj.String()+": "+why)
		}
	}
	return out
}

// Check asks for every object once, confirms those not found after
// Options.Confirm and recreates those still missing, in order. It returns
// the objects it recreated.
func (w *Watchdog) Check(ctx context.Context) []streams.Object {
	var suspects []streams.Object
	for _, obj := range w.objects {
		switch err := w.look(ctx, obj); {
		case err == nil:
		case notFound(err):
			suspects = append(suspects, obj)
			w.setMissing(obj, "not found; recreating")
		default:
			w.o.Logger.Debug("topology check", zap.Stringer("object", obj), zap.Error(err))
		}
	}
	if len(suspects) == 0 {
		return nil
	}
	select {
	case <-ctx.Done():
		return nil
	case <-w.o.Clock.After(w.o.Confirm):
	}
	var made []streams.Object
	for _, obj := range suspects {
		switch err := w.look(ctx, obj); {
		case err == nil:
			continue // back by itself (or someone else made it)
		case !notFound(err):
			w.o.Logger.Debug("topology check", zap.Stringer("object", obj), zap.Error(err))
			continue
		}
		from, err := w.recreate(ctx, obj)
		if err != nil {
			w.setMissing(obj, "not found; recreating it failed: "+err.Error())
			w.o.Logger.Error("missing from the server and could not be recreated; trying again",
				zap.Stringer("object", obj), zap.Error(err), zap.Duration("next_try", w.o.Every))
			continue
		}
		w.clearMissing(obj)
		made = append(made, obj)
		w.o.Recreated(obj.Kind, obj.Name)
		w.o.Logger.Warn("missing from the server: recreated",
			zap.String("kind", string(obj.Kind)), zap.String("name", obj.Name),
			zap.String("stream", obj.On), zap.String("configuration", from))
	}
	return made
}

// look asks the server for obj; on success it remembers obj's
// configuration and clears it from the missing list.
func (w *Watchdog) look(ctx context.Context, obj streams.Object) error {
	ctx, cancel := context.WithTimeout(ctx, w.o.Timeout)
	defer cancel()
	seen := obj
	switch obj.Kind {
	case streams.KindStream, streams.KindBucket:
		s, err := w.js.Stream(ctx, streamName(obj))
		if err != nil {
			return err
		}
		cfg := clean(s.CachedInfo().Config)
		seen.Stream = &cfg
	case streams.KindConsumer:
		c, err := w.js.Consumer(ctx, obj.On, obj.Name)
		if err != nil {
			return err
		}
		cfg := c.CachedInfo().Config
		cfg.Metadata = cleanMetadata(cfg.Metadata)
		seen.Consumer = &cfg
	default:
		return fmt.Errorf("watchdog: unknown kind %q", obj.Kind)
	}
	w.mu.Lock()
	w.seen[obj.String()] = seen
	delete(w.missing, obj.String())
	w.mu.Unlock()
	return nil
}

// recreate creates obj from its last seen configuration, else the
// topology's; it says which. Losing a race to another process creating
// it is success.
func (w *Watchdog) recreate(ctx context.Context, obj streams.Object) (from string, err error) {
	ctx, cancel := context.WithTimeout(ctx, w.o.Timeout)
	defer cancel()
	from = "as last seen"
	w.mu.Lock()
	seen, ok := w.seen[obj.String()]
	w.mu.Unlock()
	if !ok {
		seen, from = obj, "from the topology"
	}
	switch {
	case obj.Kind == streams.KindConsumer:
		_, err = w.js.CreateConsumer(ctx, obj.On, *seen.Consumer)
		if errors.Is(err, jetstream.ErrConsumerExists) {
			err = nil
		}
	case seen.Stream != nil: // a stream, or a bucket seen as its stream
		_, err = w.js.CreateStream(ctx, *seen.Stream)
		if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			err = nil
		}
	default: // a bucket never seen
		_, err = w.js.CreateKeyValue(ctx, *obj.Bucket)
		if errors.Is(err, jetstream.ErrBucketExists) {
			err = nil
		}
	}
	return from, err
}

func (w *Watchdog) setMissing(obj streams.Object, why string) {
	w.mu.Lock()
	w.missing[obj.String()] = why
	w.mu.Unlock()
}

func (w *Watchdog) clearMissing(obj streams.Object) {
	w.mu.Lock()
	delete(w.missing, obj.String())
	w.mu.Unlock()
}

// kvStreamPrefix names the stream behind a KV bucket (nats.go's
// kvBucketNamePre).
const kvStreamPrefix = "KV_"

// streamName is the stream of a stream or bucket object.
func streamName(obj streams.Object) string {
	if obj.Kind == streams.KindBucket {
		return kvStreamPrefix + obj.Name
	}
	return obj.Name
}

// notFound reports the server's "does not exist" answers.
func notFound(err error) bool {
	return errors.Is(err, jetstream.ErrStreamNotFound) || errors.Is(err, jetstream.ErrConsumerNotFound) ||
		errors.Is(err, jetstream.ErrBucketNotFound)
}

// clean is a stream's configuration as the server reported it, ready to
// create the stream again: without the metadata the server sets itself.
func clean(c jetstream.StreamConfig) jetstream.StreamConfig {
	c.Metadata = cleanMetadata(c.Metadata)
	return c
}

// serverMetadata starts the metadata keys the server writes (_nats.ver,
// _nats.level, ...); they are its to set.
const serverMetadata = "_nats."

func cleanMetadata(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	out := maps.Clone(m)
	for k := range out {
		if strings.HasPrefix(k, serverMetadata) {
			delete(out, k)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}
