package mapper

import (
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/hookworker/hookworker/internal/jinja"
	"github.com/hookworker/hookworker/render"
	"github.com/hookworker/hookworker/trigger/webhook"
)

// num is a number as mappers give it: its Python spelling.
func num(s string) json.Number { return json.Number(s) }

// typesBody holds one value of each JSON type.
const typesBody = `{
  "s": "open", "i": 388, "neg": -7, "big": 12345678901234567, "u64": 18446744073709551615,
  "f": 4.5, "one": 1.0, "two": 2.0, "t": true, "fa": false, "n": null,
  "a": [1, "x", {"k": 2}], "o": {"z": 1, "a": [true]}, "empty_a": [], "empty_o": {},
  "ticket": {"id": 388, "status": "open", "tags": ["vip", "late"]},
  "items": [{"name": "A", "qty": 2}, {"name": "B", "qty": 3}],
  "response": {"shadow": "body"}, "cvars": {"shadow": "body"}, "conversation": {"shadow": "body"}
}`

type applyCase struct {
	name     string
	mappings []webhook.Mapping
	resp     *Response // nil: jsonResp(typesBody)
	cvars    map[string]any
	conv     map[string]any
	want     map[string]any // CVars, compared with reflect.DeepEqual (Go types count)
	unmapped []string       // nil means none
}

func TestApply(t *testing.T) {
	textResp := &Response{
		StatusCode: 502,
		Header:     http.Header{"Content-Type": {"text/plain"}},
		Body:       []byte("Bad Gateway <nginx>"),
	}
	headerResp := &Response{
		StatusCode: 201,
		Header: http.Header{
			"X-A":          {"1", "2"},
			"Content-Type": {"application/json; charset=utf-8"},
			"X-Request-Id": {"r-9"},
		},
		Body: []byte(`{"ok": true}`),
	}
	cases := []applyCase{
		// A single {{ expression }} keeps the JSON type of its value.
		{name: "string", mappings: maps("v", "{{ s }}"), want: map[string]any{"v": "open"}},
		{name: "int", mappings: maps("v", "{{ i }}"), want: map[string]any{"v": num("388")}},
		{name: "negative int", mappings: maps("v", "{{ neg }}"), want: map[string]any{"v": num("-7")}},
		{name: "big int stays exact", mappings: maps("v", "{{ big }}"), want: map[string]any{"v": num("12345678901234567")}},
		{name: "uint64 above int64", mappings: maps("v", "{{ u64 }}"), want: map[string]any{"v": num("18446744073709551615")}},
		{name: "float", mappings: maps("v", "{{ f }}"), want: map[string]any{"v": num("4.5")}},
		// 1.0 in the body is a float, as in Python: the Result carries
		// 1.0, which a Python reader takes for a float again.
		{name: "float 1.0 stays 1.0", mappings: maps("v", "{{ one }}"), want: map[string]any{"v": num("1.0")}},
		{name: "true", mappings: maps("v", "{{ t }}"), want: map[string]any{"v": true}},
		{name: "false", mappings: maps("v", "{{ fa }}"), want: map[string]any{"v": false}},
		{name: "null is set, not unmapped", mappings: maps("v", "{{ n }}"), want: map[string]any{"v": nil}},
		{name: "array", mappings: maps("v", "{{ a }}"), want: map[string]any{"v": []any{num("1"), "x", map[string]any{"k": num("2")}}}},
		{name: "object", mappings: maps("v", "{{ o }}"), want: map[string]any{"v": map[string]any{"z": num("1"), "a": []any{true}}}},
		{name: "empty array and object", mappings: maps("a", "{{ empty_a }}", "o", "{{ empty_o }}"), want: map[string]any{"a": []any{}, "o": map[string]any{}}},
		{name: "nested path", mappings: maps("v", "{{ ticket.status }}"), want: map[string]any{"v": "open"}},
		{name: "index chain", mappings: maps("v", "{{ items[1]['name'] }}", "w", "{{ items.0.qty }}"), want: map[string]any{"v": "B", "w": num("2")}},
		{name: "white space around the expression makes a string", mappings: maps("v", "  {{ i }}\n"), want: map[string]any{"v": "  388"}},
		{name: "inline if keeps the type", mappings: maps("v", "{{ a | length if a else 0 }}", "w", "{{ empty_a | length if empty_a else none }}"), want: map[string]any{"v": num("3"), "w": nil}},
		{name: "literal", mappings: maps("v", "{{ 42 }}", "w", "{{ 'x' }}", "x", "{{ [1, 2] }}", "y", "{{ {'k': none} }}"),
			want: map[string]any{"v": num("42"), "w": "x", "x": []any{num("1"), num("2")}, "y": map[string]any{"k": nil}}},

		// Anything else renders to a string.
		{name: "text around the expression", mappings: maps("v", "#{{ ticket.id }}"), want: map[string]any{"v": "#388"}},
		{name: "two expressions", mappings: maps("v", "{{ s }}{{ i }}"), want: map[string]any{"v": "open388"}},
		{name: "static text", mappings: maps("v", "constant"), want: map[string]any{"v": "constant"}},
		{name: "statement", mappings: maps("v", "{% if i > 100 %}big{% else %}small{% endif %}"), want: map[string]any{"v": "big"}},
		{name: "bool in a string", mappings: maps("v", "t={{ t }}"), want: map[string]any{"v": "t=True"}},
		{name: "int in a string", mappings: maps("v", "n={{ big }}"), want: map[string]any{"v": "n=12345678901234567"}},
		{name: "missing name in a string renders empty", mappings: maps("v", "id={{ nothing }}"), want: map[string]any{"v": "id="}},

		// Missing paths are unmapped, in mapper order.
		{name: "missing paths in order",
			mappings: maps("m1", "{{ nothing }}", "ok1", "{{ s }}", "m2", "{{ ticket.nothing }}", "m3", "{{ nothing.deeper }}",
				"ok2", "{{ i }}", "m4", "{{ items[5].name }}", "m5", "{{ n.x }}", "m6", "{{ s.x }}"),
			want: map[string]any{"ok1": "open", "ok2": num("388")}, unmapped: []string{"m1", "m2", "m3", "m4", "m5", "m6"}},
		{name: "calling what is missing", mappings: maps("v", "{{ nothing() }}", "w", "{{ s.no_such_method() }}"), want: map[string]any{}, unmapped: []string{"v", "w"}},
		{name: "missing attribute in a filter expression", mappings: maps("v", "{{ ticket.nothing.x | upper }}"), want: map[string]any{}, unmapped: []string{"v"}},
		{name: "missing attribute in a string mapper", mappings: maps("v", "x={{ nothing.x }}"), want: map[string]any{}, unmapped: []string{"v"}},
		{name: "integer index on an object is missing", mappings: maps("v", "{{ ticket[0] }}", "w", "{{ i[0] }}"), want: map[string]any{}, unmapped: []string{"v", "w"}},

		// response.
		{name: "status code", resp: headerResp, mappings: maps("v", "{{ response.status_code }}", "w", "code {{ response.status_code }}"),
			want: map[string]any{"v": num("201"), "w": "code 201"}},
		{name: "headers by lower-case name, values joined", resp: headerResp,
			mappings: maps("a", "{{ response.headers['x-a'] }}", "ct", "{{ response.headers['content-type'] }}",
				"id", "{{ response.headers['x-request-id'] }}", "upper", "{{ response.headers['X-A'] }}", "none", "{{ response.headers['x-none'] }}"),
			want:     map[string]any{"a": "1, 2", "ct": "application/json; charset=utf-8", "id": "r-9"},
			unmapped: []string{"upper", "none"}},
		{name: "non-JSON body", resp: textResp,
			mappings: maps("text", "{{ response.text }}", "body", "{{ response.body }}", "under", "{{ response.body.x }}",
				"top", "{{ ticket }}", "upper", "{{ response.text | upper }}", "code", "{{ response.status_code }}"),
			want:     map[string]any{"text": "Bad Gateway <nginx>", "body": nil, "upper": "BAD GATEWAY <NGINX>", "code": num("502")},
			unmapped: []string{"under", "top"}},
		{name: "empty body", resp: &Response{StatusCode: 204},
			mappings: maps("text", "{{ response.text }}", "body", "{{ response.body }}", "x", "{{ x }}", "h", "{{ response.headers | length }}"),
			want:     map[string]any{"text": "", "body": nil, "h": num("0")}, unmapped: []string{"x"}},
		{name: "array body", resp: jsonResp(`[{"id": 1}, {"id": 2}]`),
			mappings: maps("id", "{{ response.body[1].id }}", "n", "{{ response.body | length }}", "top", "{{ id }}"),
			want:     map[string]any{"id": num("2"), "n": num("2")}, unmapped: []string{"top"}},
		{name: "JSON text body", resp: jsonResp(`"just a string"`),
			mappings: maps("b", "{{ response.body }}", "t", "{{ response.text }}"),
			want:     map[string]any{"b": "just a string", "t": `"just a string"`}},
		{name: "text of a JSON body", resp: jsonResp(`{"a":1}`), mappings: maps("t", "{{ response.text }}"), want: map[string]any{"t": `{"a":1}`}},
		{name: "whole body", resp: jsonResp(`{"a": [1, 2.5, "x"]}`), mappings: maps("b", "{{ response.body }}"),
			want: map[string]any{"b": map[string]any{"a": []any{num("1"), num("2.5"), "x"}}}},

		// cvars and conversation; body keys of the same names only via response.body.
		{name: "cvars and conversation",
			cvars:    map[string]any{"plan": "gold", "n": num("3"), "order-id": "A-1"},
			conv:     map[string]any{"id": "conv-1", "language": "en"},
			mappings: maps("plan", "{{ cvars.plan }}", "n1", "{{ cvars['n'] + 1 }}", "oid", "{{ cvars['order-id'] }}", "lang", "{{ conversation.language }}", "both", "{{ conversation.id }}/{{ ticket.id }}"),
			want:     map[string]any{"plan": "gold", "n1": num("4"), "oid": "A-1", "lang": "en", "both": "conv-1/388"}},
		{name: "body keys named like the context",
			cvars:    map[string]any{"shadow": "cvar"},
			conv:     map[string]any{"shadow": "conversation"},
			mappings: maps("r", "{{ response.body.response.shadow }}", "c", "{{ response.body.cvars.shadow }}", "v", "{{ response.body.conversation.shadow }}", "cv", "{{ cvars.shadow }}", "cs", "{{ conversation.shadow }}", "rs", "{{ response.status_code }}", "rx", "{{ response.shadow }}"),
			want:     map[string]any{"r": "body", "c": "body", "v": "body", "cv": "cvar", "cs": "conversation", "rs": num("200")},
			unmapped: []string{"rx"}},
		{name: "nil cvars and conversation", mappings: maps("c", "{{ cvars.x }}", "v", "{{ conversation.id }}", "n", "{{ cvars | length }}"),
			want: map[string]any{"n": num("0")}, unmapped: []string{"c", "v"}},

		// Filters, arithmetic, conditionals.
		{name: "upper", mappings: maps("v", "{{ ticket.status | upper }}"), want: map[string]any{"v": "OPEN"}},
		{name: "default of a missing value", mappings: maps("v", "{{ ticket.priority | default('normal') }}"), want: map[string]any{"v": "normal"}},
		{name: "default with boolean true", mappings: maps("v", "{{ n | default('d', true) }}"), want: map[string]any{"v": "d"}},
		{name: "length", mappings: maps("v", "{{ items | length }}", "w", "{{ s | length }}"), want: map[string]any{"v": num("2"), "w": num("4")}},
		{name: "join", mappings: maps("v", "{{ ticket.tags | join(', ') }}"), want: map[string]any{"v": "vip, late"}},
		{name: "map attribute", mappings: maps("v", "{{ items | map(attribute='name') | join('+') }}", "w", "{{ items | map(attribute='name') | list }}"),
			want: map[string]any{"v": "A+B", "w": []any{"A", "B"}}},
		{name: "tojson", mappings: maps("v", "{{ ticket.status | tojson }}"), want: map[string]any{"v": `"open"`}},
		{name: "arithmetic", mappings: maps("add", "{{ i + 12 }}", "mul", "{{ items[0].qty * items[1].qty }}", "fl", "{{ f * 2 }}", "s", "total={{ i * 2 }}"),
			want: map[string]any{"add": num("400"), "mul": num("6"), "fl": num("9.0"), "s": "total=776"}},
		{name: "conditional expression", mappings: maps("yes", "{{ 'yes' if t else 'no' }}", "no", "{{ 'yes' if fa else 'no' }}", "undef", "{{ 'yes' if nothing else 'no' }}", "cmp", "{{ ticket.status == 'open' }}"),
			want: map[string]any{"yes": "yes", "no": "no", "undef": "no", "cmp": true}},
	}
	env := render.NewEnv(render.Limits{})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp := c.resp
			if resp == nil {
				resp = jsonResp(typesBody)
			}
			out, err := applyOnce(t, env, c.mappings, resp, c.cvars, c.conv)
			if err != nil {
				t.Fatalf("Apply: %v", err)
			}
			if !reflect.DeepEqual(out.CVars, c.want) {
				t.Errorf("CVars = %#v\nwant %#v", out.CVars, c.want)
			}
			want := c.unmapped
			if want == nil {
				want = []string{}
			}
			if !reflect.DeepEqual(out.Unmapped, want) {
				t.Errorf("Unmapped = %q, want %q", out.Unmapped, want)
			}
			// Every mapper is either set or unmapped, never both.
			if len(out.CVars)+len(out.Unmapped) != len(c.mappings) {
				t.Errorf("%d CVars + %d unmapped for %d mappers", len(out.CVars), len(out.Unmapped), len(c.mappings))
			}
		})
	}
}

func TestApplyErrors(t *testing.T) {
	cases := []struct {
		name     string
		mappings []webhook.Mapping
		cvar     string // the CVar the *Error names
		contains string // in the error text
	}{
		{"integer modulo by zero", maps("ok", "{{ s }}", "bad", "{{ 1 % 0 }}"), "bad", "integer division or modulo by zero"},
		{"modulo by zero from the body", maps("bad", "{{ i % (i - 388) }}"), "bad", "by zero"},
		{"modulo by zero in a string mapper", maps("bad", "x={{ 1 % 0 }}"), "bad", "by zero"},
		{"list plus number", maps("bad", "{{ a + 1 }}"), "bad", "concatenate"},
		{"float division by zero", maps("bad", "{{ 1 / 0 }}"), "bad", "division by zero"},
		{"inf is not JSON", maps("bad", "{{ f * 1e308 }}"), "bad", "not a JSON number"},
		{"a folded inf is a NameError, as in Jinja2", maps("bad", "{{ 'inf' | float * 2 }}"), "bad", "name 'inf' is not defined"},
		{"a function is not a CVar value", maps("bad", "{{ range }}"), "bad", "not a JSON value"},
		{"include fails when it runs", maps("bad", "{% include 'x' %}"), "bad", "no loader"},
		{"a bound exceeded", maps("bad", "{{ ('x' * 100000000) | length }}"), "bad", "render.max_memory"},
		{"first failing mapper wins", maps("first", "{{ 1 % 0 }}", "second", "{{ a + 1 }}"), "first", "by zero"},
	}
	env := render.NewEnv(render.Limits{})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := applyOnce(t, env, c.mappings, jsonResp(typesBody), nil, nil)
			if err == nil {
				t.Fatalf("no error; output %s", mustJSON(t, out))
			}
			var me *Error
			if !errors.As(err, &me) {
				t.Fatalf("error %T %v is not a *mapper.Error", err, err)
			}
			if me.CVar != c.cvar {
				t.Errorf("Error.CVar = %q, want %q", me.CVar, c.cvar)
			}
			if !strings.Contains(err.Error(), c.contains) {
				t.Errorf("error %q does not contain %q", err, c.contains)
			}
			if !strings.Contains(err.Error(), `"`+c.cvar+`"`) {
				t.Errorf("error text %q does not name the CVar", err)
			}
			if out.CVars != nil || out.Unmapped != nil {
				t.Errorf("output with an error: %#v", out)
			}
		})
	}
}

func TestCompileErrors(t *testing.T) {
	cases := []struct {
		name     string
		mappings []webhook.Mapping
		cvar     string
		contains string
	}{
		{"unclosed expression", maps("ok", "{{ s }}", "broken", "{{ s "), "broken", "unexpected end of template"},
		{"bad if", maps("broken", "{% if %}x{% endif %}"), "broken", "Expected an expression"},
		{"unclosed block", maps("broken", "{% for x in a %}"), "broken", "looking for the following tags: 'endfor' or 'else'"},
		{"unknown filter", maps("bad", "{{ nothing | no_such_filter }}"), "bad", "No filter named 'no_such_filter'"},
		{"unknown test", maps("bad", "{{ s is no_such_test }}"), "bad", "No test named 'no_such_test'"},
		{"braces around no expression", maps("bad", "{{ 1, 2 }}"), "bad", "chunk after expression"},
		{"template over the size limit", maps("big", "{{ s }}"+strings.Repeat(" ", 70<<10)), "big", "render.max_template_size"},
	}
	env := render.NewEnv(render.Limits{})
	for _, c := range cases {
		for _, opts := range []Options{{}} {
			m, err := Compile(env, c.mappings, opts)
			if err == nil {
				t.Errorf("%s: Compile succeeded (%d entries)", c.name, len(m.entries))
				continue
			}
			var me *Error
			if !errors.As(err, &me) {
				t.Errorf("%s: error %T %v is not a *mapper.Error", c.name, err, err)
				continue
			}
			if me.CVar != c.cvar || !strings.Contains(err.Error(), `"`+c.cvar+`"`) {
				t.Errorf("%s: error %q names %q, want %q", c.name, err, me.CVar, c.cvar)
			}
			if !strings.Contains(err.Error(), c.contains) {
				t.Errorf("%s: error %q does not contain %q", c.name, err, c.contains)
			}
		}
	}
}

func TestApplyNoMappers(t *testing.T) {
	env := render.NewEnv(render.Limits{})
	for _, mappings := range [][]webhook.Mapping{nil, {}} {
		m := mustCompile(t, env, mappings, Options{})
		out, err := m.Apply(jsonResp("not json"), nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		if out.CVars == nil || len(out.CVars) != 0 || out.Unmapped == nil || len(out.Unmapped) != 0 {
			t.Errorf("Output = %#v, want empty non-nil CVars and Unmapped", out)
		}
		if got := mustJSON(t, out); got != `{"CVars":{},"Unmapped":[]}` {
			t.Errorf("JSON = %s", got)
		}
	}
}

// TestApplyReuse applies one compiled Mapper to several responses and
// concurrently: nothing of one Apply leaks into the next.
func TestApplyReuse(t *testing.T) {
	env := render.NewEnv(render.Limits{})
	m := mustCompile(t, env, maps("id", "{{ id }}", "up", "{{ name | upper }}", "code", "{{ response.status_code }}"), Options{})
	// A filter over a missing name is not a missing path: Jinja2 and gonja
	// both give "" for {{ nothing | upper }}.
	bodies := []string{`{"id": 1, "name": "a"}`, `{"name": "b"}`, `[]`, `{"id": "x"}`}
	want := []string{
		`{"CVars":{"code":200,"id":1,"up":"A"},"Unmapped":[]}`,
		`{"CVars":{"code":200,"up":"B"},"Unmapped":["id"]}`,
		`{"CVars":{"code":200,"up":""},"Unmapped":["id"]}`,
		`{"CVars":{"code":200,"id":"x","up":""},"Unmapped":[]}`,
	}
	done := make(chan string, 8*len(bodies))
	for r := 0; r < 8; r++ {
		go func() {
			for i, b := range bodies {
				out, err := m.Apply(jsonResp(b), nil, nil)
				if err != nil {
					done <- err.Error()
					continue
				}
				b, _ := jsonMarshal(out)
				if string(b) != want[i] {
					done <- "body " + bodies[i] + ": got " + string(b) + ", want " + want[i]
					continue
				}
				done <- ""
			}
		}()
	}
	for i := 0; i < 8*len(bodies); i++ {
		if msg := <-done; msg != "" {
			t.Error(msg)
		}
	}
}

// TestLowerHeaders checks that names differing only in case are merged in
// a fixed order.
func TestLowerHeaders(t *testing.T) {
	h := http.Header{"X-A": {"1"}, "x-a": {"2", "3"}, "Accept": {"*/*"}}
	for i := 0; i < 20; i++ {
		got, err := jinja.ToJSON(jinja.DictValue(lowerHeaders(h)))
		want := map[string]any{"x-a": "1, 2, 3", "accept": "*/*"}
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("lowerHeaders = %#v, %v; want %#v", got, err, want)
		}
	}
}

// TestUnknownFilterRefusedWhenCompiled: an unknown filter or test in a
// mapper is refused when the mapper is compiled (Jinja2's
// TemplateAssertionError), naming the CVar, never taken for a missing path.
func TestUnknownFilterRefusedWhenCompiled(t *testing.T) {
	env := render.NewEnv(render.Limits{})
	for _, src := range []string{"{{ nothing | no_such_filter }}", "{{ s is no_such_test }}"} {
		_, err := Compile(env, maps("bad", src), Options{})
		var me *Error
		if !errors.As(err, &me) || me.CVar != "bad" || !strings.Contains(err.Error(), "no_such_") {
			t.Errorf("Compile(%q): %v", src, err)
		}
	}
}
