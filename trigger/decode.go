package trigger

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"

	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/hookworker/hookworker/trigger/webhook"
)

// Decode parses and validates one event. Errors are *FieldError.
func Decode(data []byte) (*Event, error) {
	return (*Decoder)(nil).Decode(data)
}

// Decoder decodes events as Decode does, and remembers inline webhook
// definitions by their JSON text: an inline webhook that comes with every
// event is decoded and validated once, and events with the same text share
// one *webhook.Definition (which callers must not modify; the worker keeps
// its compiled form by that pointer). A nil *Decoder remembers nothing. It
// is safe for concurrent use.
type Decoder struct {
	defs *lru.Cache[string, *webhook.Definition]
}

// NewDecoder remembers up to max definitions, the least recently used
// forgotten first; with max below 1 it remembers none (and is nil).
func NewDecoder(max int) *Decoder {
	defs, err := lru.New[string, *webhook.Definition](max)
	if err != nil {
		return nil
	}
	return &Decoder{defs: defs}
}

// wireEvent is an Event whose inline webhook is kept as text until it is
// looked up: webhook is the object's text (a substring of the one copy of
// the event the fast path reads), "" when the event has none.
type wireEvent struct {
	Event
	webhook string
}

// Decode parses and validates one event. Errors are *FieldError.
//
// The event is read the contract's way (webhook.CheckJSON): keys are
// compared with their case, and a key given twice counts once, the last
// (JSON's data model). A top-level key the contract does not know is
// ignored and recorded in Event.Unknown; unknown keys inside known fields
// are errors.
func (d *Decoder) Decode(data []byte) (*Event, error) { return d.decode(data, false) }

// DecodeLazy is Decode for a reader that may never look at the event's
// cvars and context as Go maps (the worker: its templates read
// CVarsJSON and ContextJSON, decoding only the variables they name). It
// accepts and refuses the same events, with the same errors, and the
// event is the same but for CVars and Context, which may be left nil
// while CVarsJSON and ContextJSON hold them: read them with
// Event.CVarsMap and Event.ContextMap.
func (d *Decoder) DecodeLazy(data []byte) (*Event, error) { return d.decode(data, true) }

func (d *Decoder) decode(data []byte, lazy bool) (*Event, error) {
	if len(data) > MaxEventSize {
		return nil, &FieldError{Msg: fmt.Sprintf("event is %d bytes, over the %d-byte limit", len(data), MaxEventSize)}
	}
	if depth := jsonDepth(data); depth > MaxDepth {
		return nil, &FieldError{Msg: fmt.Sprintf("JSON nested %d levels deep, over the limit of %d", depth, MaxDepth)}
	}
	w, ok := decodeFast(data, lazy)
	if !ok {
		var err error
		if w, err = decodeSlow(data); err != nil {
			return nil, err
		}
	}
	ev := &w.Event
	known := false
	if w.webhook != "" {
		if def := d.lookup(w.webhook); def != nil {
			ev.Webhook, known = def, true
		} else {
			def, err := webhook.DecodeRaw([]byte(w.webhook))
			if err != nil {
				return nil, webhookError(err)
			}
			ev.Webhook = def
		}
	}
	if err := ev.validate(!known); err != nil {
		return nil, err
	}
	if ev.Webhook != nil && !known {
		d.remember(w.webhook, ev.Webhook)
	}
	return ev, nil
}

var eventType = reflect.TypeFor[Event]()

// decodeSlow decodes with encoding/json, the contract's way: the reference
// for decodeFast, and the source of every decoding error.
func decodeSlow(data []byte) (wireEvent, error) {
	var w wireEvent
	var raw json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&raw); err != nil {
		return w, syntaxError(err)
	}
	if len(trimSpace(data[dec.InputOffset():])) > 0 {
		return w, &FieldError{Msg: "trailing data after the event object"}
	}
	raw = trimSpace(raw)
	if raw[0] != '{' {
		return w, &FieldError{Field: "event", Msg: "want an object, got JSON " + kindOf(raw)}
	}
	type member struct {
		key string
		val json.RawMessage
	}
	var ms []member
	last := map[string]int{}
	webhook.Members(raw, func(key string, val json.RawMessage) bool {
		last[key] = len(ms)
		ms = append(ms, member{key, val})
		return true
	})
	var seen map[string]bool
	ev := reflect.ValueOf(&w.Event).Elem()
	for i, m := range ms {
		f, optional, ok := webhook.FieldByJSONName(eventType, m.key)
		if !ok {
			w.Unknown.add(m.key, &seen)
			continue
		}
		if last[m.key] != i {
			continue // a later value of the same key wins
		}
		val := trimSpace(m.val)
		if string(val) == "null" && optional {
			continue
		}
		if m.key == "webhook" { // decoded later, when it is not remembered
			if val[0] != '{' {
				return w, &FieldError{Field: "webhook", Msg: "want an object, got JSON " + kindOf(val)}
			}
			w.webhook = string(val)
			continue
		}
		if fe := webhook.CheckJSON(val, f.Type, m.key); fe != nil {
			return w, &FieldError{Field: fe.Field, Msg: fe.Msg}
		}
		vd := json.NewDecoder(bytes.NewReader(val))
		vd.UseNumber()
		if err := vd.Decode(ev.FieldByIndex(f.Index).Addr().Interface()); err != nil {
			return w, &FieldError{Field: m.key, Msg: err.Error()} // CheckJSON let through what encoding/json refuses
		}
		switch m.key {
		case "cvars":
			w.CVarsJSON = val
		case "context":
			w.ContextJSON = val
		}
	}
	return w, nil
}

// syntaxError names what is wrong with input that is not one JSON value.
func syntaxError(err error) error {
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &syntaxErr):
		return &FieldError{Msg: fmt.Sprintf("not valid JSON at byte %d: %v", syntaxErr.Offset, syntaxErr)}
	case errors.Is(err, io.EOF):
		return &FieldError{Msg: "empty input: want a JSON object"}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return &FieldError{Msg: "truncated JSON"}
	}
	return &FieldError{Msg: "not valid JSON: " + err.Error()}
}

// webhookError names the field of an inline definition that does not
// decode.
func webhookError(err error) error {
	var fe *webhook.FieldError
	if errors.As(err, &fe) {
		field := "webhook"
		if fe.Field != "" {
			field += "." + fe.Field
		}
		return &FieldError{Field: field, Msg: fe.Msg}
	}
	return &FieldError{Field: "webhook", Msg: err.Error()}
}

func (d *Decoder) lookup(text string) *webhook.Definition {
	if d == nil {
		return nil
	}
	def, _ := d.defs.Get(text)
	return def
}

func (d *Decoder) remember(text string, def *webhook.Definition) {
	if d != nil {
		// A copy: text is a substring of the whole event's.
		d.defs.Add(strings.Clone(text), def)
	}
}

// kindOf names the kind of JSON value raw.
func kindOf(raw []byte) string {
	switch raw[0] {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "bool"
	case 'n':
		return "null"
	}
	return "number"
}

// clip shortens s for an error message.
func clip(s string) string { return webhook.Clip(s) }

// trimSpace trims JSON whitespace.
func trimSpace(b []byte) []byte {
	return bytes.Trim(b, " \t\r\n")
}
