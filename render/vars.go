package render

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/nikolalohinski/gonja/v2/exec"

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

// Vars is the variable set of one render, with the secrets it used.
type Vars struct {
	m       map[string]any
	secrets *secretScope
	// ctx is m over the environment's globals, built at the first render
	// and shared by the renders of one request (each gets a child).
	ctx *exec.Context
}

// SetParams replaces the `params` object (a Webhook Template's rendered
// parameters).
func (v *Vars) SetParams(p map[string]any) {
	v.m["params"] = p
	v.ctx = nil
}

// Map returns the variables as a map (for mappers that add to them).
func (v *Vars) Map() map[string]any { return v.m }

// UsedSecrets returns the secret values that renders over v resolved, for
// redaction.
func (v *Vars) UsedSecrets() []string {
	if v.secrets == nil {
		return nil
	}
	return v.secrets.used
}

// RequestVars builds the template context of the contract for ev. The
// event's cvars and context must already be normalised (see Normalize);
// they are shared, not copied.
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
	return &Vars{m: m, secrets: secrets}
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

// secretScope resolves secrets.NAME and secrets['NAME'], records what it
// resolved, and makes an undefined secret an error that names it.
type secretScope struct {
	src  SecretSource
	used []string
}

func (s *secretScope) lookup(name string) (*exec.Value, bool) {
	if s.src != nil {
		if v, ok := s.src.Secret(name); ok {
			if v != "" {
				s.used = append(s.used, v)
			}
			return exec.AsValue(v), true
		}
	}
	return exec.AsValue(fmt.Errorf("secret %q is not defined", name)), false
}

// GetAttribute implements exec.AttributeGetter.
func (s *secretScope) GetAttribute(name string) (*exec.Value, bool) { return s.lookup(name) }

// GetItem implements exec.ItemGetter.
func (s *secretScope) GetItem(key any) (*exec.Value, bool) {
	name, ok := key.(string)
	if !ok {
		return exec.AsValue(errors.New("secret names are strings")), false
	}
	return s.lookup(name)
}

// String keeps secrets out of {{ secrets }}.
func (s *secretScope) String() string { return "<secrets>" }

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

// secretForms returns each secret with the encodings in which a render can
// carry it: URL query and path escaping (query parameters, api_key in the
// query) and JSON string escaping (tojson: Go's, without HTML escaping, and
// Jinja2's, which writes every non-ASCII character and ' as \uXXXX).
func secretForms(secrets []string) []string {
	forms := make([]string, 0, 5*len(secrets))
	for _, s := range secrets {
		if s == "" {
			continue
		}
		forms = append(forms, s, url.QueryEscape(s), url.PathEscape(s))
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
