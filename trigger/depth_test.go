package trigger

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// jsonDepthRef is jsonDepth as one byte at a time with an escape flag:
// the reference for the faster one.
func jsonDepthRef(data []byte) int {
	depth, deepest := 0, 0
	inString, escaped := false, false
	for _, c := range data {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			depth++
			if depth > deepest {
				deepest = depth
				if deepest > MaxDepth {
					return deepest
				}
			}
		case c == '}' || c == ']':
			depth--
		}
	}
	return deepest
}

var depthSeeds = []string{
	``, `{}`, `[[]]`, `{"a":[{"b":"]]]"}]}`, `"\"[["`, `"\\"[[`, `"\\\"[["`, `"\\\\"[`, `"a\\\\\"{"{`,
	`{"a":"\u005c"}[`, `"unterminated [[[`, `"ends with a backslash \`, `}}}{{`, `]"["[`,
	strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth), strings.Repeat("[", MaxDepth+1),
	strings.Repeat(`{"k":"\\\"",`, 40), `{"body":"{\"order\":{{ orderId | tojson }},\"items\":[{% for it in items %}{}{% endfor %}]}"}`,
}

func TestJSONDepthAsReference(t *testing.T) {
	for _, s := range depthSeeds {
		if got, want := jsonDepth([]byte(s)), jsonDepthRef([]byte(s)); got != want {
			t.Errorf("jsonDepth(%q) = %d, the byte-at-a-time reference %d", s, got, want)
		}
	}
}

func FuzzJSONDepth(f *testing.F) {
	for _, s := range depthSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if got, want := jsonDepth(data), jsonDepthRef(data); got != want {
			t.Fatalf("jsonDepth(%q) = %d, the reference %d", data, got, want)
		}
	})
}

// BenchmarkJSONDepth is the depth check on the bench presets' events
// (compacted, as engines send them), and its byte-at-a-time reference.
func BenchmarkJSONDepth(b *testing.B) {
	for _, name := range []string{"realistic", "heavy"} {
		raw, err := os.ReadFile(filepath.Join("..", "render", "testdata", "bench", name+".json"))
		if err != nil {
			b.Fatal(err)
		}
		var f struct {
			Event json.RawMessage `json:"event"`
		}
		var data bytes.Buffer
		if err := json.Unmarshal(raw, &f); err != nil || json.Compact(&data, f.Event) != nil {
			b.Fatalf("%s: %v", name, err)
		}
		for _, impl := range []struct {
			name  string
			depth func([]byte) int
		}{{"fast", jsonDepth}, {"reference", jsonDepthRef}} {
			b.Run(name+"/"+impl.name, func(b *testing.B) {
				b.SetBytes(int64(data.Len()))
				for b.Loop() {
					impl.depth(data.Bytes())
				}
			})
		}
	}
}
