package webhook

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
)

// Section is the part of a definition a template belongs to.
type Section string

// The sections that hold templates. Request sections are rendered in the
// request context for every attempt; SectionWith holds a Webhook
// Template's parameters (rendered first, they become params); SectionParams
// the parameters after resolution; SectionMapper the Response Mapper,
// evaluated against the response.
const (
	SectionURL     Section = "url"
	SectionQuery   Section = "query"
	SectionHeaders Section = "headers"
	SectionBody    Section = "body"
	SectionAuth    Section = "auth"
	SectionSigning Section = "signing.secrets"
	SectionWith    Section = "with"
	SectionParams  Section = "params"
	SectionMapper  Section = "cvars"
)

// Template is one template source of a definition.
type Template struct {
	// Field names it as errors do: "url", "query.page", "headers.X-Token",
	// "body", "auth.password", "signing.secrets[1]", "with.subdomain",
	// "params.subdomain", "cvars[2].mapper".
	Field string
	// Section is the part it belongs to; Key its name within the section
	// (the query or header name, the auth role username, password, token
	// or value, the parameter name, the CVar name), or its index for
	// signing secrets.
	Section Section
	Key     string
	Index   int
	// Source is the template text.
	Source string
}

// Templates lists every template of d, in a fixed order: url, query (by
// name), headers (by name), body, auth, signing secrets, with (string
// parameters), params (string parameters once resolved), then the
// mappers. It is the one place that says which fields are templates:
// rendering compiles the request ones, validation checks them all.
func (d *Definition) Templates() []Template {
	var out []Template
	add := func(s Section, field, key string, index int, src string) {
		out = append(out, Template{Field: field, Section: s, Key: key, Index: index, Source: src})
	}
	add(SectionURL, "url", "", 0, d.URL)
	for _, k := range slices.Sorted(maps.Keys(d.Query)) {
		add(SectionQuery, "query."+k, k, 0, d.Query[k])
	}
	for _, k := range slices.Sorted(maps.Keys(d.Headers)) {
		add(SectionHeaders, "headers."+k, k, 0, d.Headers[k])
	}
	if d.Body != "" {
		add(SectionBody, "body", "", 0, d.Body)
	}
	if a := d.Auth; a != nil {
		for _, f := range []struct{ role, src string }{
			{"username", a.Username}, {"password", a.Password}, {"token", a.Token}, {"value", a.Value},
		} {
			if f.src != "" {
				add(SectionAuth, "auth."+f.role, f.role, 0, f.src)
			}
		}
	}
	if d.Signing != nil {
		for i, s := range d.Signing.Secrets {
			add(SectionSigning, fmt.Sprintf("signing.secrets[%d]", i), strconv.Itoa(i), i, s)
		}
	}
	for _, p := range []struct {
		s Section
		m map[string]any
	}{{SectionWith, d.With}, {SectionParams, d.Params}} {
		for _, k := range slices.Sorted(maps.Keys(p.m)) {
			if s, ok := p.m[k].(string); ok {
				add(p.s, string(p.s)+"."+k, k, 0, s)
			}
		}
	}
	for i, m := range d.CVars {
		add(SectionMapper, fmt.Sprintf("cvars[%d].mapper", i), m.Name, i, m.Mapper)
	}
	return out
}

// IsRequest reports whether templates of section s are rendered into the
// request itself.
func (s Section) IsRequest() bool {
	switch s {
	case SectionURL, SectionQuery, SectionHeaders, SectionBody, SectionAuth, SectionSigning:
		return true
	}
	return false
}
