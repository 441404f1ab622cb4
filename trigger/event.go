package trigger

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/hookworker/hookworker/webhook"
)

// MaxEventSize is the largest event accepted, in bytes.
const MaxEventSize = 1 << 20

// MaxIDLen is the longest event id accepted.
const MaxIDLen = 128

// Event is a ConnectionFired event: one fired connection of one conversation.
type Event struct {
	// ID is unique per event: the JetStream dedup id and the
	// Idempotency-Key of every HTTP attempt.
	ID             string `json:"id"`
	BotID          string `json:"bot_id"`
	ConversationID string `json:"conversation_id"`
	// Connection is the connection that fired.
	Connection *Connection `json:"connection,omitempty"`
	// Condition is a Jinja expression; the webhook runs only when it is true.
	Condition string `json:"condition,omitempty"`
	// Webhook is an inline definition; exactly one of Webhook and
	// WebhookRef is set.
	Webhook    *webhook.Definition `json:"webhook,omitempty"`
	WebhookRef *WebhookRef         `json:"webhook_ref,omitempty"`
	// CVars are the conversation's custom variables.
	CVars map[string]any `json:"cvars,omitempty"`
	// Context holds the conversation's system variables.
	Context map[string]any `json:"context,omitempty"`
	// ReplyTo is the subject the Result goes to.
	ReplyTo   string     `json:"reply_to,omitempty"`
	FiredAt   *time.Time `json:"fired_at,omitempty"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
}

// Connection identifies the connection that fired.
type Connection struct {
	ID       string `json:"id,omitempty"`
	ModuleID string `json:"module_id,omitempty"`
	// Scope is "module" or "global".
	Scope string `json:"scope,omitempty"`
}

// WebhookRef names a registry definition, optionally pinned to a revision.
// On the wire it is a string ("zendesk-ticket") or {"id", "revision"}.
type WebhookRef struct {
	ID       string `json:"id"`
	Revision uint64 `json:"revision,omitempty"`
}

// UnmarshalJSON accepts a string or an object.
func (r *WebhookRef) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		return json.Unmarshal(b, &r.ID)
	}
	type plain WebhookRef
	var p plain
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return err
	}
	*r = WebhookRef(p)
	return nil
}

// MarshalJSON writes a bare string when no revision is pinned.
func (r WebhookRef) MarshalJSON() ([]byte, error) {
	if r.Revision == 0 {
		return json.Marshal(r.ID)
	}
	type plain WebhookRef
	return json.Marshal(plain(r))
}

// ConnectionID returns the connection id, or "".
func (e *Event) ConnectionID() string {
	if e.Connection == nil {
		return ""
	}
	return e.Connection.ID
}

// WebhookID returns the id of the webhook the event runs, or "".
func (e *Event) WebhookID() string {
	switch {
	case e.WebhookRef != nil:
		return e.WebhookRef.ID
	case e.Webhook != nil:
		return e.Webhook.ID
	}
	return ""
}

// FieldError reports an event field that is missing or malformed.
type FieldError struct {
	Field string // JSON path, e.g. "webhook.url" or "cvars"
	Msg   string
}

func (e *FieldError) Error() string {
	if e.Field == "" {
		return e.Msg
	}
	return e.Field + ": " + e.Msg
}

// ErrInvalid is matched by every decoding and validation error, so callers
// can classify with errors.Is(err, ErrInvalid).
var ErrInvalid = errors.New("invalid event")

// Is makes every FieldError match ErrInvalid.
func (e *FieldError) Is(target error) bool { return target == ErrInvalid }

// Decode parses and validates one event. Errors are *FieldError.
func Decode(data []byte) (*Event, error) {
	if len(data) > MaxEventSize {
		return nil, &FieldError{Msg: fmt.Sprintf("event is %d bytes, over the %d-byte limit", len(data), MaxEventSize)}
	}
	var ev Event
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	if err := dec.Decode(&ev); err != nil {
		return nil, jsonFieldError(err)
	}
	if _, err := dec.Token(); err == nil {
		return nil, &FieldError{Msg: "trailing data after the event object"}
	}
	if err := ev.Validate(); err != nil {
		return nil, err
	}
	return &ev, nil
}

// jsonFieldError turns an encoding/json error into a FieldError naming the field.
func jsonFieldError(err error) error {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			field = "event"
		}
		return &FieldError{Field: field, Msg: fmt.Sprintf("want %s, got JSON %s", typeName(typeErr.Type.String()), typeErr.Value)}
	case errors.As(err, &syntaxErr):
		return &FieldError{Msg: fmt.Sprintf("not valid JSON at byte %d: %v", syntaxErr.Offset, syntaxErr)}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return &FieldError{Field: name, Msg: "unknown field"}
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return &FieldError{Msg: "empty or truncated JSON"}
	}
	var fe *FieldError
	if errors.As(err, &fe) {
		return fe
	}
	return &FieldError{Msg: "not a valid event: " + err.Error()}
}

func typeName(goType string) string {
	switch {
	case strings.HasPrefix(goType, "map["):
		return "an object"
	case strings.HasPrefix(goType, "[]"):
		return "an array"
	case goType == "string":
		return "a string"
	case strings.Contains(goType, "int") || strings.Contains(goType, "float"):
		return "a number"
	case goType == "bool":
		return "a boolean"
	case strings.Contains(goType, "Time"):
		return "an RFC 3339 time"
	}
	return "an object"
}

// Validate checks the event against the contract.
func (e *Event) Validate() error {
	switch {
	case e.ID == "":
		return &FieldError{Field: "id", Msg: "required"}
	case len(e.ID) > MaxIDLen:
		return &FieldError{Field: "id", Msg: fmt.Sprintf("%d characters, over the %d-character limit", len(e.ID), MaxIDLen)}
	case e.BotID == "":
		return &FieldError{Field: "bot_id", Msg: "required"}
	case !ValidToken(e.BotID):
		return &FieldError{Field: "bot_id", Msg: fmt.Sprintf("%q cannot be a subject token (no spaces, '.', '*' or '>')", e.BotID)}
	case e.ConversationID == "":
		return &FieldError{Field: "conversation_id", Msg: "required"}
	case e.Webhook == nil && e.WebhookRef == nil:
		return &FieldError{Field: "webhook", Msg: "one of webhook and webhook_ref is required"}
	case e.Webhook != nil && e.WebhookRef != nil:
		return &FieldError{Field: "webhook_ref", Msg: "give webhook or webhook_ref, not both"}
	case e.WebhookRef != nil && e.WebhookRef.ID == "":
		return &FieldError{Field: "webhook_ref.id", Msg: "required"}
	case e.ReplyTo != "" && !ValidSubject(e.ReplyTo):
		return &FieldError{Field: "reply_to", Msg: fmt.Sprintf("%q is not a valid subject to publish to", e.ReplyTo)}
	}
	if c := e.Connection; c != nil && c.Scope != "" && c.Scope != "module" && c.Scope != "global" {
		return &FieldError{Field: "connection.scope", Msg: fmt.Sprintf("%q is not module or global", c.Scope)}
	}
	if e.Webhook != nil {
		if err := e.Webhook.Validate(); err != nil {
			var we *webhook.FieldError
			if errors.As(err, &we) {
				return &FieldError{Field: "webhook." + we.Field, Msg: we.Msg}
			}
			return &FieldError{Field: "webhook", Msg: err.Error()}
		}
	}
	return nil
}

// ValidToken reports whether s can be one token of a NATS subject.
func ValidToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '.', '*', '>', ' ', '\t', '\r', '\n', '\f', 0:
			return false
		}
	}
	return true
}

// ValidSubject reports whether s is a subject one can publish to: dot
// separated tokens, no wildcards.
func ValidSubject(s string) bool {
	if s == "" {
		return false
	}
	for _, tok := range strings.Split(s, ".") {
		if !ValidToken(tok) {
			return false
		}
	}
	return true
}
