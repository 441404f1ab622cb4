package webhook

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/textproto"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// DefaultTimeout is the timeout of one attempt when a definition sets none
// (Certainly's default).
const DefaultTimeout = 5 * time.Second

// MaxTimeout bounds the timeout a definition may ask for.
const MaxTimeout = 5 * time.Minute

// Definition is one webhook: a request template and a response mapper.
type Definition struct {
	// ID is the registry key; required for definitions in files.
	ID string `json:"id,omitempty" yaml:"id"`
	// Name is for people.
	Name string `json:"name,omitempty" yaml:"name"`
	// Method is GET, POST, PUT, PATCH, DELETE or HEAD; empty means GET.
	Method string `json:"method,omitempty" yaml:"method"`
	// URL is a template that must render to an absolute http or https URL.
	URL string `json:"url" yaml:"url"`
	// Query holds templates rendered, URL-encoded and appended to the URL.
	Query map[string]string `json:"query,omitempty" yaml:"query"`
	// Headers holds header value templates.
	Headers map[string]string `json:"headers,omitempty" yaml:"headers"`
	// Body is a template; with a JSON content type (the default) its output
	// must parse as JSON.
	Body string `json:"body,omitempty" yaml:"body"`
	// Auth adds credentials to the request.
	Auth *Auth `json:"auth,omitempty" yaml:"auth"`
	// Timeout bounds one attempt; zero means DefaultTimeout.
	Timeout Duration `json:"timeout,omitempty" yaml:"timeout"`
	// Retry tunes delivery of failed attempts.
	Retry *Retry `json:"retry,omitempty" yaml:"retry"`
	// Success lists the statuses that count as success ("2xx", "200", ...);
	// empty means 2xx.
	Success []string `json:"success,omitempty" yaml:"success"`
	// Signing signs every request the Standard Webhooks way
	// (webhook-id, webhook-timestamp, webhook-signature). Opt-in.
	Signing *Signing `json:"signing,omitempty" yaml:"signing"`
	// CVars is the Response Mapper.
	CVars []Mapping `json:"cvars,omitempty" yaml:"cvars"`
	// Ordered asks for per-conversation order: the engine publishes this
	// webhook's events to the ordered subjects, where the events of one
	// conversation run one after another in firing order. trigger.Client
	// does so by itself for an inline definition; a worker that receives
	// an event of an ordered definition on the unordered subjects runs it
	// and counts it (hookworker_unordered_events_total).
	Ordered bool `json:"ordered,omitempty" yaml:"ordered"`
	// Uses names a Webhook Template of the marketplace this definition
	// starts from; With fills its parameters.
	Uses string         `json:"uses,omitempty" yaml:"uses"`
	With map[string]any `json:"with,omitempty" yaml:"with"`

	// Params are the template parameters after resolution (defaults
	// filled in); Template names the template resolved from. Both are set
	// by the marketplace, never decoded.
	Params   map[string]any `json:"-" yaml:"-"`
	Template string         `json:"-" yaml:"-"`
}

// Mapping sets the CVar Name from the Mapper template evaluated against
// the response.
type Mapping struct {
	Name   string `json:"name" yaml:"name"`
	Mapper string `json:"mapper" yaml:"mapper"`
}

// Signing lists the signing secrets, as templates (typically
// "{{ secrets.SIGNING_KEY }}"); several during a rotation, one signature
// each. A secret is "whsec_<base64>" or raw text.
type Signing struct {
	Secrets []string `json:"secrets" yaml:"secrets"`
}

// Auth types.
const (
	AuthNone   = "none"
	AuthBasic  = "basic"
	AuthBearer = "bearer"
	AuthAPIKey = "api_key"
)

// Auth describes credentials added to the request. Every string value is a
// template, typically "{{ secrets.NAME }}".
type Auth struct {
	Type     string `json:"type" yaml:"type"`
	Username string `json:"username,omitempty" yaml:"username"`
	Password string `json:"password,omitempty" yaml:"password"`
	Token    string `json:"token,omitempty" yaml:"token"`
	// In is "header" or "query" for api_key.
	In    string `json:"in,omitempty" yaml:"in"`
	Name  string `json:"name,omitempty" yaml:"name"`
	Value string `json:"value,omitempty" yaml:"value"`
}

// Retry tunes how failed attempts are retried.
type Retry struct {
	// MaxAttempts is the total number of attempts, the first included.
	MaxAttempts int `json:"max_attempts,omitempty" yaml:"max_attempts"`
	// MaxAge bounds the time from the first attempt to the last.
	MaxAge Duration `json:"max_age,omitempty" yaml:"max_age"`
	// MaxDelay caps one delay, Retry-After included.
	MaxDelay Duration `json:"max_delay,omitempty" yaml:"max_delay"`
	// On lists what is retried: "network", "timeout", statuses such as
	// "429" and classes such as "5xx".
	On []string `json:"on,omitempty" yaml:"on"`
}

// UnmarshalJSON reads a retry object; max_attempts may be written 3, 3.0
// or 3e0, as JSON Schema's integer allows.
func (r *Retry) UnmarshalJSON(b []byte) error {
	type plain Retry
	var p struct {
		*plain
		MaxAttempts json.RawMessage `json:"max_attempts,omitempty"`
	}
	p.plain = (*plain)(r)
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	if len(p.MaxAttempts) > 0 && string(p.MaxAttempts) != "null" {
		n, err := IntegerOf(p.MaxAttempts, reflect.Int)
		if err != nil {
			return err
		}
		r.MaxAttempts = int(n.Int64())
	}
	return nil
}

// Methods a definition may use.
var methods = map[string]bool{"GET": true, "POST": true, "PUT": true, "PATCH": true, "DELETE": true, "HEAD": true}

// FieldError reports a problem with one field of a definition.
type FieldError struct {
	Field string // path of the field, e.g. "cvars[1].mapper"
	Msg   string
}

func (e *FieldError) Error() string {
	if e.Field == "" {
		return e.Msg
	}
	return e.Field + ": " + e.Msg
}

func fieldErr(field, format string, args ...any) error {
	return &FieldError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// EffectiveMethod returns the method, GET when empty.
func (d *Definition) EffectiveMethod() string {
	if d.Method == "" {
		return "GET"
	}
	return strings.ToUpper(d.Method)
}

// EffectiveTimeout returns the timeout of one attempt.
func (d *Definition) EffectiveTimeout() time.Duration {
	if d.Timeout <= 0 {
		return DefaultTimeout
	}
	return time.Duration(d.Timeout)
}

// Validate checks the definition's shape. Templates are checked when they
// are compiled (package render, package mapper).
func (d *Definition) Validate() error {
	if d.Method != "" && (!methods[d.EffectiveMethod()] || !isASCII(d.Method)) {
		return fieldErr("method", "%q is not one of GET, POST, PUT, PATCH, DELETE, HEAD", d.Method)
	}
	// A definition that uses a template gets its URL from it.
	if strings.TrimSpace(d.URL) == "" && d.Uses == "" {
		return fieldErr("url", "required")
	}
	if d.With != nil && d.Uses == "" {
		return fieldErr("with", "parameters are given only with uses")
	}
	// Names are checked in sorted order, so the first problem reported is
	// the same every time.
	canonical := make(map[string]string, len(d.Headers))
	for _, k := range slices.Sorted(maps.Keys(d.Headers)) {
		if !validHeaderName(k) {
			return fieldErr("headers", "%q is not a valid header name", k)
		}
		c := textproto.CanonicalMIMEHeaderKey(k)
		if prev, ok := canonical[c]; ok {
			return fieldErr("headers", "%q and %q name the same header", prev, k)
		}
		canonical[c] = k
	}
	if _, ok := d.Query[""]; ok {
		return fieldErr("query", "empty parameter name")
	}
	if d.Timeout < 0 || time.Duration(d.Timeout) > MaxTimeout {
		return fieldErr("timeout", "%s is outside 0..%s", time.Duration(d.Timeout), MaxTimeout)
	}
	if d.Auth != nil {
		if err := d.Auth.validate(); err != nil {
			return err
		}
	}
	if d.Retry != nil {
		if d.Retry.MaxAttempts < 0 {
			return fieldErr("retry.max_attempts", "negative")
		}
		for i, on := range d.Retry.On {
			if _, err := ParseStatusPattern(on, true); err != nil {
				return fieldErr(fmt.Sprintf("retry.on[%d]", i), "%v", err)
			}
		}
	}
	for i, s := range d.Success {
		if _, err := ParseStatusPattern(s, false); err != nil {
			return fieldErr(fmt.Sprintf("success[%d]", i), "%v", err)
		}
	}
	if d.Signing != nil {
		if len(d.Signing.Secrets) == 0 {
			return fieldErr("signing.secrets", "at least one secret is required")
		}
		for i, sec := range d.Signing.Secrets {
			if strings.TrimSpace(sec) == "" {
				return fieldErr(fmt.Sprintf("signing.secrets[%d]", i), "empty")
			}
		}
	}
	seen := make(map[string]bool, len(d.CVars))
	for i, m := range d.CVars {
		f := fmt.Sprintf("cvars[%d]", i)
		switch {
		case m.Name == "":
			return fieldErr(f+".name", "required")
		case seen[m.Name]:
			return fieldErr(f+".name", "%q is mapped twice", m.Name)
		case m.Mapper == "":
			return fieldErr(f+".mapper", "required")
		}
		seen[m.Name] = true
	}
	return nil
}

func (a *Auth) validate() error {
	switch a.Type {
	case "", AuthNone:
	case AuthBasic:
		if a.Username == "" {
			return fieldErr("auth.username", "required for basic auth")
		}
	case AuthBearer:
		if a.Token == "" {
			return fieldErr("auth.token", "required for bearer auth")
		}
	case AuthAPIKey:
		if a.In != "header" && a.In != "query" {
			return fieldErr("auth.in", "%q is not header or query", a.In)
		}
		if a.Name == "" {
			return fieldErr("auth.name", "required for api_key auth")
		}
		if a.In == "header" && !validHeaderName(a.Name) {
			return fieldErr("auth.name", "%q is not a valid header name", a.Name)
		}
		if a.Value == "" {
			return fieldErr("auth.value", "required for api_key auth")
		}
	default:
		return fieldErr("auth.type", "%q is not one of none, basic, bearer, api_key", a.Type)
	}
	return nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// validHeaderName reports whether s is an RFC 9110 token.
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			continue
		}
		if !strings.ContainsRune("!#$%&'*+-.^_`|~", rune(c)) {
			return false
		}
	}
	return true
}

// StatusPattern matches HTTP statuses ("200", "2xx") or, for retry
// rules, the failure kinds "network" and "timeout".
type StatusPattern struct {
	Code  int    // exact status, or 0
	Class int    // 1..5 for "Nxx", or 0
	Kind  string // "network" or "timeout", or ""
}

// ParseStatusPattern parses "200", "2xx" (or "2XX"), and with kinds
// "network" or "timeout", exactly as written (docs/schema/webhook.schema.json
// has the same patterns).
func ParseStatusPattern(s string, kinds bool) (StatusPattern, error) {
	if kinds && (s == "network" || s == "timeout") {
		return StatusPattern{Kind: s}, nil
	}
	if len(s) == 3 && (s[1:] == "xx" || s[1:] == "XX") && s[0] >= '1' && s[0] <= '5' {
		return StatusPattern{Class: int(s[0] - '0')}, nil
	}
	if len(s) == 3 && s[0] >= '1' && s[0] <= '5' && s[1] >= '0' && s[1] <= '9' && s[2] >= '0' && s[2] <= '9' {
		n, _ := strconv.Atoi(s)
		return StatusPattern{Code: n}, nil
	}
	if kinds {
		return StatusPattern{}, fmt.Errorf("%q is not a status (429), a class (5xx), network or timeout", s)
	}
	return StatusPattern{}, fmt.Errorf("%q is not a status (200) or a class (2xx)", s)
}

// Match reports whether status matches the pattern.
func (p StatusPattern) Match(status int) bool {
	if p.Code != 0 {
		return status == p.Code
	}
	return p.Class != 0 && status/100 == p.Class
}

// Duration is a time.Duration written as "5s" or as a number of seconds.
type Duration time.Duration

// String formats the duration as time.Duration does.
func (d Duration) String() string { return time.Duration(d).String() }

// MarshalJSON writes the duration as a string such as "5s".
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// UnmarshalJSON accepts "5s", "1m30s" or a number of seconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		return d.parse(s)
	}
	var f float64
	if err := json.Unmarshal(b, &f); err != nil {
		return errors.New("duration must be a string such as \"5s\" or a number of seconds")
	}
	return d.seconds(f)
}

// maxDurationSeconds keeps durations far from time.Duration's overflow.
const maxDurationSeconds = 100 * 365 * 24 * 3600

func (d *Duration) seconds(f float64) error {
	if f < 0 || f > maxDurationSeconds || f != f {
		return fmt.Errorf("duration %v s is outside 0..%d s", f, maxDurationSeconds)
	}
	*d = Duration(f * float64(time.Second))
	return nil
}

// UnmarshalYAML accepts "5s", "1m30s" or a number of seconds.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return errors.New("duration must be a string such as \"5s\" or a number of seconds")
	}
	if f, err := strconv.ParseFloat(n.Value, 64); err == nil {
		return d.seconds(f)
	}
	return d.parse(n.Value)
}

func (d *Duration) parse(s string) error {
	if strings.HasPrefix(s, "-") {
		return fmt.Errorf("duration %q is negative", s)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("duration %q: want a form such as \"5s\" or \"1m30s\"", s)
	}
	if v < 0 {
		return fmt.Errorf("duration %q is negative", s)
	}
	*d = Duration(v)
	return nil
}

// DecodeJSON decodes a definition strictly, the way CheckJSON reads JSON:
// unknown fields (keys compared with their case) are errors naming the
// field, a *FieldError.
func DecodeJSON(data []byte) (*Definition, error) {
	var raw json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("webhook: %w", err)
	}
	// dec.More reports false before a stray '}' or ']': read a token.
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("webhook: trailing data after the definition")
	}
	return DecodeRaw(raw)
}

// DecodeRaw decodes one valid JSON value as a definition, as DecodeJSON
// does.
func DecodeRaw(raw []byte) (*Definition, error) {
	if fe := CheckJSON(raw, reflect.TypeFor[Definition](), ""); fe != nil {
		return nil, fe
	}
	var d Definition
	if err := json.Unmarshal(raw, &d); err != nil {
		return nil, fmt.Errorf("webhook: %w", err) // CheckJSON let through what encoding/json refuses
	}
	return &d, nil
}

// DecodeYAML decodes a definition from YAML strictly: unknown fields are
// errors, and errors carry the line they were found on.
func DecodeYAML(data []byte) (*Definition, error) {
	var d Definition
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&d); err != nil {
		return nil, fmt.Errorf("webhook: %w", err)
	}
	return &d, nil
}

// Decode decodes a definition file's contents by the file's extension
// (ext as filepath.Ext gives it): JSON for ".json" in any case, YAML
// otherwise. Both are strict.
func Decode(data []byte, ext string) (*Definition, error) {
	if strings.EqualFold(ext, ".json") {
		return DecodeJSON(data)
	}
	return DecodeYAML(data)
}

// IsFile reports whether a file name is that of a definition file: .yaml,
// .yml or .json, in any case.
func IsFile(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".yaml", ".yml", ".json":
		return true
	}
	return false
}
