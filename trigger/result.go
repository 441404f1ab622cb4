package trigger

import "time"

// Status is a Result's outcome.
type Status string

// Result statuses.
const (
	StatusSucceeded Status = "succeeded"
	StatusFailed    Status = "failed"
	StatusSkipped   Status = "skipped"
)

// Class names why an event failed.
type Class string

// Error classes of the contract.
const (
	ClassInvalidEvent   Class = "invalid_event"
	ClassUnknownWebhook Class = "unknown_webhook"
	ClassRender         Class = "render"
	ClassBlocked        Class = "blocked"
	ClassNetwork        Class = "network"
	ClassTimeout        Class = "timeout"
	ClassHTTPStatus     Class = "http_status"
	ClassTooLarge       Class = "too_large"
	ClassExpired        Class = "expired"
	ClassMapping        Class = "mapping"
)

// Classes lists the error classes of the contract.
var Classes = []Class{
	ClassInvalidEvent, ClassUnknownWebhook, ClassRender, ClassBlocked, ClassNetwork,
	ClassTimeout, ClassHTTPStatus, ClassTooLarge, ClassExpired, ClassMapping,
}

// Result is the CVar update for one terminal outcome of an event.
type Result struct {
	EventID        string `json:"event_id"`
	BotID          string `json:"bot_id"`
	ConversationID string `json:"conversation_id"`
	ConnectionID   string `json:"connection_id"`
	WebhookID      string `json:"webhook_id"`
	Status         Status `json:"status"`
	// CVars holds only the CVars this webhook's mappers set.
	CVars map[string]any `json:"cvars"`
	// Unmapped lists mappers whose path was missing in the response.
	Unmapped    []string  `json:"unmapped"`
	HTTPStatus  int       `json:"http_status"`
	Attempts    int       `json:"attempts"`
	DurationMS  float64   `json:"duration_ms"`
	Error       *Error    `json:"error"`
	Replayed    bool      `json:"replayed"`
	CompletedAt time.Time `json:"completed_at"`
}

// Error is a failed Result's reason.
type Error struct {
	Class   Class  `json:"class"`
	Message string `json:"message"`
}
