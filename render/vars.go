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
// (render.max_memory, render.max_steps) holds for them all.
type Vars struct {
	m       map[string]any
	ev      *trigger.Event
	secrets *secretScope
	// r renders over the context, built at the first render.
	r *jinja.Renderer
	// env is the environment r belongs to.
	env *Env
}

// SetParams replaces the `params` object (a Webhook Template's rendered
// parameters).
func (v *Vars) SetParams(p map[string]any) {
	v.m["params"] = p
	v.r = nil
}

// Map returns the variables as a map (for callers that add to them).
func (v *Vars) Map() map[string]any { return v.m }

// UsedSecrets returns the secret values that renders over v resolved, for
// redaction.
func (v *Vars) UsedSecrets() []string {
	if v.secrets == nil {
		return nil
	}
	return v.secrets.used
}

// UndefinedNames returns the names the request's templates looked up
// that were not defined (for warnings such as render --strict).
func (v *Vars) UndefinedNames() []string {
	if v.r == nil {
		return nil
	}
	return v.r.UndefinedNames()
}

// RequestVars builds the template context of the contract for ev. The
// event's cvars and context are shared, not copied. When ev came from
// trigger.Decode, objects keep the order of the event's JSON.
func RequestVars(ev *trigger.Event, sc Scope) *Vars {
	cvars := ev.CVars
	if cvars == nil {
		cvars = map[string]any{}
	}
	m := make(map[string]any, len(cvars)+5)
	for k, v := range cvars {
		if !Reserved[k] {
			m[k] = v
		}
	}
	m["cvars"] = cvars
	m["conversation"] = ConversationVars(ev)
	secrets := &secretScope{src: sc.Secrets}
	m["secrets"] = secrets
	params := sc.Params
	if params == nil {
		params = map[string]any{}
	}
	m["params"] = params
	evm := map[string]any{"id": ev.ID, "attempt": int64(max(sc.Attempt, 1))}
	if ev.FiredAt != nil {
		evm["fired_at"] = ev.FiredAt.UTC().Format(time.RFC3339Nano)
	} else {
		evm["fired_at"] = nil
	}
	m["event"] = evm
	return &Vars{m: m, ev: ev, secrets: secrets}
}

// renderer returns the request's renderer in env, building its context at
// the first call.
func (v *Vars) renderer(env *Env) (*jinja.Renderer, error) {
	if v.r != nil && v.env == env {
		return v.r, nil
	}
	ctx, err := v.context()
	if err != nil {
		return nil, err
	}
	v.r, v.env = env.j.NewRenderer(ctx), env
	return v.r, nil
}

// context is the contract's template context as template values: each
// CVar by name, cvars, conversation, secrets, params and event.
func (v *Vars) context() (*jinja.Dict, error) {
	ctx := jinja.NewDict(len(v.m) + 6)
	var cvars jinja.Value
	var err error
	if v.ev != nil && len(v.ev.CVarsJSON) > 0 {
		cvars, err = jinja.DecodeJSON(string(v.ev.CVarsJSON), trigger.MaxDepth+1)
	} else {
		cvars, err = jinja.FromGo(v.m["cvars"], trigger.MaxDepth+1)
	}
	if err != nil {
		return nil, fmt.Errorf("cvars: %w", err)
	}
	if d := cvars.Dict(); d != nil {
		for i, k := range d.Keys() {
			if !Reserved[k.Str()] {
				ctx.SetStr(k.Str(), d.Values()[i])
			}
		}
	}
	ctx.SetStr("cvars", cvars)
	conv, err := v.conversation()
	if err != nil {
		return nil, err
	}
	ctx.SetStr("conversation", conv)
	ctx.SetStr("secrets", jinja.ObjectValue(v.secrets))
	for _, name := range []string{"params", "event"} {
		x, err := jinja.FromGo(v.m[name], trigger.MaxDepth+1)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		ctx.SetStr(name, x)
	}
	return ctx, nil
}

// conversation is ConversationVars as a dict: the context's fields in the
// event's order, then id, bot_id, connection_id and module_id.
func (v *Vars) conversation() (jinja.Value, error) {
	if v.ev == nil || len(v.ev.ContextJSON) == 0 {
		return jinja.FromGo(v.m["conversation"], trigger.MaxDepth+1)
	}
	c, err := jinja.DecodeJSON(string(v.ev.ContextJSON), trigger.MaxDepth+1)
	if err != nil {
		return jinja.Value{}, fmt.Errorf("context: %w", err)
	}
	d := c.Dict()
	if d == nil {
		d = jinja.NewDict(4)
	}
	conv := v.m["conversation"].(map[string]any)
	for _, k := range []string{"id", "bot_id", "connection_id", "module_id"} {
		d.SetStr(k, jinja.String(conv[k].(string)))
	}
	return jinja.DictValue(d), nil
}

// ConversationVars is the `conversation` object of the template context:
// the event's context fields plus id, bot_id, connection_id and module_id.
func ConversationVars(ev *trigger.Event) map[string]any {
	conv := make(map[string]any, len(ev.Context)+4)
	for k, v := range ev.Context {
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
	if v.secrets == nil || v.secrets.missing == "" {
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
