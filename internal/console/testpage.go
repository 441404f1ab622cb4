package console

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/hookworker/hookworker/internal/api"
)

// maxField bounds one field of the Test page.
const maxField = 256 << 10

// testForm is the Test page's input.
type testForm struct {
	Bot, Webhook, CVars, Context string
	Status, Headers, Body        string
}

// sampleWebhook is the Test page's starting definition.
const sampleWebhook = `# A webhook definition, in YAML or JSON, as in configs/webhooks.
method: GET
url: "https://{{ zendesk_subdomain }}.zendesk.com/api/v2/tickets/{{ ticket_id }}.json"
headers:
  Accept: application/json
cvars:
  - name: ticket_status
    mapper: "{{ ticket.status }}"
  - name: ticket_summary
    mapper: "Ticket #{{ ticket.id }} is {{ ticket.status }}"
`

func defaultTestForm() testForm {
	return testForm{Bot: "demo-bot", Webhook: sampleWebhook,
		CVars:   `{"zendesk_subdomain": "acme", "ticket_id": 388}`,
		Context: `{"language": "en", "channel": "web"}`, Status: "200",
		Body: `{"ticket": {"id": 388, "status": "open", "subject": "Order #A-17 has not arrived"}}`}
}

// Preview is what the Test page shows for a form: the validation, and
// the render when the definition is valid.
type Preview struct {
	// InputError is a form field that cannot be read (not JSON, …).
	InputError *api.FieldError  `json:"input_error,omitempty"`
	Valid      bool             `json:"valid"`
	Errors     []api.FieldError `json:"errors"`
	// Render is the render's reply, or RenderError why there is none.
	Render      *api.RenderReply `json:"render,omitempty"`
	RenderError *api.Error       `json:"render_error,omitempty"`
}

func (s *Server) testPage(w http.ResponseWriter, r *http.Request) {
	f := defaultTestForm()
	if id := r.URL.Query().Get("webhook"); id != "" {
		ctx, cancel := context.WithTimeout(r.Context(), requestTimeout)
		revs, err := s.deps.Definitions.History(ctx, id)
		cancel()
		for i := len(revs) - 1; err == nil && i >= 0; i-- {
			if !revs[i].Deleted {
				f.Webhook = revs[i].JSON
				break
			}
		}
	}
	s.render(w, r, http.StatusOK, "test", map[string]any{"F": f, "P": s.preview(r.Context(), f)})
}

// testSubmit is the page without JavaScript: the form posted, the page
// rendered with its preview.
func (s *Server) testSubmit(w http.ResponseWriter, r *http.Request) {
	f := readTestForm(r)
	s.render(w, r, http.StatusOK, "test", map[string]any{"F": f, "P": s.preview(r.Context(), f)})
}

// testPreview answers the page's script as one types: the preview as
// the page shows it (Accept: text/html), or as JSON.
func (s *Server) testPreview(w http.ResponseWriter, r *http.Request) {
	p := s.preview(r.Context(), readTestForm(r))
	if !strings.Contains(r.Header.Get("Accept"), "text/html") {
		writeJSON(w, http.StatusOK, p)
		return
	}
	var b bytes.Buffer
	if err := s.pages.byName["test"].ExecuteTemplate(&b, "preview", p); err != nil {
		s.fail(w, r, http.StatusInternalServerError, "template: "+err.Error())
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(b.Bytes())
}

func readTestForm(r *http.Request) testForm {
	// csrf has read the form already (bounded) when the session needed it.
	v := func(k string) string { return r.PostFormValue(k) }
	return testForm{Bot: strings.TrimSpace(v("bot")), Webhook: v("webhook"), CVars: v("cvars"), Context: v("context"),
		Status: strings.TrimSpace(v("status")), Headers: v("headers"), Body: v("body")}
}

// preview validates and renders the form through the service API.
func (s *Server) preview(ctx context.Context, f testForm) Preview {
	p := Preview{Errors: []api.FieldError{}}
	bad := func(field, format string, args ...any) Preview {
		p.InputError = &api.FieldError{Field: field, Message: fmt.Sprintf(format, args...)}
		return p
	}
	for name, v := range map[string]string{"webhook": f.Webhook, "cvars": f.CVars, "context": f.Context, "body": f.Body, "headers": f.Headers} {
		if len(v) > maxField {
			return bad(name, "%d bytes, over the limit of %d", len(v), maxField)
		}
	}
	def, err := definitionJSON(f.Webhook)
	if err != nil {
		return bad("webhook", "%v", err)
	}
	cvars, err := objectJSON(f.CVars)
	if err != nil {
		return bad("cvars", "%v", err)
	}
	cctx, err := objectJSON(f.Context)
	if err != nil {
		return bad("context", "%v", err)
	}
	resp := &api.SampleResponse{}
	if f.Status != "" {
		n, err := strconv.Atoi(f.Status)
		if err != nil {
			return bad("status", "%q is not a status code", f.Status)
		}
		resp.StatusCode = n
	}
	for i, line := range strings.Split(f.Headers, "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok || strings.TrimSpace(name) == "" {
			return bad("headers", "line %d: want Name: value", i+1)
		}
		if resp.Headers == nil {
			resp.Headers = map[string]string{}
		}
		resp.Headers[strings.TrimSpace(name)] = strings.TrimSpace(value)
	}
	if strings.TrimSpace(f.Body) != "" {
		if json.Valid([]byte(f.Body)) {
			resp.Body = json.RawMessage(f.Body)
		} else {
			resp.Body, _ = json.Marshal(f.Body) // a text body
		}
	}
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	v, err := s.deps.Service.Validate(ctx, &api.ValidateRequest{Webhook: def})
	if err != nil {
		p.RenderError = apiError(err)
		return p
	}
	p.Valid, p.Errors = v.Valid, v.Errors
	if !v.Valid {
		return p
	}
	rr, err := s.deps.Service.Render(ctx, &api.RenderRequest{BotID: f.Bot, Webhook: def, CVars: cvars, Context: cctx, Response: resp})
	if err != nil {
		p.RenderError = apiError(err)
		return p
	}
	p.Render = rr
	return p
}

// apiError is err as the page shows it.
func apiError(err error) *api.Error {
	var ae *api.Error
	if errors.As(err, &ae) {
		return ae
	}
	return &api.Error{Code: statusOf(err), Message: err.Error()}
}

// definitionJSON reads the editor: JSON when it starts with "{", else
// YAML, as definition files are written.
func definitionJSON(text string) (json.RawMessage, error) {
	t := strings.TrimSpace(text)
	if t == "" {
		return nil, errors.New("empty: write a definition (YAML or JSON)")
	}
	if strings.HasPrefix(t, "{") {
		if !json.Valid([]byte(t)) {
			var x any
			return nil, fmt.Errorf("not valid JSON: %v", json.Unmarshal([]byte(t), &x))
		}
		return json.RawMessage(t), nil
	}
	var v any
	dec := yaml.NewDecoder(strings.NewReader(text))
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("YAML: %v", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	if _, ok := v.(map[string]any); !ok {
		return nil, errors.New("want a mapping of the definition's fields (url, method, …)")
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("YAML: %v", err)
	}
	return json.RawMessage(bytes.TrimSpace(b.Bytes())), nil
}

// objectJSON reads a JSON object field; empty is no object.
func objectJSON(text string) (json.RawMessage, error) {
	t := strings.TrimSpace(text)
	if t == "" {
		return nil, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(t), &m); err != nil {
		return nil, fmt.Errorf("want a JSON object: %v", err)
	}
	return json.RawMessage(t), nil
}
