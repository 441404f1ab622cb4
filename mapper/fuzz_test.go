package mapper

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/hookworker/hookworker/render"
)

// fuzzResponse is the response the fuzzers apply mappers to.
func fuzzResponse(body []byte) *Response {
	return &Response{
		StatusCode: 200,
		Header:     http.Header{"X-A": {"1", "2"}, "Content-Type": {"application/json"}},
		Body:       body,
	}
}

// FuzzMapperDifferential holds the fast path to gonja: for every path that
// compiles to the fast path, {{ path }} must give the same Output (or an
// error on both sides) with Options{} and Options{NoFastPath: true}.
// Seeds are the differential table and testdata/fuzz/FuzzMapperDifferential.
func FuzzMapperDifferential(f *testing.F) {
	for _, c := range diffCases() {
		f.Add([]byte(c.body), c.path)
	}
	env := render.NewEnv(render.Limits{})
	f.Fuzz(func(t *testing.T, body []byte, path string) {
		fuzzKey(t, env, path)
		mappings := maps("v", "{{ "+path+" }}")
		fast, err := Compile(env, mappings, Options{})
		if err != nil || fast.entries[0].fast == nil {
			return // not a plain path: nothing to compare
		}
		slow, err := Compile(env, mappings, Options{NoFastPath: true})
		if err != nil {
			t.Fatalf("compiles with the fast path only: %v", err)
		}
		resp := fuzzResponse(body)
		fo, ferr := fast.Apply(resp, nil, nil)
		so, serr := slow.Apply(resp, nil, nil)
		requireSame(t, fo, ferr, so, serr)
	})
}

// fuzzKey uses the fuzzer's string as an object key: {{ k['<key>'] }} over
// {"k": {"<key>": 1, ...}} must find 1 on both paths, whatever the key
// holds (gjson's query characters, escapes, white space, non-ASCII).
func fuzzKey(t *testing.T, env *render.Env, key string) {
	t.Helper()
	if !utf8.ValidString(key) {
		return // json.Marshal would write another key
	}
	lit := "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(key) + "'"
	mappings := maps("v", "{{ k["+lit+"] }}")
	fast, err := Compile(env, mappings, Options{})
	if err != nil || fast.entries[0].fast == nil {
		return
	}
	p := fast.entries[0].fast
	if len(p.steps) != 1 || p.steps[0].isIdx || p.steps[0].key != key {
		return // gonja's lexer read the literal as another string
	}
	slow, err := Compile(env, mappings, Options{NoFastPath: true})
	if err != nil {
		t.Fatalf("compiles with the fast path only: %v", err)
	}
	jkey, err := json.Marshal(key)
	if err != nil {
		t.Fatal(err)
	}
	resp := fuzzResponse([]byte(`{"k": {` + string(jkey) + `: 1, "@this": 2, "*": 3, "": 4}}`))
	fo, ferr := fast.Apply(resp, nil, nil)
	so, serr := slow.Apply(resp, nil, nil)
	requireSame(t, fo, ferr, so, serr)
	if v, ok := fo.CVars["v"]; !ok || v != int64(1) {
		t.Fatalf("{{ k[%s] }} = %#v (%v), want 1", lit, fo, ferr)
	}
}

// FuzzApply checks that Compile and Apply never panic, that their errors
// are *Error naming the CVar, and that every Output is JSON-ready with
// each mapper either set or unmapped. Seeds are in testdata/fuzz/FuzzApply.
func FuzzApply(f *testing.F) {
	f.Add([]byte(`{"ticket": {"status": "open", "id": 388}}`), "{{ ticket.status | upper }}")
	f.Add([]byte(`[1, 2]`), "{{ response.body | sum }}")
	f.Add([]byte(`oops`), "{{ response.text }} {{ response.status_code }}")
	env := render.NewEnv(render.Limits{MaxOutput: 64 << 10, MaxRange: 1000})
	cvars := map[string]any{"plan": "gold", "n": int64(3), "list": []any{int64(1), "a"}}
	conv := map[string]any{"id": "conv-1", "language": "en"}
	f.Fuzz(func(t *testing.T, body []byte, src string) {
		if len(src) > 1024 {
			return // bounded by render.Limits in production; keep runs short
		}
		m, err := Compile(env, maps("v", src), Options{})
		if err != nil {
			requireMapperError(t, err)
			return
		}
		out, err := m.Apply(fuzzResponse(body), cvars, conv)
		if err != nil {
			requireMapperError(t, err)
			return
		}
		_, set := out.CVars["v"]
		if set == (len(out.Unmapped) == 1) || len(out.CVars)+len(out.Unmapped) != 1 {
			t.Fatalf("mapper neither set nor unmapped, or both: %#v", out)
		}
		if _, err := json.Marshal(out); err != nil {
			t.Fatalf("Output is not JSON-ready: %v (%#v)", err, out)
		}
	})
}

func requireMapperError(t *testing.T, err error) {
	t.Helper()
	var me *Error
	if !errors.As(err, &me) || me.CVar != "v" {
		t.Fatalf("error %T %v is not a *mapper.Error naming the CVar", err, err)
	}
}
