package mapper

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/hookworker/hookworker/render"
)

// TestApplyReadsOnlyNamedKeys: mappers that name only some top-level keys
// get the same answers as if the whole body were decoded: the other keys
// are still checked (a body that is not JSON, or nests too deeply
// anywhere, is treated as before), only not built.
func TestApplyReadsOnlyNamedKeys(t *testing.T) {
	deep := strings.Repeat("[", MaxBodyDepth+5) + strings.Repeat("]", MaxBodyDepth+5)
	cases := []struct {
		name     string
		body     string
		mapper   string
		want     map[string]any
		unmapped []string
		tooDeep  bool
	}{
		{name: "named key", body: `{"a": {"x": [1, {"y": 2}]}, "ticket": {"id": 7}}`, mapper: "{{ ticket.id }}", want: map[string]any{"v": num("7")}},
		{name: "last duplicate wins", body: `{"ticket": {"id": 1}, "other": [1, 2], "ticket": {"id": 2}}`, mapper: "{{ ticket.id }}", want: map[string]any{"v": num("2")}},
		{name: "invalid JSON in a skipped key", body: `{"a": [1, 2,], "ticket": {"id": 7}}`, mapper: "{{ ticket.id }}", unmapped: []string{"v"}},
		{name: "invalid string escape in a skipped key", body: `{"a": "\x", "ticket": {"id": 7}}`, mapper: "{{ ticket.id }}", unmapped: []string{"v"}},
		{name: "trailing data", body: `{"ticket": {"id": 7}} x`, mapper: "{{ ticket.id }}", unmapped: []string{"v"}},
		{name: "too deep in a skipped key", body: `{"a": ` + deep + `, "ticket": {"id": 7}}`, mapper: "{{ ticket.id }}", tooDeep: true},
		{name: "response sees the whole body", body: `{"a": [1, {"b": 2}], "ticket": {"id": 7}}`, mapper: "{{ response.body.a[1].b }}", want: map[string]any{"v": num("2")}},
		{name: "skipped key shadows nothing", body: `{"cvars": {"x": 1}, "ticket": 3}`, mapper: "{{ ticket }}", want: map[string]any{"v": num("3")}},
		{name: "cvars still read", body: `{"cvars": {"x": 1}}`, mapper: "{{ cvars.name }}", want: map[string]any{"v": "ann"}},
	}
	env := render.NewEnv(render.Limits{})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := applyOnce(t, env, maps("v", c.mapper), jsonResp(c.body), map[string]any{"name": "ann"}, nil)
			if c.tooDeep {
				if !errors.Is(err, ErrResponseTooDeep) {
					t.Fatalf("err = %v, want ErrResponseTooDeep", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := c.want
			if want == nil {
				want = map[string]any{}
			}
			if !reflect.DeepEqual(out.CVars, want) {
				t.Errorf("CVars = %#v, want %#v", out.CVars, want)
			}
			unmapped := c.unmapped
			if unmapped == nil {
				unmapped = []string{}
			}
			if !reflect.DeepEqual(out.Unmapped, unmapped) {
				t.Errorf("Unmapped = %v, want %v", out.Unmapped, unmapped)
			}
		})
	}
}

// TestApplyBuildsOnlyReachedMembers: mappers that read some members of
// an object by constant name (ticket.status, ticket['id']) get exactly the
// answers of a fully decoded body, whatever else they do with the values
// (methods of the object, filters, loops, bindings, repr), errors and
// unmapped included.
func TestApplyBuildsOnlyReachedMembers(t *testing.T) {
	const body = `{"ticket": {"id": 7, "status": "open", "tags": ["a", "b"], "via": {"channel": "web", "src": {"x": 1}},
		"custom_fields": [{"id": 1, "value": "v1"}, {"id": 2, "value": "v2"}], "items": "key named items", "n": null},
		"other": {"deep": [1, 2, 3]}, "list": [{"a": 1}, {"a": 2}]}`
	mappers := []string{
		"{{ ticket.status }}", "{{ ticket['id'] }}", "{{ ticket.via.channel }}", "{{ ticket.via['src'].x }}",
		"{{ ticket.via }}", "{{ ticket.via.src }}", "{{ ticket | length }}", "{{ ticket.keys() | list }}",
		"{{ ticket.items() | list | length }}", "{{ ticket['items'] }}", "{{ ticket.items }}", "{{ ticket.get('status') }}",
		"{{ ticket.via.values() | list }}", "{{ ticket.via.get }}", "{{ ticket.missing }}", "{{ ticket.missing.x }}",
		"{{ ticket.n.x }}", "{{ ticket.tags.0 }}", "{{ ticket.tags[1] }}", "{{ ticket.tags.count('a') }}",
		"{{ ticket.custom_fields | selectattr('id', 'equalto', 2) | map(attribute='value') | first }}",
		"{{ ticket.status.upper() }}", "{{ ticket.__class__ }}", "{{ ticket._x }}", "{{ ticket.via.__len__ }}",
		"{% set t = ticket %}{{ t.id }}/{{ t | length }}", "{% for k in ticket %}{{ k }},{% endfor %}",
		"{% for k, v in ticket.via.items() %}{{ k }}={{ v }};{% endfor %}", "{% with v = ticket.via %}{{ v | tojson }}{% endwith %}",
		"{% macro f(x) %}{{ x | length }}{% endmacro %}{{ f(ticket.via) }}", "{{ ticket.via is mapping }}",
		"{{ ticket.via.channel if ticket.via else 'none' }}", "{{ (ticket.via).src.x }}", "{{ ticket[ticket.status] }}",
		"{{ other.deep | sum }}", "{{ list[0].a }}", "{{ list | map(attribute='a') | list }}", "{{ ticket.via.src == {'x': 1} }}",
		"{{ response.body.ticket.id }}", "{{ response.body.other }}", "{{ dict(**ticket.via) }}", "{{ ticket.via.update(z=1) }}",
	}
	env := render.NewEnv(render.Limits{})
	for _, src := range mappers {
		for _, with := range []string{"", "{{ ticket.id }}", "{{ ticket.via.channel }}"} {
			mps := maps("v", src)
			if with != "" {
				mps = maps("v", src, "w", with)
			}
			m := mustCompile(t, env, mps, Options{})
			got, gotErr := m.Apply(jsonResp(body), nil, nil)
			full := *m
			full.body = nil // build the whole body
			want, wantErr := full.Apply(jsonResp(body), nil, nil)
			if errText(gotErr) != errText(wantErr) || !reflect.DeepEqual(got, want) {
				t.Errorf("%s (with %q): %#v, %v; the whole body gives %#v, %v", src, with, got, gotErr, want, wantErr)
			}
		}
	}
	// What the analysis leaves out, so that the test above tests pruning.
	m := mustCompile(t, env, maps("v", "{{ ticket.via.channel }}", "w", "{{ ticket['id'] }}"), Options{})
	if m.body.All || m.body.Members["ticket"].All || len(m.body.Members["ticket"].Members) != 2 ||
		!m.body.Members["ticket"].Members["via"].Members["channel"].All {
		t.Errorf("uses of ticket: %+v", m.body.Members["ticket"])
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
