package mapper

import (
	"bytes"
	"encoding/json"
	"math/big"
	"net/http"
	"reflect"
	"testing"

	"github.com/hookworker/hookworker/render"
	"github.com/hookworker/hookworker/trigger/webhook"
)

// maps builds mappings from name, mapper pairs.
func maps(pairs ...string) []webhook.Mapping {
	if len(pairs)%2 != 0 {
		panic("maps: odd number of arguments")
	}
	out := make([]webhook.Mapping, 0, len(pairs)/2)
	for i := 0; i < len(pairs); i += 2 {
		out = append(out, webhook.Mapping{Name: pairs[i], Mapper: pairs[i+1]})
	}
	return out
}

// mustCompile compiles mappings or fails the test.
func mustCompile(t testing.TB, env *render.Env, mappings []webhook.Mapping, opts Options) *Mapper {
	t.Helper()
	m, err := Compile(env, mappings, opts)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	return m
}

// jsonResp is a 200 response with a JSON content type and body.
func jsonResp(body string) *Response {
	return &Response{
		StatusCode: 200,
		Header:     http.Header{"Content-Type": {"application/json"}},
		Body:       []byte(body),
	}
}

// applyOnce compiles mappings and applies them to resp.
func applyOnce(t *testing.T, env *render.Env, mappings []webhook.Mapping, resp *Response, cvars, conversation map[string]any) (Output, error) {
	t.Helper()
	return mustCompile(t, env, mappings, Options{}).Apply(resp, cvars, conversation)
}

func mustJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("json.Marshal(%#v): %v", v, err)
	}
	return string(b)
}

// decodeJSON decodes text the way event data reaches Apply: UseNumber.
func decodeJSON(t testing.TB, text string) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader([]byte(text)))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("decode %q: %v", text, err)
	}
	return v
}

// jsonEqual compares two JSON texts as values; numbers are compared
// exactly by value, so 2 equals 2.0 and 12345678901234567 keeps its digits.
func jsonEqual(a, b []byte) (bool, error) {
	var x, y any
	for _, p := range []struct {
		in  []byte
		out *any
	}{{a, &x}, {b, &y}} {
		dec := json.NewDecoder(bytes.NewReader(p.in))
		dec.UseNumber()
		if err := dec.Decode(p.out); err != nil {
			return false, err
		}
	}
	return sameValue(x, y), nil
}

func sameValue(x, y any) bool {
	switch a := x.(type) {
	case json.Number:
		b, ok := y.(json.Number)
		if !ok {
			return false
		}
		ra, oka := new(big.Rat).SetString(string(a))
		rb, okb := new(big.Rat).SetString(string(b))
		return oka && okb && ra.Cmp(rb) == 0
	case []any:
		b, ok := y.([]any)
		if !ok || len(a) != len(b) {
			return false
		}
		for i := range a {
			if !sameValue(a[i], b[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		b, ok := y.(map[string]any)
		if !ok || len(a) != len(b) {
			return false
		}
		for k, v := range a {
			w, ok := b[k]
			if !ok || !sameValue(v, w) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(x, y)
}

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }
