package marketplace

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/hookworker/hookworker/render"
	"github.com/hookworker/hookworker/trigger"
	"github.com/hookworker/hookworker/trigger/webhook"
)

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
