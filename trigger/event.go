package trigger

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/hookworker/hookworker/trigger/webhook"
)

// MaxEventSize is the largest event accepted, in bytes.
const MaxEventSize = 1 << 20

// MaxDepth is the deepest nesting of JSON objects and arrays accepted.
const MaxDepth = 32

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
	// CVarsJSON and ContextJSON are the JSON text cvars and context came
	// in, set by Decode: templates read objects in the order of the event
	// (Jinja2's dicts keep it), which the maps above cannot hold. After
	// Decoder.DecodeLazy they may be all there is of cvars and context
	// (CVars and Context nil): see CVarsMap and ContextMap.
	CVarsJSON   json.RawMessage `json:"-"`
	ContextJSON json.RawMessage `json:"-"`
	// ReplyTo is the subject the Result goes to.
	ReplyTo   string     `json:"reply_to,omitempty"`
	FiredAt   *time.Time `json:"fired_at,omitempty"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	// SpecVersion is the contract version the engine wrote ("1"; empty:
	// 1). A major version other than SpecMajor is invalid.
	SpecVersion string `json:"spec_version,omitempty"`

	// Unknown are the top-level fields the event carried that this
	// version of the contract does not know: an engine newer than the
	// worker. They are ignored, never decoded or re-encoded; the worker
	// counts them.
	Unknown UnknownFields `json:"-"`
}

// CVarsMap returns CVars, decoding it from CVarsJSON first when it is
// nil and CVarsJSON is not (an event from Decoder.DecodeLazy), as Decode
// decodes it (numbers as json.Number); the map is kept in CVars. Nil when
// the event has no cvars, or when CVarsJSON is not a JSON object (never
// for an event that Decode or DecodeLazy returned). A call that decodes
// writes CVars: not safe for concurrent use with other readers of e.
func (e *Event) CVarsMap() map[string]any {
	if e.CVars == nil && len(e.CVarsJSON) > 0 {
		e.CVars = objectOf(e.CVarsJSON)
	}
	return e.CVars
}

// ContextMap is CVarsMap for Context and ContextJSON.
func (e *Event) ContextMap() map[string]any {
	if e.Context == nil && len(e.ContextJSON) > 0 {
		e.Context = objectOf(e.ContextJSON)
	}
	return e.Context
}

// SpecMajor is the major version of the contract this package speaks.
const SpecMajor = "1"

// MaxUnknownNames is how many unknown field names UnknownFields keeps.
const MaxUnknownNames = 8

// UnknownFields counts the distinct unknown top-level fields of an event
// and keeps the first MaxUnknownNames names (each clipped to 64 bytes), in
// document order.
type UnknownFields struct {
	Count int
	Names []string
}

// add records one unknown key; seen dedupes keys.
func (u *UnknownFields) add(key string, seen *map[string]bool) {
	if *seen == nil {
		*seen = map[string]bool{}
	}
	if (*seen)[key] {
		return
	}
	(*seen)[key] = true
	u.Count++
	if len(u.Names) < MaxUnknownNames {
		u.Names = append(u.Names, clip(key))
	}
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

// UnmarshalJSON accepts a string or an object {id, revision}, read as
// webhook.CheckJSON reads JSON (exact keys; revision an integer, 3.0
// included).
func (r *WebhookRef) UnmarshalJSON(b []byte) error {
	b = trimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		return json.Unmarshal(b, &r.ID)
	}
	if len(b) == 0 || b[0] != '{' {
		return errors.New("want a string or an object {id, revision}")
	}
	type plain struct {
		ID       string          `json:"id"`
		Revision json.RawMessage `json:"revision,omitempty"`
	}
	type checked struct {
		ID       string `json:"id"`
		Revision uint64 `json:"revision,omitempty"`
	}
	if fe := webhook.CheckJSON(b, reflect.TypeFor[checked](), ""); fe != nil {
		return fe
	}
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	r.ID, r.Revision = p.ID, 0
	if len(p.Revision) > 0 && string(p.Revision) != "null" {
		n, err := webhook.IntegerOf(p.Revision, reflect.Uint64)
		if err != nil {
			return err
		}
		r.Revision = n.Uint64()
	}
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

// Validate checks the event against the contract.
func (e *Event) Validate() error { return e.validate(true) }

// validate checks the event; the inline webhook only when checkWebhook.
func (e *Event) validate(checkWebhook bool) error {
	switch {
	case e.ID == "":
		return &FieldError{Field: "id", Msg: "required"}
	case utf8.RuneCountInString(e.ID) > MaxIDLen:
		return &FieldError{Field: "id", Msg: fmt.Sprintf("%d characters, over the %d-character limit", utf8.RuneCountInString(e.ID), MaxIDLen)}
	case !printable(e.ID):
		// The id travels in the Nats-Msg-Id and Idempotency-Key headers.
		return &FieldError{Field: "id", Msg: fmt.Sprintf("%q has invalid UTF-8 or control characters", clip(e.ID))}
	case e.BotID == "":
		return &FieldError{Field: "bot_id", Msg: "required"}
	case !ValidToken(e.BotID):
		return &FieldError{Field: "bot_id", Msg: fmt.Sprintf("%q cannot be a subject token (no spaces, '.', '*' or '>')", clip(e.BotID))}
	case e.ConversationID == "":
		return &FieldError{Field: "conversation_id", Msg: "required"}
	case e.Webhook == nil && e.WebhookRef == nil:
		return &FieldError{Field: "webhook", Msg: "one of webhook and webhook_ref is required"}
	case e.Webhook != nil && e.WebhookRef != nil:
		return &FieldError{Field: "webhook_ref", Msg: "give webhook or webhook_ref, not both"}
	case e.WebhookRef != nil && e.WebhookRef.ID == "":
		return &FieldError{Field: "webhook_ref.id", Msg: "required"}
	case e.ReplyTo != "" && !ValidSubject(e.ReplyTo):
		return &FieldError{Field: "reply_to", Msg: fmt.Sprintf("%q is not a valid subject to publish to", clip(e.ReplyTo))}
	}
	if e.SpecVersion != "" {
		if err := checkSpecVersion(e.SpecVersion); err != nil {
			return err
		}
	}
	if c := e.Connection; c != nil && c.Scope != "" && c.Scope != "module" && c.Scope != "global" {
		return &FieldError{Field: "connection.scope", Msg: fmt.Sprintf("%q is not module or global", clip(c.Scope))}
	}
	if e.Webhook != nil && checkWebhook {
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

// versionForm is the form of spec_version: numbers separated by dots.
var versionForm = regexp.MustCompile(`^[0-9]+(\.[0-9]+)*$`)

// checkSpecVersion accepts a version of major SpecMajor: "1", "1.2".
func checkSpecVersion(v string) error {
	if !versionForm.MatchString(v) {
		return &FieldError{Field: "spec_version", Msg: fmt.Sprintf("%q is not a version such as %q", clip(v), SpecMajor)}
	}
	if major, _, _ := strings.Cut(v, "."); major != SpecMajor {
		return &FieldError{Field: "spec_version", Msg: fmt.Sprintf("major version %s is not one this worker speaks (%s)", clip(major), SpecMajor)}
	}
	return nil
}

// printable reports whether s is valid UTF-8 without control characters.
func printable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
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

// jsonDepth returns the deepest nesting of objects and arrays in data,
// stopping early once it passes MaxDepth. Brackets inside strings do not
// count: a string is skipped to its closing quote (one not preceded by an
// odd run of backslashes), found with bytes.IndexByte.
func jsonDepth(data []byte) int {
	depth, deepest := 0, 0
	for i := 0; i < len(data); i++ {
		switch data[i] {
		case '"':
			end := stringEnd(data, i+1)
			if end < 0 {
				return deepest // unterminated: the rest is inside it
			}
			i = end
		case '{', '[':
			depth++
			if depth > deepest {
				deepest = depth
				if deepest > MaxDepth {
					return deepest
				}
			}
		case '}', ']':
			depth--
		}
	}
	return deepest
}

// stringEnd is the index of the quote that ends the JSON string whose
// text starts at from, or -1.
func stringEnd(data []byte, from int) int {
	for from < len(data) {
		j := bytes.IndexByte(data[from:], '"')
		if j < 0 {
			return -1
		}
		q := from + j
		n := 0
		for k := q - 1; k >= from && data[k] == '\\'; k-- {
			n++
		}
		if n%2 == 0 {
			return q
		}
		from = q + 1
	}
	return -1
}
