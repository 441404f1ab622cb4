package render

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/hookworker/hookworker/internal/golden"

	"github.com/hookworker/hookworker/trigger"
	"github.com/hookworker/hookworker/trigger/webhook"
)

// updateGolden rewrites testdata/golden/*.golden from the current output:
// go test ./render -run TestRenderRequestGolden -update

// goldenSecrets are the secrets every golden case can use.
var goldenSecrets = Secrets{"API_TOKEN": "tok-abc123", "PASSWORD": "pa:ss wörd", "API_KEY": "key 1/2+3"}

// goldenCVars are the cvars of golden cases that give none.
const goldenCVars = `{
	"userId": 42, "userName": "ann", "name": "Ann \"The\" Ünïcode 🎉 <b>&'",
	"order_id": 388, "total": 2.0, "ratio": 4.5, "vip": true, "tags": ["a", "b", "c"],
	"page": 2, "nick": null, "evil": "a\r\nX-Evil: 1", "empty": "", "big": 9007199254740993
}`

type requestCase struct {
	name  string
	def   string // webhook definition, JSON
	cvars string // JSON object; "" means goldenCVars
	// errField is the Field of the *Error the case fails with, or "".
	errField string
	// compileErr marks errors found by CompileWebhook rather than Render.
	compileErr bool
}

var requestCases = []requestCase{
	{name: "get_static", def: `{"id":"static","url":"https://api.example.com/ping"}`},
	{name: "get_url_var", def: `{"id":"user","url":"https://api.example.com/users/{{ userId }}"}`},
	{name: "get_query_params", def: `{"id":"search","url":"https://api.example.com/search",
		"query":{"q":"{{ name }}","lang":"en","page":"{{ page }}","none":"{{ missing }}","sp ace":"a&b=c"}}`},
	{name: "get_query_existing", def: `{"id":"search","url":"https://api.example.com/search?x=1",
		"query":{"page":"{{ page }}"}}`},
	{name: "get_query_trailing_question", def: `{"id":"search","url":"https://api.example.com/search?",
		"query":{"page":"{{ page }}"}}`},
	{name: "get_query_trailing_ampersand", def: `{"id":"search","url":"https://api.example.com/search?x=1&",
		"query":{"page":"{{ page }}"}}`},
	// A '?' inside the fragment is not a query: the fragment is dropped
	// and the query starts with '?'.
	{name: "get_query_fragment", def: `{"id":"search","url":"https://api.example.com/search#top?x",
		"query":{"page":"{{ page }}"}}`},
	{name: "get_fragment_kept_without_query", def: `{"id":"search","url":"https://api.example.com/search#top"}`},
	{name: "headers", def: `{"id":"hdr","url":"https://api.example.com/",
		"headers":{"Accept":"application/json","x-user":"{{ userName | upper }}","X-Count":"{{ tags | length }}",
		"X-Trace":"{{ event.id }}-{{ event.attempt }}","X-Conv":"{{ conversation.id }}/{{ conversation.language }}",
		"X-Empty":"{{ missing }}"}}`},
	{name: "post_json_types", def: `{"id":"order","method":"POST","url":"https://api.example.com/orders",
		"body":"{\"order\": {{ order_id }}, \"total\": {{ total }}, \"ratio\": {{ ratio }}, \"vip\": {{ vip | tojson }}, \"big\": {{ big }}, \"n\": {{ tags | length }}}"}`},
	{name: "post_json_strings", def: `{"id":"order","method":"POST","url":"https://api.example.com/orders",
		"body":"{\"name\": {{ name | tojson }}, \"tags\": {{ tags | tojson }}, \"nick\": {{ nick | tojson }}, \"cv\": {{ cvars['order_id'] | tojson }}}"}`},
	{name: "post_json_filters", def: `{"id":"order","method":"POST","url":"https://api.example.com/orders",
		"body":"{\"upper\": \"{{ userName | upper }}\", \"len\": {{ tags | length }}, \"joined\": \"{{ tags | join('-') }}\", \"def\": \"{{ missing | default('anon') }}\", \"note\": \"{{ missing }}\"}"}`},
	{name: "post_json_loop", def: `{"id":"order","method":"PUT","url":"https://api.example.com/orders",
		"body":"{\"items\": [{% for t in tags %}{\"tag\": {{ t | tojson }}, \"i\": {{ loop.index }}}{% if not loop.last %}, {% endif %}{% endfor %}]}\n"}`},
	// {{ vip }} prints True, as in Jinja2: not JSON.
	{name: "post_json_raw_bool", def: `{"id":"flags","method":"POST","url":"https://api.example.com/flags",
		"body":"{\"vip\": {{ vip }}}"}`, errField: "body"},
	{name: "post_json_missing_value", def: `{"id":"order","method":"POST","url":"https://api.example.com/orders",
		"body":"{\"a\": {{ missing }}}"}`, errField: "body"},
	{name: "post_json_vendor_type_invalid", def: `{"id":"order","method":"POST","url":"https://api.example.com/orders",
		"headers":{"Content-Type":"application/vnd.api+json"},"body":"not json {{ userName }}"}`, errField: "body"},
	// A malformed parameter does not make the body exempt from validation.
	{name: "post_json_bad_param_invalid", def: `{"id":"order","method":"POST","url":"https://api.example.com/orders",
		"headers":{"content-type":"Application/JSON; charset"},"body":"not json"}`, errField: "body"},
	{name: "post_empty_body", def: `{"id":"order","method":"POST","url":"https://api.example.com/orders",
		"body":"{{ missing }}"}`},
	{name: "post_text_plain", def: `{"id":"note","method":"POST","url":"https://api.example.com/notes",
		"headers":{"Content-Type":"text/plain; charset=utf-8"},"body":"Hello {{ name }}, this is not {JSON"}`},
	{name: "post_form", def: `{"id":"form","method":"post","url":"https://api.example.com/form",
		"headers":{"Content-Type":"application/x-www-form-urlencoded"},"body":"user={{ userName | urlencode }}&order={{ order_id }}&name={{ name | urlencode }}"}`},
	{name: "auth_basic", def: `{"id":"basic","url":"https://api.example.com/",
		"auth":{"type":"basic","username":"{{ userName }}","password":"{{ secrets.PASSWORD }}"}}`},
	{name: "auth_bearer", def: `{"id":"bearer","method":"DELETE","url":"https://api.example.com/orders/{{ order_id }}",
		"auth":{"type":"bearer","token":"{{ secrets.API_TOKEN }}"}}`},
	{name: "auth_api_key_header", def: `{"id":"apikey","url":"https://api.example.com/",
		"auth":{"type":"api_key","in":"header","name":"X-Api-Key","value":"{{ secrets['API_KEY'] }}"}}`},
	{name: "auth_api_key_query", def: `{"id":"apikey","url":"https://api.example.com/?a=1",
		"query":{"q":"{{ userName }}"},"auth":{"type":"api_key","in":"query","name":"api key","value":"{{ secrets.API_KEY }}"}}`},
	{name: "auth_none", def: `{"id":"none","url":"https://api.example.com/","auth":{"type":"none"}}`},
	{name: "auth_undefined_secret", def: `{"id":"bearer","url":"https://api.example.com/",
		"auth":{"type":"bearer","token":"{{ secrets.NOT_THERE }}"}}`, errField: "auth.token"},
	{name: "header_crlf", def: `{"id":"inject","url":"https://api.example.com/",
		"headers":{"X-Inject":"{{ evil }}"}}`, errField: "headers.X-Inject"},
	{name: "auth_crlf", def: `{"id":"inject","url":"https://api.example.com/",
		"auth":{"type":"bearer","token":"{{ evil }}"}}`, errField: "auth.token"},
	{name: "url_relative", def: `{"id":"rel","url":"/users/{{ userId }}"}`, errField: "url"},
	{name: "url_ftp", def: `{"id":"ftp","url":"ftp://files.example.com/{{ userId }}"}`, errField: "url"},
	{name: "url_empty", def: `{"id":"empty","url":"{{ missing }}"}`, errField: "url"},
	{name: "url_no_host", def: `{"id":"nohost","url":"https://{{ missing }}/path"}`, errField: "url"},
	{name: "url_port_only", def: `{"id":"port","url":"http://:8080/path"}`, errField: "url"},
	{name: "url_bad_escape", def: `{"id":"esc","url":"https://api.example.com/%zz"}`, errField: "url"},
	{name: "url_inline_webhook", def: `{"url":"mailto:{{ userName }}@example.com"}`, errField: "url"},
	{name: "url_render_error", def: `{"id":"err","url":"https://api.example.com/{{ missing.attr }}"}`, errField: "url"},
	{name: "url_whitespace_trimmed", def: `{"id":"ws","url":"  https://api.example.com/{{ userId }}\n"}`},
	{name: "query_panic", def: `{"id":"panic","url":"https://api.example.com/","query":{"p":"{{ page % 0 }}"}}`, errField: "query.p"},
	{name: "compile_error_body", def: `{"id":"broken","method":"POST","url":"https://api.example.com/","body":"{{ broken"}`,
		errField: "body", compileErr: true},
	// include parses, as in Jinja2, and fails when it runs: no loader.
	{name: "include_header", def: `{"id":"sneaky","url":"https://api.example.com/",
		"headers":{"X-Host":"{% include '/etc/hostname' %}"}}`, errField: "headers.X-Host"},
	{name: "compile_error_auth", def: `{"id":"broken","url":"https://api.example.com/",
		"auth":{"type":"api_key","in":"header","name":"K","value":"{{ secrets.X "}}`, errField: "auth.value", compileErr: true},
}

func TestRenderRequestGolden(t *testing.T) {
	e := NewEnv(testLimits)
	seen := map[string]bool{}
	for _, tc := range requestCases {
		t.Run(tc.name, func(t *testing.T) {
			if seen[tc.name] {
				t.Fatalf("duplicate case name %q", tc.name)
			}
			seen[tc.name] = true
			def, err := webhook.DecodeJSON([]byte(tc.def))
			if err != nil {
				t.Fatalf("definition: %v", err)
			}
			if err := def.Validate(); err != nil {
				t.Fatalf("definition does not validate: %v", err)
			}
			cvars := tc.cvars
			if cvars == "" {
				cvars = goldenCVars
			}
			ev := testEvent(t, cvars, `{"language":"en"}`)
			req, err := renderDefinition(e, def, ev, tc.compileErr)
			var got string
			if tc.errField != "" {
				got = checkRenderError(t, err, def, tc.errField)
			} else {
				if err != nil {
					t.Fatalf("render: %v", err)
				}
				checkRequest(t, req)
				got = formatRequest(req)
			}
			compareGolden(t, filepath.Join("testdata", "golden", tc.name+".golden"), got)
		})
	}
}

// renderDefinition compiles and renders def for ev with goldenSecrets;
// compileErr says which of the two steps must fail, if any.
func renderDefinition(e *Env, def *webhook.Definition, ev *trigger.Event, compileErr bool) (*Request, error) {
	w, err := e.CompileWebhook(def)
	if err != nil {
		if !compileErr {
			return nil, fmt.Errorf("unexpected compile error: %w", err)
		}
		return nil, err
	}
	if compileErr {
		return nil, errors.New("compiled, want a compile error")
	}
	return w.Render(RequestVars(ev, Scope{Secrets: goldenSecrets, Attempt: 2}))
}

// checkRenderError checks that err is an *Error for field naming the
// webhook, and returns the golden text for it.
func checkRenderError(t *testing.T, err error, def *webhook.Definition, field string) string {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one for field %s", field)
	}
	var re *Error
	if !errors.As(err, &re) {
		t.Fatalf("error %T %v is not a *render.Error", err, err)
	}
	if re.Field != field {
		t.Errorf("Field = %q, want %q (error %v)", re.Field, field, err)
	}
	if re.Webhook != def.ID {
		t.Errorf("Webhook = %q, want %q", re.Webhook, def.ID)
	}
	who := `webhook "` + def.ID + `"`
	if def.ID == "" {
		who = "inline webhook"
	}
	if !strings.Contains(err.Error(), who) {
		t.Errorf("error %q does not name %s", err, who)
	}
	for _, s := range goldenSecrets {
		if strings.Contains(err.Error(), s) {
			t.Errorf("error %q holds a secret", err)
		}
	}
	return fmt.Sprintf("error field: %s\nerror: %s\n", re.Field, err)
}

// checkRequest checks the invariants of every rendered request.
func checkRequest(t *testing.T, req *Request) {
	t.Helper()
	u, err := url.Parse(req.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
		t.Errorf("URL %q is not an absolute http(s) URL (%v)", req.URL, err)
	}
	for k, vs := range req.Header {
		if k != CanonicalHeader(k) {
			t.Errorf("header %q is not canonical", k)
		}
		for _, v := range vs {
			if strings.ContainsAny(v, "\r\n") {
				t.Errorf("header %s: %q holds CR or LF", k, v)
			}
		}
	}
	if len(req.Body) > 0 {
		ct := req.Header.Get("Content-Type")
		if ct == "" {
			t.Error("a body without Content-Type")
		}
		if IsJSONContentType(ct) && !json.Valid(req.Body) {
			t.Errorf("%s body is not JSON: %s", ct, req.Body)
		}
	}
}

// formatRequest writes req as text: method and URL, sorted headers, the
// body, and the redacted view when secrets were used.
func formatRequest(req *Request) string {
	var b strings.Builder
	writeRequest(&b, req)
	if len(req.Secrets) > 0 {
		b.WriteString("\n--- redacted\n")
		writeRequest(&b, req.Redacted())
	}
	return b.String()
}

func writeRequest(b *strings.Builder, req *Request) {
	fmt.Fprintf(b, "%s %s\n", req.Method, req.URL)
	keys := make([]string, 0, len(req.Header))
	for k := range req.Header {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, v := range req.Header[k] {
			fmt.Fprintf(b, "%s: %s\n", k, v)
		}
	}
	if req.Body != nil {
		fmt.Fprintf(b, "\n%s\n", req.Body)
	}
}

// compareGolden compares got with the golden file, or rewrites it with
// -update.
func compareGolden(t *testing.T, path, got string) {
	t.Helper()
	golden.Check(t, path, []byte(got))
}

// TestGoldenFilesUsed fails on golden files no case writes.
func TestGoldenFilesUsed(t *testing.T) {
	names := map[string]bool{}
	for _, tc := range requestCases {
		names[tc.name+".golden"] = true
	}
	files, err := filepath.Glob(filepath.Join("testdata", "golden", "*.golden"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if !names[filepath.Base(f)] {
			t.Errorf("%s belongs to no case", f)
		}
	}
}

func TestIsJSONContentType(t *testing.T) {
	tests := []struct {
		ct   string
		want bool
	}{
		{"application/json", true},
		{"application/json; charset=utf-8", true},
		{"Application/JSON", true},
		{" application/json ;charset", true},
		{"application/json; charset", true}, // malformed parameter: still JSON to the receiver
		{"application/problem+json", true},
		{"application/vnd.api+json; ext=bulk", true},
		{"", false},
		{"text/plain", false},
		{"application/x-www-form-urlencoded", false},
		{"application/jsonp", false},
		{"text/json-seq", false},
		{"application/json-patch", false},
	}
	for _, tt := range tests {
		if got := IsJSONContentType(tt.ct); got != tt.want {
			t.Errorf("IsJSONContentType(%q) = %v, want %v", tt.ct, got, tt.want)
		}
	}
}
