// Package marketplace holds Webhook Templates: pre-filled webhook
// definitions for widely used APIs, with declared parameters, that a bot
// builder starts from (`uses: zendesk-get-ticket` with `with: {...}`).
//
// [Marketplace.Resolve] turns a definition that uses a template into a
// complete one: the template's definition, with the using definition's own
// fields over it and its mappers added, and its parameters checked against
// the template's declaration (missing required and unknown parameters are
// errors naming them; defaults are filled in). Parameter values that are
// Jinja templates (typically "{{ secrets.NAME }}") are rendered per event by
// the worker, so a secret parameter never needs to be written in a file.
package marketplace

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/hookworker/hookworker/trigger/webhook"
)

// Template is one Webhook Template.
type Template struct {
	// ID names the template in `uses`.
	ID string `yaml:"id" json:"id"`
	// Name and Description are for people; Docs links the API's reference.
	Name        string `yaml:"name" json:"name"`
	Description string `yaml:"description" json:"description,omitempty"`
	Docs        string `yaml:"docs" json:"docs,omitempty"`
	// Params declares the parameters `with` fills.
	Params []Param `yaml:"params" json:"params"`
	// Webhook is the pre-filled definition; it sees the parameters as
	// {{ params.NAME }}.
	Webhook webhook.Definition `yaml:"webhook" json:"webhook"`
}

// Param is one declared parameter.
type Param struct {
	Name        string `yaml:"name" json:"name"`
	Description string `yaml:"description" json:"description,omitempty"`
	Required    bool   `yaml:"required" json:"required,omitempty"`
	Default     any    `yaml:"default" json:"default,omitempty"`
	// Secret parameters must be given as a template over secrets
	// ("{{ secrets.NAME }}"), never as a literal value.
	Secret bool `yaml:"secret" json:"secret,omitempty"`
}

// Marketplace is a set of templates by id.
type Marketplace struct {
	templates map[string]*Template
}

// New builds a marketplace from templates; ids must be unique.
func New(ts ...*Template) (*Marketplace, error) {
	m := &Marketplace{templates: make(map[string]*Template, len(ts))}
	for _, t := range ts {
		if _, dup := m.templates[t.ID]; dup {
			return nil, fmt.Errorf("marketplace: template %q defined twice", t.ID)
		}
		m.templates[t.ID] = t
	}
	return m, nil
}

// LoadDir loads every *.yaml and *.yml file of dir. A missing directory
// gives an empty marketplace.
func LoadDir(dir string) (*Marketplace, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return New()
	}
	if err != nil {
		return nil, fmt.Errorf("marketplace: %w", err)
	}
	var ts []*Template
	for _, e := range entries {
		ext := strings.ToLower(filepath.Ext(e.Name()))
		if e.IsDir() || (ext != ".yaml" && ext != ".yml") {
			continue
		}
		path := filepath.Join(dir, e.Name())
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("marketplace: %w", err)
		}
		t, err := Decode(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		ts = append(ts, t)
	}
	return New(ts...)
}

// Decode reads one template from YAML, strictly, and checks it.
func Decode(data []byte) (*Template, error) {
	var t Template
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&t); err != nil {
		return nil, fmt.Errorf("template: %w", err)
	}
	if err := t.Validate(); err != nil {
		return nil, err
	}
	return &t, nil
}

// Validate checks the template's declaration and its definition.
func (t *Template) Validate() error {
	if t.ID == "" {
		return &webhook.FieldError{Field: "id", Msg: "required"}
	}
	if t.Webhook.Uses != "" {
		return &webhook.FieldError{Field: "webhook.uses", Msg: "a template cannot use another template"}
	}
	seen := map[string]bool{}
	for i, p := range t.Params {
		f := fmt.Sprintf("params[%d]", i)
		switch {
		case p.Name == "":
			return &webhook.FieldError{Field: f + ".name", Msg: "required"}
		case seen[p.Name]:
			return &webhook.FieldError{Field: f + ".name", Msg: fmt.Sprintf("%q declared twice", p.Name)}
		case p.Required && p.Default != nil:
			return &webhook.FieldError{Field: f + ".default", Msg: "a required parameter has no default"}
		case p.Secret && p.Default != nil:
			return &webhook.FieldError{Field: f + ".default", Msg: "a secret parameter has no default"}
		}
		seen[p.Name] = true
	}
	if err := t.Webhook.Validate(); err != nil {
		var fe *webhook.FieldError
		if errors.As(err, &fe) {
			return &webhook.FieldError{Field: "webhook." + fe.Field, Msg: fe.Msg}
		}
		return err
	}
	return nil
}

// Get returns the template with id.
func (m *Marketplace) Get(id string) (*Template, bool) {
	t, ok := m.templates[id]
	return t, ok
}

// Templates returns every template, sorted by id.
func (m *Marketplace) Templates() []*Template {
	out := slices.Collect(maps.Values(m.templates))
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// ErrUnknownTemplate is returned for a `uses` the marketplace lacks.
var ErrUnknownTemplate = errors.New("unknown webhook template")

// Resolve returns the complete definition d describes. A definition that
// uses no template is returned as it is (with no parameters). Errors are
// *webhook.FieldError naming the field ("uses", "with.NAME").
func (m *Marketplace) Resolve(d *webhook.Definition) (*webhook.Definition, error) {
	if d.Uses == "" {
		return d, nil
	}
	var t *Template
	if m != nil {
		t = m.templates[d.Uses]
	}
	if t == nil {
		return nil, &webhook.FieldError{Field: "uses", Msg: fmt.Sprintf("%v %q", ErrUnknownTemplate, d.Uses)}
	}
	params, err := t.params(d.With)
	if err != nil {
		return nil, err
	}
	out := t.Webhook // a copy; maps and slices are copied below
	out.ID, out.Uses, out.With = d.ID, "", nil
	out.Name = cmpOr(d.Name, t.Webhook.Name, t.Name)
	out.Method = cmpOr(d.Method, out.Method)
	out.URL = cmpOr(d.URL, out.URL)
	out.Body = cmpOr(d.Body, out.Body)
	out.Query = merge(out.Query, d.Query)
	out.Headers = mergeHeaders(out.Headers, d.Headers)
	if d.Auth != nil {
		out.Auth = d.Auth
	}
	if d.Timeout != 0 {
		out.Timeout = d.Timeout
	}
	if d.Retry != nil {
		out.Retry = d.Retry
	}
	if len(d.Success) > 0 {
		out.Success = d.Success
	}
	if d.Signing != nil {
		out.Signing = d.Signing
	}
	out.CVars = mergeMappings(out.CVars, d.CVars)
	// Either may ask for per-conversation order.
	out.Ordered = d.Ordered || t.Webhook.Ordered
	out.Params = params
	out.Template = t.ID
	if err := out.Validate(); err != nil {
		return nil, err
	}
	return &out, nil
}

// params checks given values against the declaration and fills defaults.
func (t *Template) params(with map[string]any) (map[string]any, error) {
	declared := map[string]Param{}
	for _, p := range t.Params {
		declared[p.Name] = p
	}
	for _, name := range slices.Sorted(maps.Keys(with)) {
		if _, ok := declared[name]; !ok {
			return nil, &webhook.FieldError{Field: "with." + name, Msg: fmt.Sprintf("template %q has no parameter %q", t.ID, name)}
		}
	}
	out := make(map[string]any, len(t.Params))
	var missing []string
	for _, p := range t.Params {
		v, ok := with[p.Name]
		switch {
		case ok && p.Secret:
			s, isStr := v.(string)
			if !isStr || !strings.Contains(s, "secrets.") && !strings.Contains(s, "secrets[") {
				return nil, &webhook.FieldError{Field: "with." + p.Name,
					Msg: "a secret parameter must be given as a template over secrets, such as \"{{ secrets.NAME }}\""}
			}
			out[p.Name] = jsonInts(v)
		case ok:
			out[p.Name] = jsonInts(v)
		case p.Default != nil:
			out[p.Name] = p.Default
		case p.Required:
			missing = append(missing, p.Name)
		default:
			out[p.Name] = ""
		}
	}
	if len(missing) > 0 {
		return nil, &webhook.FieldError{Field: "with", Msg: fmt.Sprintf("template %q needs %s", t.ID, strings.Join(missing, ", "))}
	}
	return out, nil
}

// jsonInts returns v with each integral float64 as an int64, copying maps
// and slices (v may be shared). Definitions decoded from JSON (inline in
// events, JSON files, the KV bucket) carry every number of `with` as a
// float64, and the contract prints integers as integers: {"ticket_id": 388}
// must render as 388, not 388.0.
func jsonInts(v any) any {
	switch x := v.(type) {
	case float64:
		if x == math.Trunc(x) && math.Abs(x) <= 1<<53 {
			return int64(x)
		}
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = jsonInts(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = jsonInts(e)
		}
		return out
	}
	return v
}

func cmpOr(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

func merge(base, over map[string]string) map[string]string {
	if len(base) == 0 && len(over) == 0 {
		return nil
	}
	out := make(map[string]string, len(base)+len(over))
	maps.Copy(out, base)
	maps.Copy(out, over)
	return out
}

// mergeHeaders is merge for header names, which are case-insensitive: a
// header of over replaces base's whatever the case of its name (else the
// merged definition would name one header twice and fail validation).
func mergeHeaders(base, over map[string]string) map[string]string {
	out := merge(base, over)
	for k := range base {
		if _, same := over[k]; same {
			continue
		}
		for o := range over {
			if strings.EqualFold(k, o) {
				delete(out, k)
				break
			}
		}
	}
	return out
}

// mergeMappings adds over's mappers to base's; one with the same name
// replaces base's in place.
func mergeMappings(base, over []webhook.Mapping) []webhook.Mapping {
	out := slices.Clone(base)
	for _, m := range over {
		if i := slices.IndexFunc(out, func(b webhook.Mapping) bool { return b.Name == m.Name }); i >= 0 {
			out[i] = m
		} else {
			out = append(out, m)
		}
	}
	return out
}
