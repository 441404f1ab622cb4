package trigger

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
)

// FuzzDecode checks that Decode never panics, that every error is a
// *FieldError matching ErrInvalid, and that every event it returns survives
// json.Marshal and a second Decode. Seeds are in testdata/fuzz/FuzzDecode.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(fullEvent))
	f.Fuzz(func(t *testing.T, data []byte) {
		ev, err := Decode(data)
		if err != nil {
			var fe *FieldError
			if !errors.As(err, &fe) || !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %T %v is not a *FieldError matching ErrInvalid", err, err)
			}
			if ev != nil {
				t.Fatal("Decode returned an event with its error")
			}
			return
		}
		out, err := json.Marshal(ev)
		if err != nil {
			t.Fatalf("Marshal of a decoded event: %v", err)
		}
		if len(out) > MaxEventSize {
			return // json.Marshal escapes <, > and &; the re-encoding may not fit
		}
		again, err := Decode(out)
		if err != nil {
			t.Fatalf("Decode(Marshal(event)): %v\n%s", err, out)
		}
		if again.ID != ev.ID || again.BotID != ev.BotID || again.ConversationID != ev.ConversationID {
			t.Fatalf("round trip changed ids: %q %q %q -> %q %q %q",
				ev.ID, ev.BotID, ev.ConversationID, again.ID, again.BotID, again.ConversationID)
		}
	})
}

// FuzzDecodeFast: wherever the fast path decodes an event, the
// encoding/json path decodes the same one; and the fast path takes the
// common events (the seeds marked common below), or it would be no faster.
func FuzzDecodeFast(f *testing.F) {
	for _, s := range fastSeeds {
		f.Add([]byte(s.json))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > MaxEventSize || jsonDepth(data) > MaxDepth {
			return // Decode refuses these before either path
		}
		fast, ok := decodeFast(data, false)
		if !ok {
			return
		}
		slow, err := decodeSlow(data)
		if err != nil {
			t.Fatalf("the fast path decoded what encoding/json refuses (%v):\n%s", err, data)
		}
		if !reflect.DeepEqual(fast, slow) {
			t.Fatalf("the paths differ on\n%s\nfast %#v\nslow %#v", data, fast, slow)
		}
	})
}

// fastSeeds are FuzzDecodeFast's seeds: common says the fast path must
// take it.
var fastSeeds = []struct {
	json   string
	common bool
}{
	{fullEvent, true},
	{`{"id":"e","bot_id":"b","conversation_id":"c","webhook_ref":"w"}`, true},
	{`{"id":"e","bot_id":"b","conversation_id":"c","webhook_ref":{"id":"w","revision":3},"cvars":{}}`, true},
	{`{"id":"e\u00e9\n","bot_id":"b","conversation_id":"c","webhook":{"url":"http://x"},"cvars":{"a":{"b":[1,2.50,-3e2,"\ud83d\ude00",null,{}]},"a":[]}}`, true},
	{`  {"id":"e","bot_id":"b","conversation_id":"c","webhook":{"url":"http://x"},"context":{"k":[]}}  `, true},
	{`{"ID":"e","bot_id":"b","conversation_id":"c","webhook":{"url":"http://x"}}`, true},                                  // an unknown key (keys keep their case)
	{`{"id":"e","bot_id":"b","conversation_id":"c","webhook_ref":"w","tenant_id":"t","x":{"y":[1]},"tenant_id":2}`, true}, // unknown keys, one repeated
	{`{"id":"e","bot_id":"b","conversation_id":"c","webhook_ref":"w","spec_version":"1"}`, true},
	{`{"id":"e","bot_id":"b","conversation_id":"c","webhook_ref":"w","reply_to":null}`, false}, // null: absent
	{`{"id":"e","bot_id":"b","conversation_id":"c","connection":{"ID":"c"},"webhook_ref":"w"}`, false},
	{`{"id":"e","id":"f","bot_id":"b","conversation_id":"c","webhook":{"url":"http://x"}}`, false}, // repeated key
	{`{"id":null,"bot_id":"b","conversation_id":"c","webhook":{"url":"http://x"}}`, false},
	{`{"id":"e","bot_id":"b","conversation_id":"c","webhook":{"url":"http://x"}} {}`, false},
	{`{"id":"e","bot_id":"b","conversation_id":"c","connection":{"id":"c","extra":1},"webhook_ref":"w"}`, false},
	{`{"id":"e","bot_id":"b","conversation_id":"c","fired_at":"2026-13-01T00:00:00Z","webhook_ref":"w"}`, false},
	{`{"id":"e","bot_id":"b","conversation_id":"c","cvars":{"x":"\ud800"},"webhook_ref":"w"}`, true},
	{"{\"id\":\"e\xff\",\"bot_id\":\"b\",\"conversation_id\":\"c\",\"webhook_ref\":\"w\"}", false},
	{`null`, false},
	{`[]`, false},
}

// TestDecodeFastTakesCommonEvents: the fast path takes the common shapes
// and leaves the odd ones to encoding/json, and Decode gives the same
// event or error either way.
func TestDecodeFastTakesCommonEvents(t *testing.T) {
	for i, s := range fastSeeds {
		fast, ok := decodeFast([]byte(s.json), false)
		if ok != s.common {
			t.Errorf("seed %d: fast path took it %v, want %v:\n%s", i, ok, s.common, s.json)
		}
		slow, err := decodeSlow([]byte(s.json))
		if ok && (err != nil || !reflect.DeepEqual(fast, slow)) {
			t.Errorf("seed %d: fast %#v, slow %#v (%v)", i, fast, slow, err)
		}
	}
}
