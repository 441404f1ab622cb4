package worker

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookworker/hookworker/internal/deadletter"
	"github.com/hookworker/hookworker/trigger"
)

// history is what an event's earlier deliveries did: it travels in a KV
// bucket while the event waits in JetStream for a delayed retry, so any
// process can take the next attempt and the dead letter lists them all.
type history struct {
	FirstSeen time.Time            `json:"first_seen"`
	Attempts  []deadletter.Attempt `json:"attempts"`
	// Handbacks counts delayed retries so far: the next one waits
	// Schedule[Handbacks].
	Handbacks int `json:"handbacks"`
	// Result is the event's Result when it was decided but could not be
	// written (its dead letter or itself): the next delivery writes it
	// without running the webhook again; Lettered says its dead letter is
	// already stored.
	Result   *trigger.Result `json:"result,omitempty"`
	Lettered bool            `json:"lettered,omitempty"`
	// Moves counts the moves to the retry stream (retrystream.go) and
	// Moved is the last one.
	Moves int    `json:"moves,omitempty"`
	Moved *moved `json:"moved,omitempty"`
	// Delivered counts the deliveries of the messages moved so far (a
	// dead letter counts every delivery of the event).
	Delivered uint64 `json:"delivered,omitempty"`
	// stored is true when the history came from (or went to) the bucket.
	stored bool
}

// historyStore keeps histories in a KV bucket, keyed by event id.
type historyStore struct {
	kv jetstream.KeyValue
}

// historyKey encodes an event id into the KV key alphabet.
func historyKey(eventID string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(eventID))
}

func (s *historyStore) load(ctx context.Context, eventID string) (*history, error) {
	e, err := s.kv.Get(ctx, historyKey(eventID))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("attempt history: %w", err)
	}
	h := new(history)
	if err := json.Unmarshal(e.Value(), h); err != nil {
		return nil, fmt.Errorf("attempt history of %q: %w", eventID, err)
	}
	h.stored = true
	return h, nil
}

func (s *historyStore) save(ctx context.Context, eventID string, h *history) error {
	data, err := json.Marshal(h)
	if err != nil {
		return fmt.Errorf("attempt history: %w", err)
	}
	if _, err := s.kv.Put(ctx, historyKey(eventID), data); err != nil {
		return fmt.Errorf("attempt history: %w", err)
	}
	h.stored = true
	return nil
}

func (s *historyStore) delete(ctx context.Context, eventID string) error {
	if err := s.kv.Purge(ctx, historyKey(eventID)); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
		return fmt.Errorf("attempt history: %w", err)
	}
	return nil
}
