package render

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/textproto"
	"net/url"
	"slices"
	"strings"

	"github.com/hookworker/hookworker/internal/jinja"
	"github.com/hookworker/hookworker/trigger/webhook"
)

// Error is a render failure: which field of which webhook, and why.
type Error struct {
	Webhook string // webhook id, may be empty for inline definitions
	Field   string // e.g. "url", "headers.Authorization", "body", "condition"
	Err     error
}

func (e *Error) Error() string {
	who := "inline webhook"
	if e.Webhook != "" {
		who = fmt.Sprintf("webhook %q", e.Webhook)
	}
	return fmt.Sprintf("render %s: %s: %v", who, e.Field, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// Webhook is a compiled webhook definition.
type Webhook struct {
	Def     *webhook.Definition
	method  string
	url     *Template
	query   []field
	headers []field
	body    *Template
	auth    []field // auth templates by role: username, password, token, value
	signing []*Template
}

type field struct {
	name string
	tpl  *Template
}

// CompileWebhook compiles every request template of def. Errors are
// *Error naming the field.
func (e *Env) CompileWebhook(def *webhook.Definition) (*Webhook, error) {
	w := &Webhook{Def: def, method: def.EffectiveMethod()}
	fail := func(f string, err error) (*Webhook, error) {
		return nil, &Error{Webhook: def.ID, Field: f, Err: err}
	}
	if a := def.Auth; a != nil && a.Type == webhook.AuthAPIKey && a.In != "query" {
		if err := checkHeaderName(a.Name); err != nil {
			return fail("auth.name", err)
		}
	}
	for _, t := range def.Templates() {
		if !t.Section.IsRequest() {
			continue
		}
		tpl, err := e.Compile(t.Source)
		if err != nil {
			return fail(t.Field, err)
		}
		switch t.Section {
		case webhook.SectionURL:
			w.url = tpl
		case webhook.SectionQuery:
			w.query = append(w.query, field{t.Key, tpl})
		case webhook.SectionHeaders:
			if err := checkHeaderName(t.Key); err != nil {
				return fail(t.Field, err)
			}
			w.headers = append(w.headers, field{t.Key, tpl})
		case webhook.SectionBody:
			w.body = tpl
		case webhook.SectionAuth:
			w.auth = append(w.auth, field{t.Key, tpl})
		case webhook.SectionSigning:
			w.signing = append(w.signing, tpl)
		}
	}
	return w, nil
}

// Request is a rendered HTTP request.
type Request struct {
	Method string
	URL    string
	Header http.Header
	Body   []byte
	// Secrets are the secret values the render used, and the credentials
	// made of them (an Authorization value), for redaction.
	Secrets []string
	// SigningSecrets are the rendered signing secrets, when the webhook
	// signs its requests.
	SigningSecrets []string
}

// MaxURLLength bounds a rendered URL.
const MaxURLLength = 8 << 10

// Render renders the request over vars.
func (w *Webhook) Render(vars *Vars) (*Request, error) {
	id := w.Def.ID
	fail := func(f string, err error) (*Request, error) {
		return nil, &Error{Webhook: id, Field: f, Err: err}
	}
	m := vars
	rawURL, err := renderField(w.url, m)
	if err != nil {
		return fail("url", err)
	}
	rawURL = strings.TrimSpace(rawURL)
	u, err := url.Parse(rawURL)
	if err != nil {
		return fail("url", fmt.Errorf("%q is not a URL: %w", rawURL, unwrapURLError(err)))
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Hostname() == "" {
		return fail("url", fmt.Errorf("%q is not an absolute http or https URL", rawURL))
	}
	req := &Request{Method: w.method, Header: make(http.Header, len(w.headers)+2)}
	var query []string
	for _, f := range w.query {
		v, err := renderField(f.tpl, m)
		if err != nil {
			return fail("query."+f.name, err)
		}
		query = append(query, url.QueryEscape(f.name)+"="+url.QueryEscape(v))
	}
	for _, f := range w.headers {
		v, err := renderField(f.tpl, m)
		if err != nil {
			return fail("headers."+f.name, err)
		}
		if strings.ContainsAny(v, "\r\n\x00") {
			return fail("headers."+f.name, fmt.Errorf("rendered value contains CR, LF or NUL"))
		}
		req.Header.Set(f.name, v)
	}
	// credentials are the auth values sent, secrets whatever they were
	// rendered from.
	var credentials []string
	if a := w.Def.Auth; a != nil && a.Type != "" && a.Type != webhook.AuthNone {
		vals := map[string]string{}
		for _, f := range w.auth {
			v, err := renderField(f.tpl, m)
			if err != nil {
				return fail("auth."+f.name, err)
			}
			if strings.ContainsAny(v, "\r\n\x00") {
				return fail("auth."+f.name, fmt.Errorf("rendered value contains CR, LF or NUL"))
			}
			vals[f.name] = v
		}
		switch a.Type {
		case webhook.AuthBasic:
			cred := base64.StdEncoding.EncodeToString([]byte(vals["username"] + ":" + vals["password"]))
			req.Header.Set("Authorization", "Basic "+cred)
			credentials = append(credentials, cred)
		case webhook.AuthBearer:
			req.Header.Set("Authorization", "Bearer "+vals["token"])
			credentials = append(credentials, vals["token"])
		case webhook.AuthAPIKey:
			if a.In == "query" {
				query = append(query, url.QueryEscape(a.Name)+"="+url.QueryEscape(vals["value"]))
			} else {
				req.Header.Set(a.Name, vals["value"])
			}
			credentials = append(credentials, vals["value"])
		}
	}
	if len(query) > 0 {
		// Drop the fragment first: a '?' inside it is not a query.
		if i := strings.IndexByte(rawURL, '#'); i >= 0 {
			rawURL = rawURL[:i]
		}
		sep := "?"
		if strings.Contains(rawURL, "?") {
			sep = "&"
			if strings.HasSuffix(rawURL, "?") || strings.HasSuffix(rawURL, "&") {
				sep = ""
			}
		}
		rawURL += sep + strings.Join(query, "&")
	}
	if len(rawURL) > MaxURLLength {
		return fail("url", fmt.Errorf("rendered URL is %d bytes, over the %d-byte limit", len(rawURL), MaxURLLength))
	}
	req.URL = rawURL
	if w.body != nil {
		body, err := renderField(w.body, m)
		if err != nil {
			return fail("body", err)
		}
		if body != "" {
			ct := req.Header.Get("Content-Type")
			if ct == "" {
				ct = "application/json"
				req.Header.Set("Content-Type", ct)
			}
			if IsJSONContentType(ct) && !jinja.ValidJSONSyntax(body) { // as json.Valid, without a copy

				return fail("body", fmt.Errorf("rendered body is not valid JSON (content type %s): %s", ct, jsonProblem(body)))
			}
			req.Body = []byte(body)
		}
	}
	for i, t := range w.signing {
		s, err := renderField(t, vars)
		if err != nil {
			return fail(fmt.Sprintf("signing.secrets[%d]", i), err)
		}
		if s == "" {
			return fail(fmt.Sprintf("signing.secrets[%d]", i), fmt.Errorf("rendered empty"))
		}
		req.SigningSecrets = append(req.SigningSecrets, s)
	}
	req.Secrets = slices.Concat(vars.UsedSecrets(), req.SigningSecrets, credentials)
	return req, nil
}

// renderField renders one field's template; a secret the event's bot
// cannot see fails it even when the template swallowed the lookup.
func renderField(t *Template, vars *Vars) (string, error) {
	_ = vars.SecretErr() // what an earlier render missed is its own failure
	s, err := t.RenderVars(vars)
	if err2 := vars.SecretErr(); err == nil {
		err = err2
	}
	return s, err
}

func unwrapURLError(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err
	}
	return err
}

// jsonProblem describes why s does not parse as JSON.
func jsonProblem(s string) string {
	var v any
	err := json.Unmarshal([]byte(s), &v)
	if se, ok := err.(*json.SyntaxError); ok {
		return fmt.Sprintf("%v at byte %d", se, se.Offset)
	}
	if err != nil {
		return err.Error()
	}
	return "invalid"
}

// IsJSONContentType reports whether ct is application/json or a +json type.
// Only the media type counts: malformed parameters
// ("application/json; charset") do not make a JSON body exempt from
// validation, since the receiver still reads it as JSON.
func IsJSONContentType(ct string) bool {
	mt, _, _ := strings.Cut(ct, ";")
	mt = strings.ToLower(strings.TrimSpace(mt))
	return mt == "application/json" || strings.HasSuffix(mt, "+json")
}

// CanonicalHeader returns the canonical form of a header name.
func CanonicalHeader(name string) string { return textproto.CanonicalMIMEHeaderKey(name) }

// Redacted returns a copy of the request fit to show or store: secret
// values masked in the URL, headers and body, and Authorization masked.
func (r *Request) Redacted() *Request {
	red := NewRedactor(r.Secrets)
	out := &Request{Method: r.Method, URL: red.Redact(r.URL), Header: make(http.Header, len(r.Header))}
	for k, vs := range r.Header {
		for _, v := range vs {
			if k == "Authorization" || k == "Proxy-Authorization" {
				if i := strings.IndexByte(v, ' '); i > 0 {
					v = v[:i+1] + Mask
				} else {
					v = Mask
				}
			} else {
				v = red.Redact(v)
			}
			out.Header.Add(k, v)
		}
	}
	if r.Body != nil {
		out.Body = []byte(red.Redact(string(r.Body)))
	}
	return out
}
