package render

import (
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/hookworker/hookworker/internal/jinja"
	"github.com/hookworker/hookworker/trigger"
)

// Reserved top-level names: a CVar with one of these names is reachable
// only as cvars['name'].
var Reserved = map[string]bool{
	"cvars": true, "conversation": true, "secrets": true,
	"params": true, "event": true, "response": true,
}

// SecretSource resolves {{ secrets.NAME }}.
type SecretSource interface {
	Secret(name string) (string, bool)
}

// Secrets is a fixed set of secrets, for tests and simple setups.
type Secrets map[string]string

// Secret returns the named secret.
func (s Secrets) Secret(name string) (string, bool) {
	v, ok := s[name]
	return v, ok
}

// Scope is what a request template sees, beyond the event itself.
type Scope struct {
	// Secrets resolves secrets; nil means none are defined.
	Secrets SecretSource
	// Params are the parameters of the Webhook Template the definition
	// uses, if any.
	Params map[string]any
	// Attempt is the 1-based attempt number.
	Attempt int
}

// Vars is the variable set of one request, with the secrets its renders
// used. The templates of one request share one renderer, so one budget
// (render.max_memory, render.max_steps) holds for them all. Nothing is
// built up front: the template context decodes a variable when a
// template first reads it (see reqContext), and Map when it is called.
type Vars struct {
	ev      *trigger.Event
	attempt int
	params  map[string]any
	secrets secretScope
	// m and conv are Map and Conversation, built at their first call.
	m    map[string]any
	conv map[string]any
	// ctx is the template context, r the renderer over it, built at the
	// first render in env.
	ctx *reqContext
	r   *jinja.Renderer
	env *Env
}

// SetParams replaces the `params` object (a Webhook Template's rendered
// parameters) for the renders after it, which go on in the same context
// and budget.
func (v *Vars) SetParams(p map[string]any) {
	v.params = p
	if v.m != nil {
		v.m["params"] = p
	}
	if v.ctx != nil {
		v.ctx.setParams(p)
	}
}

// Map returns the variables as Go values (each CVar by name, cvars,
// conversation, secrets, params and event), built at the first call and
// the same map afterwards: for callers that read or copy them. The
// request's templates do not read it: what is added to it reaches no
// render.
func (v *Vars) Map() map[string]any {
	if v.m != nil {
		return v.m
	}
	cvars := v.ev.CVarsMap()
	if cvars == nil {
		cvars = map[string]any{}
	}
	m := make(map[string]any, len(cvars)+5)
	for k, x := range cvars {
		if !Reserved[k] {
			m[k] = x
		}
	}
	m["cvars"] = cvars
	m["conversation"] = v.Conversation()
	m["secrets"] = &v.secrets
	m["params"] = v.paramsMap()
	evm := map[string]any{"id": v.ev.ID, "attempt": int64(v.attempt)}
	if v.ev.FiredAt != nil {
		evm["fired_at"] = v.ev.FiredAt.UTC().Format(time.RFC3339Nano)
	} else {
		evm["fired_at"] = nil
	}
	m["event"] = evm
	v.m = m
	return m
}

// Conversation returns ConversationVars of the event, built at the first
// call and the same map afterwards.
func (v *Vars) Conversation() map[string]any {
	if v.conv == nil {
		v.conv = ConversationVars(v.ev)
	}
	return v.conv
}

func (v *Vars) paramsMap() map[string]any {
	if v.params == nil {
		return map[string]any{}
	}
	return v.params
}

// UsedSecrets returns the secret values that renders over v resolved, for
// redaction.
func (v *Vars) UsedSecrets() []string { return v.secrets.used }

// UndefinedNames returns the names the request's templates looked up
// that were not defined (for warnings such as render --strict).
func (v *Vars) UndefinedNames() []string {
	if v.r == nil {
		return nil
	}
	return v.r.UndefinedNames()
}

// RequestVars returns the template context of the contract for ev: each
// CVar by name (but the reserved names), cvars, conversation, secrets,
// params and event. The event's cvars and context are shared, not
// copied. When ev came from trigger.Decode, objects keep the order of the
// event's JSON.
func RequestVars(ev *trigger.Event, sc Scope) *Vars {
	return &Vars{ev: ev, attempt: max(sc.Attempt, 1), params: sc.Params, secrets: secretScope{src: sc.Secrets}}
}

// ConversationVars is the `conversation` object of the template context:
// the event's context fields plus id, bot_id, connection_id and module_id.
func ConversationVars(ev *trigger.Event) map[string]any {
	ctx := ev.ContextMap()
	conv := make(map[string]any, len(ctx)+4)
	for k, v := range ctx {
		conv[k] = v
	}
	conv["id"] = ev.ConversationID
	conv["bot_id"] = ev.BotID
	conv["connection_id"] = ev.ConnectionID()
	mod := ""
	if ev.Connection != nil {
		mod = ev.Connection.ModuleID
	}
	if _, ok := conv["module_id"]; !ok || mod != "" {
		conv["module_id"] = mod
	}
	return conv
}

// secretScope is `secrets`: secrets.NAME and secrets['NAME'] resolve a
// secret and record it for redaction; an undefined secret is an error
// naming it, so no request is made. It remembers the first undefined
// one, so that a template that swallows the failed lookup (a filter's
// argument, an `is defined` test) still fails (see Vars.SecretErr).
type secretScope struct {
	src     SecretSource
	used    []string
	missing string
}

func (s *secretScope) TypeName() string { return "secrets" }

// Str keeps secrets out of {{ secrets }}.
func (s *secretScope) Str() string { return "<secrets>" }

func (s *secretScope) Attr(_ *jinja.Renderer, name string) (jinja.Value, bool, error) {
	return s.lookup(name)
}

func (s *secretScope) Item(_ *jinja.Renderer, key jinja.Value) (jinja.Value, bool, error) {
	if key.Kind() != jinja.KindString {
		return jinja.Value{}, false, fmt.Errorf("secret names are strings, not %s", key.TypeName())
	}
	return s.lookup(key.Str())
}

func (s *secretScope) lookup(name string) (jinja.Value, bool, error) {
	if s.src != nil {
		if v, ok := s.src.Secret(name); ok {
			if v != "" {
				s.used = append(s.used, v)
			}
			return jinja.String(v), true, nil
		}
	}
	if s.missing == "" {
		s.missing = name
	}
	return jinja.Value{}, false, fmt.Errorf("secret %q is not defined", name)
}

// SecretErr is the failure of the first secret that renders over v asked
// for, since the last call, and the event's bot cannot see ("secret NAME
// is not defined"); nil when there was none. Whatever a template did with
// the failed lookup, the render it was part of fails. Each call starts
// the count anew, so that the next render is judged on its own.
func (v *Vars) SecretErr() error {
	if v.secrets.missing == "" {
		return nil
	}
	name := v.secrets.missing
	v.secrets.missing = ""
	return fmt.Errorf("secret %q is not defined", name)
}

// Redactor masks secret values in text.
type Redactor struct{ r *strings.Replacer }

// Mask replaces each secret in s by this.
const Mask = "****"

// NewRedactor masks the given values, longest first, each also in the
// encoded forms a render can give it (see secretForms).
func NewRedactor(values []string) *Redactor {
	vs := make([]string, 0, len(values))
	seen := make(map[string]bool, len(values))
	for _, v := range secretForms(values) {
		if len(v) >= MinMaskedLen && !seen[v] {
			seen[v] = true
			vs = append(vs, v)
		}
	}
	if len(vs) == 0 {
		return &Redactor{}
	}
	sort.Slice(vs, func(i, j int) bool { return len(vs[i]) > len(vs[j]) })
	pairs := make([]string, 0, 2*len(vs))
	for _, v := range vs {
		pairs = append(pairs, v, Mask)
	}
	return &Redactor{r: strings.NewReplacer(pairs...)}
}

// MinMaskedLen is the shortest secret value masked: a shorter one would
// mask ordinary text everywhere (a one-letter "secret" is no secret).
const MinMaskedLen = 4

// Redact returns s with every secret masked.
func (r *Redactor) Redact(s string) string {
	if r == nil || r.r == nil {
		return s
	}
	return r.r.Replace(s)
}

// secretForms returns each secret with the encodings in which a render
// (or a target echoing it) can carry it: URL query and path escaping
// (query parameters, api_key in the query), base64 at any alignment
// (Basic credentials, encoded documents) and JSON string escaping
// (tojson: Go's, without HTML escaping, and Jinja2's, which writes every
// non-ASCII character and ' as \uXXXX).
func secretForms(secrets []string) []string {
	forms := make([]string, 0, 5*len(secrets))
	for _, s := range secrets {
		if s == "" {
			continue
		}
		forms = append(forms, s, url.QueryEscape(s), url.PathEscape(s))
		forms = append(forms, base64Forms(s)...)
		b, err := json.Marshal(s)
		if err != nil {
			continue
		}
		quoted := string(b[1 : len(b)-1])
		forms = append(forms, quoted, asciiJSON(quoted))
		var buf strings.Builder
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if enc.Encode(s) == nil {
			e := strings.TrimSuffix(buf.String(), "\n")
			forms = append(forms, e[1:len(e)-1])
		}
	}
	return forms
}

// asciiJSON rewrites the inside of a JSON string as Python's json.dumps
// writes it: non-ASCII characters and ' as \uXXXX escapes.
func asciiJSON(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\'':
			b.WriteString(`\u0027`)
		case r < utf8.RuneSelf:
			b.WriteRune(r)
		case r > 0xFFFF:
			r1, r2 := utf16.EncodeRune(r)
			fmt.Fprintf(&b, `\u%04x\u%04x`, r1, r2)
		default:
			fmt.Fprintf(&b, `\u%04x`, r)
		}
	}
	return b.String()
}
