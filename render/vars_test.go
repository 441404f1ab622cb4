package render

import (
	"encoding/base64"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hookworker/hookworker/trigger"
	"github.com/hookworker/hookworker/trigger/webhook"
)

// decodeVars decodes a JSON object as events are decoded (UseNumber) and
// normalises it.
func decodeVars(t testing.TB, s string) map[string]any {
	t.Helper()
	if s == "" {
		return nil
	}
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("decode %s: %v", s, err)
	}
	Normalize(m)
	return m
}

func testEvent(t testing.TB, cvars, context string) *trigger.Event {
	t.Helper()
	fired := time.Date(2026, 11, 23, 19, 0, 0, 500_000_000, time.FixedZone("CET", 3600))
	return &trigger.Event{
		ID:             "evt-1",
		BotID:          "bot-1",
		ConversationID: "conv-1",
		Connection:     &trigger.Connection{ID: "c-1", ModuleID: "m-1", Scope: "module"},
		CVars:          decodeVars(t, cvars),
		Context:        decodeVars(t, context),
		FiredAt:        &fired,
	}
}

func TestRequestVars(t *testing.T) {
	ev := testEvent(t,
		`{"userName":"Ann","order-id":388,"total":2.0,"ratio":4.5,"vip":true,"tags":["a","b"],
		  "event":"cvar-event","cvars":"cvar-cvars","conversation":"cvar-conv","secrets":"cvar-secrets",
		  "params":"cvar-params","response":"cvar-response","nothing":null}`,
		`{"user_message":"hi","language":"en","module_id":"ctx-module","id":"ctx-id"}`)
	vars := RequestVars(ev, Scope{
		Secrets: Secrets{"TOKEN": "tok"},
		Params:  map[string]any{"region": "eu"},
		Attempt: 3,
	})
	e := NewEnv(testLimits)
	tests := []struct {
		src, want string
	}{
		// CVars at the top level and under cvars.
		{"{{ userName }}", "Ann"},
		{"{{ cvars.userName }}", "Ann"},
		{"{{ cvars['order-id'] }}", "388"},
		{"{{ total }} {{ ratio }} {{ vip }}", "2.0 4.5 True"},
		{"{{ tags | join(',') }}", "a,b"},
		{"{{ cvars | length }}", "13"},
		// Reserved names: only under cvars; the top-level name is the
		// context object.
		{"{{ cvars['event'] }}|{{ cvars.event }}", "cvar-event|cvar-event"},
		{"{{ event.id }}", "evt-1"},
		{"{{ event.attempt }}", "3"},
		{"{{ event.attempt + 1 }}", "4"},
		{"{{ event.fired_at }}", "2026-11-23T18:00:00.5Z"},
		{"{{ cvars['cvars'] }} {{ cvars['conversation'] }} {{ cvars['secrets'] }} {{ cvars['params'] }} {{ cvars['response'] }}",
			"cvar-cvars cvar-conv cvar-secrets cvar-params cvar-response"},
		{"{{ conversation.id }}", "conv-1"},
		{"{{ params.region }}", "eu"},
		{"{{ response }}", ""},
		{"{{ secrets.TOKEN }}", "tok"},
		// conversation: ids and every context field; the ids win over
		// context fields of the same name, the connection's module wins
		// over the context's.
		{"{{ conversation.bot_id }}/{{ conversation.connection_id }}/{{ conversation.module_id }}", "bot-1/c-1/m-1"},
		{"{{ conversation.user_message }} {{ conversation.language }}", "hi en"},
		{"{{ conversation | length }}", "6"},
	}
	for _, tt := range tests {
		out, err := renderString(t, e, tt.src, vars.Map())
		if err != nil || out != tt.want {
			t.Errorf("%s = %q, %v; want %q", tt.src, out, err, tt.want)
		}
	}
	// Reserved names are not copied to the top level.
	m := vars.Map()
	for name := range Reserved {
		if v, ok := m[name]; ok {
			if s, isString := v.(string); isString && strings.HasPrefix(s, "cvar-") {
				t.Errorf("top-level %s is the CVar %q", name, s)
			}
		}
	}
	if _, ok := m["response"]; ok {
		t.Error("request vars define response")
	}
	// RequestVars shares the event's cvars: it does not modify them.
	if ev.CVars["event"] != "cvar-event" || len(ev.CVars) != 13 {
		t.Errorf("event cvars modified: %v", ev.CVars)
	}
}

func TestRequestVarsDefaults(t *testing.T) {
	ev := &trigger.Event{ID: "e", BotID: "b", ConversationID: "c",
		Context: map[string]any{"module_id": "from-context"}}
	vars := RequestVars(ev, Scope{})
	e := NewEnv(testLimits)
	tests := []struct {
		src, want string
	}{
		{"{{ cvars | length }}", "0"},
		{"{{ params | length }}", "0"},
		{"{{ event.attempt }}", "1"},
		{"{{ event.fired_at is none }}", "True"},
		{"{{ conversation.connection_id }}", ""},
		// Without a connection, the context's module_id stays.
		{"{{ conversation.module_id }}", "from-context"},
		{"[{{ missing }}]", "[]"},
	}
	for _, tt := range tests {
		out, err := renderString(t, e, tt.src, vars.Map())
		if err != nil || out != tt.want {
			t.Errorf("%s = %q, %v; want %q", tt.src, out, err, tt.want)
		}
	}
	if _, err := renderString(t, e, "{{ secrets.ANY }}", vars.Map()); err == nil {
		t.Error("a secret resolved with no secret source")
	}
}

func TestSecrets(t *testing.T) {
	e := NewEnv(testLimits)
	src := Secrets{"TOKEN": "tok-123", "OTHER": "other", "EMPTY": ""}
	tests := []struct {
		name    string
		tpl     string
		want    string
		wantErr string
		used    []string
	}{
		{"attribute", "{{ secrets.TOKEN }}", "tok-123", "", []string{"tok-123"}},
		{"item", "{{ secrets['TOKEN'] }}", "tok-123", "", []string{"tok-123"}},
		{"two", "{{ secrets.TOKEN }}:{{ secrets.OTHER }}", "tok-123:other", "", []string{"tok-123", "other"}},
		{"empty secret", "[{{ secrets.EMPTY }}]", "[]", "", nil},
		{"in expression", "{{ 'Bearer ' ~ secrets.TOKEN }}", "Bearer tok-123", "", []string{"tok-123"}},
		{"undefined attribute", "{{ secrets.NOPE }}", "", `secret "NOPE" is not defined`, nil},
		{"undefined item", "{{ secrets['NOPE'] }}", "", `secret "NOPE" is not defined`, nil},
		{"undefined in if", "{% if secrets.MISSING_ONE %}x{% endif %}", "", `secret "MISSING_ONE" is not defined`, nil},
		{"non-string key", "{{ secrets[1] }}", "", "secret names are strings", nil},
		{"whole scope", "{{ secrets }}", "<secrets>", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vars := RequestVars(&trigger.Event{ID: "e"}, Scope{Secrets: src})
			out, err := renderString(t, e, tt.tpl, vars.Map())
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("render = %q, %v; want an error containing %q", out, err, tt.wantErr)
				}
			} else if err != nil || out != tt.want {
				t.Fatalf("render = %q, %v; want %q", out, err, tt.want)
			}
			if got := vars.UsedSecrets(); !slices.Equal(got, tt.used) {
				t.Errorf("UsedSecrets = %q, want %q", got, tt.used)
			}
		})
	}
	// Each render's Vars records its own secrets.
	a := RequestVars(&trigger.Event{ID: "a"}, Scope{Secrets: src})
	b := RequestVars(&trigger.Event{ID: "b"}, Scope{Secrets: src})
	if _, err := renderString(t, e, "{{ secrets.OTHER }}", a.Map()); err != nil {
		t.Fatal(err)
	}
	if got := b.UsedSecrets(); len(got) != 0 {
		t.Errorf("secrets used by another render leaked: %q", got)
	}
}

func TestRedactor(t *testing.T) {
	tests := []struct {
		name    string
		secrets []string
		in      string
		want    string
	}{
		{"none", nil, "nothing to hide", "nothing to hide"},
		{"empty values ignored", []string{"", ""}, "abc", "abc"},
		{"one", []string{"s3cr3t"}, "token=s3cr3t&x=s3cr3t", "token=****&x=****"},
		{"longest first", []string{"abcd", "abcdefg"}, "abcdefg abcd", "**** ****"},
		{"overlapping prefix", []string{"tokn", "tokn-long"}, "tokn-long/tokn", "****/****"},
		{"too short to mask", []string{"t", "ab"}, "http://t.ab/", "http://t.ab/"},
		{"query escaped", []string{"a b+c/d"}, "https://x/?k=a+b%2Bc%2Fd", "https://x/?k=****"},
		{"path escaped", []string{"a b/c"}, "https://x/a%20b%2Fc/", "https://x/****/"},
		{"json escaped", []string{`p"w\d`}, `{"pw":"p\"w\\d"}`, `{"pw":"****"}`},
		{"json html escaped", []string{"<&>"}, `{"pw":"\u003c\u0026\u003e"}`, `{"pw":"****"}`},
		{"jinja2 tojson", []string{"pässwörd'"}, `{"pw": "p\u00e4ssw\u00f6rd\u0027"}`, `{"pw": "****"}`},
		{"astral", []string{"k🎉"}, `"k\ud83c\udf89"`, `"****"`},
		{"raw unicode", []string{"pässwörd"}, "pw=pässwörd", "pw=****"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := NewRedactor(tt.secrets).Redact(tt.in); got != tt.want {
				t.Errorf("Redact(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
	var nilRedactor *Redactor
	if got := nilRedactor.Redact("x"); got != "x" {
		t.Errorf("nil Redactor changed text: %q", got)
	}
}

func TestRequestRedacted(t *testing.T) {
	secrets := Secrets{"TOKEN": "tok/+=123", "PASS": "hunter2", "KEY": "k-ÿ"}
	tests := []struct {
		name  string
		def   webhook.Definition
		check func(t *testing.T, r *Request)
	}{
		{
			name: "bearer and secrets everywhere",
			def: webhook.Definition{
				ID: "w", Method: "POST",
				URL:     "https://api.example.com/{{ secrets.TOKEN }}/x",
				Query:   map[string]string{"key": "{{ secrets.TOKEN }}"},
				Headers: map[string]string{"X-Token": "t={{ secrets.TOKEN }}", "X-Plain": "plain"},
				Body:    `{"token": {{ secrets.TOKEN | tojson }}, "key": {{ secrets.KEY | tojson }}, "raw": "{{ secrets.PASS }}"}`,
				Auth:    &webhook.Auth{Type: webhook.AuthBearer, Token: "{{ secrets.TOKEN }}"},
			},
			check: func(t *testing.T, r *Request) {
				t.Helper()
				if got := r.Header.Get("Authorization"); got != "Bearer ****" {
					t.Errorf("Authorization = %q", got)
				}
				if got := r.Header.Get("X-Token"); got != "t=****" {
					t.Errorf("X-Token = %q", got)
				}
				if got := r.Header.Get("X-Plain"); got != "plain" {
					t.Errorf("X-Plain = %q", got)
				}
				if want := "https://api.example.com/****/x?key=****"; r.URL != want {
					t.Errorf("URL = %q, want %q", r.URL, want)
				}
				if !json.Valid(r.Body) || strings.Count(string(r.Body), Mask) != 3 {
					t.Errorf("body = %s, want 3 masks", r.Body)
				}
			},
		},
		{
			name: "basic",
			def: webhook.Definition{
				ID: "w", URL: "https://api.example.com/",
				Auth: &webhook.Auth{Type: webhook.AuthBasic, Username: "user", Password: "{{ secrets.PASS }}"},
			},
			check: func(t *testing.T, r *Request) {
				t.Helper()
				if got := r.Header.Get("Authorization"); got != "Basic ****" {
					t.Errorf("Authorization = %q", got)
				}
			},
		},
		{
			name: "api key in query",
			def: webhook.Definition{
				ID: "w", URL: "https://api.example.com/?a=1",
				Auth: &webhook.Auth{Type: webhook.AuthAPIKey, In: "query", Name: "api_key", Value: "{{ secrets.TOKEN }}"},
			},
			check: func(t *testing.T, r *Request) {
				t.Helper()
				if want := "https://api.example.com/?a=1&api_key=****"; r.URL != want {
					t.Errorf("URL = %q, want %q", r.URL, want)
				}
			},
		},
		{
			name: "api key in header, static authorization",
			def: webhook.Definition{
				ID: "w", URL: "https://api.example.com/",
				Headers: map[string]string{"Authorization": "Token static-not-a-secret"},
				Auth:    &webhook.Auth{Type: webhook.AuthAPIKey, In: "header", Name: "X-Api-Key", Value: "{{ secrets.KEY }}"},
			},
			check: func(t *testing.T, r *Request) {
				t.Helper()
				if got := r.Header.Get("X-Api-Key"); got != Mask {
					t.Errorf("X-Api-Key = %q", got)
				}
				if got := r.Header.Get("Authorization"); got != "Token ****" {
					t.Errorf("Authorization = %q", got)
				}
			},
		},
	}
	e := NewEnv(testLimits)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, err := e.CompileWebhook(&tt.def)
			if err != nil {
				t.Fatal(err)
			}
			req, err := w.Render(RequestVars(&trigger.Event{ID: "e"}, Scope{Secrets: secrets}))
			if err != nil {
				t.Fatal(err)
			}
			before := req.URL + string(req.Body) + req.Header.Get("Authorization")
			red := req.Redacted()
			tt.check(t, red)
			// No secret, in any form, survives.
			dump := red.URL + string(red.Body)
			for k, vs := range red.Header {
				dump += k + strings.Join(vs, ",")
			}
			for _, s := range []string{"tok/+=123", "tok%2F%2B%3D123", "hunter2", "k-ÿ", `k-\u00ff`,
				base64.StdEncoding.EncodeToString([]byte("user:hunter2"))} {
				if strings.Contains(dump, s) {
					t.Errorf("redacted request holds %q: %s", s, dump)
				}
			}
			if red.Secrets != nil {
				t.Error("redacted request carries the secrets")
			}
			// The original is untouched.
			if after := req.URL + string(req.Body) + req.Header.Get("Authorization"); after != before {
				t.Errorf("Redacted modified the request: %q -> %q", before, after)
			}
		})
	}
}

// TestRendersOfARequestAreIsolated: the renders of one request share its
// variables but not what a template sets.
func TestRendersOfARequestAreIsolated(t *testing.T) {
	e := NewEnv(Limits{})
	w, err := e.CompileWebhook(&webhook.Definition{
		URL:     "http://example.test/{% set leak = 'x' %}{{ name }}",
		Headers: map[string]string{"X-Leak": "[{{ leak }}]", "X-Name": "{{ name }}"},
	})
	if err != nil {
		t.Fatal(err)
	}
	ev := &trigger.Event{ID: "e", BotID: "b", ConversationID: "c", CVars: map[string]any{"name": "ann"}}
	req, err := w.Render(RequestVars(ev, Scope{}))
	if err != nil {
		t.Fatal(err)
	}
	if req.URL != "http://example.test/ann" || req.Header.Get("X-Leak") != "[]" || req.Header.Get("X-Name") != "ann" {
		t.Errorf("url %q, X-Leak %q, X-Name %q", req.URL, req.Header.Get("X-Leak"), req.Header.Get("X-Name"))
	}
}
