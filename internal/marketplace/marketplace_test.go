package marketplace

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/hookworker/hookworker/mapper"
	"github.com/hookworker/hookworker/render"
	"github.com/hookworker/hookworker/trigger"
	"github.com/hookworker/hookworker/trigger/webhook"
)

const (
	templatesDir = "../../configs/templates"
	examplesDir  = "testdata/examples"
)

// example is a recorded use of a shipped template: the using definition,
// the conversation and secrets it runs with, the request it must render,
// a sample response shaped like the real API's, and what the mappers make
// of it.
type example struct {
	Webhook webhook.Definition `yaml:"webhook"`
	CVars   map[string]any     `yaml:"cvars"`
	Context map[string]any     `yaml:"context"`
	Secrets map[string]string  `yaml:"secrets"`
	Request struct {
		Method string `yaml:"method"`
		URL    string `yaml:"url"`
		// Headers is a subset of the rendered headers.
		Headers map[string]string `yaml:"headers"`
		// Body is the JSON body, compared semantically; Form a
		// form-encoded body. With neither, the request has no body.
		Body any               `yaml:"body"`
		Form map[string]string `yaml:"form"`
	} `yaml:"request"`
	Response struct {
		Status  int               `yaml:"status"`
		Headers map[string]string `yaml:"headers"`
		Body    string            `yaml:"body"`
	} `yaml:"response"`
	Expect struct {
		CVars    map[string]any `yaml:"cvars"`
		Unmapped []string       `yaml:"unmapped"`
	} `yaml:"expect"`
}

func loadExample(t *testing.T, path string) *example {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var ex example
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&ex); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return &ex
}

// jsonish returns v as encoding/json decodes it (numbers as json.Number),
// for semantic comparison.
func jsonish(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal %#v: %v", v, err)
	}
	return parseJSON(t, b)
}

func parseJSON(t *testing.T, b []byte) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var out any
	if err := dec.Decode(&out); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, b)
	}
	return out
}

// normalized returns m as the worker sees an event's cvars or context:
// decoded from JSON with UseNumber, then render.Normalize.
func normalized(t *testing.T, m map[string]any) map[string]any {
	t.Helper()
	if m == nil {
		return map[string]any{}
	}
	return render.Normalize(jsonish(t, m)).(map[string]any)
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// yamlNames lists the base names without extension of dir's *.yaml files.
func yamlNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if !e.IsDir() && filepath.Ext(e.Name()) == ".yaml" {
			names = append(names, strings.TrimSuffix(e.Name(), ".yaml"))
		}
	}
	sort.Strings(names)
	return names
}

// TestShippedTemplates runs every template of configs/templates with its
// recorded example: resolve, render, compare the request, map the sample
// response, compare the CVars, and check that no secret shows in the
// redacted request.
func TestShippedTemplates(t *testing.T) {
	m, err := LoadDir(templatesDir)
	if err != nil {
		t.Fatal(err)
	}
	ts := m.Templates()
	if len(ts) < 7 {
		t.Fatalf("%d templates shipped, want at least 7", len(ts))
	}
	var ids []string
	for _, tpl := range ts {
		ids = append(ids, tpl.ID)
	}
	// Each template is in <id>.yaml, and has <id>.yaml among the examples;
	// each example is for a shipped template.
	if files := yamlNames(t, templatesDir); !slices.Equal(files, ids) {
		t.Errorf("template files %v, template ids %v: want one <id>.yaml per template", files, ids)
	}
	examples := yamlNames(t, examplesDir)
	for _, id := range ids {
		if !slices.Contains(examples, id) {
			t.Errorf("template %q has no example %s/%s.yaml", id, examplesDir, id)
		}
	}
	for _, name := range examples {
		if !slices.Contains(ids, name) {
			t.Errorf("example %s/%s.yaml is for no shipped template", examplesDir, name)
		}
	}

	for _, tpl := range ts {
		t.Run(tpl.ID, func(t *testing.T) {
			ex := loadExample(t, filepath.Join(examplesDir, tpl.ID+".yaml"))
			if ex.Webhook.Uses != tpl.ID {
				t.Fatalf("example uses %q, want %q", ex.Webhook.Uses, tpl.ID)
			}
			runExample(t, m, ex)
		})
	}
}

func runExample(t *testing.T, m *Marketplace, ex *example) {
	t.Helper()
	// As the registry does: validate the using definition, then resolve.
	if err := ex.Webhook.Validate(); err != nil {
		t.Fatalf("using definition: %v", err)
	}
	def, err := m.Resolve(&ex.Webhook)
	if err != nil {
		t.Fatalf("Resolve: %v", err)
	}
	ev := &trigger.Event{
		ID: "evt-example-1", BotID: "bot-1", ConversationID: "conv-1",
		Connection: &trigger.Connection{ID: "c-1", ModuleID: "m-1", Scope: "module"},
		Webhook:    def,
		CVars:      normalized(t, ex.CVars),
		Context:    normalized(t, ex.Context),
	}
	if err := ev.Validate(); err != nil {
		t.Fatalf("event: %v", err)
	}

	req := renderRequest(t, def, ev, render.Secrets(ex.Secrets))

	want := ex.Request
	if req.Method != want.Method {
		t.Errorf("method %s, want %s", req.Method, want.Method)
	}
	if req.URL != want.URL {
		t.Errorf("url\n got %s\nwant %s", req.URL, want.URL)
	}
	for name, v := range want.Headers {
		if got, ok := req.Header[http.CanonicalHeaderKey(name)]; !ok || len(got) != 1 || got[0] != v {
			t.Errorf("header %s: got %q, want %q", name, got, v)
		}
	}
	switch {
	case want.Form != nil:
		got, err := url.ParseQuery(string(req.Body))
		if err != nil {
			t.Fatalf("form body %q: %v", req.Body, err)
		}
		wantForm := url.Values{}
		for k, v := range want.Form {
			wantForm.Set(k, v)
		}
		if !reflect.DeepEqual(got, wantForm) {
			t.Errorf("form body %q\n got %v\nwant %v", req.Body, got, wantForm)
		}
	case want.Body != nil:
		got, wantBody := parseJSON(t, req.Body), jsonish(t, want.Body)
		if !reflect.DeepEqual(got, wantBody) {
			t.Errorf("body\n got %s\nwant %s\nrendered:\n%s", mustJSON(t, got), mustJSON(t, wantBody), req.Body)
		}
	default:
		if len(req.Body) != 0 {
			t.Errorf("body %q, want none", req.Body)
		}
	}

	// Secrets never show in what is logged or stored.
	red := req.Redacted()
	var shown strings.Builder
	shown.WriteString(red.URL + "\n" + string(red.Body) + "\n")
	for k, vs := range red.Header {
		shown.WriteString(k + ": " + strings.Join(vs, ", ") + "\n")
	}
	t.Logf("redacted request: %s %s", red.Method, shown.String())
	for name, v := range ex.Secrets {
		if strings.Contains(shown.String(), v) {
			t.Errorf("secret %s shows in the redacted request:\n%s", name, shown.String())
		}
	}

	// The mappers, on the fast path and through gonja alike.
	resp := &mapper.Response{StatusCode: ex.Response.Status, Header: http.Header{}, Body: []byte(ex.Response.Body)}
	for k, v := range ex.Response.Headers {
		resp.Header.Set(k, v)
	}
	for _, opts := range []mapper.Options{{}, {NoFastPath: true}} {
		mp, err := mapper.Compile(render.NewEnv(render.Limits{}), def.CVars, opts)
		if err != nil {
			t.Fatalf("mapper.Compile: %v", err)
		}
		out, err := mp.Apply(resp, ev.CVars, render.ConversationVars(ev))
		if err != nil {
			t.Fatalf("Apply (%+v): %v", opts, err)
		}
		if got, want := jsonish(t, out.CVars), jsonish(t, ex.Expect.CVars); !reflect.DeepEqual(got, want) {
			t.Errorf("cvars (%+v)\n got %s\nwant %s", opts, mustJSON(t, got), mustJSON(t, want))
		}
		wantUnmapped := ex.Expect.Unmapped
		if wantUnmapped == nil {
			wantUnmapped = []string{}
		}
		if !slices.Equal(out.Unmapped, wantUnmapped) {
			t.Errorf("unmapped (%+v) %q, want %q", opts, out.Unmapped, wantUnmapped)
		}
	}
}

var paramRef = regexp.MustCompile(`params\s*(?:\.\s*([A-Za-z_][A-Za-z0-9_]*)|\[\s*['"]([^'"]+)['"]\s*\])`)

// requestTemplates returns every request template of d.
func requestTemplates(d *webhook.Definition) []string {
	srcs := []string{d.URL, d.Body}
	for _, k := range slices.Sorted(mapsKeys(d.Query)) {
		srcs = append(srcs, d.Query[k])
	}
	for _, k := range slices.Sorted(mapsKeys(d.Headers)) {
		srcs = append(srcs, d.Headers[k])
	}
	if a := d.Auth; a != nil {
		srcs = append(srcs, a.Username, a.Password, a.Token, a.Value)
	}
	return srcs
}

func mapsKeys(m map[string]string) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// TestShippedTemplateDeclarations checks what a bot builder reads: names,
// docs, described parameters, credentials declared secret, and parameters
// that the definition uses exactly as declared.
func TestShippedTemplateDeclarations(t *testing.T) {
	m, err := LoadDir(templatesDir)
	if err != nil {
		t.Fatal(err)
	}
	credential := regexp.MustCompile(`(?i)(^|_)(token|key|password|secret|webhook_url)$`)
	for _, tpl := range m.Templates() {
		t.Run(tpl.ID, func(t *testing.T) {
			if tpl.Name == "" || tpl.Description == "" {
				t.Error("name and description are required")
			}
			if u, err := url.Parse(tpl.Docs); err != nil || u.Scheme != "https" || u.Host == "" {
				t.Errorf("docs %q: want the https URL of the API reference", tpl.Docs)
			}
			if tpl.Webhook.Timeout == 0 {
				t.Error("webhook.timeout: set one suited to the API")
			}
			if len(tpl.Webhook.CVars) == 0 {
				t.Error("webhook.cvars: no mappers")
			}
			all := strings.Join(requestTemplates(&tpl.Webhook), "\n")
			used := map[string]bool{}
			for _, sm := range paramRef.FindAllStringSubmatch(all, -1) {
				used[sm[1]+sm[2]] = true
			}
			declared := map[string]bool{}
			for _, p := range tpl.Params {
				declared[p.Name] = true
				if p.Description == "" {
					t.Errorf("param %s: no description", p.Name)
				}
				if credential.MatchString(p.Name) && !p.Secret {
					t.Errorf("param %s looks like a credential: declare it secret", p.Name)
				}
				// hubspot-upsert-contact loops over a list of names.
				if !used[p.Name] && !strings.Contains(all, "'"+p.Name+"'") {
					t.Errorf("param %s is declared but the webhook never uses it", p.Name)
				}
			}
			for name := range used {
				if name != "name" && !declared[name] { // params[name] in a loop
					t.Errorf("the webhook uses params.%s, which is not declared", name)
				}
			}
			// Request and mapper templates compile.
			env := render.NewEnv(render.Limits{})
			if _, err := env.CompileWebhook(&tpl.Webhook); err != nil {
				t.Error(err)
			}
			if _, err := mapper.Compile(env, tpl.Webhook.CVars, mapper.Options{}); err != nil {
				t.Error(err)
			}
		})
	}
}

// TestShippedTemplatesMinimal renders every template with only its
// required parameters, so optional branches of bodies that the examples
// take are also checked the other way: the request must still render, and
// JSON bodies still parse.
func TestShippedTemplatesMinimal(t *testing.T) {
	m, err := LoadDir(templatesDir)
	if err != nil {
		t.Fatal(err)
	}
	values := map[string]string{
		"base_url":    "https://api.example.com",
		"webhook_url": "https://hooks.slack.com/services/T0/B0/x",
	}
	for _, tpl := range m.Templates() {
		t.Run(tpl.ID, func(t *testing.T) {
			with := map[string]any{}
			secrets := render.Secrets{}
			for _, p := range tpl.Params {
				if !p.Required {
					continue
				}
				v, ok := values[p.Name]
				if !ok {
					v = "value-of-" + p.Name
				}
				if p.Secret {
					name := strings.ToUpper(p.Name)
					secrets[name] = v
					with[p.Name] = "{{ secrets." + name + " }}"
				} else {
					with[p.Name] = v
				}
			}
			def, err := m.Resolve(&webhook.Definition{ID: "minimal", Uses: tpl.ID, With: with})
			if err != nil {
				t.Fatal(err)
			}
			ev := &trigger.Event{ID: "evt-1", BotID: "bot-1", ConversationID: "conv-1", Webhook: def,
				CVars: map[string]any{}, Context: map[string]any{"user_message": "hello"}}
			req := renderRequest(t, def, ev, secrets)
			if req.Body != nil && render.IsJSONContentType(req.Header.Get("Content-Type")) {
				parseJSON(t, req.Body)
			}
		})
	}
}

// TestGenericJSONRestWithoutToken: the optional token leaves the
// Authorization header empty, and the GET has no body.
func TestGenericJSONRestWithoutToken(t *testing.T) {
	m, err := LoadDir(templatesDir)
	if err != nil {
		t.Fatal(err)
	}
	ex := &example{
		Webhook: webhook.Definition{ID: "public-api", Uses: "generic-json-rest", With: map[string]any{
			"base_url": "https://api.example.com", "path": "/status",
		}},
	}
	ex.Request.Method, ex.Request.URL = "GET", "https://api.example.com/status"
	ex.Request.Headers = map[string]string{"Accept": "application/json", "Authorization": ""}
	ex.Response.Status, ex.Response.Body = 503, `{"status": "degraded"}`
	ex.Expect.CVars = map[string]any{"http_status": 503, "response_body": map[string]any{"status": "degraded"}}
	runExample(t, m, ex)
}

// ---------------------------------------------------------------- Resolve

const testTemplate = `
id: acme-lookup
name: Acme lookup
description: Looks a ticket up.
docs: https://acme.example/docs
params:
  - {name: subdomain, description: the subdomain, required: true}
  - {name: token, description: the API token, required: true, secret: true}
  - {name: ticket_id, description: the ticket, required: true}
  - {name: lang, description: the language, default: en}
  - {name: limit, description: page size, default: 10}
  - {name: note, description: optional}
webhook:
  name: Acme lookup (webhook)
  method: GET
  url: "https://{{ params.subdomain }}.acme.example/api/tickets/{{ params.ticket_id }}"
  query:
    lang: "{{ params.lang }}"
  headers:
    Accept: application/json
    X-Client: hookworker
  auth: {type: bearer, token: "{{ params.token }}"}
  timeout: 4s
  retry: {max_attempts: 2}
  cvars:
    - {name: status, mapper: "{{ ticket.status }}"}
    - {name: subject, mapper: "{{ ticket.subject }}"}
`

func testMarketplace(t *testing.T) *Marketplace {
	t.Helper()
	tpl, err := Decode([]byte(testTemplate))
	if err != nil {
		t.Fatal(err)
	}
	m, err := New(tpl)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func validWith() map[string]any {
	return map[string]any{"subdomain": "acme", "token": "{{ secrets.ACME_TOKEN }}", "ticket_id": "{{ ticket_id }}"}
}

func withPlus(kv ...any) map[string]any {
	w := validWith()
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(w, kv[i].(string))
		} else {
			w[kv[i].(string)] = kv[i+1]
		}
	}
	return w
}

func asFieldError(t *testing.T, err error) *webhook.FieldError {
	t.Helper()
	var fe *webhook.FieldError
	if !errors.As(err, &fe) {
		t.Fatalf("error %v (%T) is not a *webhook.FieldError", err, err)
	}
	return fe
}

func TestResolveErrors(t *testing.T) {
	m := testMarketplace(t)
	for _, tc := range []struct {
		name  string
		def   webhook.Definition
		field string
		msg   []string // substrings of the message
	}{
		{"missing required params are named",
			webhook.Definition{Uses: "acme-lookup", With: map[string]any{"subdomain": "acme"}},
			"with", []string{"token", "ticket_id"}},
		{"no with at all",
			webhook.Definition{Uses: "acme-lookup"},
			"with", []string{"subdomain", "token", "ticket_id"}},
		{"unknown param",
			webhook.Definition{Uses: "acme-lookup", With: withPlus("colour", "red")},
			"with.colour", []string{`no parameter "colour"`}},
		{"first unknown param in sorted order",
			webhook.Definition{Uses: "acme-lookup", With: withPlus("zeta", 1, "alpha", 2)},
			"with.alpha", nil},
		{"secret param given as a literal",
			webhook.Definition{Uses: "acme-lookup", With: withPlus("token", "sk-live-123")},
			"with.token", []string{"secrets.NAME"}},
		{"secret param given as a template over something else",
			webhook.Definition{Uses: "acme-lookup", With: withPlus("token", "{{ api_token }}")},
			"with.token", nil},
		{"secret param given as a number",
			webhook.Definition{Uses: "acme-lookup", With: withPlus("token", 12345)},
			"with.token", nil},
		{"unknown template",
			webhook.Definition{Uses: "nope", With: validWith()},
			"uses", []string{ErrUnknownTemplate.Error(), `"nope"`}},
		{"resolved definition is validated",
			webhook.Definition{Uses: "acme-lookup", With: validWith(), Method: "FETCH"},
			"method", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := m.Resolve(&tc.def)
			if err == nil {
				t.Fatalf("Resolve succeeded: %+v", got)
			}
			fe := asFieldError(t, err)
			if fe.Field != tc.field {
				t.Errorf("field %q, want %q (%v)", fe.Field, tc.field, err)
			}
			for _, s := range tc.msg {
				if !strings.Contains(fe.Msg, s) {
					t.Errorf("message %q lacks %q", fe.Msg, s)
				}
			}
		})
	}
}

func TestResolveNilMarketplace(t *testing.T) {
	var m *Marketplace
	_, err := m.Resolve(&webhook.Definition{Uses: "zendesk-get-ticket"})
	if fe := asFieldError(t, err); fe.Field != "uses" {
		t.Errorf("field %q, want uses", fe.Field)
	}
	d := &webhook.Definition{URL: "https://example.com"}
	if got, err := m.Resolve(d); err != nil || got != d {
		t.Errorf("a definition without uses: got %p, %v; want it back as it is", got, err)
	}
}

func TestResolveWithoutUses(t *testing.T) {
	m := testMarketplace(t)
	d := &webhook.Definition{ID: "plain", URL: "https://example.com"}
	got, err := m.Resolve(d)
	if err != nil || got != d {
		t.Fatalf("got %p, %v; want the definition back as it is", got, err)
	}
	if got.Params != nil || got.Template != "" {
		t.Errorf("params %v, template %q: want none", got.Params, got.Template)
	}
}

func TestResolveDefaults(t *testing.T) {
	m := testMarketplace(t)
	got, err := m.Resolve(&webhook.Definition{ID: "lookup", Uses: "acme-lookup", With: validWith()})
	if err != nil {
		t.Fatal(err)
	}
	wantParams := map[string]any{
		"subdomain": "acme", "token": "{{ secrets.ACME_TOKEN }}", "ticket_id": "{{ ticket_id }}",
		"lang": "en", "limit": 10, "note": "",
	}
	if !reflect.DeepEqual(got.Params, wantParams) {
		t.Errorf("params %#v, want %#v", got.Params, wantParams)
	}
	tpl, _ := m.Get("acme-lookup")
	switch {
	case got.ID != "lookup":
		t.Errorf("id %q, want the using definition's", got.ID)
	case got.Template != "acme-lookup":
		t.Errorf("template %q", got.Template)
	case got.Uses != "" || got.With != nil:
		t.Errorf("uses %q, with %v: want them cleared", got.Uses, got.With)
	case got.Name != "Acme lookup (webhook)":
		t.Errorf("name %q, want the template webhook's", got.Name)
	case got.URL != tpl.Webhook.URL || got.Method != "GET" || got.Timeout != webhook.Duration(4*time.Second):
		t.Errorf("url %q method %q timeout %s: want the template's", got.URL, got.Method, got.Timeout)
	case !reflect.DeepEqual(got.CVars, tpl.Webhook.CVars):
		t.Errorf("cvars %v, want the template's", got.CVars)
	case !reflect.DeepEqual(got.Headers, tpl.Webhook.Headers) || !reflect.DeepEqual(got.Query, tpl.Webhook.Query):
		t.Errorf("headers %v query %v, want the template's", got.Headers, got.Query)
	}

	// A given value wins over a default, whatever its type; given null
	// stays null.
	got, err = m.Resolve(&webhook.Definition{Uses: "acme-lookup", With: withPlus("lang", "{{ conversation.language }}", "limit", 50)})
	if err != nil {
		t.Fatal(err)
	}
	if got.Params["lang"] != "{{ conversation.language }}" || got.Params["limit"] != 50 {
		t.Errorf("params %v: want the given values", got.Params)
	}

	// The name falls back to the template's own.
	tpl2, err := Decode([]byte(strings.Replace(testTemplate, "  name: Acme lookup (webhook)\n", "", 1)))
	if err != nil {
		t.Fatal(err)
	}
	m2, _ := New(tpl2)
	if got, err = m2.Resolve(&webhook.Definition{Uses: "acme-lookup", With: validWith()}); err != nil || got.Name != "Acme lookup" {
		t.Errorf("name %q, %v: want the template's name", got.Name, err)
	}
	if got, err = m2.Resolve(&webhook.Definition{Name: "Mine", Uses: "acme-lookup", With: validWith()}); err != nil || got.Name != "Mine" {
		t.Errorf("name %q, %v: want the using definition's", got.Name, err)
	}
}

func TestResolveOverrides(t *testing.T) {
	m := testMarketplace(t)
	tpl, _ := m.Get("acme-lookup")
	before := mustJSON(t, tpl)

	d := &webhook.Definition{
		ID:      "mine",
		Uses:    "acme-lookup",
		With:    validWith(),
		Method:  "POST",
		URL:     "https://eu.acme.example/api/v3/tickets/{{ params.ticket_id }}/search",
		Query:   map[string]string{"page": "2"},
		Headers: map[string]string{"X-Client": "my-bot", "X-Trace": "{{ event.id }}"},
		Body:    `{"q": {{ params.ticket_id | tojson }}}`,
		Auth:    &webhook.Auth{Type: "api_key", In: "header", Name: "X-Api-Key", Value: "{{ params.token }}"},
		Timeout: webhook.Duration(9 * time.Second),
		Retry:   &webhook.Retry{MaxAttempts: 5},
		Success: []string{"200", "404"},
		Signing: &webhook.Signing{Secrets: []string{"{{ secrets.SIGNING_KEY }}"}},
		CVars: []webhook.Mapping{
			{Name: "subject", Mapper: "{{ ticket.subject | upper }}"},
			{Name: "assignee", Mapper: "{{ ticket.assignee_id }}"},
		},
	}
	got, err := m.Resolve(d)
	if err != nil {
		t.Fatal(err)
	}
	if got.Method != "POST" || got.URL != d.URL || got.Body != d.Body || got.Timeout != d.Timeout {
		t.Errorf("method %q url %q body %q timeout %s: want the using definition's", got.Method, got.URL, got.Body, got.Timeout)
	}
	if got.Auth != d.Auth || got.Retry != d.Retry || !slices.Equal(got.Success, d.Success) || got.Signing != d.Signing {
		t.Errorf("auth %+v retry %+v success %v signing %+v: want the using definition's", got.Auth, got.Retry, got.Success, got.Signing)
	}
	wantHeaders := map[string]string{"Accept": "application/json", "X-Client": "my-bot", "X-Trace": "{{ event.id }}"}
	if !reflect.DeepEqual(got.Headers, wantHeaders) {
		t.Errorf("headers %v, want %v", got.Headers, wantHeaders)
	}
	wantQuery := map[string]string{"lang": "{{ params.lang }}", "page": "2"}
	if !reflect.DeepEqual(got.Query, wantQuery) {
		t.Errorf("query %v, want %v", got.Query, wantQuery)
	}
	wantCVars := []webhook.Mapping{
		{Name: "status", Mapper: "{{ ticket.status }}"},
		{Name: "subject", Mapper: "{{ ticket.subject | upper }}"}, // replaced in place
		{Name: "assignee", Mapper: "{{ ticket.assignee_id }}"},    // appended
	}
	if !reflect.DeepEqual(got.CVars, wantCVars) {
		t.Errorf("cvars %v, want %v", got.CVars, wantCVars)
	}
	if after := mustJSON(t, tpl); after != before {
		t.Errorf("Resolve changed the template:\n%s\nwas\n%s", after, before)
	}
	// Resolving again gives the template's values: nothing leaked from the
	// first resolution.
	plain, err := m.Resolve(&webhook.Definition{Uses: "acme-lookup", With: validWith()})
	if err != nil {
		t.Fatal(err)
	}
	if plain.Headers["X-Client"] != "hookworker" || len(plain.CVars) != 2 || plain.Auth.Type != "bearer" {
		t.Errorf("second resolution saw the first one's overrides: %+v", plain)
	}
	// Changing the resolved definition leaves the template alone.
	plain.Headers["X-Client"] = "changed"
	plain.Query["lang"] = "changed"
	plain.CVars[0].Mapper = "changed"
	if after := mustJSON(t, tpl); after != before {
		t.Errorf("changing a resolved definition changed the template:\n%s", after)
	}
}

// A header the using definition sets replaces the template's whatever the
// case of its name.
func TestResolveHeaderCase(t *testing.T) {
	m := testMarketplace(t)
	got, err := m.Resolve(&webhook.Definition{Uses: "acme-lookup", With: validWith(),
		Headers: map[string]string{"accept": "text/csv", "x-client": "my-bot"}})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"accept": "text/csv", "x-client": "my-bot"}
	if !reflect.DeepEqual(got.Headers, want) {
		t.Errorf("headers %v, want %v", got.Headers, want)
	}
}

// End to end: the resolved definition renders with its parameters rendered
// per event, the secret param from the secret store.
func TestResolveRender(t *testing.T) {
	m := testMarketplace(t)
	def, err := m.Resolve(&webhook.Definition{ID: "lookup", Uses: "acme-lookup", With: withPlus("lang", "{{ conversation.language }}")})
	if err != nil {
		t.Fatal(err)
	}
	ev := &trigger.Event{ID: "evt-9", BotID: "b", ConversationID: "c", Webhook: def,
		CVars: map[string]any{"ticket_id": int64(388)}, Context: map[string]any{"language": "da"}}
	req := renderRequest(t, def, ev, render.Secrets{"ACME_TOKEN": "s3cr3t"})
	if want := "https://acme.acme.example/api/tickets/388?lang=da"; req.URL != want {
		t.Errorf("url %s, want %s", req.URL, want)
	}
	if got := req.Header.Get("Authorization"); got != "Bearer s3cr3t" {
		t.Errorf("Authorization %q", got)
	}
	if got := req.Redacted().Header.Get("Authorization"); got != "Bearer "+render.Mask {
		t.Errorf("redacted Authorization %q", got)
	}

	// An undefined secret is a render error naming the parameter.
	err = render.NewEnv(render.Limits{}).RenderParams(def, render.RequestVars(ev, render.Scope{Secrets: render.Secrets{}}))
	var re *render.Error
	if !errors.As(err, &re) || re.Field != "with.token" {
		t.Errorf("RenderParams without the secret: %v, want a render error on with.token", err)
	}
}

// ---------------------------------------------------------------- Decode

func TestDecodeErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		edit  func(string) string
		field string // FieldError field; "" for a YAML error
		msg   string
	}{
		{"unknown top-level field", func(s string) string { return s + "paramz: []\n" }, "", "paramz"},
		{"unknown param field", func(s string) string {
			return strings.Replace(s, "{name: note, description: optional}", "{name: note, description: optional, secert: true}", 1)
		}, "", "secert"},
		{"unknown webhook field", func(s string) string {
			return strings.Replace(s, "  timeout: 4s\n", "  timeout: 4s\n  timout: 5s\n", 1)
		}, "", "timout"},
		{"no id", func(s string) string { return strings.Replace(s, "id: acme-lookup\n", "", 1) }, "id", "required"},
		{"duplicate param", func(s string) string {
			return strings.Replace(s, "{name: note, description: optional}", "{name: lang, description: again}", 1)
		}, "params[5].name", `"lang" declared twice`},
		{"param without a name", func(s string) string {
			return strings.Replace(s, "{name: note, description: optional}", "{description: optional}", 1)
		}, "params[5].name", "required"},
		{"required param with a default", func(s string) string {
			return strings.Replace(s, "{name: subdomain, description: the subdomain, required: true}",
				"{name: subdomain, description: the subdomain, required: true, default: acme}", 1)
		}, "params[0].default", "required"},
		{"secret param with a default", func(s string) string {
			return strings.Replace(s, "{name: note, description: optional}", "{name: note, description: optional, secret: true, default: x}", 1)
		}, "params[5].default", "secret"},
		{"template using another template", func(s string) string {
			return strings.Replace(s, "  method: GET\n", "  method: GET\n  uses: zendesk-get-ticket\n", 1)
		}, "webhook.uses", "another template"},
		{"webhook without url", func(s string) string {
			return regexp.MustCompile(`(?m)^  url: .*\n`).ReplaceAllString(s, "")
		}, "webhook.url", "required"},
		{"webhook with a bad method", func(s string) string {
			return strings.Replace(s, "  method: GET\n", "  method: FETCH\n", 1)
		}, "webhook.method", "FETCH"},
		{"webhook with a bad auth", func(s string) string {
			return strings.Replace(s, "type: bearer", "type: oauth", 1)
		}, "webhook.auth.type", "oauth"},
		{"webhook mapping a cvar twice", func(s string) string {
			return strings.Replace(s, "{name: subject,", "{name: status,", 1)
		}, "webhook.cvars[1].name", "twice"},
		{"two documents are not one template", func(s string) string { return "---\n" + "[1, 2]\n" }, "", "cannot unmarshal"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := tc.edit(testTemplate)
			if src == testTemplate {
				t.Fatal("edit changed nothing")
			}
			tpl, err := Decode([]byte(src))
			if err == nil {
				t.Fatalf("Decode succeeded: %+v", tpl)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q lacks %q", err, tc.msg)
			}
			var fe *webhook.FieldError
			if tc.field == "" {
				if errors.As(err, &fe) {
					t.Errorf("got field error %v, want a YAML error", err)
				}
				return
			}
			if fe = asFieldError(t, err); fe.Field != tc.field {
				t.Errorf("field %q, want %q (%v)", fe.Field, tc.field, err)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	ok := func() *Template {
		return &Template{ID: "t", Params: []Param{{Name: "a"}, {Name: "b", Secret: true, Required: true}},
			Webhook: webhook.Definition{URL: "https://example.com/{{ params.a }}"}}
	}
	if err := ok().Validate(); err != nil {
		t.Fatalf("valid template: %v", err)
	}
	for _, tc := range []struct {
		name  string
		edit  func(*Template)
		field string
	}{
		{"duplicate param", func(t *Template) { t.Params = append(t.Params, Param{Name: "a"}) }, "params[2].name"},
		{"required with default", func(t *Template) { t.Params[0].Required, t.Params[0].Default = true, "x" }, "params[0].default"},
		{"required with a zero default is still a default", func(t *Template) { t.Params[0].Required, t.Params[0].Default = true, 0 }, "params[0].default"},
		{"uses", func(t *Template) { t.Webhook.Uses = "other" }, "webhook.uses"},
		{"no id", func(t *Template) { t.ID = "" }, "id"},
		{"bad header", func(t *Template) { t.Webhook.Headers = map[string]string{"Bad Header": "x"} }, "webhook.headers"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tpl := ok()
			tc.edit(tpl)
			if fe := asFieldError(t, tpl.Validate()); fe.Field != tc.field {
				t.Errorf("field %q, want %q (%v)", fe.Field, tc.field, fe)
			}
		})
	}
}

// ---------------------------------------------------------------- LoadDir

func TestLoadDir(t *testing.T) {
	m, err := LoadDir(filepath.Join(t.TempDir(), "missing"))
	if err != nil || len(m.Templates()) != 0 {
		t.Fatalf("missing dir: %v, %d templates; want an empty marketplace", err, len(m.Templates()))
	}
	if _, err := m.Resolve(&webhook.Definition{Uses: "acme-lookup"}); err == nil {
		t.Error("empty marketplace resolved a template")
	}

	dir := t.TempDir()
	write := func(name, data string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("acme.yaml", testTemplate)
	write("other.YML", strings.Replace(testTemplate, "id: acme-lookup", "id: other", 1))
	write("README.md", "not a template")
	if err := os.Mkdir(filepath.Join(dir, "sub.yaml"), 0o755); err != nil {
		t.Fatal(err)
	}
	m, err = LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, tpl := range m.Templates() {
		ids = append(ids, tpl.ID)
	}
	if want := []string{"acme-lookup", "other"}; !slices.Equal(ids, want) {
		t.Errorf("ids %v, want %v", ids, want)
	}
	if _, ok := m.Get("other"); !ok {
		t.Error("Get(other) found nothing")
	}

	write("dup.yaml", testTemplate)
	if _, err := LoadDir(dir); err == nil || !strings.Contains(err.Error(), `"acme-lookup" defined twice`) {
		t.Errorf("duplicate id: %v", err)
	}
	if err := os.Remove(filepath.Join(dir, "dup.yaml")); err != nil {
		t.Fatal(err)
	}

	write("broken.yaml", testTemplate+"bogus: 1\n")
	if _, err := LoadDir(dir); err == nil || !strings.Contains(err.Error(), "broken.yaml") {
		t.Errorf("broken file: %v, want an error naming it", err)
	}
}

// A definition decoded from JSON (inline in an event, a JSON file, the KV
// bucket) has every number of `with` as a float64; integers still render
// as integers, and the shared definition is not changed.
func TestResolveJSONNumbers(t *testing.T) {
	m := testMarketplace(t)
	d, err := webhook.DecodeJSON([]byte(`{"id": "lookup", "uses": "acme-lookup", "with": {
		"subdomain": "acme", "token": "{{ secrets.ACME_TOKEN }}",
		"ticket_id": 388, "limit": 2.5, "note": [1, 2.0, {"n": 3}]}}`))
	if err != nil {
		t.Fatal(err)
	}
	def, err := m.Resolve(d)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"ticket_id": int64(388), "limit": 2.5, "note": []any{int64(1), int64(2), map[string]any{"n": int64(3)}}}
	for k, v := range want {
		if !reflect.DeepEqual(def.Params[k], v) {
			t.Errorf("params.%s = %#v, want %#v", k, def.Params[k], v)
		}
	}
	if d.With["ticket_id"] != float64(388) || d.With["note"].([]any)[0] != float64(1) {
		t.Errorf("Resolve changed the using definition's with: %#v", d.With)
	}
	ev := &trigger.Event{ID: "evt-1", BotID: "b", ConversationID: "c", Webhook: def}
	req := renderRequest(t, def, ev, render.Secrets{"ACME_TOKEN": "s3cr3t"})
	if want := "https://acme.acme.example/api/tickets/388?lang=en"; req.URL != want {
		t.Errorf("url %s, want %s", req.URL, want)
	}
}

// TestResolveKeepsOrdered: a definition that asks for per-conversation
// order keeps asking once resolved through its template.
func TestResolveKeepsOrdered(t *testing.T) {
	m := testMarketplace(t)
	for _, ordered := range []bool{false, true} {
		got, err := m.Resolve(&webhook.Definition{ID: "lookup", Uses: "acme-lookup", With: validWith(), Ordered: ordered})
		if err != nil {
			t.Fatal(err)
		}
		if got.Ordered != ordered {
			t.Errorf("ordered %v resolved to %v", ordered, got.Ordered)
		}
	}
}

// renderRequest renders def's request for ev as the worker does: compile
// it, render the template parameters over the request context (attempt
// 1), then the request.
func renderRequest(t *testing.T, def *webhook.Definition, ev *trigger.Event, secrets render.Secrets) *render.Request {
	t.Helper()
	env := render.NewEnv(render.Limits{})
	w, err := env.CompileWebhook(def)
	if err != nil {
		t.Fatalf("CompileWebhook: %v", err)
	}
	vars := render.RequestVars(ev, render.Scope{Secrets: secrets, Attempt: 1})
	if err := env.RenderParams(def, vars); err != nil {
		t.Fatalf("RenderParams: %v", err)
	}
	req, err := w.Render(vars)
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	return req
}
