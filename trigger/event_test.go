package trigger

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hookworker/hookworker/internal/golden"
)

// ev builds an event object from the minimal valid fields and extra
// members, given as raw JSON text ("" drops nothing).
func ev(extra string) string {
	base := `"id":"evt-1","bot_id":"bot-1","conversation_id":"conv-1"`
	if extra == "" {
		return "{" + base + "}"
	}
	return "{" + base + "," + extra + "}"
}

const fullEvent = `{
  "id": "evt-42",
  "bot_id": "bot-7",
  "conversation_id": "conv-9",
  "connection": {"id": "c-1", "module_id": "m-2", "scope": "module"},
  "condition": "cvars.order_id and language == 'en'",
  "webhook": {
    "id": "zendesk-ticket-status",
    "name": "Zendesk ticket status",
    "method": "POST",
    "url": "https://{{ secrets.ZD_DOMAIN }}/api/v2/tickets/{{ order_id }}",
    "query": {"include": "comments"},
    "headers": {"X-Trace": "{{ event.id }}"},
    "body": "{\"q\": {{ order_id | tojson }}}",
    "auth": {"type": "bearer", "token": "{{ secrets.ZD_TOKEN }}"},
    "timeout": "3s",
    "retry": {"max_attempts": 4, "max_age": 600, "max_delay": "30s", "on": ["network", "5xx", "429"]},
    "success": ["2xx"],
    "cvars": [{"name": "ticket_status", "mapper": "{{ ticket.status }}"}]
  },
  "cvars": {"order_id": 12345678901234567890123, "ratio": 1.50, "name": "Ann", "tags": ["a"], "vip": true, "none": null},
  "context": {"user_message": "hi", "language": "en", "deep": {"n": 9007199254740993}},
  "reply_to": "engine.results.conv-9",
  "fired_at": "2026-11-23T19:00:00Z",
  "expires_at": "2026-11-23T19:05:00+01:00"
}`

func TestDecodeValid(t *testing.T) {
	firedAt := time.Date(2026, 11, 23, 19, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		in    string
		check func(t *testing.T, e *Event)
	}{
		{"minimal with webhook_ref string", ev(`"webhook_ref":"zendesk"`), func(t *testing.T, e *Event) {
			if e.WebhookRef == nil || *e.WebhookRef != (WebhookRef{ID: "zendesk"}) {
				t.Errorf("WebhookRef = %+v", e.WebhookRef)
			}
			if e.Webhook != nil || e.Connection != nil || e.FiredAt != nil || e.CVars != nil || e.ReplyTo != "" {
				t.Errorf("optional fields set: %+v", e)
			}
		}},
		{"webhook_ref object", ev(`"webhook_ref":{"id":"zendesk","revision":7}`), func(t *testing.T, e *Event) {
			if e.WebhookRef == nil || *e.WebhookRef != (WebhookRef{ID: "zendesk", Revision: 7}) {
				t.Errorf("WebhookRef = %+v", e.WebhookRef)
			}
			if got := e.WebhookID(); got != "zendesk" {
				t.Errorf("WebhookID() = %q", got)
			}
		}},
		{"minimal inline webhook", ev(`"webhook":{"url":"https://example.com"}`), func(t *testing.T, e *Event) {
			if e.Webhook == nil || e.Webhook.URL != "https://example.com" || e.Webhook.EffectiveMethod() != "GET" {
				t.Errorf("Webhook = %+v", e.Webhook)
			}
		}},
		{"surrounding whitespace", " \n\t" + ev(`"webhook_ref":"w"`) + "\r\n ", nil},
		{"unknown top-level fields are ignored and counted", ev(`"webhook_ref":"w","tenant_id":"t-1","Priority":{"a":[1,{"b":null}]},"ID":"not the id","tenant_id":2`), func(t *testing.T, e *Event) {
			if e.ID != "evt-1" {
				t.Errorf("ID = %q: a key in another case is not the field", e.ID)
			}
			if e.Unknown.Count != 3 || strings.Join(e.Unknown.Names, ",") != "tenant_id,Priority,ID" {
				t.Errorf("Unknown = %+v", e.Unknown)
			}
		}},
		{"many unknown fields keep a few names", ev(`"webhook_ref":"w","a":1,"b":1,"c":1,"d":1,"e":1,"f":1,"g":1,"h":1,"i":1,"` + strings.Repeat("j", 100) + `":1`), func(t *testing.T, e *Event) {
			if e.Unknown.Count != 10 || len(e.Unknown.Names) != MaxUnknownNames {
				t.Errorf("Unknown = %+v", e.Unknown)
			}
		}},
		{"spec_version 1", ev(`"webhook_ref":"w","spec_version":"1"`), func(t *testing.T, e *Event) {
			if e.SpecVersion != "1" || e.Unknown.Count != 0 {
				t.Errorf("SpecVersion = %q, Unknown = %+v", e.SpecVersion, e.Unknown)
			}
		}},
		{"spec_version 1.4", ev(`"webhook_ref":"w","spec_version":"1.4"`), nil},
		{"spec_version empty is absent", ev(`"webhook_ref":"w","spec_version":""`), nil},
		{"null optional fields are absent", ev(`"webhook_ref":"w","webhook":null,"connection":null,"condition":null,"cvars":null,"context":null,"reply_to":null,"fired_at":null,"expires_at":null,"spec_version":null`), func(t *testing.T, e *Event) {
			if e.Connection != nil || e.CVars != nil || e.ReplyTo != "" || e.FiredAt != nil {
				t.Errorf("optional fields set: %+v", e)
			}
		}},
		{"a key given twice: the last wins", ev(`"webhook_ref":5,"webhook_ref":"w"`), func(t *testing.T, e *Event) {
			if e.WebhookID() != "w" {
				t.Errorf("WebhookID() = %q", e.WebhookID())
			}
		}},
		{"integers written with a fraction or exponent", ev(`"webhook_ref":{"id":"w","revision":3.0}`), func(t *testing.T, e *Event) {
			if e.WebhookRef.Revision != 3 {
				t.Errorf("Revision = %d", e.WebhookRef.Revision)
			}
		}},
		{"full", fullEvent, func(t *testing.T, e *Event) {
			if e.ID != "evt-42" || e.BotID != "bot-7" || e.ConversationID != "conv-9" {
				t.Errorf("ids = %q %q %q", e.ID, e.BotID, e.ConversationID)
			}
			if e.Connection == nil || *e.Connection != (Connection{ID: "c-1", ModuleID: "m-2", Scope: "module"}) {
				t.Errorf("Connection = %+v", e.Connection)
			}
			if e.ConnectionID() != "c-1" || e.WebhookID() != "zendesk-ticket-status" {
				t.Errorf("ConnectionID() = %q, WebhookID() = %q", e.ConnectionID(), e.WebhookID())
			}
			if e.Condition != "cvars.order_id and language == 'en'" {
				t.Errorf("Condition = %q", e.Condition)
			}
			w := e.Webhook
			if w == nil {
				t.Fatal("Webhook is nil")
			}
			if w.Method != "POST" || w.Auth == nil || w.Auth.Type != "bearer" || w.Auth.Token != "{{ secrets.ZD_TOKEN }}" {
				t.Errorf("Webhook = %+v, Auth = %+v", w, w.Auth)
			}
			if w.EffectiveTimeout() != 3*time.Second {
				t.Errorf("timeout = %v", w.EffectiveTimeout())
			}
			if r := w.Retry; r == nil || r.MaxAttempts != 4 || time.Duration(r.MaxAge) != 10*time.Minute ||
				time.Duration(r.MaxDelay) != 30*time.Second || strings.Join(r.On, ",") != "network,5xx,429" {
				t.Errorf("Retry = %+v", w.Retry)
			}
			if len(w.CVars) != 1 || w.CVars[0].Name != "ticket_status" || w.CVars[0].Mapper != "{{ ticket.status }}" {
				t.Errorf("Webhook.CVars = %+v", w.CVars)
			}
			// Numbers keep their exact text.
			if n, ok := e.CVars["order_id"].(json.Number); !ok || n.String() != "12345678901234567890123" {
				t.Errorf("cvars.order_id = %#v", e.CVars["order_id"])
			}
			if n, ok := e.CVars["ratio"].(json.Number); !ok || n.String() != "1.50" {
				t.Errorf("cvars.ratio = %#v", e.CVars["ratio"])
			}
			deep, _ := e.Context["deep"].(map[string]any)
			if n, ok := deep["n"].(json.Number); !ok || n.String() != "9007199254740993" {
				t.Errorf("context.deep.n = %#v", deep["n"])
			}
			if e.CVars["vip"] != true || e.CVars["none"] != nil || e.CVars["name"] != "Ann" {
				t.Errorf("cvars = %#v", e.CVars)
			}
			if e.ReplyTo != "engine.results.conv-9" {
				t.Errorf("ReplyTo = %q", e.ReplyTo)
			}
			if e.FiredAt == nil || !e.FiredAt.Equal(firedAt) {
				t.Errorf("FiredAt = %v", e.FiredAt)
			}
			if e.ExpiresAt == nil || !e.ExpiresAt.Equal(firedAt.Add(5*time.Minute-time.Hour)) {
				t.Errorf("ExpiresAt = %v", e.ExpiresAt)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := Decode([]byte(tt.in))
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if tt.check != nil {
				tt.check(t, e)
			}
			// What Decode accepts survives a round trip.
			out, err := json.Marshal(e)
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			again, err := Decode(out)
			if err != nil {
				t.Fatalf("Decode(Marshal(event)): %v\n%s", err, out)
			}
			if out2, _ := json.Marshal(again); !bytes.Equal(out, out2) {
				t.Errorf("round trip changed the event:\n%s\n%s", out, out2)
			}
		})
	}
}

// invalidCases are events Decode must refuse, with the field the error
// names ("" for errors about the input as a whole).
var invalidCases = []struct {
	name  string
	in    string
	field string
}{
	{"id missing", `{"bot_id":"bot-1","conversation_id":"conv-1","webhook_ref":"w"}`, "id"},
	{"id empty", `{"id":"","bot_id":"bot-1","conversation_id":"conv-1","webhook_ref":"w"}`, "id"},
	{"id too long", `{"id":"` + strings.Repeat("x", 129) + `","bot_id":"bot-1","conversation_id":"conv-1","webhook_ref":"w"}`, "id"},
	{"id with newline", `{"id":"evt\r\nX-Evil: 1","bot_id":"bot-1","conversation_id":"conv-1","webhook_ref":"w"}`, "id"},
	{"bot_id missing", `{"id":"evt-1","conversation_id":"conv-1","webhook_ref":"w"}`, "bot_id"},
	{"bot_id with a dot", `{"id":"evt-1","bot_id":"bot.1","conversation_id":"conv-1","webhook_ref":"w"}`, "bot_id"},
	{"bot_id with a wildcard", `{"id":"evt-1","bot_id":">","conversation_id":"conv-1","webhook_ref":"w"}`, "bot_id"},
	{"bot_id wrong type", `{"id":"evt-1","bot_id":5,"conversation_id":"conv-1","webhook_ref":"w"}`, "bot_id"},
	{"conversation_id missing", `{"id":"evt-1","bot_id":"bot-1","webhook_ref":"w"}`, "conversation_id"},
	{"neither webhook nor webhook_ref", ev(""), "webhook"},
	{"webhook_ref null", ev(`"webhook_ref":null`), "webhook"},
	{"both webhook and webhook_ref", ev(`"webhook":{"url":"https://x"},"webhook_ref":"w"`), "webhook_ref"},
	{"webhook_ref empty string", ev(`"webhook_ref":""`), "webhook_ref.id"},
	{"webhook_ref number", ev(`"webhook_ref":5`), "webhook_ref"},
	{"webhook_ref unknown field", ev(`"webhook_ref":{"id":"w","rev":2}`), "webhook_ref.rev"},
	{"webhook_ref negative revision", ev(`"webhook_ref":{"id":"w","revision":-1}`), "webhook_ref.revision"},
	{"id null", `{"id":null,"bot_id":"bot-1","conversation_id":"conv-1","webhook_ref":"w"}`, "id"},
	{"id in another case only", `{"ID":"evt-1","bot_id":"bot-1","conversation_id":"conv-1","webhook_ref":"w"}`, "id"},
	{"spec_version of another major", ev(`"webhook_ref":"w","spec_version":"2"`), "spec_version"},
	{"spec_version not a version", ev(`"webhook_ref":"w","spec_version":"v1"`), "spec_version"},
	{"spec_version a number", ev(`"webhook_ref":"w","spec_version":1`), "spec_version"},
	{"a known nested field in another case", ev(`"webhook_ref":"w","connection":{"ID":"c"}`), "connection.ID"},
	{"a known webhook field in another case", ev(`"webhook":{"URL":"https://x"}`), "webhook.URL"},
	{"null list item in webhook", ev(`"webhook":{"url":"https://x","success":[null]}`), "webhook.success[0]"},
	{"null required field in webhook_ref", ev(`"webhook_ref":{"id":null}`), "webhook_ref.id"},
	{"unknown field in webhook", ev(`"webhook":{"url":"https://x","verb":"GET"}`), "webhook.verb"},
	{"unknown field in webhook auth", ev(`"webhook":{"url":"https://x","auth":{"type":"basic","username":"u","user":"u"}}`), "webhook.auth.user"},
	{"unknown field in webhook cvars", ev(`"webhook":{"url":"https://x","cvars":[{"name":"a","mapper":"{{ a }}"},{"name":"b","map":"x"}]}`), "webhook.cvars[1].map"},
	{"unknown field in connection", ev(`"webhook_ref":"w","connection":{"id":"c","kind":"x"}`), "connection.kind"},
	{"wrong type in webhook retry", ev(`"webhook":{"url":"https://x","retry":{"max_attempts":"3"}}`), "webhook.retry.max_attempts"},
	{"fractional max_attempts", ev(`"webhook":{"url":"https://x","retry":{"max_attempts":1.5}}`), "webhook.retry.max_attempts"},
	{"wrong type in webhook cvars", ev(`"webhook":{"url":"https://x","cvars":[{"name":5,"mapper":"x"}]}`), "webhook.cvars[0].name"},
	{"header value not a string", ev(`"webhook":{"url":"https://x","headers":{"X-A":1}}`), "webhook.headers.X-A"},
	{"bad timeout", ev(`"webhook":{"url":"https://x","timeout":"soon"}`), "webhook.timeout"},
	{"timeout too long", ev(`"webhook":{"url":"https://x","timeout":"1h"}`), "webhook.timeout"},
	{"cvars not an object", ev(`"webhook_ref":"w","cvars":["a"]`), "cvars"},
	{"context not an object", ev(`"webhook_ref":"w","context":"en"`), "context"},
	{"bad fired_at time", ev(`"webhook_ref":"w","fired_at":"yesterday"`), "fired_at"},
	{"fired_at a number", ev(`"webhook_ref":"w","fired_at":1700000000`), "fired_at"},
	{"bad expires_at time", ev(`"webhook_ref":"w","expires_at":"2026-13-01T00:00:00Z"`), "expires_at"},
	{"reply_to with wildcard", ev(`"webhook_ref":"w","reply_to":"engine.*.results"`), "reply_to"},
	{"reply_to empty token", ev(`"webhook_ref":"w","reply_to":"engine..results"`), "reply_to"},
	{"connection scope invalid", ev(`"webhook_ref":"w","connection":{"id":"c","scope":"bot"}`), "connection.scope"},
	{"webhook method invalid", ev(`"webhook":{"url":"https://x","method":"FETCH"}`), "webhook.method"},
	{"webhook url missing", ev(`"webhook":{"method":"GET"}`), "webhook.url"},
	{"webhook cvars mapper missing", ev(`"webhook":{"url":"https://x","cvars":[{"name":"a"}]}`), "webhook.cvars[0].mapper"},
	{"webhook auth type invalid", ev(`"webhook":{"url":"https://x","auth":{"type":"oauth"}}`), "webhook.auth.type"},
	{"event is an array", `[]`, "event"},
	{"event is null", `null`, "event"},
	{"trailing object", ev(`"webhook_ref":"w"`) + ` {}`, ""},
	{"trailing garbage", ev(`"webhook_ref":"w"`) + ` xyz`, ""},
	{"trailing brace", ev(`"webhook_ref":"w"`) + `}`, ""},
	{"not JSON", `hello`, ""},
	{"truncated", `{"id":"evt-1",`, ""},
	{"empty input", ``, ""},
	{"only whitespace", " \n", ""},
	{"over 1 MiB", ev(`"webhook_ref":"w","cvars":{"blob":"` + strings.Repeat("a", MaxEventSize) + `"}`), ""},
}

func TestDecodeInvalid(t *testing.T) {
	var golden bytes.Buffer
	ran := 0
	for _, tt := range invalidCases {
		t.Run(tt.name, func(t *testing.T) {
			ran++
			e, err := Decode([]byte(tt.in))
			if err == nil {
				t.Fatalf("Decode succeeded: %+v", e)
			}
			if e != nil {
				t.Errorf("Decode returned an event with its error")
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("errors.Is(%v, ErrInvalid) = false", err)
			}
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("error %T is not a *FieldError: %v", err, err)
			}
			if fe.Field != tt.field {
				t.Errorf("field = %q, want %q (error: %v)", fe.Field, tt.field, err)
			}
			fmt.Fprintf(&golden, "%s: %v\n", tt.name, err)
		})
	}
	if ran == len(invalidCases) { // not when -run picks some cases
		checkGolden(t, "decode_errors.golden", golden.Bytes())
	}
}

func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	golden.Check(t, filepath.Join("testdata", name), got)
}

func TestDecoderRemembersWebhooks(t *testing.T) {
	d := NewDecoder(2)
	ev := func(id, url string) []byte {
		return []byte(`{"id":"` + id + `","bot_id":"b","conversation_id":"c","webhook":{"url":"` + url + `","cvars":[{"name":"x","mapper":"{{ x }}"}]}}`)
	}
	a, err := d.Decode(ev("1", "http://a"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := d.Decode(ev("2", "http://a"))
	if err != nil {
		t.Fatal(err)
	}
	if a.Webhook != b.Webhook {
		t.Error("the same webhook text gave two definitions")
	}
	if a.ID != "1" || b.ID != "2" {
		t.Errorf("ids %q %q", a.ID, b.ID)
	}
	c, err := d.Decode(ev("3", "http://c"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Webhook == a.Webhook || c.Webhook.URL != "http://c" {
		t.Error("another webhook text shared a definition")
	}
	// Full (two texts), it forgets the least recently used: a, just used,
	// stays shared; c goes.
	if again, _ := d.Decode(ev("6", "http://a")); again.Webhook != a.Webhook {
		t.Error("a remembered webhook was decoded again")
	}
	if _, err := d.Decode(ev("7", "http://d")); err != nil {
		t.Fatal(err)
	}
	if again, _ := d.Decode(ev("8", "http://a")); again.Webhook != a.Webhook {
		t.Error("the most recently used webhook was forgotten")
	}
	if again, _ := d.Decode(ev("9", "http://c")); again.Webhook == c.Webhook {
		t.Error("the least recently used webhook was kept past the bound")
	}
	// An invalid definition is refused every time, never remembered.
	bad := []byte(`{"id":"4","bot_id":"b","conversation_id":"c","webhook":{"url":"http://a","method":"FETCH"}}`)
	for range 2 {
		if _, err := d.Decode(bad); err == nil || !strings.Contains(err.Error(), "webhook.method") {
			t.Errorf("invalid webhook: %v", err)
		}
	}
	// Unknown fields inside a webhook are named, cached or not.
	unknown := []byte(`{"id":"5","bot_id":"b","conversation_id":"c","webhook":{"url":"http://a","colour":1}}`)
	if _, err := d.Decode(unknown); err == nil || !strings.Contains(err.Error(), "webhook.colour") {
		t.Errorf("unknown webhook field: %v", err)
	}
}

func TestDecodeDepthLimit(t *testing.T) {
	nest := func(n int) string {
		return strings.Repeat(`{"a":`, n) + "1" + strings.Repeat("}", n)
	}
	ok := `{"id":"d","bot_id":"b","conversation_id":"c","webhook":{"url":"http://x"},"cvars":{"deep":` + nest(MaxDepth-3) + `,"s":"[[[[{{{{"}}`
	if _, err := Decode([]byte(ok)); err != nil {
		t.Errorf("nesting within the limit (brackets in strings not counted): %v", err)
	}
	deep := `{"id":"d","bot_id":"b","conversation_id":"c","webhook":{"url":"http://x"},"cvars":{"deep":` + nest(MaxDepth) + `}}`
	_, err := Decode([]byte(deep))
	if err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "nested") {
		t.Errorf("nesting over the limit: %v", err)
	}
}
