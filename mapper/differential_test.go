package mapper

import (
	"net/http"
	"strings"
	"testing"

	"github.com/hookworker/hookworker/render"
	"github.com/hookworker/hookworker/trigger/webhook"
)

// diffBody is a body with the shapes the differential test walks.
const diffBody = `{
  "ticket": {"id": 388, "status": "open", "owner": null, "tags": ["vip", "late"], "meta": {"x": {"y": [1, [2, 3]]}}},
  "items": [{"name": "A", "qty": 2}, {"name": "B", "qty": 3.5}],
  "a": {"b-c": 1, "x.y": 2, "*": 3, "?": 4, "#": 5, "@this": 6, "0": "zero", "": 8, "a|b": 9, "k\"q": 10,
        "x\\y": 11, "sp ace": 12, "ünï": 13, "!": 14, "=": 15, "%": 16, "a*": 17, "..": 18, "#(x)": 19, "@reverse": 20},
  "n": null, "s": "text", "u": "ünï", "i": 388, "f": 4.5, "t": true, "big": 12345678901234567, "u64": 18446744073709551615,
  "nested": [[[{"deep": "yes"}]]], "empty_a": [], "empty_o": {},
  "dup": {"k": "first", "k": "second"}, "dup_top": 1, "dup_top": 2,
  "esc\u0061ped": "escaped key", "esc": {"tab\tkey": 1},
  "range": "shadows the global", "loop": 1, "none": "a name, not None"
}`

type diffCase struct {
	name   string
	body   string
	path   string // the expression inside {{ }}
	want   string // JSON of the CVar's value, or "unmapped"
	defers bool   // the fast path hands this one to gonja
}

func diffCases() []diffCase {
	body := func(name, b, p, want string) diffCase { return diffCase{name: name, body: b, path: p, want: want} }
	d := func(name, p, want string) diffCase { return diffCase{name: name, body: diffBody, path: p, want: want} }
	return []diffCase{
		d("top-level string", "s", `"text"`),
		d("top-level int", "i", `388`),
		d("top-level float", "f", `4.5`),
		d("big int", "big", `12345678901234567`),
		d("uint64", "u64", `18446744073709551615`),
		d("bool", "t", `true`),
		d("null", "n", `null`),
		d("object", "ticket", `{"id":388,"meta":{"x":{"y":[1,[2,3]]}},"owner":null,"status":"open","tags":["vip","late"]}`),
		d("array", "items", `[{"name":"A","qty":2},{"name":"B","qty":3.5}]`),
		d("empty array", "empty_a", `[]`),
		d("empty object", "empty_o", `{}`),
		d("nested attribute", "ticket.status", `"open"`),
		d("nested null", "ticket.owner", `null`),
		d("deep", "ticket.meta.x.y", `[1,[2,3]]`),
		d("deep index", "ticket.meta.x.y[1][0]", `2`),
		d("deep index dotted", "ticket.meta.x.y.1[1]", `3`),
		d("index then item", "items[0]['name']", `"A"`),
		d("dotted index", "items.0.name", `"A"`),
		d("index then attribute", "items[1].qty", `3.5`),
		d("nested arrays", "nested[0][0][0].deep", `"yes"`),
		d("item with dash", "a['b-c']", `1`),
		d("item with dot", `a["x.y"]`, `2`),
		d("item star", "a['*']", `3`),
		d("item question mark", "a['?']", `4`),
		d("item hash", "a['#']", `5`),
		d("item @this", "a['@this']", `6`),
		d("item @reverse", "a['@reverse']", `20`),
		d("item hash query", "a['#(x)']", `19`),
		d("item pipe", "a['a|b']", `9`),
		d("item empty key", "a['']", `8`),
		d("item quote", `a['k"q']`, `10`),
		d("item backslash", `a['x\\y']`, `11`),
		d("item space", "a['sp ace']", `12`),
		d("item unicode", "a['ünï']", `13`),
		d("item bang", "a['!']", `14`),
		d("item equals", "a['=']", `15`),
		d("item percent", "a['%']", `16`),
		d("item star suffix", "a['a*']", `17`),
		d("item dots", "a['..']", `18`),
		d("item key 0 by string", "a['0']", `"zero"`),
		d("escaped key in body", "escaped", `"escaped key"`),
		d("tab in key", "esc['tab\tkey']", `1`),
		d("duplicate key, first wins", "dup.k", `"first"`),
		d("duplicate top-level key", "dup_top", `1`),
		d("name none is a name", "none", `"a name, not None"`),
		d("name loop", "loop", `1`),

		// Missing.
		d("missing top-level", "nothing", `unmapped`),
		d("missing nested", "ticket.nothing", `unmapped`),
		d("missing under missing", "nothing.x.y", `unmapped`),
		d("null in the middle", "ticket.owner.name", `unmapped`),
		d("null in the middle, index", "n[0]", `unmapped`),
		d("null in the middle, item", "n['x']", `unmapped`),
		d("index past the end", "items[9]", `unmapped`),
		d("index past the end, dotted", "items.9.name", `unmapped`),
		d("integer on an object with key 0", "a[0]", `unmapped`),
		d("dotted integer on an object with key 0", "a.0", `unmapped`),
		d("integer on a number", "i[0]", `unmapped`),
		d("integer on a bool", "t[0]", `unmapped`),
		d("integer on a float", "f.0", `unmapped`),
		d("string on an array", "items['0']", `unmapped`),
		d("attribute on an array", "items.name", `unmapped`),
		d("attribute on a string", "s.x", `unmapped`),
		d("attribute on a number", "i.x", `unmapped`),
		d("item on a string", "s['x']", `unmapped`),
		d("wildcard is not a query", "a['a?']", `unmapped`),
		d("@this on an array", "items['@this']", `unmapped`),
		d("hash on an array", "items['#']", `unmapped`),
		d("empty object item", "empty_o['']", `unmapped`),
		d("index on an empty array", "empty_a[0]", `unmapped`),

		// Indexing a string: gonja (exec.Value.GetItem) takes one byte and
		// makes it a character, so "ünï"[1] is "¼" where Jinja2 gives "n".
		// The fast path does not copy that: it leaves strings to gonja.
		{name: "index on a string", body: diffBody, path: "s[0]", want: `"t"`, defers: true},
		{name: "dotted index on a string", body: diffBody, path: "s.1", want: `"e"`, defers: true},
		{name: "index on a non-ASCII string", body: diffBody, path: "u[1]", want: `"¼"`, defers: true},
		{name: "index past a string", body: diffBody, path: "s[99]", want: `unmapped`, defers: true},

		// Bodies that are not JSON objects.
		body("array body, name", `[{"a": 1}]`, "a", `unmapped`),
		body("array body, response.body", `[{"a": 1}]`, "response.body", `[{"a":1}]`),
		body("array body, response.body index", `[{"a": 1}]`, "response.body[0].a", `1`),
		body("array body, response.body attr", `[{"a": 1}]`, "response.body.a", `unmapped`),
		body("scalar body", `42`, "response.body", `42`),
		body("scalar body, name", `42`, "x", `unmapped`),
		body("string body", `"s"`, "response.body", `"s"`),
		body("null body", `null`, "response.body", `null`),
		body("null body, under", `null`, "response.body.x", `unmapped`),
		body("invalid JSON", `{"a": 1,}`, "a", `unmapped`),
		body("invalid JSON, response.body", `{"a": 1,}`, "response.body", `null`),
		body("invalid JSON, under response.body", `{"a": 1,}`, "response.body.a", `unmapped`),
		body("truncated JSON", `{"a": {"b": 1}`, "a.b", `unmapped`),
		body("two JSON values", `{"a": 1} {"a": 2}`, "a", `unmapped`),
		body("empty body", ``, "a", `unmapped`),
		body("empty body, response.body", ``, "response.body", `null`),
		body("white space body", "  \n", "response.body", `null`),
		body("padded JSON", "  {\"a\": 1}\n", "a", `1`),
		body("NaN is not JSON", `{"a": NaN}`, "a", `unmapped`),
		// Out of float64 range: render.Number keeps the text, so both
		// paths give the string "1e400" (JSON has no infinity).
		body("huge number", `{"a": 1e400}`, "a", `"1e400"`),
		body("negative zero", `{"a": -0}`, "a", `0`),
		body("exponent int", `{"a": 1E2}`, "a", `100`),
		// Above uint64: a float64, rounded.
		body("integer one past uint64", `{"a": 18446744073709551616}`, "a", `18446744073709552000`),

		// response.
		d("response.body.x", "response.body.ticket.id", `388`),
		d("response.body item", "response.body['a']['x.y']", `2`),
		d("response.body whole", "response.body", `{"a":{"":8,"!":14,"#":5,"#(x)":19,"%":16,"*":3,"..":18,"0":"zero","=":15,"?":4,"@reverse":20,"@this":6,"a*":17,"a|b":9,"b-c":1,"k\"q":10,"sp ace":12,"x.y":2,"x\\y":11,"ünï":13},"big":12345678901234567,"dup":{"k":"first"},"dup_top":1,"empty_a":[],"empty_o":{},"esc":{"tab\tkey":1},"escaped":"escaped key","f":4.5,"i":388,"items":[{"name":"A","qty":2},{"name":"B","qty":3.5}],"loop":1,"n":null,"nested":[[[{"deep":"yes"}]]],"none":"a name, not None","range":"shadows the global","s":"text","t":true,"ticket":{"id":388,"meta":{"x":{"y":[1,[2,3]]}},"owner":null,"status":"open","tags":["vip","late"]},"u":"ünï","u64":18446744073709551615}`),
		d("response['body']", "response['body'].s", `"text"`),
		d("response.status_code", "response.status_code", `203`),
		d("response['status_code']", "response['status_code']", `203`),
		body("body key named response", `{"response": {"status_code": 1}}`, "response.status_code", `203`),
		body("body key named response, via body", `{"response": {"status_code": 1}}`, "response.body.response.status_code", `1`),
		body("body key named range", `{"range": 1}`, "response.body.range", `1`),
	}
}

func TestDiffBodyIsJSON(t *testing.T) {
	b := parseBody([]byte(diffBody))
	if !b.valid || !b.root.IsObject() {
		t.Fatal("diffBody is not a JSON object")
	}
}

// TestDifferential applies each plain path with the fast path and
// through gonja alone, and requires the same Output. It also requires
// that the fast path was taken: compiled (entry.fast set) and, unless
// the case says it defers, answered without gonja.
func TestDifferential(t *testing.T) {
	env := render.NewEnv(render.Limits{})
	resp := func(body string) *Response {
		return &Response{StatusCode: 203, Header: http.Header{"X-A": {"1"}}, Body: []byte(body)}
	}
	seen := map[string]bool{}
	for _, c := range diffCases() {
		if seen[c.name] {
			t.Fatalf("duplicate case %q", c.name)
		}
		seen[c.name] = true
		t.Run(c.name, func(t *testing.T) {
			mappings := []webhook.Mapping{{Name: "v", Mapper: "{{ " + c.path + " }}"}}
			fast := mustCompile(t, env, mappings, Options{})
			slow := mustCompile(t, env, mappings, Options{NoFastPath: true})
			if fast.entries[0].fast == nil {
				t.Fatalf("{{ %s }} did not compile to the fast path", c.path)
			}
			if slow.entries[0].fast != nil {
				t.Fatal("NoFastPath compiled a fast path")
			}
			r := resp(c.body)
			if _, res := fast.entries[0].fast.lookup(parseBody(r.Body), r); (res == deferred) != c.defers {
				t.Errorf("fast path deferred = %v, want %v", res == deferred, c.defers)
			}
			fo, ferr := fast.Apply(r, nil, nil)
			so, serr := slow.Apply(r, nil, nil)
			requireSame(t, fo, ferr, so, serr)
			if ferr != nil {
				t.Fatalf("Apply: %v", ferr)
			}
			got := "unmapped"
			if v, ok := fo.CVars["v"]; ok {
				got = mustJSON(t, v)
			}
			if got != c.want {
				t.Errorf("{{ %s }} = %s, want %s", c.path, got, c.want)
			}
		})
	}
}

// TestDifferentialDepth: both paths refuse a value nested deeper than
// maxDepth, and both accept one at the limit.
func TestDifferentialDepth(t *testing.T) {
	env := render.NewEnv(render.Limits{})
	nest := func(levels int) string {
		return `{"v": ` + strings.Repeat("[", levels) + "1" + strings.Repeat("]", levels) + "}"
	}
	for _, c := range []struct {
		levels  int
		wantErr bool
	}{{maxDepth, false}, {maxDepth + 1, true}, {3 * maxDepth, true}} {
		mappings := maps("v", "{{ v }}")
		fast := mustCompile(t, env, mappings, Options{})
		slow := mustCompile(t, env, mappings, Options{NoFastPath: true})
		r := jsonResp(nest(c.levels))
		fo, ferr := fast.Apply(r, nil, nil)
		so, serr := slow.Apply(r, nil, nil)
		requireSame(t, fo, ferr, so, serr)
		if (ferr != nil) != c.wantErr {
			t.Errorf("%d levels: error %v, want error %v", c.levels, ferr, c.wantErr)
		}
		// A shallow path into the same deep body is fine on both paths.
		shallow := maps("v", "{{ v[0][0] | length }}")
		if _, err := mustCompile(t, env, shallow, Options{}).Apply(r, nil, nil); err != nil && c.levels > 2 {
			t.Errorf("%d levels, shallow expression: %v", c.levels, err)
		}
	}
}

// TestNotFastPath lists single expressions that must go through gonja.
func TestNotFastPath(t *testing.T) {
	env := render.NewEnv(render.Limits{})
	for _, src := range []string{
		"{{ cvars.x }}", "{{ conversation.id }}", "{{ cvars }}",
		"{{ response }}", "{{ response.text }}", "{{ response.headers['x-a'] }}", "{{ response.status_code.x }}",
		"{{ response[0] }}", "{{ response.nothing }}",
		"{{ range }}", "{{ dict.x }}", "{{ namespace }}", "{{ cycler }}", "{{ joiner }}",
		"{{ a[-1] }}", "{{ a[i] }}", "{{ a[1:2] }}", "{{ a.b() }}", "{{ a | upper }}", "{{ a.b ~ '' }}",
		"{{ true }}", "{{ None }}", "{{ 'x' }}", "{{ 1 }}", "{{ a if b }}",
		"x{{ a }}", "{{ a }}{{ b }}", "{% if a %}{{ a }}{% endif %}", "plain text",
	} {
		m := mustCompile(t, env, maps("v", src), Options{})
		if m.entries[0].fast != nil {
			t.Errorf("%s compiled to the fast path (%+v)", src, *m.entries[0].fast)
		}
	}
}
