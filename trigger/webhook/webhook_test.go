package webhook

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hookworker/hookworker/internal/golden"
)

// checkGolden compares got with testdata/name, or rewrites it with -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	golden.Check(t, filepath.Join("testdata", name), got)
}

// valid returns a minimal valid definition changed by edit.
func valid(edit func(d *Definition)) *Definition {
	d := &Definition{ID: "w", URL: "https://api.example.com/{{ x }}"}
	if edit != nil {
		edit(d)
	}
	return d
}

func TestValidateOK(t *testing.T) {
	tests := []struct {
		name string
		def  *Definition
	}{
		{"minimal", valid(nil)},
		{"no id (inline)", valid(func(d *Definition) { d.ID = "" })},
		{"every method", valid(func(d *Definition) { d.Method = "HEAD" })},
		{"lower-case method", valid(func(d *Definition) { d.Method = "patch" })},
		{"headers", valid(func(d *Definition) {
			d.Headers = map[string]string{"X-Api-Key": "{{ secrets.K }}", "Content-Type": "text/plain", "x!#$%&'*+-.^_`|~9": "v"}
		})},
		{"query", valid(func(d *Definition) { d.Query = map[string]string{"q": "{{ q }}", "with space": ""} })},
		{"timeout zero", valid(func(d *Definition) { d.Timeout = 0 })},
		{"timeout max", valid(func(d *Definition) { d.Timeout = Duration(MaxTimeout) })},
		{"auth none", valid(func(d *Definition) { d.Auth = &Auth{Type: AuthNone} })},
		{"auth empty type", valid(func(d *Definition) { d.Auth = &Auth{} })},
		{"auth basic", valid(func(d *Definition) { d.Auth = &Auth{Type: AuthBasic, Username: "u"} })},
		{"auth bearer", valid(func(d *Definition) { d.Auth = &Auth{Type: AuthBearer, Token: "t"} })},
		{"auth api_key header", valid(func(d *Definition) { d.Auth = &Auth{Type: AuthAPIKey, In: "header", Name: "X-Key", Value: "v"} })},
		{"auth api_key query", valid(func(d *Definition) { d.Auth = &Auth{Type: AuthAPIKey, In: "query", Name: "api key", Value: "v"} })},
		{"retry", valid(func(d *Definition) {
			d.Retry = &Retry{MaxAttempts: 5, On: []string{"network", "timeout", "5xx", "429", "408", "5XX"}}
		})},
		{"success", valid(func(d *Definition) { d.Success = []string{"2xx", "304", "4XX"} })},
		{"uses without url", valid(func(d *Definition) { d.URL, d.Uses, d.With = "", "zendesk", map[string]any{"region": "eu"} })},
		{"mappers", valid(func(d *Definition) {
			d.CVars = []Mapping{{Name: "a", Mapper: "{{ x }}"}, {Name: "b", Mapper: "{{ y }}"}}
		})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.def.Validate(); err != nil {
				t.Errorf("Validate: %v", err)
			}
		})
	}
}

func TestValidateErrors(t *testing.T) {
	tests := []struct {
		name  string
		def   *Definition
		field string
		msg   string
	}{
		{"with without uses", valid(func(d *Definition) { d.With = map[string]any{"region": "eu"} }), "with", "only with uses"},
		{"bad method", valid(func(d *Definition) { d.Method = "TRACE" }), "method", `"TRACE" is not one of`},
		{"method with space", valid(func(d *Definition) { d.Method = "GET " }), "method", "is not one of"},
		{"url missing", valid(func(d *Definition) { d.URL = "" }), "url", "required"},
		{"url blank", valid(func(d *Definition) { d.URL = " \n\t" }), "url", "required"},
		{"header name with space", valid(func(d *Definition) { d.Headers = map[string]string{"X Bad": "v"} }), "headers", `"X Bad" is not a valid header name`},
		{"header name with colon", valid(func(d *Definition) { d.Headers = map[string]string{"X-A:": "v"} }), "headers", "not a valid header name"},
		{"header name with newline", valid(func(d *Definition) { d.Headers = map[string]string{"X-A\r\nX-B": "v"} }), "headers", "not a valid header name"},
		{"header name empty", valid(func(d *Definition) { d.Headers = map[string]string{"": "v"} }), "headers", `"" is not a valid header name`},
		{"header name non-ASCII", valid(func(d *Definition) { d.Headers = map[string]string{"X-Ü": "v"} }), "headers", "not a valid header name"},
		{"header names differing in case", valid(func(d *Definition) {
			d.Headers = map[string]string{"X-Token": "a", "x-token": "b"}
		}), "headers", `"X-Token" and "x-token" name the same header`},
		{"first bad header by name", valid(func(d *Definition) {
			d.Headers = map[string]string{"Z bad": "v", "A bad": "v", "M bad": "v"}
		}), "headers", `"A bad"`},
		{"query name empty", valid(func(d *Definition) { d.Query = map[string]string{"": "v"} }), "query", "empty parameter name"},
		{"timeout negative", valid(func(d *Definition) { d.Timeout = Duration(-time.Second) }), "timeout", "outside 0..5m0s"},
		{"timeout over max", valid(func(d *Definition) { d.Timeout = Duration(MaxTimeout + time.Nanosecond) }), "timeout", "outside 0..5m0s"},
		{"auth bad type", valid(func(d *Definition) { d.Auth = &Auth{Type: "digest"} }), "auth.type", `"digest" is not one of none, basic, bearer, api_key`},
		{"auth basic no username", valid(func(d *Definition) { d.Auth = &Auth{Type: AuthBasic, Password: "p"} }), "auth.username", "required for basic auth"},
		{"auth bearer no token", valid(func(d *Definition) { d.Auth = &Auth{Type: AuthBearer} }), "auth.token", "required for bearer auth"},
		{"auth api_key bad in", valid(func(d *Definition) { d.Auth = &Auth{Type: AuthAPIKey, In: "cookie", Name: "k", Value: "v"} }), "auth.in", `"cookie" is not header or query`},
		{"auth api_key no in", valid(func(d *Definition) { d.Auth = &Auth{Type: AuthAPIKey, Name: "k", Value: "v"} }), "auth.in", `"" is not header or query`},
		{"auth api_key no name", valid(func(d *Definition) { d.Auth = &Auth{Type: AuthAPIKey, In: "query", Value: "v"} }), "auth.name", "required"},
		{"auth api_key bad header name", valid(func(d *Definition) { d.Auth = &Auth{Type: AuthAPIKey, In: "header", Name: "X Key", Value: "v"} }), "auth.name", "not a valid header name"},
		{"auth api_key no value", valid(func(d *Definition) { d.Auth = &Auth{Type: AuthAPIKey, In: "header", Name: "K"} }), "auth.value", "required"},
		{"retry negative attempts", valid(func(d *Definition) { d.Retry = &Retry{MaxAttempts: -1} }), "retry.max_attempts", "negative"},
		{"retry on garbage", valid(func(d *Definition) { d.Retry = &Retry{On: []string{"5xx", "sometimes"}} }), "retry.on[1]", `"sometimes" is not a status (429), a class (5xx), network or timeout`},
		{"retry on 6xx", valid(func(d *Definition) { d.Retry = &Retry{On: []string{"6xx"}} }), "retry.on[0]", "not a status"},
		{"retry on 99", valid(func(d *Definition) { d.Retry = &Retry{On: []string{"99"}} }), "retry.on[0]", "not a status"},
		{"retry on empty", valid(func(d *Definition) { d.Retry = &Retry{On: []string{""}} }), "retry.on[0]", `"" is not a status`},
		{"success network", valid(func(d *Definition) { d.Success = []string{"2xx", "network"} }), "success[1]", `"network" is not a status (200) or a class (2xx)`},
		{"success 600", valid(func(d *Definition) { d.Success = []string{"600"} }), "success[0]", "not a status"},
		{"mapper no name", valid(func(d *Definition) { d.CVars = []Mapping{{Name: "a", Mapper: "x"}, {Mapper: "x"}} }), "cvars[1].name", "required"},
		{"mapper no mapper", valid(func(d *Definition) { d.CVars = []Mapping{{Name: "a"}} }), "cvars[0].mapper", "required"},
		{"mapper duplicate", valid(func(d *Definition) {
			d.CVars = []Mapping{{Name: "a", Mapper: "x"}, {Name: "b", Mapper: "y"}, {Name: "a", Mapper: "z"}}
		}), "cvars[2].name", `"a" is mapped twice`},
	}
	var golden bytes.Buffer
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.def.Validate()
			if err == nil {
				t.Fatal("Validate succeeded")
			}
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("error %T %v is not a *FieldError", err, err)
			}
			if fe.Field != tt.field {
				t.Errorf("Field = %q, want %q (%v)", fe.Field, tt.field, err)
			}
			if !strings.Contains(fe.Msg, tt.msg) {
				t.Errorf("Msg %q does not contain %q", fe.Msg, tt.msg)
			}
			if !strings.HasPrefix(err.Error(), tt.field+": ") {
				t.Errorf("error %q does not start with its field", err)
			}
			// The first problem is reported the same way every time.
			for i := 0; i < 20; i++ {
				if again := tt.def.Validate(); again.Error() != err.Error() {
					t.Fatalf("Validate is not deterministic: %q then %q", err, again)
				}
			}
			fmt.Fprintf(&golden, "%s: %v\n", tt.name, err)
		})
	}
	if !t.Failed() {
		checkGolden(t, "validate_errors.golden", golden.Bytes())
	}
}

func TestEffectiveDefaults(t *testing.T) {
	d := &Definition{}
	if got := d.EffectiveMethod(); got != "GET" {
		t.Errorf("EffectiveMethod() = %q, want GET", got)
	}
	if got := d.EffectiveTimeout(); got != 5*time.Second {
		t.Errorf("EffectiveTimeout() = %v, want 5s", got)
	}
	d = &Definition{Method: "post", Timeout: Duration(1500 * time.Millisecond)}
	if got := d.EffectiveMethod(); got != "POST" {
		t.Errorf("EffectiveMethod() = %q, want POST", got)
	}
	if got := d.EffectiveTimeout(); got != 1500*time.Millisecond {
		t.Errorf("EffectiveTimeout() = %v, want 1.5s", got)
	}
}

const fullJSON = `{
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
}`

// checkFull checks a decoded fullJSON / testdata/full.yaml.
func checkFull(t *testing.T, d *Definition) {
	t.Helper()
	if err := d.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	switch {
	case d.ID != "zendesk-ticket-status", d.Name != "Zendesk ticket status", d.Method != "POST":
		t.Errorf("id/name/method = %q %q %q", d.ID, d.Name, d.Method)
	case d.URL != "https://{{ secrets.ZD_DOMAIN }}/api/v2/tickets/{{ order_id }}":
		t.Errorf("url = %q", d.URL)
	case d.Query["include"] != "comments", d.Headers["X-Trace"] != "{{ event.id }}":
		t.Errorf("query/headers = %v %v", d.Query, d.Headers)
	case d.Body != `{"q": {{ order_id | tojson }}}`:
		t.Errorf("body = %q", d.Body)
	case d.Auth == nil || d.Auth.Type != AuthBearer || d.Auth.Token != "{{ secrets.ZD_TOKEN }}":
		t.Errorf("auth = %+v", d.Auth)
	case time.Duration(d.Timeout) != 3*time.Second:
		t.Errorf("timeout = %v", d.Timeout)
	case d.Retry == nil || d.Retry.MaxAttempts != 4 || time.Duration(d.Retry.MaxAge) != 10*time.Minute ||
		time.Duration(d.Retry.MaxDelay) != 30*time.Second || strings.Join(d.Retry.On, ",") != "network,5xx,429":
		t.Errorf("retry = %+v", d.Retry)
	case len(d.Success) != 1 || d.Success[0] != "2xx":
		t.Errorf("success = %v", d.Success)
	case len(d.CVars) != 1 || d.CVars[0] != (Mapping{Name: "ticket_status", Mapper: "{{ ticket.status }}"}):
		t.Errorf("cvars = %+v", d.CVars)
	}
}

func TestDecodeJSON(t *testing.T) {
	d, err := DecodeJSON([]byte(fullJSON))
	if err != nil {
		t.Fatal(err)
	}
	checkFull(t, d)
	// A decoded definition survives encoding and decoding again.
	out, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	again, err := DecodeJSON(out)
	if err != nil {
		t.Fatalf("DecodeJSON(Marshal(d)): %v\n%s", err, out)
	}
	checkFull(t, again)
}

func TestDecodeJSONErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"unknown top-level field", `{"url":"https://x/","verb":"GET"}`, `verb: unknown field`},
		{"a known field in another case", `{"URL":"https://x/"}`, `URL: unknown field`},
		{"unknown auth field", `{"url":"https://x/","auth":{"type":"basic","user":"u"}}`, `auth.user: unknown field`},
		{"unknown retry field", `{"url":"https://x/","retry":{"attempts":3}}`, `retry.attempts: unknown field`},
		{"unknown mapping field", `{"url":"https://x/","cvars":[{"name":"a","mapper":"x","map":"y"}]}`, `cvars[0].map: unknown field`},
		{"wrong type", `{"url":5}`, "url: want a string, got JSON number"},
		{"null for a required field", `{"url":null}`, "url: want a string, got JSON null"},
		{"null list item", `{"url":"https://x/","success":[null]}`, "success[0]: want a string, got JSON null"},
		{"null header value", `{"url":"https://x/","headers":{"A":null}}`, "headers.A: want a string, got JSON null"},
		{"headers not strings", `{"url":"https://x/","headers":{"A":1}}`, "headers.A: want a string, got JSON number"},
		{"bad timeout", `{"url":"https://x/","timeout":"soon"}`, `timeout: duration "soon"`},
		{"negative zero timeout", `{"url":"https://x/","timeout":"-0s"}`, `timeout: duration "-0s" is negative`},
		{"fractional max_attempts", `{"url":"https://x/","retry":{"max_attempts":2.5}}`, `retry.max_attempts: want an integer, got JSON number 2.5`},
		{"syntax", `{"url":`, "webhook: unexpected EOF"},
		{"empty", ``, "webhook: EOF"},
		{"trailing object", `{"url":"https://x/"} {"url":"https://y/"}`, "webhook: trailing data"},
		{"trailing brace", `{"url":"https://x/"} }`, "webhook: trailing data"},
		{"trailing bracket", `{"url":"https://x/"}]`, "webhook: trailing data"},
		{"trailing garbage", `{"url":"https://x/"}x`, "webhook: trailing data"},
		{"array", `[]`, "want an object, got JSON array"},
		{"null", `null`, "want an object, got JSON null"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := DecodeJSON([]byte(tt.in))
			if err == nil {
				t.Fatalf("DecodeJSON succeeded: %+v", d)
			}
			if d != nil {
				t.Error("a definition returned with the error")
			}
			if !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("error %q, want %q...", err, tt.want)
			}
		})
	}
	// White space after the definition is fine; so are null optional
	// fields, and integers written with a fraction or exponent.
	for _, ok := range []string{
		"{\"url\":\"https://x/\"}\n\t ",
		`{"url":"https://x/","name":null,"auth":null,"retry":{"max_attempts":3.0,"max_age":null},"cvars":null}`,
		`{"url":"https://x/","retry":{"max_attempts":4e0}}`,
	} {
		if _, err := DecodeJSON([]byte(ok)); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	d, err := DecodeJSON([]byte(`{"url":"https://x/","retry":{"max_attempts":4e0}}`))
	if err != nil || d.Retry.MaxAttempts != 4 {
		t.Errorf("max_attempts 4e0: %+v, %v", d, err)
	}
}

func TestDecodeYAML(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "full.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	d, err := DecodeYAML(data)
	if err != nil {
		t.Fatal(err)
	}
	checkFull(t, d)
}

func TestDecodeYAMLErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"unknown top-level field", "url: https://x/\nverb: GET\n", "line 2: field verb not found"},
		{"unknown auth field", "url: https://x/\nauth:\n  type: basic\n  user: u\n", "line 4: field user not found"},
		{"unknown mapping field", "url: https://x/\ncvars:\n  - name: a\n    mapper: x\n    map: y\n", "line 5: field map not found"},
		{"wrong type", "url: [1]\n", "cannot unmarshal !!seq into string"},
		{"bad timeout", "url: https://x/\ntimeout: soon\n", `duration "soon"`},
		{"timeout map", "url: https://x/\ntimeout: {s: 1}\n", "duration must be a string"},
		{"syntax", "url: [\n", "yaml"},
		{"empty", "", "EOF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := DecodeYAML([]byte(tt.in))
			if err == nil {
				t.Fatalf("DecodeYAML succeeded: %+v", d)
			}
			if !strings.HasPrefix(err.Error(), "webhook: ") || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want webhook: ... %q", err, tt.want)
			}
		})
	}
}

func TestDuration(t *testing.T) {
	tests := []struct {
		name    string
		json    string // "" skips JSON
		yaml    string // "" skips YAML
		want    time.Duration
		wantErr string
	}{
		{"string", `"5s"`, `5s`, 5 * time.Second, ""},
		{"quoted yaml", "", `"5s"`, 5 * time.Second, ""},
		{"integer seconds", `5`, `5`, 5 * time.Second, ""},
		{"fractional seconds", `2.5`, `2.5`, 2500 * time.Millisecond, ""},
		{"compound", `"1m30s"`, `1m30s`, 90 * time.Second, ""},
		{"milliseconds", `"250ms"`, `250ms`, 250 * time.Millisecond, ""},
		{"zero", `0`, `0`, 0, ""},
		{"zero string", `"0s"`, `0s`, 0, ""},
		{"exponent", `1e1`, `1e1`, 10 * time.Second, ""},
		{"null", `null`, "", 0, ""},
		{"hundred years", `3153600000`, `3153600000`, 3153600000 * time.Second, ""},
		{"negative string", `"-5s"`, `-5s`, 0, "negative"},
		{"negative number", `-5`, `-5`, 0, "outside 0.."},
		{"huge number", `1e300`, `1e300`, 0, "outside 0.."},
		{"over a hundred years", `3153600001`, `3153600001`, 0, "outside 0.."},
		{"huge string", `"9999999999h"`, `9999999999h`, 0, "want a form such as"},
		{"garbage", `"soon"`, `soon`, 0, `duration "soon": want a form such as "5s"`},
		{"unitless string", `"5"`, "", 0, "want a form such as"},
		{"empty string", `""`, `""`, 0, "want a form such as"},
		{"boolean", `true`, `true`, 0, "duration"},
		{"array", `[5]`, `[5]`, 0, "duration must be a string"},
		{"nan", "", `nan`, 0, "outside 0.."},
		{"yaml nan", "", `.nan`, 0, "want a form such as"},
		{"infinity", "", `inf`, 0, "outside 0.."},
	}
	for _, tt := range tests {
		if tt.json != "" {
			t.Run("json/"+tt.name, func(t *testing.T) {
				var d Duration
				err := json.Unmarshal([]byte(tt.json), &d)
				checkDuration(t, d, err, tt.want, tt.wantErr)
				// As a field of a definition, too.
				def, err := DecodeJSON([]byte(`{"url":"https://x/","timeout":` + tt.json + `}`))
				var got Duration
				if def != nil {
					got = def.Timeout
				}
				checkDuration(t, got, err, tt.want, tt.wantErr)
			})
		}
		if tt.yaml != "" {
			t.Run("yaml/"+tt.name, func(t *testing.T) {
				def, err := DecodeYAML([]byte("url: https://x/\ntimeout: " + tt.yaml + "\n"))
				var got Duration
				if def != nil {
					got = def.Timeout
				}
				checkDuration(t, got, err, tt.want, tt.wantErr)
			})
		}
	}
}

func checkDuration(t *testing.T, got Duration, err error, want time.Duration, wantErr string) {
	t.Helper()
	if wantErr != "" {
		if err == nil || !strings.Contains(err.Error(), wantErr) {
			t.Errorf("got %v, %v; want an error containing %q", time.Duration(got), err, wantErr)
		}
		return
	}
	if err != nil || time.Duration(got) != want {
		t.Errorf("got %v, %v; want %v", time.Duration(got), err, want)
	}
}

func TestDurationMarshal(t *testing.T) {
	for _, d := range []time.Duration{0, 5 * time.Second, 90 * time.Second, 2500 * time.Millisecond} {
		b, err := json.Marshal(Duration(d))
		if err != nil {
			t.Fatal(err)
		}
		if want := `"` + d.String() + `"`; string(b) != want {
			t.Errorf("Marshal(%v) = %s, want %s", d, b, want)
		}
		var back Duration
		if err := json.Unmarshal(b, &back); err != nil || time.Duration(back) != d {
			t.Errorf("round trip of %v: %v, %v", d, time.Duration(back), err)
		}
	}
}

func TestParseStatusPattern(t *testing.T) {
	tests := []struct {
		in      string
		kinds   bool
		want    StatusPattern
		wantErr bool
	}{
		{"200", false, StatusPattern{Code: 200}, false},
		{"100", false, StatusPattern{Code: 100}, false},
		{"599", false, StatusPattern{Code: 599}, false},
		{"2xx", false, StatusPattern{Class: 2}, false},
		{"5XX", true, StatusPattern{Class: 5}, false},
		{"1xx", false, StatusPattern{Class: 1}, false},
		{"network", true, StatusPattern{Kind: "network"}, false},
		{"Timeout", true, StatusPattern{}, true}, // written exactly, as the schema says
		{" 404 ", false, StatusPattern{}, true},
		{"+429", true, StatusPattern{}, true},
		{"0429", true, StatusPattern{}, true},
		{"network", false, StatusPattern{}, true},
		{"timeout", false, StatusPattern{}, true},
		{"99", false, StatusPattern{}, true},
		{"600", false, StatusPattern{}, true},
		{"0xx", false, StatusPattern{}, true},
		{"6xx", true, StatusPattern{}, true},
		{"2x", false, StatusPattern{}, true},
		{"2xxx", false, StatusPattern{}, true},
		{"x2x", false, StatusPattern{}, true},
		{"", true, StatusPattern{}, true},
		{"20 0", false, StatusPattern{}, true},
		{"abc", true, StatusPattern{}, true},
	}
	for _, tt := range tests {
		got, err := ParseStatusPattern(tt.in, tt.kinds)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseStatusPattern(%q, %v) = %+v, %v; want %+v, error %v", tt.in, tt.kinds, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestStatusPatternMatch(t *testing.T) {
	tests := []struct {
		pattern string
		match   []int
		nomatch []int
	}{
		{"200", []int{200}, []int{201, 204, 2, 2000, 0}},
		{"2xx", []int{200, 201, 299}, []int{199, 300, 2, 20, 0, 2000}},
		{"5xx", []int{500, 503, 599}, []int{499, 600, 429}},
		{"429", []int{429}, []int{428, 430, 4}},
		{"network", nil, []int{0, 200, 500}},
		{"timeout", nil, []int{0, 408, 504}},
	}
	for _, tt := range tests {
		p, err := ParseStatusPattern(tt.pattern, true)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range tt.match {
			if !p.Match(s) {
				t.Errorf("%q does not match %d", tt.pattern, s)
			}
		}
		for _, s := range tt.nomatch {
			if p.Match(s) {
				t.Errorf("%q matches %d", tt.pattern, s)
			}
		}
	}
}
