package jinja

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// oracleCase is one Jinja2 outcome recorded by testdata/oracle/gen (see
// its README): exactly one of Want, WantJSON, Undefined, Error is set.
type oracleCase struct {
	Name      string          `json:"name"`
	Template  string          `json:"template"`
	Context   json.RawMessage `json:"context"`
	Mode      string          `json:"mode"`
	Want      *string         `json:"want"`
	WantJSON  *string         `json:"want_json"`
	Undefined bool            `json:"undefined"`
	Error     string          `json:"error"`
	Message   string          `json:"message"`
}

// outcome is what the engine did with a case, in the corpus's terms.
type outcome struct {
	kind    string // "want", "want_json", "undefined", "error"
	text    string // the output, the JSON, or the error class
	message string // the error message
}

func (o outcome) String() string {
	if o.kind == "error" {
		return fmt.Sprintf("error %s: %s", o.text, o.message)
	}
	return fmt.Sprintf("%s %q", o.kind, o.text)
}

func (c *oracleCase) expected() outcome {
	switch {
	case c.Error != "":
		return outcome{kind: "error", text: c.Error, message: c.Message}
	case c.Undefined:
		return outcome{kind: "undefined"}
	case c.WantJSON != nil:
		return outcome{kind: "want_json", text: *c.WantJSON}
	case c.Want != nil:
		return outcome{kind: "want", text: *c.Want}
	}
	return outcome{kind: "invalid case"}
}

func loadOracle(t testing.TB) map[string][]*oracleCase {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "oracle", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no oracle files: %v", err)
	}
	out := map[string][]*oracleCase{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var cases []*oracleCase
		if err := json.Unmarshal(data, &cases); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out[strings.TrimSuffix(filepath.Base(f), ".json")] = cases
	}
	return out
}

// errorOutcome names err as the corpus does: the Python exception class.
func errorOutcome(err error) outcome {
	var je *Error
	if errors.As(err, &je) {
		return outcome{kind: "error", text: string(je.Kind), message: je.Msg}
	}
	var be *BoundError
	if errors.As(err, &be) {
		return outcome{kind: "error", text: "BoundError", message: be.Error()}
	}
	return outcome{kind: "error", text: fmt.Sprintf("%T", err), message: err.Error()}
}

// runOracle evaluates one case the way gen/oracle.py's evaluate() does.
func runOracle(env *Env, template string, context []byte, mode string) outcome {
	ctx := func() (*Dict, error) {
		v, err := DecodeJSON(string(context), 0)
		if err != nil {
			return nil, err
		}
		if v.Dict() == nil {
			return nil, fmt.Errorf("context is not an object")
		}
		return v.Dict(), nil
	}
	render := func() outcome {
		d, err := ctx()
		if err != nil {
			return outcome{kind: "bad context", text: err.Error()}
		}
		t, err := env.Compile(template)
		if err != nil {
			return errorOutcome(err)
		}
		s, err := env.NewRenderer(d).Render(t)
		if err != nil {
			return errorOutcome(err)
		}
		return outcome{kind: "want", text: s}
	}
	if mode == "render" {
		return render()
	}
	if !strings.HasPrefix(template, "{{") || !strings.HasSuffix(template, "}}") {
		return outcome{kind: "bad case", text: "expr case is not one {{ expression }}"}
	}
	d, err := ctx()
	if err != nil {
		return outcome{kind: "bad context", text: err.Error()}
	}
	x, err := env.CompileExpr(template[2 : len(template)-2])
	if err != nil {
		return errorOutcome(err)
	}
	r := env.NewRenderer(d)
	v, err := r.Eval(x)
	if err != nil {
		return errorOutcome(err)
	}
	if v.IsUndefined() {
		return outcome{kind: "undefined"}
	}
	if JSONable(v) {
		s, err := r.DumpJSON(v)
		if err != nil {
			return errorOutcome(err)
		}
		return outcome{kind: "want_json", text: s}
	}
	return render()
}

// matches compares an outcome with Jinja2's. Error messages are compared
// by class only; messageMatches tells whether the text is the same too.
func matches(got, want outcome) bool {
	if got.kind != want.kind {
		return false
	}
	return got.text == want.text
}

// TestOracle runs every case of testdata/oracle against the engine: each
// must give Jinja2's outcome (output, JSON value, undefined, or the same
// exception class).
func TestOracle(t *testing.T) {
	corpus := loadOracle(t)
	cats := make([]string, 0, len(corpus))
	for c := range corpus {
		cats = append(cats, c)
	}
	sort.Strings(cats)
	total, passed, msgSame, errCases := 0, 0, 0, 0
	var report []string
	for _, cat := range cats {
		ok := 0
		t.Run(cat, func(t *testing.T) {
			for _, c := range corpus[cat] {
				env := NewEnv(Limits{})
				got := runOracle(env, c.Template, c.Context, c.Mode)
				want := c.expected()
				if want.kind == "error" {
					errCases++
					if got.kind == "error" && got.message == want.message {
						msgSame++
					}
				}
				if matches(got, want) {
					ok++
					continue
				}
				t.Errorf("%s (%s)\ntemplate: %q\ncontext:  %s\ngot:  %s\nwant: %s", c.Name, c.Mode, c.Template, c.Context, got, want)
			}
		})
		total += len(corpus[cat])
		passed += ok
		report = append(report, fmt.Sprintf("%-11s %5d/%5d %6.2f%%", cat, ok, len(corpus[cat]), 100*float64(ok)/float64(len(corpus[cat]))))
	}
	t.Logf("oracle pass rates:\n%s\n%-11s %5d/%5d %6.2f%%\nerror messages identical: %d/%d",
		strings.Join(report, "\n"), "total", passed, total, 100*float64(passed)/float64(total), msgSame, errCases)
}
