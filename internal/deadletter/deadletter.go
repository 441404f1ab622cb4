// Package deadletter is the dead-letter store: one record per event that
// failed for good, kept in a JetStream stream (CONNECTIONS_DLQ, subjects
// connections.dlq.<bot_id>) for inspection and replay.
//
// A [Letter] holds the original event exactly as it arrived, every attempt
// (time, status, error class, duration, a truncated response body) and the
// rendered request with secrets already redacted. [Store] writes letters
// (waiting for the PubAck, deduplicated by event id, trimmed by [Encode] to
// what the stream and the server accept), lists them with a
// [Filter], deletes them, and replays them: the original event is
// re-published to the trigger subjects with its replay count, and the letter
// is deleted only after JetStream accepted the replay.
package deadletter

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/hookworker/hookworker/trigger"
)

// MaxBodyExcerpt is how much of a response body an Attempt keeps.
const MaxBodyExcerpt = 2048

// Letter is the dead-letter record of one event.
type Letter struct {
	// Seq is the letter's sequence in the dead-letter stream (set when
	// read, not stored).
	Seq uint64 `json:"-"`

	EventID        string `json:"event_id"`
	BotID          string `json:"bot_id"`
	ConversationID string `json:"conversation_id"`
	WebhookID      string `json:"webhook_id"`
	// Subject is where the event was published.
	Subject string `json:"subject"`
	// Event is the original event, byte for byte when it was JSON.
	Event json.RawMessage `json:"event,omitempty"`
	// EventText holds the original bytes when they were not JSON.
	EventText string `json:"event_text,omitempty"`
	// Replay is the replay count of the event that failed (0: never
	// replayed).
	Replay int `json:"replay"`
	// Error is the final reason.
	Error trigger.Error `json:"error"`
	// Attempts lists every HTTP attempt, oldest first.
	Attempts []Attempt `json:"attempts"`
	// Request is the last rendered request, secrets redacted.
	Request *Request `json:"request,omitempty"`
	// Deliveries is how many times JetStream delivered the event.
	Deliveries uint64 `json:"deliveries"`
	// FirstSeen is when the event was first published or handled.
	FirstSeen time.Time `json:"first_seen"`
	// FailedAt is when the event was dead-lettered.
	FailedAt time.Time `json:"failed_at"`
	// Trimmed says that parts of the letter were cut or left out so that
	// it fits in one message of the dead-letter stream (see Encode).
	Trimmed bool `json:"trimmed,omitempty"`
}

// Attempt is one HTTP attempt.
type Attempt struct {
	At         time.Time     `json:"at"`
	Status     int           `json:"status,omitempty"`
	Class      trigger.Class `json:"class,omitempty"`
	Error      string        `json:"error,omitempty"`
	DurationMS float64       `json:"duration_ms"`
	// Body is the start of the response body (at most MaxBodyExcerpt
	// bytes), secrets redacted.
	Body string `json:"body,omitempty"`
	// RetryAfterMS is the delay the target asked for, if any.
	RetryAfterMS int64 `json:"retry_after_ms,omitempty"`
}

// Request is a rendered request with secrets redacted.
type Request struct {
	Method  string              `json:"method"`
	URL     string              `json:"url"`
	Headers map[string][]string `json:"headers,omitempty"`
	Body    string              `json:"body,omitempty"`
}

// Replayable reports why the letter cannot be replayed (an error wrapping
// ErrNotReplayable), or nil when it can: its event must be JSON and its bot
// id a subject token.
func (l *Letter) Replayable() error {
	switch {
	case len(l.Event) == 0 && l.Trimmed && l.EventText != "":
		return fmt.Errorf("%w: event %q was too large to keep in its dead letter (only its start is in event_text)", ErrNotReplayable, l.EventID)
	case len(l.Event) == 0:
		return fmt.Errorf("%w: event %q was not JSON", ErrNotReplayable, l.EventID)
	case !trigger.ValidToken(l.BotID):
		return fmt.Errorf("%w: event %q has no valid bot id (%q)", ErrNotReplayable, l.EventID, l.BotID)
	}
	return nil
}

// MsgID is the dedup id of a letter: one letter per event and replay.
func MsgID(eventID string, replay int) string {
	return "dlq-" + trigger.ResultMsgID(eventID, replay)[len("result-"):]
}

// Excerpt cuts s to at most MaxBodyExcerpt bytes, on a rune boundary,
// ending in "…" when it was cut.
func Excerpt(s string) string { return cut(s, MaxBodyExcerpt) }
