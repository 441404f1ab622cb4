package secret

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Store is the bucket of bot secrets as a writer (the builder's backend,
// an operator) sees it: it writes sealed values, lists names and deletes,
// and never opens a value.
type Store struct {
	kv jetstream.KeyValue
}

// NewStore uses the bucket kv (streams.Topology.Secrets).
func NewStore(kv jetstream.KeyValue) *Store { return &Store{kv: kv} }

// Entry is one secret's name and when it was last written.
type Entry struct {
	Name     string    `json:"name"`
	Updated  time.Time `json:"updated"`
	Revision uint64    `json:"revision"`
}

// ErrNotFound is returned for a secret the bucket does not hold.
var ErrNotFound = errors.New("no such secret")

// ErrNoKey is returned when the bucket names no sealing key and none was
// given.
var ErrNoKey = errors.New("no sealing key: start a worker with secrets.key_file (it publishes its public key), or give secrets.public_key")

// Put seals value as bot's secret name and stores it.
func (s *Store) Put(ctx context.Context, sealer *Sealer, bot, name, value string) (uint64, error) {
	data, err := sealer.Seal(bot, name, value)
	if err != nil {
		return 0, err
	}
	rev, err := s.kv.Put(ctx, Key(bot, name), data)
	if err != nil {
		return 0, fmt.Errorf("secret: put %s of bot %s: %w", name, bot, err)
	}
	return rev, nil
}

// Delete removes bot's secret name (and its history).
func (s *Store) Delete(ctx context.Context, bot, name string) error {
	if err := CheckName(name); err != nil {
		return err
	}
	if err := checkBot(bot); err != nil {
		return err
	}
	key := Key(bot, name)
	if _, err := s.kv.Get(ctx, key); errors.Is(err, jetstream.ErrKeyNotFound) {
		return fmt.Errorf("secret: %w: bot %s has no secret %s", ErrNotFound, bot, name)
	} else if err != nil {
		return fmt.Errorf("secret: delete %s of bot %s: %w", name, bot, err)
	}
	if err := s.kv.Purge(ctx, key); err != nil {
		return fmt.Errorf("secret: delete %s of bot %s: %w", name, bot, err)
	}
	return nil
}

// List returns the names of bot's secrets, sorted, with when each was
// last written; never a value.
func (s *Store) List(ctx context.Context, bot string) ([]Entry, error) {
	if err := checkBot(bot); err != nil {
		return nil, err
	}
	w, err := s.kv.Watch(ctx, BotKeys(bot), jetstream.MetaOnly(), jetstream.IgnoreDeletes())
	if err != nil {
		return nil, fmt.Errorf("secret: list bot %s: %w", bot, err)
	}
	defer func() { _ = w.Stop() }()
	var out []Entry
	for {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case e, ok := <-w.Updates():
			if !ok {
				return nil, fmt.Errorf("secret: list bot %s: the watch ended", bot)
			}
			if e == nil {
				slices.SortFunc(out, func(a, b Entry) int { return strings.Compare(a.Name, b.Name) })
				return out, nil
			}
			if b, n, ok := ParseKey(e.Key()); ok && b == bot {
				out = append(out, Entry{Name: n, Updated: e.Created().UTC(), Revision: e.Revision()})
			}
		}
	}
}

// PublicKey returns the workers' public key published in the bucket.
func (s *Store) PublicKey(ctx context.Context) (string, error) {
	e, err := s.kv.Get(ctx, KeyEntry)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return "", ErrNoKey
	}
	if err != nil {
		return "", fmt.Errorf("secret: read %s: %w", KeyEntry, err)
	}
	return strings.TrimSpace(string(e.Value())), nil
}

// Sealer returns a Sealer for public, or, when public is empty, for the
// key the bucket names.
func (s *Store) Sealer(ctx context.Context, public string) (*Sealer, error) {
	if public == "" {
		var err error
		if public, err = s.PublicKey(ctx); err != nil {
			return nil, err
		}
	}
	return NewSealer(public)
}

// PublishKey writes public as the bucket's sealing key when the bucket
// names none, and returns the key the bucket names afterwards.
func (s *Store) PublishKey(ctx context.Context, public string) (string, error) {
	_, err := s.kv.Create(ctx, KeyEntry, []byte(public))
	if err == nil {
		return public, nil
	}
	if !errors.Is(err, jetstream.ErrKeyExists) {
		return "", fmt.Errorf("secret: publish %s: %w", KeyEntry, err)
	}
	return s.PublicKey(ctx)
}
