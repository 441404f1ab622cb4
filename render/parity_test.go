package render

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/hookworker/hookworker/internal/jinja"
)

// parityCase is one entry of testdata/parity/cases.json, written by
// testdata/parity/gen.py from Jinja2 itself.
type parityCase struct {
	Name     string          `json:"name"`
	Template string          `json:"template"`
	Context  json.RawMessage `json:"context"`
	Want     *string         `json:"want"`
	Error    bool            `json:"error"`
}

func loadParityCases(t *testing.T) []parityCase {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "parity", "cases.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cases []parityCase
	if err := json.Unmarshal(data, &cases); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, c := range cases {
		if seen[c.Name] {
			t.Fatalf("duplicate case %q", c.Name)
		}
		seen[c.Name] = true
		if (c.Want == nil) == !c.Error {
			t.Fatalf("case %q: exactly one of want and error must be set", c.Name)
		}
	}
	return cases
}

// TestJinja2Parity renders every case of the Jinja2 oracle and compares
// with Jinja2's output: every case must match. The context is decoded as
// json.loads does (objects in order), as the worker reads an event's cvars.
func TestJinja2Parity(t *testing.T) {
	env := NewEnv(Limits{})
	for _, c := range loadParityCases(t) {
		t.Run(c.Name, func(t *testing.T) {
			ctx, err := jinja.DecodeJSON(string(c.Context), 0)
			if err != nil {
				t.Fatalf("context: %v", err)
			}
			tpl, err := env.Compile(c.Template)
			var got string
			if err == nil {
				got, err = env.Engine().NewRenderer(ctx.Dict()).Render(tpl.Jinja())
			}
			switch {
			case c.Error && err == nil:
				t.Errorf("template %s\n  Jinja2: an error\n  engine: %s", strconvQuote(c.Template), strconvQuote(got))
			case !c.Error && err != nil:
				t.Errorf("template %s\n  Jinja2: %s\n  engine: error: %v", strconvQuote(c.Template), strconvQuote(*c.Want), err)
			case !c.Error && got != *c.Want:
				t.Errorf("template %s\n  Jinja2: %s\n  engine: %s", strconvQuote(c.Template), strconvQuote(*c.Want), strconvQuote(got))
			}
		})
	}
}

func strconvQuote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
