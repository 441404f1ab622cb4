package trigger

import (
	"encoding/json"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tidwall/gjson"
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
)

// decodeFast decodes the common shape of an event without reflection:
// valid UTF-8, valid JSON, one object whose keys are the contract's (exact
// case), each once, every value of its field's JSON type and none null.
// For anything else it returns ok false and Decode takes the encoding/json
// path, whose results and errors are the reference; where it returns ok,
// the event equals what that path decodes (FuzzDecodeFast checks it).
func decodeFast(data []byte) (w wireEvent, ok bool) {
	if !utf8.Valid(data) || !gjson.ValidBytes(data) {
		return w, false
	}
	root := gjson.ParseBytes(data)
	if !root.IsObject() {
		return w, false
	}
	var seen int
	ok = true
	root.ForEach(func(k, v gjson.Result) bool {
		key, good := plainString(k)
		if !good {
			ok = false
			return false
		}
		var bit int
		switch key {
		case "id":
			bit = keyID
			w.ID, good = stringValue(v)
		case "bot_id":
			bit = keyBotID
			w.BotID, good = stringValue(v)
		case "conversation_id":
			bit = keyConversationID
			w.ConversationID, good = stringValue(v)
		case "condition":
			bit = keyCondition
			w.Condition, good = stringValue(v)
		case "reply_to":
			bit = keyReplyTo
			w.ReplyTo, good = stringValue(v)
		case "connection":
			bit = keyConnection
			w.Connection, good = connectionValue(v)
		case "webhook":
			bit = keyWebhook
			good = v.IsObject()
			w.Webhook = json.RawMessage(v.Raw)
		case "webhook_ref":
			bit = keyWebhookRef
			if good = v.Type == gjson.String || v.IsObject(); good {
				w.WebhookRef = new(WebhookRef)
				good = w.WebhookRef.UnmarshalJSON([]byte(v.Raw)) == nil // what encoding/json calls
			}
		case "cvars":
			bit = keyCVars
			w.CVars, good = objectValue(v)
		case "context":
			bit = keyContext
			w.Context, good = objectValue(v)
		case "fired_at":
			bit = keyFiredAt
			w.FiredAt, good = timeValue(v)
		case "expires_at":
			bit = keyExpiresAt
			w.ExpiresAt, good = timeValue(v)
		default:
			good = false
		}
		if !good || seen&bit != 0 {
			ok = false
			return false
		}
		seen |= bit
		return true
	})
	return w, ok
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
	c, ok, seen := new(Connection), true, 0
	v.ForEach(func(k, f gjson.Result) bool {
		key, good := plainString(k)
		var bit int
		switch {
		case !good:
		case key == "id":
			bit = 1
			c.ID, good = stringValue(f)
		case key == "module_id":
			bit = 2
			c.ModuleID, good = stringValue(f)
		case key == "scope":
			bit = 4
			c.Scope, good = stringValue(f)
		default:
			good = false
		}
		if !good || seen&bit != 0 {
			ok = false
			return false
		}
		seen |= bit
		return true
	})
	return c, ok
}

func timeValue(v gjson.Result) (*time.Time, bool) {
	if v.Type != gjson.String {
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
