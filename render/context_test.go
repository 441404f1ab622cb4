package render

import (
	"strings"
	"testing"

	"github.com/hookworker/hookworker/trigger"
)

// decodedEvent decodes an event as the worker does, so that templates
// read cvars and context from the event's JSON text.
func decodedEvent(t *testing.T, cvars, context string) *trigger.Event {
	t.Helper()
	data := `{"id":"evt-1","bot_id":"bot-1","conversation_id":"conv-1","fired_at":"2026-11-23T18:00:00.5Z",` +
		`"connection":{"id":"c-1","module_id":"","scope":"global"},"webhook":{"url":"http://127.0.0.1/"}`
	if cvars != "" {
		data += `,"cvars":` + cvars
	}
	if context != "" {
		data += `,"context":` + context
	}
	ev, err := trigger.Decode([]byte(data + "}"))
	if err != nil {
		t.Fatal(err)
	}
	if cvars != "" && len(ev.CVarsJSON) == 0 {
		t.Fatal("decoded event without CVarsJSON")
	}
	return ev
}

// TestRequestContext: the context built as names are looked up gives
// what the contract's context gives, in both orders of reading a value by
// name and through cvars, in one render or over several templates of a
// request (shared) or each on its own (fresh).
func TestRequestContext(t *testing.T) {
	const cvars = `{"b":1,"items":[1,2],"a":{"x":"y"},"dup":"first","cvars":"shadow","response":"r",` +
		`"range":"a cvar","dup":"last","n":12345678901234567890123}`
	const context = `{"language":"en","id":"ctx-id","module_id":5}`
	tests := []struct {
		name, src, want string
	}{
		{"by name", "{{ b }} {{ a.x }} {{ n }}", "1 y 12345678901234567890123"},
		{"through cvars", "{{ cvars.b }} {{ cvars['a'].x }}", "1 y"},
		{"event order", "{{ cvars | list | join(',') }}", "b,items,a,dup,cvars,response,range,n"},
		{"repeated key: first place, last value", "{{ dup }} {{ cvars.dup }} {{ cvars | length }}", "last last 8"},
		{"one object by name then cvars", "{{ items is sameas cvars['items'] }}", "True"},
		{"one object through cvars then by name", "{{ cvars['items'] is sameas items }}", "True"},
		{"a change seen under both names", "{{ items.append(3) }}{{ cvars['items'] | length }}", "None3"},
		{"a change seen by name", "{{ cvars.a.update(z=1) }}{{ a | length }}", "None2"},
		{"reserved names", "{{ cvars.cvars }} {{ cvars.response }} [{{ response }}] {{ cvars is mapping }}", "shadow r [] True"},
		{"a cvar over a global", "{{ range }}", "a cvar"},
		{"missing", "[{{ nothing }}] {{ nothing is defined }}", "[] False"},
		{"event", "{{ event }}", "{'attempt': 2, 'fired_at': '2026-11-23T18:00:00.5Z', 'id': 'evt-1'}"},
		{"conversation", "{{ conversation }}",
			"{'language': 'en', 'id': 'conv-1', 'module_id': 5, 'bot_id': 'bot-1', 'connection_id': 'c-1'}"},
		{"params", "{{ params }}", "{}"},
		{"secrets", "{{ secrets.TOKEN }}", "tok"},
	}
	sc := Scope{Secrets: Secrets{"TOKEN": "tok"}, Attempt: 2}
	e := NewEnv(testLimits)
	for _, mode := range []string{"fresh", "shared"} {
		shared := RequestVars(decodedEvent(t, cvars, context), sc)
		for _, tt := range tests {
			t.Run(mode+"/"+tt.name, func(t *testing.T) {
				tpl, err := e.Compile(tt.src)
				if err != nil {
					t.Fatal(err)
				}
				vars := shared
				if mode == "fresh" {
					vars = RequestVars(decodedEvent(t, cvars, context), sc)
				}
				got, err := tpl.RenderVars(vars)
				if mode == "shared" && strings.Contains(tt.name, "change") {
					return // the other cases' changes show
				}
				if err != nil || got != tt.want {
					t.Errorf("%s = %q, %v; want %q", tt.src, got, err, tt.want)
				}
			})
		}
	}
}

// TestRequestContextChecksAll: a document the engine refuses fails the
// render even when the template reads none of it (as when the context was
// built in full before the first render).
func TestRequestContextChecksAll(t *testing.T) {
	tests := []struct {
		name           string
		cvars, context string
		want           string
	}{
		{"cvars: invalid UTF-8 in a member not read", "{\"a\":1,\"b\":\"\xff\"}", "", "cvars: invalid JSON"},
		{"cvars: not an object", `[1,2]`, "", ""},
		{"context: invalid UTF-8", `{"a":1}`, "{\"x\":\"\xff\"}", "context: invalid JSON"},
		{"context: too deep", `{"a":1}`, strings.Repeat("[", trigger.MaxDepth+2) + strings.Repeat("]", trigger.MaxDepth+2), "context: JSON nested"},
	}
	e := NewEnv(testLimits)
	tpl, err := e.Compile("{{ a }}")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := &trigger.Event{ID: "e", BotID: "b", ConversationID: "c",
				CVarsJSON: []byte(tt.cvars), ContextJSON: []byte(tt.context)}
			_, err := tpl.RenderVars(RequestVars(ev, Scope{}))
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("render failed: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("render error %v, want one with %q", err, tt.want)
			}
		})
	}
}

// TestConditionContext: a condition sees the request's context, objects
// in the event's order, and reads no more of it than it names.
func TestConditionContext(t *testing.T) {
	ev := decodedEvent(t, `{"z":1,"a":2,"vip":false,"items":[1,2,3,4]}`, `{"language":"en"}`)
	e := NewEnv(testLimits)
	tests := []struct {
		src  string
		want bool
	}{
		{"vip or items | length > 3", true},
		{"vip", false},
		{"(cvars | list | first) == 'z'", true},
		{"conversation.language == 'en' and event.attempt == 1", true},
		{"missing", false},
	}
	for _, tt := range tests {
		x, err := e.CompileExpr(tt.src)
		if err != nil {
			t.Fatal(err)
		}
		got, err := x.TrueVars(RequestVars(ev, Scope{}))
		if err != nil || got != tt.want {
			t.Errorf("%s = %v, %v; want %v", tt.src, got, err, tt.want)
		}
	}
}
