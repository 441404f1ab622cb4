package jinja

import (
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestLazyObjectAsDecode: ValidateJSON refuses what DecodeJSON refuses,
// with its message, and an indexed object reads as the decoded one (the
// same members in the same order, a repeated key in its first place with
// its last value), member by member and as a dict.
func TestLazyObjectAsDecode(t *testing.T) {
	deep := strings.Repeat("[", 5) + strings.Repeat("]", 5)
	docs := []string{
		`{}`, ` { } `, `{"a":1}`, `{"a":1,"b":[1,{"c":null}],"a":"x"}`,
		`{"k":` + deep + `}`, deep, `[1,2]`, `"s"`, `12`, `null`,
		`{"a":1,}`, `{"a" 1}`, `{"a":1} x`, `{"a":"\ud800"}`, "{\"a\":\"\xff\"}", `{"a":"\x01"}`,
		`{"a":tru}`, `{"a":01}`, `{"a":1`, `{1:2}`, `{"a":1e400,"b":-0.0,"c":123456789012345678901234567890}`,
		`{"` + strings.Repeat("x", 3) + `":{"y":[` + deep + `]}}`,
		`{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":9,"j":10,"k":11,"l":12,"m":13,"n":14,"c":"again"}`,
		// Numbers, which a check reads without converting them.
		`{"a":-}`, `{"a":1.}`, `{"a":1e}`, `{"a":-0,"b":1E+5,"c":2.50e-3,"d":-12.5}`, `{"a":[1,-2,3.5,` + `1e999]}`,
		`{"a":` + strings.Repeat("9", 4300) + `}`, `{"a":[-` + strings.Repeat("9", 4300) + `]}`,
		`{"a":` + strings.Repeat("9", 4301) + `}`, `{"a":[` + strings.Repeat("1", 4302) + `]}`,
		`{"a":` + strings.Repeat("9", 4301) + `.5}`, `{"a":1` + strings.Repeat("0", 5000) + `e-5000}`,
	}
	r := NewEnv(Limits{}).NewRenderer(NewDict(0))
	for _, max := range []int{0, 3, 6, 7} {
		for _, doc := range docs {
			want, wantErr := DecodeJSON(doc, max)
			if err := ValidateJSON(doc, max); errText(err) != errText(wantErr) {
				t.Errorf("ValidateJSON(%q, %d) = %v; DecodeJSON's error %v", doc, max, err, wantErr)
			}
			o, ok, err := IndexJSONObject(doc, max)
			if errText(err) != errText(wantErr) {
				t.Errorf("IndexJSONObject(%q, %d) error %v; DecodeJSON's %v", doc, max, err, wantErr)
				continue
			}
			if err != nil {
				continue
			}
			if ok != (want.Dict() != nil) {
				t.Errorf("IndexJSONObject(%q) ok = %v", doc, ok)
				continue
			}
			if !ok {
				continue
			}
			wantRepr, _ := r.repr(want)
			byKey := NewDict(o.Len())
			for i := range o.Len() {
				k := o.Key(i)
				v, found, err := o.Get(k)
				if err != nil || !found {
					t.Fatalf("Get(%q) of %q: %v %v", k, doc, found, err)
				}
				byKey.SetStr(k, v)
			}
			d, err := o.Dict()
			if err != nil {
				t.Fatal(err)
			}
			for _, got := range []*Dict{byKey, d} {
				if s, _ := r.repr(DictValue(got)); s != wantRepr {
					t.Errorf("%q (max %d) indexed = %s; decoded %s", doc, max, s, wantRepr)
				}
			}
			if _, found, _ := o.Get("no such key"); found {
				t.Errorf("%q: a missing key found", doc)
			}
		}
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// TestValidJSONSyntaxAsEncodingJSON: ValidJSONSyntax answers as
// encoding/json.Valid, on chosen documents and on random ones made of
// JSON's characters (deterministic).
func TestValidJSONSyntaxAsEncodingJSON(t *testing.T) {
	docs := []string{
		``, ` `, `{}`, `[]`, `{"a":[1,2,{"b":null}]}`, `"\xff"`, `"\u00e9\ud800"`, `"\u00G0"`, `"\q"`, "\"\x01\"", "\"\x7f\"",
		`1`, `-0`, `01`, `1.`, `.5`, `1e`, `1E+2`, `-`, `1e400`, strings.Repeat("9", 5000), `tru`, `true `, ` null`,
		`{"a":1,}`, `[1,]`, `{"a" 1}`, `{1:2}`, `[1 2]`, "\ufeff{}", `{"a":1}}`, `[`, `]`,
		strings.Repeat("[", 10000) + strings.Repeat("]", 10000), strings.Repeat("[", 10001) + strings.Repeat("]", 10001),
	}
	rng := rand.New(rand.NewPCG(1, 2))
	const alphabet = "{}[]\":,.-+eE0123456789 \\ntrufalsu\"\x00\xff\xe9"
	for range 30000 {
		b := make([]byte, rng.IntN(12))
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		docs = append(docs, string(b))
	}
	// Valid documents with one byte inserted, removed or replaced.
	seeds := []string{`{"a":[1,-2.5e3,{"b":null,"c":"x\"y\u00e9"}],"d":true,"e":false}`, `[0,{"":[]},"\n",1E-2]`}
	for range 30000 {
		b := []byte(seeds[rng.IntN(len(seeds))])
		i := rng.IntN(len(b))
		c := alphabet[rng.IntN(len(alphabet))]
		switch rng.IntN(3) {
		case 0:
			b = append(b[:i], append([]byte{c}, b[i:]...)...)
		case 1:
			b = append(b[:i], b[i+1:]...)
		default:
			b[i] = c
		}
		docs = append(docs, string(b))
	}
	valid := 0
	for _, doc := range docs {
		want := json.Valid([]byte(doc))
		if want {
			valid++
		}
		if got := ValidJSONSyntax(doc); got != want {
			t.Errorf("ValidJSONSyntax(%q) = %v, encoding/json %v", doc, got, want)
		}
	}
	if valid < len(docs)/10 {
		t.Errorf("only %d of %d documents valid: the test checks too little", valid, len(docs))
	}
}
