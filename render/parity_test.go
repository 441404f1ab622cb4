package render

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nikolalohinski/gonja/v2/builtins"
	"github.com/nikolalohinski/gonja/v2/exec"
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

// loadKnownDivergences reads known_divergences.txt: one case name per
// line, blank lines and # comments ignored. A name written "~name" is a
// case whose output order is not defined (Go map order), so it may match
// Jinja2 on one run and not on the next: either outcome is accepted.
func loadKnownDivergences(t *testing.T) (known, unordered map[string]bool) {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "parity", "known_divergences.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	known, unordered = map[string]bool{}, map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		if line = strings.TrimSpace(line); line == "" {
			continue
		}
		if name, ok := strings.CutPrefix(line, "~"); ok {
			unordered[name] = true
			continue
		}
		if known[line] {
			t.Fatalf("known_divergences.txt lists %q twice", line)
		}
		known[line] = true
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return known, unordered
}

// decodeParityContext decodes a case context the way the worker decodes
// event data: UseNumber, then Normalize.
func decodeParityContext(t *testing.T, raw json.RawMessage) map[string]any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var ctx map[string]any
	if err := dec.Decode(&ctx); err != nil {
		t.Fatalf("context: %v", err)
	}
	return Normalize(ctx).(map[string]any)
}

// TestJinja2Parity renders every case of the Jinja2 oracle and compares
// with Jinja2's output. Cases in known_divergences.txt must still differ
// (so the list stays honest); every other case must match.
func TestJinja2Parity(t *testing.T) {
	cases := loadParityCases(t)
	known, unordered := loadKnownDivergences(t)
	names := map[string]bool{}
	for _, c := range cases {
		names[c.Name] = true
	}
	for name := range unordered {
		if !names[name] {
			t.Errorf("known_divergences.txt lists ~%q, which is not a case of cases.json", name)
		}
	}
	for name := range known {
		if !names[name] {
			t.Errorf("known_divergences.txt lists %q, which is not a case of cases.json", name)
		}
	}

	env := NewEnv(Limits{})
	matched := 0
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			vars := decodeParityContext(t, c.Context)
			got, err := renderParity(env, c.Template, vars)
			same := c.Error && err != nil || !c.Error && err == nil && got == *c.Want
			if unordered[c.Name] {
				if !same && err != nil {
					t.Errorf("unordered case failed: %v", err)
				}
				return
			}
			if same {
				matched++
				if known[c.Name] {
					t.Errorf("now matches Jinja2: remove %q from known_divergences.txt", c.Name)
				}
				return
			}
			if known[c.Name] {
				return
			}
			want := "error"
			if !c.Error {
				want = strconvQuote(*c.Want)
			}
			if err != nil {
				t.Errorf("template %s\n  Jinja2: %s\n  gonja:  error: %v", strconvQuote(c.Template), want, err)
			} else {
				t.Errorf("template %s\n  Jinja2: %s\n  gonja:  %s", strconvQuote(c.Template), want, strconvQuote(got))
			}
		})
	}
	t.Logf("%d cases: %d match Jinja2, %d known divergences", len(cases), matched, len(known))
}

func renderParity(env *Env, src string, vars map[string]any) (string, error) {
	tpl, err := env.Compile(src)
	if err != nil {
		return "", err
	}
	return tpl.Render(vars)
}

func strconvQuote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// TestParityStrReplace checks parityMethods: str.replace's count is
// optional, as in Python, and the other str methods are kept.
func TestParityStrReplace(t *testing.T) {
	m := parityMethods(builtins.Methods)
	replace, ok := m.Str.Get("replace")
	if !ok {
		t.Fatal("no replace method")
	}
	args := func(a ...any) *exec.VarArgs {
		va := exec.NewVarArgs()
		for _, x := range a {
			va.Args = append(va.Args, exec.AsValue(x))
		}
		return va
	}
	for _, c := range []struct {
		self string
		args *exec.VarArgs
		want string
	}{
		{"hello", args("l", "L"), "heLLo"},
		{"hello", args("l", "L", 1), "heLlo"},
		{"hello", args("l", "L", 0), "hello"},
		{"hello", args("l", "L", -1), "heLLo"},
		{"ab", args("", "-"), "-a-b-"},
	} {
		got, err := replace(c.self, exec.AsValue(c.self), c.args)
		if err != nil || got != c.want {
			t.Errorf("%q.replace%v = %v, %v; want %q", c.self, c.args.Args, got, err, c.want)
		}
	}
	if _, err := replace("x", exec.AsValue("x"), args("x")); err == nil {
		t.Error("replace with one argument: no error")
	}
	for _, name := range []string{"upper", "split", "startswith", "strip"} {
		if _, ok := m.Str.Get(name); !ok {
			t.Errorf("str.%s is gone", name)
		}
	}
	if m.Dict != builtins.Methods.Dict || m.List != builtins.Methods.List {
		t.Error("only the str methods should change")
	}
}

// TestParityFiltersNoPanic runs the replaced filters over odd inputs: each
// gives a value or a clean error, never a panic.
func TestParityFiltersNoPanic(t *testing.T) {
	env := NewEnv(Limits{})
	cyc := map[string]any{"a": 1}
	cyc["cyc"] = cyc
	deep := []any{}
	for range 1000 {
		deep = []any{deep}
	}
	vars := map[string]any{
		"cyc": cyc, "deep": deep, "fn": func() {}, "ch": make(chan int),
		"ints": []int{3, 1, 2}, "bytes": []byte("ab"), "ptr": &struct{ X int }{1},
		"nilmap": map[string]any(nil), "u": uint64(1 << 63), "f32": float32(0.1),
		"anykeys": map[any]any{1: "a", "b": 2}, "intkeys": map[int]string{2: "b", 1: "a"},
	}
	filters := []string{
		"tojson", "tojson(indent=2)", "round", "round(2, 'ceil')", "round(-400, 'floor')",
		"round(400)", "sum", "sum(attribute='x')", "sum(start=[])", "format", "format(1, 2)",
		"wordcount", "urlencode", "upper", "lower", "min", "max", "max(attribute='x')",
		"min(attribute=0)",
	}
	names := []string{"deep", "fn", "ch", "ints", "bytes", "ptr", "nilmap", "u",
		"f32", "anykeys", "intkeys", "missing", "none", "'%s %(x)s'", "1e308", "-1e308", "'%*d'"}
	for _, f := range filters {
		for _, n := range names {
			src := "{{ " + n + "|" + f + " }}"
			tpl, err := env.Compile(src)
			if err != nil {
				t.Fatalf("%s: %v", src, err)
			}
			if _, err := tpl.Render(vars); errors.Is(err, ErrPanic) {
				t.Errorf("%s: %v", src, err)
			}
		}
	}
	for _, src := range []string{"{{ cyc|tojson }}", "{{ deep|tojson }}", "{{ fn|tojson }}"} {
		tpl, err := env.Compile(src)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tpl.Render(vars); err == nil || errors.Is(err, ErrPanic) {
			t.Errorf("%s: want a clean error, got %v", src, err)
		}
	}
	for src, want := range map[string]string{
		"{{ ints|tojson }}":          "[3, 1, 2]",
		"{{ intkeys|tojson }}":       `{"1": "a", "2": "b"}`,
		"{{ u|tojson }}":             "9223372036854775808",
		"{{ f32|tojson }}":           "0.10000000149011612",
		"{{ ints|max }}":             "3",
		"{{ ints|sum }}":             "6",
		"{{ u|round(-1) }}":          "9223372036854775810",
		"{{ '%s'|format(ints) }}":    "[3, 1, 2]",
		"{{ 'x'|tojson(indent=1) }}": `"x"`,
	} {
		tpl, err := env.Compile(src)
		if err != nil {
			t.Fatal(err)
		}
		got, err := tpl.Render(vars)
		if err != nil || got != want {
			t.Errorf("%s = %q, %v; want %q", src, got, err, want)
		}
	}
}
