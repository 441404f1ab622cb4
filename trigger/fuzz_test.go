package trigger

import (
	"encoding/json"
	"errors"
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
