package marketplace

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hookworker/hookworker/render"
	"github.com/hookworker/hookworker/trigger"
	"github.com/hookworker/hookworker/trigger/webhook"
)

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
