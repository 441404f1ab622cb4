package trigger

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// sameAsDecode fails t unless DecodeLazy gives what Decode gives for
// data: the same error, or the same event once CVarsMap and ContextMap
// are read (and, before that, maps only where Decode took the slow path).
func sameAsDecode(t *testing.T, data []byte) {
	t.Helper()
	want, wantErr := Decode(data)
	got, err := (*Decoder)(nil).DecodeLazy(data)
	if (err == nil) != (wantErr == nil) || err != nil && err.Error() != wantErr.Error() {
		t.Fatalf("DecodeLazy error %v, Decode's %v, on\n%s", err, wantErr, clip(string(data)))
	}
	if err != nil {
		var fe, wfe *FieldError
		if !errors.As(err, &fe) || !errors.As(wantErr, &wfe) || fe.Field != wfe.Field {
			t.Fatalf("DecodeLazy error %#v, Decode's %#v", err, wantErr)
		}
		return
	}
	if !reflect.DeepEqual(got.CVarsJSON, want.CVarsJSON) || !reflect.DeepEqual(got.ContextJSON, want.ContextJSON) {
		t.Fatalf("the JSON of cvars or context differs: %s %s, want %s %s", got.CVarsJSON, got.ContextJSON, want.CVarsJSON, want.ContextJSON)
	}
	got.CVarsMap()
	got.ContextMap()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("DecodeLazy, maps read: %#v\nDecode: %#v", got, want)
	}
}

// FuzzDecodeLazy: DecodeLazy accepts and refuses what Decode does, with
// the same errors, and its event (maps read) is Decode's. The seeds are
// FuzzDecodeFast's and FuzzDecode's (testdata/fuzz/FuzzDecode, added by
// TestDecodeLazySameAsDecode).
func FuzzDecodeLazy(f *testing.F) {
	for _, s := range fastSeeds {
		f.Add([]byte(s.json))
	}
	f.Fuzz(func(t *testing.T, data []byte) { sameAsDecode(t, data) })
}

// TestDecodeLazySameAsDecode runs sameAsDecode over the invalid events
// of TestDecodeInvalid, the fast path's seeds and FuzzDecode's corpus.
func TestDecodeLazySameAsDecode(t *testing.T) {
	type input struct{ name, data string }
	var ins []input
	for _, c := range invalidCases {
		ins = append(ins, input{"invalid/" + c.name, c.in})
	}
	for i, s := range fastSeeds {
		ins = append(ins, input{"seed/" + string(rune('a'+i)), s.json})
	}
	files, err := filepath.Glob(filepath.Join("testdata", "fuzz", "FuzzDecode", "*"))
	if err != nil || len(files) == 0 {
		t.Fatalf("FuzzDecode corpus: %v %v", files, err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		data, ok := corpusBytes(string(b))
		if !ok {
			t.Fatalf("%s: not a []byte corpus entry", f)
		}
		ins = append(ins, input{"corpus/" + filepath.Base(f), data})
	}
	ins = append(ins, input{"full", fullEvent})
	for _, in := range ins {
		t.Run(in.name, func(t *testing.T) { sameAsDecode(t, []byte(in.data)) })
	}
}

// corpusBytes is the []byte value of a "go test fuzz v1" file.
func corpusBytes(file string) (string, bool) {
	_, rest, ok := strings.Cut(file, "\n")
	rest = strings.TrimSpace(rest)
	inner, ok2 := strings.CutPrefix(rest, "[]byte(")
	inner, ok3 := strings.CutSuffix(inner, ")")
	if !ok || !ok2 || !ok3 {
		return "", false
	}
	s, err := strconv.Unquote(inner)
	return s, err == nil
}

func TestDecodeLazyLeavesVarsAsText(t *testing.T) {
	tests := []struct {
		name, event string
		cvars, ctx  map[string]any // after CVarsMap and ContextMap
		lazy        bool           // CVars and Context nil before
	}{
		{"objects", `{"id":"e","bot_id":"b","conversation_id":"c","webhook_ref":"w","cvars":{"n":1,"s":"x"},"context":{"language":"en"}}`,
			map[string]any{"n": json.Number("1"), "s": "x"}, map[string]any{"language": "en"}, true},
		{"empty objects", `{"id":"e","bot_id":"b","conversation_id":"c","webhook_ref":"w","cvars":{},"context":{}}`,
			map[string]any{}, map[string]any{}, true},
		{"none", `{"id":"e","bot_id":"b","conversation_id":"c","webhook_ref":"w"}`, nil, nil, true},
		{"null cvars: the slow path, decoded", `{"id":"e","bot_id":"b","conversation_id":"c","webhook_ref":"w","cvars":null,"context":{"a":[1]}}`,
			nil, map[string]any{"a": []any{json.Number("1")}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, err := (*Decoder)(nil).DecodeLazy([]byte(tt.event))
			if err != nil {
				t.Fatal(err)
			}
			if tt.lazy && (ev.CVars != nil || ev.Context != nil) {
				t.Errorf("decoded up front: %v %v", ev.CVars, ev.Context)
			}
			if !tt.lazy && ev.Context == nil {
				t.Errorf("the slow path left context undecoded")
			}
			if got := ev.CVarsMap(); !reflect.DeepEqual(got, tt.cvars) {
				t.Errorf("CVarsMap %#v, want %#v", got, tt.cvars)
			}
			if got := ev.ContextMap(); !reflect.DeepEqual(got, tt.ctx) {
				t.Errorf("ContextMap %#v, want %#v", got, tt.ctx)
			}
		})
	}
}
