package api

import (
	"encoding/json"
	"time"

	"github.com/hookworker/hookworker/internal/deadletter"
	"github.com/hookworker/hookworker/internal/preview"
	"github.com/hookworker/hookworker/trigger"
)

// RenderRequest asks for the request a webhook would send for one bot's
// conversation, and the CVars it would set from a sample response.
type RenderRequest struct {
	BotID string `json:"bot_id"`
	// ConversationID is the conversation's id as templates see it
	// (conversation.id); "render-preview" when empty.
	ConversationID string `json:"conversation_id,omitempty"`
	// Webhook is an inline definition, WebhookRef a registry one (a string
	// or {id, revision}); exactly one is given.
	Webhook    json.RawMessage `json:"webhook,omitempty"`
	WebhookRef json.RawMessage `json:"webhook_ref,omitempty"`
	CVars      json.RawMessage `json:"cvars,omitempty"`
	Context    json.RawMessage `json:"context,omitempty"`
	// Response is a sample response for the Response Mapper.
	Response *SampleResponse `json:"response,omitempty"`
}

// SampleResponse is what the target would answer.
type SampleResponse struct {
	// StatusCode is 200 when zero.
	StatusCode int               `json:"status_code,omitempty"`
	Headers    map[string]string `json:"headers,omitempty"`
	// Body is the response body: a JSON string is the body's text as it
	// is (so a non-JSON body can be tried), any other JSON value is the
	// body written as that JSON.
	Body json.RawMessage `json:"body,omitempty"`
}

// RenderReply is the rendered request, secrets masked, and what the
// mappers would set.
type RenderReply struct {
	Request RenderedRequest `json:"request"`
	// CVars and Unmapped are the Response Mapper's output for the sample
	// response (empty without one, or when the response's status is not
	// a success).
	CVars    map[string]any `json:"cvars"`
	Unmapped []string       `json:"unmapped"`
	// Outcome says what the worker would make of the sample response's
	// status; nil without a sample response.
	Outcome *preview.Outcome `json:"outcome,omitempty"`
	// Warnings name the variables the request reads that the CVars and
	// context do not define (they render empty, as in Jinja2).
	Warnings []preview.Warning `json:"warnings"`
}

// RenderedRequest is a request as it would be sent, secrets masked.
type RenderedRequest struct {
	Method  string            `json:"method"`
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers"`
	Body    string            `json:"body"`
}

// ValidateRequest asks whether a definition would load.
type ValidateRequest struct {
	Webhook json.RawMessage `json:"webhook"`
}

// ValidateReply lists every problem found.
type ValidateReply struct {
	Valid  bool         `json:"valid"`
	Errors []FieldError `json:"errors"`
}

// FieldError is one problem of a definition.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Filter selects dead letters; empty fields select everything.
type Filter struct {
	BotID     string `json:"bot_id,omitempty"`
	WebhookID string `json:"webhook_id,omitempty"`
	Class     string `json:"class,omitempty"`
	// Since and Until are RFC 3339 times on the letter's failed_at
	// (Until exclusive).
	Since   string `json:"since,omitempty"`
	Until   string `json:"until,omitempty"`
	EventID string `json:"event_id,omitempty"`
	// Seq selects the one letter at this stream sequence.
	Seq uint64 `json:"seq,omitempty"`
}

// DLQListRequest lists dead letters.
type DLQListRequest struct {
	Filter Filter `json:"filter"`
	// Limit is how many letters the reply carries, newest first: 100 when
	// zero, at most MaxListLimit.
	Limit int `json:"limit,omitempty"`
}

// MaxListLimit bounds DLQListRequest.Limit.
const MaxListLimit = 1000

// DLQListReply holds the newest letters that match, and how many match.
type DLQListReply struct {
	Letters []LetterSummary `json:"letters"`
	Total   int             `json:"total"`
}

// LetterSummary is a dead letter in a listing.
type LetterSummary struct {
	Seq            uint64        `json:"seq"`
	EventID        string        `json:"event_id"`
	BotID          string        `json:"bot_id"`
	ConversationID string        `json:"conversation_id"`
	WebhookID      string        `json:"webhook_id"`
	Error          trigger.Error `json:"error"`
	Attempts       int           `json:"attempts"`
	Replay         int           `json:"replay"`
	Replayable     bool          `json:"replayable"`
	FirstSeen      time.Time     `json:"first_seen"`
	FailedAt       time.Time     `json:"failed_at"`
}

// DLQShowRequest asks for one letter.
type DLQShowRequest struct {
	Seq uint64 `json:"seq"`
}

// Letter is a dead letter with its stream sequence, as `hookworker dlq
// show --json` prints it.
type Letter struct {
	Seq uint64 `json:"seq"`
	*deadletter.Letter
}

// ReplayRequest replays the letters a filter selects.
type ReplayRequest struct {
	Filter Filter `json:"filter"`
	// All must be true to replay with an empty filter (every letter).
	All bool `json:"all,omitempty"`
	// DryRun counts what would be replayed and changes nothing.
	DryRun bool `json:"dry_run,omitempty"`
	// Rate is the most events a second (default DefaultReplayRate; at most
	// MaxReplayRate).
	Rate float64 `json:"rate,omitempty"`
}

// Replay bounds.
const (
	DefaultReplayRate = 50
	MaxReplayRate     = 1000
	// MaxReplayLetters is the most letters one replay request replays;
	// the reply's selected says how many matched.
	MaxReplayLetters = 1000
)

// ReplayReply counts what a replay did.
type ReplayReply struct {
	// Selected is how many letters the filter matched.
	Selected int `json:"selected"`
	// Replayed is how many were re-published (and removed from the dead
	// letters); on a dry run, how many would be.
	Replayed int `json:"replayed"`
	// Skipped counts letters that cannot be replayed (not JSON, no valid
	// bot id), Failed those whose re-publish failed.
	Skipped int `json:"skipped"`
	Failed  int `json:"failed"`
	// Letters names each letter handled, in order (at most
	// MaxReplayLetters).
	Letters []ReplayedLetter `json:"letters"`
}

// ReplayedLetter is one letter's fate in a replay.
type ReplayedLetter struct {
	Seq     uint64 `json:"seq"`
	EventID string `json:"event_id"`
	BotID   string `json:"bot_id"`
	// ReplyTo is where the replayed event's Result will go.
	ReplyTo string `json:"reply_to"`
	// Replay is the replay count the re-published event carries.
	Replay int    `json:"replay,omitempty"`
	Error  string `json:"error,omitempty"`
}

// InstanceStatus is one process's state.
type InstanceStatus struct {
	// InFlight is how many events the process is handling now; -1 when
	// unknown (metrics off).
	InFlight int `json:"in_flight"`
	// BreakersOpen and BreakersHalfOpen list target hosts whose circuit
	// breaker is open or half-open in this process.
	BreakersOpen     []string `json:"breakers_open"`
	BreakersHalfOpen []string `json:"breakers_half_open"`
	// Ready is empty when the worker is ready, else why not.
	Ready string `json:"ready"`
}

// StatusReply is the status endpoint's reply.
type StatusReply struct {
	ID string `json:"id"`
	InstanceStatus
}
