package marketplace

import (
	"bytes"
	"encoding/json"
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
