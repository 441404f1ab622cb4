package mapper

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hookworker/hookworker/internal/golden"

	"github.com/hookworker/hookworker/render"
	"github.com/hookworker/hookworker/trigger/webhook"
)

// goldenCase is one entry of testdata/golden_cases.json.
type goldenCase struct {
	Name         string              `json:"name"`
	Note         string              `json:"note,omitempty"`
	Mappers      []webhook.Mapping   `json:"mappers"`
	Status       int                 `json:"status,omitempty"` // 0 means 200
	Headers      map[string][]string `json:"headers,omitempty"`
	Body         string              `json:"body"` // raw response body text
	CVars        json.RawMessage     `json:"cvars,omitempty"`
	Conversation json.RawMessage     `json:"conversation,omitempty"`
}

func loadGoldenCases(t *testing.T) []goldenCase {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "golden_cases.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cases []goldenCase
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cases); err != nil {
		t.Fatalf("golden_cases.json: %v", err)
	}
	seen := map[string]bool{}
	for _, c := range cases {
		if c.Name == "" || strings.ContainsAny(c.Name, "/ \n") || seen[c.Name] {
			t.Fatalf("golden_cases.json: bad or duplicate case name %q", c.Name)
		}
		seen[c.Name] = true
		if len(c.Mappers) == 0 {
			t.Fatalf("case %s has no mappers", c.Name)
		}
	}
	return cases
}

func (c goldenCase) response() *Response {
	status := c.Status
	if status == 0 {
		status = 200
	}
	return &Response{StatusCode: status, Header: http.Header(c.Headers), Body: []byte(c.Body)}
}

func (c goldenCase) maps(t *testing.T) (cvars, conversation map[string]any) {
	t.Helper()
	if len(c.CVars) > 0 {
		cvars = decodeJSON(t, string(c.CVars)).(map[string]any)
	}
	if len(c.Conversation) > 0 {
		conversation = decodeJSON(t, string(c.Conversation)).(map[string]any)
	}
	return cvars, conversation
}

// TestGolden applies each case's mappers with and without the fast path
// (which must agree) and compares the Output's JSON, or the error, with
// testdata/golden_cases.golden. go test ./mapper -run Golden -update
// rewrites the file.
func TestGolden(t *testing.T) {
	cases := loadGoldenCases(t)
	env := render.NewEnv(render.Limits{})
	var buf bytes.Buffer
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			cvars, conv := c.maps(t)
			out, err := applyOnce(t, env, c.Mappers, c.response(), cvars, conv)
			fmt.Fprintf(&buf, "=== %s\n", c.Name)
			if err != nil {
				fmt.Fprintf(&buf, "error: %v\n", err)
				return
			}
			b, jerr := json.Marshal(out)
			if jerr != nil {
				t.Fatal(jerr)
			}
			buf.Write(b)
			buf.WriteByte('\n')
		})
	}
	path := filepath.Join("testdata", "golden_cases.golden")
	golden.Check(t, path, buf.Bytes())
}

// jinja2Outcome is one entry of testdata/golden_jinja2.json, written by
// testdata/gen_jinja2.py from Jinja2 itself.
type jinja2Outcome struct {
	Value    json.RawMessage `json:"value"`
	Unmapped bool            `json:"unmapped"`
	Error    bool            `json:"error"`
}

// TestGoldenJinja2 runs each mapper of the golden cases on its own and
// compares its outcome (value, unmapped or error) with Jinja2's
// (testdata/golden_jinja2.json, written by testdata/gen_jinja2.py). Values
// are compared as JSON values, so the number 2.0 of Jinja2 equals 2.
// Every mapper must match.
func TestGoldenJinja2(t *testing.T) {
	cases := loadGoldenCases(t)
	data, err := os.ReadFile(filepath.Join("testdata", "golden_jinja2.json"))
	if err != nil {
		t.Fatal(err)
	}
	var oracle map[string]map[string]jinja2Outcome
	if err := json.Unmarshal(data, &oracle); err != nil {
		t.Fatal(err)
	}
	env := render.NewEnv(render.Limits{})
	total := 0
	for _, c := range cases {
		if len(oracle[c.Name]) != len(c.Mappers) {
			t.Errorf("golden_jinja2.json is stale for case %s: rerun testdata/gen_jinja2.py", c.Name)
			continue
		}
		cvars, conv := c.maps(t)
		for _, mp := range c.Mappers {
			id := c.Name + "/" + mp.Name
			total++
			want, ok := oracle[c.Name][mp.Name]
			if !ok {
				t.Errorf("%s: not in golden_jinja2.json", id)
				continue
			}
			out, err := applyOnce(t, env, []webhook.Mapping{mp}, c.response(), cvars, conv)
			if got, same := compareJinja2(out, err, mp.Name, want); !same {
				t.Errorf("%s: mapper %q\n  Jinja2: %s\n  mapper: %s", id, mp.Mapper, describeJinja2(want), got)
			}
		}
	}
	t.Logf("%d mappers match Jinja2", total)
}

func compareJinja2(out Output, err error, name string, want jinja2Outcome) (string, bool) {
	if err != nil {
		var me *Error
		if !errors.As(err, &me) || me.CVar != name {
			return fmt.Sprintf("bad error %T %v", err, err), false
		}
		return "error: " + err.Error(), want.Error
	}
	v, ok := out.CVars[name]
	if !ok {
		return "unmapped", want.Unmapped
	}
	b, merr := json.Marshal(v)
	if merr != nil {
		return "unmarshalable " + merr.Error(), false
	}
	if want.Value == nil {
		return string(b), false
	}
	eq, jerr := jsonEqual(b, want.Value)
	return string(b), jerr == nil && eq
}

func describeJinja2(o jinja2Outcome) string {
	switch {
	case o.Error:
		return "error"
	case o.Unmapped:
		return "unmapped"
	}
	return string(o.Value)
}
