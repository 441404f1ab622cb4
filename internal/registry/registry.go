// Package registry holds webhook definitions by id, so that events can name
// a definition (webhook_ref) instead of carrying it inline.
//
// Definitions come from two places: a directory of YAML or JSON files
// (configs/webhooks), loaded once at start, and a NATS KV bucket
// (hookworker-webhooks) of JSON definitions, watched, so a change made with
// `hookworker webhook put` is live in every worker process without a
// restart. A bucket entry wins over a file of the same id. Definitions that
// use a Webhook Template are resolved through the marketplace when they are
// loaded.
//
// Every file is decoded strictly, validated and compiled at load time: a
// directory with any bad file does not load, and the error names the file
// and the field. A bad bucket entry is refused (the previous definition
// stays) and reported through the logger. A registry given a [Compiler]
// (the worker's) keeps what it compiled with each definition, so that a
// definition is compiled once, when it is loaded.
//
// A Registry is safe for concurrent use.
package registry

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"

	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/hookworker/hookworker/internal/check"
	"github.com/hookworker/hookworker/internal/marketplace"
	"github.com/hookworker/hookworker/trigger/webhook"
)

// ErrUnknown is returned for an id (or revision) the registry does not hold.
var ErrUnknown = errors.New("unknown webhook")

// Compiler compiles a resolved definition into the form that runs it
// (worker.Compile). An error refuses the definition.
type Compiler func(*webhook.Definition) (any, error)

// Entry is one definition the registry holds.
type Entry struct {
	// Def is the definition, its Webhook Template resolved.
	Def *webhook.Definition
	// Compiled is what the registry's Compiler made of Def; nil for a
	// registry without one.
	Compiled any
}

// Registry is the set of named definitions.
type Registry struct {
	market  *marketplace.Marketplace
	log     *zap.Logger
	compile Compiler

	mu     sync.RWMutex
	files  map[string]Entry
	kv     map[string]Entry
	bucket jetstream.KeyValue
	pinned *lru.Cache[pin, Entry] // revisions read, by id and revision
}

type pin struct {
	id  string
	rev uint64
}

// New returns an empty registry resolving templates through market (nil:
// no templates) and compiling definitions with compile (nil: they are only
// checked to compile, in an environment of the registry's own).
func New(market *marketplace.Marketplace, log *zap.Logger, compile Compiler) *Registry {
	if log == nil {
		log = zap.NewNop()
	}
	pinned, _ := lru.New[pin, Entry](maxPinned) // errors only for a size < 1
	return &Registry{market: market, log: log, compile: compile, files: map[string]Entry{},
		kv: map[string]Entry{}, pinned: pinned}
}

// NewStatic builds a registry from definitions (no templates); ids must be
// unique.
func NewStatic(defs ...*webhook.Definition) (*Registry, error) {
	r := New(nil, nil, nil)
	for _, d := range defs {
		if d.ID == "" {
			return nil, errors.New("registry: definition without id")
		}
		if _, dup := r.files[d.ID]; dup {
			return nil, fmt.Errorf("registry: id %q defined twice", d.ID)
		}
		r.files[d.ID] = Entry{Def: d}
	}
	return r, nil
}

// LoadDir loads every *.yaml, *.yml and *.json file of dir into a new
// registry (see New). A missing directory gives an empty registry.
func LoadDir(dir string, market *marketplace.Marketplace, log *zap.Logger, compile Compiler) (*Registry, error) {
	r := New(market, log, compile)
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return r, nil
	}
	if err != nil {
		return nil, fmt.Errorf("registry: %w", err)
	}
	where := map[string]string{}
	for _, e := range entries {
		if e.IsDir() || !webhook.IsFile(e.Name()) {
			continue
		}
		path := filepath.Join(dir, e.Name())
		d, err := readFile(path)
		if err != nil {
			return nil, err
		}
		if prev, dup := where[d.ID]; dup {
			return nil, fmt.Errorf("%s: id %q is also defined in %s", path, d.ID, prev)
		}
		where[d.ID] = path
		if r.files[d.ID], err = r.entry(d); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	return r, nil
}

// LoadFile loads, resolves and validates one definition file.
func LoadFile(path string, market *marketplace.Marketplace) (*webhook.Definition, error) {
	d, err := readFile(path)
	if err != nil {
		return nil, err
	}
	d, err = Resolve(d, market)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return d, nil
}

// readFile decodes one definition file, which must name its id.
func readFile(path string) (*webhook.Definition, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("registry: %w", err)
	}
	d, err := webhook.Decode(data, filepath.Ext(path))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if d.ID == "" {
		return nil, fmt.Errorf("%s: id: required in files", path)
	}
	return d, nil
}

// Resolve validates d, resolves its template, if any, and compiles every
// template and mapper of the result, so that a definition that cannot run
// is refused when it is loaded, not when an event needs it.
func Resolve(d *webhook.Definition, market *marketplace.Marketplace) (*webhook.Definition, error) {
	r, err := resolve(d, market)
	if err != nil {
		return nil, err
	}
	if errs := check.Compiles(r); len(errs) > 0 {
		return nil, errs[0]
	}
	return r, nil
}

// resolve validates d and resolves its template, if any.
func resolve(d *webhook.Definition, market *marketplace.Marketplace) (*webhook.Definition, error) {
	if err := d.Validate(); err != nil {
		return nil, err
	}
	return market.Resolve(d)
}

// entry resolves d and compiles it: with the registry's Compiler, whose
// result the entry keeps, or else only to check it (Resolve). A definition
// that does not compile is refused with the error Resolve gives, which
// names the field.
func (r *Registry) entry(d *webhook.Definition) (Entry, error) {
	if r.compile == nil {
		d, err := Resolve(d, r.market)
		return Entry{Def: d}, err
	}
	d, err := resolve(d, r.market)
	if err != nil {
		return Entry{}, err
	}
	compiled, err := r.compile(d)
	if err != nil {
		if errs := check.Compiles(d); len(errs) > 0 {
			return Entry{}, errs[0]
		}
		return Entry{}, err
	}
	return Entry{Def: d, Compiled: compiled}, nil
}

// Lookup returns the definition with id: a pinned bucket revision when
// revision is not zero, else the bucket's latest, else the file's.
func (r *Registry) Lookup(ctx context.Context, id string, revision uint64) (Entry, error) {
	if revision > 0 {
		return r.lookupRevision(ctx, id, revision)
	}
	r.mu.RLock()
	e, ok := r.kv[id]
	if !ok {
		e, ok = r.files[id]
	}
	r.mu.RUnlock()
	if !ok {
		return Entry{}, fmt.Errorf("%w %q", ErrUnknown, id)
	}
	return e, nil
}

func (r *Registry) lookupRevision(ctx context.Context, id string, rev uint64) (Entry, error) {
	ent, ok := r.pinned.Get(pin{id, rev})
	r.mu.RLock()
	bucket := r.bucket
	r.mu.RUnlock()
	if ok {
		return ent, nil
	}
	if bucket == nil {
		return Entry{}, fmt.Errorf("%w %q revision %d: no webhook bucket is watched", ErrUnknown, id, rev)
	}
	e, err := bucket.GetRevision(ctx, id, rev)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return Entry{}, fmt.Errorf("%w %q revision %d (not in the bucket's history)", ErrUnknown, id, rev)
	}
	if err != nil {
		return Entry{}, fmt.Errorf("webhook %q revision %d: %w", id, rev, err)
	}
	if ent, err = r.decodeEntry(e); err != nil {
		return Entry{}, fmt.Errorf("webhook %q revision %d: %w", id, rev, err)
	}
	r.pinned.Add(pin{id, rev}, ent)
	return ent, nil
}

// maxPinned bounds the cache of definitions by revision.
const maxPinned = 10_000

func (r *Registry) decodeEntry(e jetstream.KeyValueEntry) (Entry, error) {
	d, err := webhook.DecodeJSON(e.Value())
	if err != nil {
		return Entry{}, err
	}
	if d.ID == "" {
		d.ID = e.Key()
	}
	if d.ID != e.Key() {
		return Entry{}, fmt.Errorf("id %q differs from its key %q", d.ID, e.Key())
	}
	return r.entry(d)
}

// Watch follows the bucket: it loads every current definition, then keeps
// the registry up to date in the background until ctx is cancelled. It
// returns once the current definitions are loaded.
func (r *Registry) Watch(ctx context.Context, bucket jetstream.KeyValue) error {
	w, err := bucket.WatchAll(ctx)
	if err != nil {
		return fmt.Errorf("registry: watch %s: %w", bucket.Bucket(), err)
	}
	r.mu.Lock()
	r.bucket = bucket
	r.mu.Unlock()
	ready := make(chan struct{})
	stopped := make(chan struct{})
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
				r.apply(e)
			}
		}
	}()
	select {
	case <-ready:
		return nil
	case <-stopped:
		// The watcher ended before the current definitions were all
		// read (its connection closed).
		return fmt.Errorf("registry: watch %s: stopped before the current definitions were read", bucket.Bucket())
	case <-ctx.Done():
		return ctx.Err()
	}
}

// apply takes one bucket update.
func (r *Registry) apply(e jetstream.KeyValueEntry) {
	if e.Operation() != jetstream.KeyValuePut {
		r.mu.Lock()
		delete(r.kv, e.Key())
		r.mu.Unlock()
		r.log.Info("webhook removed from the bucket", zap.String("webhook_id", e.Key()))
		return
	}
	ent, err := r.decodeEntry(e)
	if err != nil {
		r.log.Warn("webhook in the bucket refused; the previous definition stays",
			zap.String("webhook_id", e.Key()), zap.Uint64("revision", e.Revision()), zap.Error(err))
		return
	}
	r.mu.Lock()
	r.kv[e.Key()] = ent
	r.pinned.Add(pin{e.Key(), e.Revision()}, ent)
	r.mu.Unlock()
	r.log.Info("webhook updated from the bucket", zap.String("webhook_id", e.Key()), zap.Uint64("revision", e.Revision()))
}

// IDs returns the ids held, sorted.
func (r *Registry) IDs() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	seen := map[string]bool{}
	for id := range r.files {
		seen[id] = true
	}
	for id := range r.kv {
		seen[id] = true
	}
	ids := make([]string, 0, len(seen))
	for id := range seen {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}
