package trigger

import (
	"encoding/json"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tidwall/gjson"

	"github.com/hookworker/hookworker/trigger/webhook"
)

// Top-level keys of an event, as bits: the fast path refuses a key seen
// twice.
const (
	keyID = 1 << iota
	keyBotID
	keyConversationID
	keyConnection
	keyCondition
	keyWebhook
	keyWebhookRef
	keyCVars
	keyContext
	keyReplyTo
	keyFiredAt
	keyExpiresAt
	keySpecVersion
)

// decodeFast decodes the common shape of an event without reflection:
// valid UTF-8, valid JSON, one object whose known keys (exact case) come
// once each, every value of its field's JSON type and none null; unknown
// keys are recorded as decodeSlow records them.
// For anything else it returns ok false and Decode takes the encoding/json
// path, whose results and errors are the reference; where it returns ok,
// the event equals what that path decodes (FuzzDecodeFast checks it).
//
// With lazy, cvars and context are checked (an object, whose text the
// whole document's checks cover) and kept as text only: CVars and Context
// stay nil, CVarsJSON and ContextJSON hold them (see Event.CVarsMap).
func decodeFast(data []byte, lazy bool) (w wireEvent, ok bool) {
	if !utf8.Valid(data) || !gjson.ValidBytes(data) {
		return w, false
	}
	root := gjson.ParseBytes(data)
	if !root.IsObject() {
		return w, false
	}
	var seen map[string]bool
	ok = fields(root, func(key string, v gjson.Result) (bit int, good bool) {
		switch key {
		case "id":
			w.ID, good = stringValue(v)
			return keyID, good
		case "bot_id":
			w.BotID, good = stringValue(v)
			return keyBotID, good
		case "conversation_id":
			w.ConversationID, good = stringValue(v)
			return keyConversationID, good
		case "condition":
			w.Condition, good = stringValue(v)
			return keyCondition, good
		case "reply_to":
			w.ReplyTo, good = stringValue(v)
			return keyReplyTo, good
		case "connection":
			w.Connection, good = connectionValue(v)
			return keyConnection, good
		case "webhook":
			w.webhook = v.Raw // a substring: no copy
			return keyWebhook, v.IsObject()
		case "webhook_ref":
			if v.Type != gjson.String && !v.IsObject() {
				return keyWebhookRef, false
			}
			w.WebhookRef = new(WebhookRef)
			return keyWebhookRef, w.WebhookRef.UnmarshalJSON([]byte(v.Raw)) == nil // what encoding/json calls
		case "cvars":
			w.CVarsJSON = json.RawMessage(v.Raw)
			if lazy {
				return keyCVars, v.IsObject()
			}
			w.CVars, good = objectValue(v)
			return keyCVars, good
		case "context":
			w.ContextJSON = json.RawMessage(v.Raw)
			if lazy {
				return keyContext, v.IsObject()
			}
			w.Context, good = objectValue(v)
			return keyContext, good
		case "fired_at":
			w.FiredAt, good = timeValue(v)
			return keyFiredAt, good
		case "expires_at":
			w.ExpiresAt, good = timeValue(v)
			return keyExpiresAt, good
		case "spec_version":
			w.SpecVersion, good = stringValue(v)
			return keySpecVersion, good
		}
		w.Unknown.add(key, &seen)
		return 0, true
	})
	return w, ok
}

// fields calls f for each member of the object v, in order, with its key
// unescaped; f decodes the value and returns the field's bit. fields is
// false as soon as a bit comes twice (a repeated key) or f fails.
func fields(v gjson.Result, f func(key string, val gjson.Result) (bit int, ok bool)) bool {
	seen, ok := 0, true
	v.ForEach(func(k, val gjson.Result) bool {
		key, good := plainString(k)
		bit := 0
		if good {
			bit, good = f(key, val)
		}
		if !good || seen&bit != 0 {
			ok = false
			return false
		}
		seen |= bit
		return true
	})
	return ok
}

// plainString is the value of a JSON string: its text between the quotes
// when it has no escapes, else what encoding/json makes of it.
func plainString(v gjson.Result) (string, bool) {
	raw := v.Raw
	if len(raw) < 2 || raw[0] != '"' {
		return "", false
	}
	if !strings.Contains(raw, `\`) {
		return raw[1 : len(raw)-1], true
	}
	var s string
	if err := json.Unmarshal([]byte(raw), &s); err != nil {
		return "", false
	}
	return s, true
}

func stringValue(v gjson.Result) (string, bool) {
	if v.Type != gjson.String {
		return "", false
	}
	return plainString(v)
}

func connectionValue(v gjson.Result) (*Connection, bool) {
	if !v.IsObject() {
		return nil, false
	}
	c := new(Connection)
	ok := fields(v, func(key string, f gjson.Result) (bit int, good bool) {
		switch key {
		case "id":
			c.ID, good = stringValue(f)
			return 1, good
		case "module_id":
			c.ModuleID, good = stringValue(f)
			return 2, good
		case "scope":
			c.Scope, good = stringValue(f)
			return 4, good
		}
		return 0, false
	})
	return c, ok
}

func timeValue(v gjson.Result) (*time.Time, bool) {
	if v.Type != gjson.String || !webhook.ValidTime([]byte(v.Raw)) {
		return nil, false
	}
	t := new(time.Time)
	if t.UnmarshalJSON([]byte(v.Raw)) != nil { // what encoding/json calls
		return nil, false
	}
	return t, true
}

// objectValue converts a JSON object as encoding/json with UseNumber does
// into map[string]any.
func objectValue(v gjson.Result) (map[string]any, bool) {
	if !v.IsObject() {
		return nil, false
	}
	x, ok := anyValue(v)
	if !ok {
		return nil, false
	}
	return x.(map[string]any), true
}

// objectOf decodes a JSON object as objectValue does; nil when raw is
// not valid JSON or not an object.
func objectOf(raw []byte) map[string]any {
	if !utf8.Valid(raw) || !gjson.ValidBytes(raw) {
		return nil
	}
	m, _ := objectValue(gjson.ParseBytes(raw))
	return m
}

// anyValue converts one JSON value as encoding/json with UseNumber does
// into an interface{}: json.Number for numbers, map[string]any for objects
// (a repeated key: the last wins), []any for arrays.
func anyValue(v gjson.Result) (any, bool) {
	switch v.Type {
	case gjson.Null:
		return nil, true
	case gjson.False:
		return false, true
	case gjson.True:
		return true, true
	case gjson.Number:
		return json.Number(v.Raw), true
	case gjson.String:
		return plainString(v)
	}
	ok := true
	if v.IsArray() {
		a := []any{}
		v.ForEach(func(_, e gjson.Result) bool {
			var x any
			if x, ok = anyValue(e); ok {
				a = append(a, x)
			}
			return ok
		})
		return a, ok
	}
	if !v.IsObject() {
		return nil, false
	}
	m := map[string]any{}
	v.ForEach(func(k, e gjson.Result) bool {
		var key string
		if key, ok = plainString(k); !ok {
			return false
		}
		var x any
		if x, ok = anyValue(e); ok {
			m[key] = x
		}
		return ok
	})
	return m, ok
}
