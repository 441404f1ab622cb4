package contracttest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hookworker/hookworker/internal/api"
	"github.com/hookworker/hookworker/internal/deadletter"
	"github.com/hookworker/hookworker/internal/preview"
	"github.com/hookworker/hookworker/trigger"
	"github.com/hookworker/hookworker/trigger/webhook"
)

// rawSchema reads docs/schema/<name>.schema.json as a tree.
func rawSchema(t *testing.T, name string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(schemaDir, name+".schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// pointer follows a JSON pointer fragment ("/$defs/auth") in m.
func pointer(t *testing.T, m map[string]any, p string) map[string]any {
	t.Helper()
	cur := m
	for _, tok := range strings.Split(strings.TrimPrefix(p, "/"), "/") {
		if tok == "" {
			continue
		}
		next, ok := cur[tok].(map[string]any)
		if !ok {
			t.Fatalf("schema has no %s", p)
		}
		cur = next
	}
	return cur
}

// jsonFields lists the JSON names of struct type t's fields, embedded
// structs flattened, "-" left out.
func jsonFields(t reflect.Type) []string {
	var names []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case name == "-" || !f.IsExported() && !f.Anonymous:
		case f.Anonymous && name == "":
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			names = append(names, jsonFields(ft)...)
		default:
			if name == "" {
				name = f.Name
			}
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}

// TestSchemasNameTheGoFields: each object of the schemas has exactly the
// properties of the Go type it describes, so a field added to one and not
// the other fails here.
func TestSchemasNameTheGoFields(t *testing.T) {
	type letterJSON struct { // what the CLI prints: the letter with its seq
		Seq uint64 `json:"seq"`
		*deadletter.Letter
	}
	checks := []struct {
		schema, ptr string
		typ         reflect.Type
	}{
		{"event", "", reflect.TypeFor[trigger.Event]()},
		{"event", "/properties/connection", reflect.TypeFor[trigger.Connection]()},
		{"event", "/$defs/webhookRefPinned", reflect.TypeFor[trigger.WebhookRef]()},
		{"webhook", "", reflect.TypeFor[webhook.Definition]()},
		{"webhook", "/$defs/auth", reflect.TypeFor[webhook.Auth]()},
		{"webhook", "/$defs/retry", reflect.TypeFor[webhook.Retry]()},
		{"webhook", "/$defs/signing", reflect.TypeFor[webhook.Signing]()},
		{"webhook", "/$defs/mapping", reflect.TypeFor[webhook.Mapping]()},
		{"result", "", reflect.TypeFor[trigger.Result]()},
		{"result", "/$defs/error", reflect.TypeFor[trigger.Error]()},
		{"dead-letter", "", reflect.TypeFor[letterJSON]()},
		{"dead-letter", "/$defs/attempt", reflect.TypeFor[deadletter.Attempt]()},
		{"dead-letter", "/$defs/request", reflect.TypeFor[deadletter.Request]()},
		{"api", "/$defs/renderRequest", reflect.TypeFor[api.RenderRequest]()},
		{"api", "/$defs/sampleResponse", reflect.TypeFor[api.SampleResponse]()},
		{"api", "/$defs/renderReply", reflect.TypeFor[api.RenderReply]()},
		{"api", "/$defs/renderedRequest", reflect.TypeFor[api.RenderedRequest]()},
		{"api", "/$defs/outcome", reflect.TypeFor[preview.Outcome]()},
		{"api", "/$defs/warning", reflect.TypeFor[preview.Warning]()},
		{"api", "/$defs/validateRequest", reflect.TypeFor[api.ValidateRequest]()},
		{"api", "/$defs/validateReply", reflect.TypeFor[api.ValidateReply]()},
		{"api", "/$defs/fieldError", reflect.TypeFor[api.FieldError]()},
		{"api", "/$defs/filter", reflect.TypeFor[api.Filter]()},
		{"api", "/$defs/dlqListRequest", reflect.TypeFor[api.DLQListRequest]()},
		{"api", "/$defs/dlqListReply", reflect.TypeFor[api.DLQListReply]()},
		{"api", "/$defs/letterSummary", reflect.TypeFor[api.LetterSummary]()},
		{"api", "/$defs/dlqShowRequest", reflect.TypeFor[api.DLQShowRequest]()},
		{"api", "/$defs/replayRequest", reflect.TypeFor[api.ReplayRequest]()},
		{"api", "/$defs/replayReply", reflect.TypeFor[api.ReplayReply]()},
		{"api", "/$defs/replayedLetter", reflect.TypeFor[api.ReplayedLetter]()},
		{"api", "/$defs/statusReply", reflect.TypeFor[api.StatusReply]()},
		{"api", "/$defs/error/properties/error", reflect.TypeFor[api.Error]()},
	}
	for _, c := range checks {
		props, _ := pointer(t, rawSchema(t, c.schema), c.ptr)["properties"].(map[string]any)
		var have []string
		for k := range props {
			have = append(have, k)
		}
		slices.Sort(have)
		if want := jsonFields(c.typ); !slices.Equal(have, want) {
			t.Errorf("%s.schema.json#%s has properties %v; %s has fields %v", c.schema, c.ptr, have, c.typ, want)
		}
	}
}

// TestProducedDocumentsValidate: Results and dead letters as the Go code
// writes them validate against their schemas, and removing any required
// field or giving it another type makes them invalid.
func TestProducedDocumentsValidate(t *testing.T) {
	at := time.Date(2026, 11, 24, 7, 30, 32, 379658636, time.UTC)
	results := []trigger.Result{
		{EventID: "e", BotID: "b", ConversationID: "c", WebhookID: "w", Status: trigger.StatusSucceeded,
			CVars: map[string]any{"ticket_status": "open", "n": 3}, Unmapped: []string{}, HTTPStatus: 200, Attempts: 1, DurationMS: 0.8, CompletedAt: at},
		{EventID: "e", BotID: "b", ConversationID: "c", Status: trigger.StatusFailed, CVars: map[string]any{}, Unmapped: []string{"x"},
			Attempts: 4, Error: &trigger.Error{Class: trigger.ClassNetwork, Message: "refused"}, Replayed: true, CompletedAt: at},
		{EventID: "e", BotID: "b", ConversationID: "c", Status: trigger.StatusSkipped, CVars: map[string]any{}, Unmapped: []string{}, CompletedAt: at},
	}
	for i, r := range results {
		data, _ := json.Marshal(r)
		checkProduced(t, "result", data, i)
	}
	letter := &deadletter.Letter{Seq: 3, EventID: "e", BotID: "b", ConversationID: "c", WebhookID: "w", Subject: "connections.fired.b",
		Event: json.RawMessage(`{"id":"e","bot_id":"b"}`), Error: trigger.Error{Class: trigger.ClassHTTPStatus, Message: "404"},
		Attempts:   []deadletter.Attempt{{At: at, Status: 404, Class: trigger.ClassHTTPStatus, Error: "404", DurationMS: 1.9, Body: "{}", RetryAfterMS: 5}},
		Request:    &deadletter.Request{Method: "GET", URL: "http://x/", Headers: map[string][]string{"Authorization": {"Bearer ****"}}},
		Deliveries: 2, FirstSeen: at, FailedAt: at}
	data, _ := json.Marshal(letter)
	checkProduced(t, "dead-letter", data, 0)
	text := &deadletter.Letter{EventID: "e", Subject: "connections.fired.b", EventText: "not json", Error: trigger.Error{Class: trigger.ClassInvalidEvent, Message: "x"},
		Attempts: []deadletter.Attempt{}, FirstSeen: at, FailedAt: at}
	data, _ = json.Marshal(text)
	checkProduced(t, "dead-letter", data, 1)
}

// checkProduced: data validates; without any of its required fields, or
// with one of another type, it does not.
func checkProduced(t *testing.T, loc string, data []byte, i int) {
	t.Helper()
	if ok, err := schemaValid(t, loc, data); !ok {
		t.Errorf("%s %d as written by Go: %v\n%s", loc, i, err, data)
	}
	required, _ := rawSchema(t, loc)["required"].([]any)
	for _, r := range required {
		var m map[string]any
		_ = json.Unmarshal(data, &m)
		v := m[r.(string)]
		delete(m, r.(string))
		if ok, _ := schemaValid(t, loc, enc(m)); ok {
			t.Errorf("%s %d without %s: valid", loc, i, r)
		}
		wrong := any([]any{})
		if _, isArray := v.([]any); isArray {
			wrong = "x"
		}
		m[r.(string)] = wrong
		if ok, _ := schemaValid(t, loc, enc(m)); ok {
			t.Errorf("%s %d with %s = %v: valid", loc, i, r, wrong)
		}
	}
	// Readers ignore fields they do not know: a later worker may add some.
	var m map[string]any
	_ = json.Unmarshal(data, &m)
	m["added_later"] = 1
	if ok, err := schemaValid(t, loc, enc(m)); !ok {
		t.Errorf("%s %d with a field added later: %v", loc, i, err)
	}
}
