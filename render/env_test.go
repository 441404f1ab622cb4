package render

import (
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookworker/hookworker/internal/jinja"
)

// testLimits keep sandbox tests fast: bombs hit a limit after little work.
var testLimits = Limits{MaxTemplateSize: 2048, MaxOutput: 8 << 10, MaxMemory: 1 << 20, MaxSteps: 200_000, MaxCacheEntries: 64}

// renderString compiles and renders src over vars.
func renderString(t *testing.T, e *Env, src string, vars map[string]any) (string, error) {
	t.Helper()
	tpl, err := e.Compile(src)
	if err != nil {
		return "", err
	}
	return tpl.Render(vars)
}

// TestSandboxRefusesFileStatements: include, import, from and extends
// parse as in Jinja2 and fail when they run, as Jinja2 without a loader
// fails (TypeError), reading no file.
func TestSandboxRefusesFileStatements(t *testing.T) {
	tests := []struct{ name, src string }{
		{"include", "{% include '/etc/hostname' %}"},
		{"include in text", "a{% include 'x.j2' %}b"},
		{"include ignore missing", "{% include '/etc/passwd' ignore missing %}"},
		{"import", "{% import 'macros.j2' as m %}{{ m.x() }}"},
		{"from", "{% from 'macros.j2' import x %}"},
		{"extends", "{% extends 'base.j2' %}"},
		{"extends inside if", "{% if true %}{% extends '/etc/hostname' %}{% endif %}"},
	}
	e := NewEnv(testLimits)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := renderString(t, e, tt.src, nil)
			var je *jinja.Error
			if !errors.As(err, &je) || je.Kind != jinja.TypeError || !strings.Contains(err.Error(), "no loader") {
				t.Fatalf("render = %q, %v; want Jinja2's TypeError: no loader", out, err)
			}
		})
	}
	// Not run, not failed: Jinja2 fails only when the statement runs.
	if out, err := renderString(t, e, "{% if false %}{% include 'x' %}{% endif %}ok", nil); err != nil || out != "ok" {
		t.Errorf("include in an untaken branch: %q, %v", out, err)
	}
}

func TestSandboxLimits(t *testing.T) {
	e := NewEnv(testLimits)
	tests := []struct {
		name    string
		src     string
		wantKey string // the configuration key a BoundError names, or ""
		wantMsg string // substring of the error
	}{
		{"range over the sandbox's MAX_RANGE", "{{ range(100001) | length }}", "", "Range too big"},
		{"range bomb start stop", "{{ range(-100000, 100000) | length }}", "", "MAX_RANGE (100000)"},
		{"range step zero", "{{ range(0, 10, 0) | length }}", "", "must not be zero"},
		{"range not integer", "{{ range('a') | length }}", "", "cannot be interpreted as an integer"},
		{"output bomb repeat", "{% for i in range(1000) %}{{ 'x' * 1000 }}{% endfor %}", jinja.KeyOutput, "8192 bytes"},
		{"output bomb nested loops", "{% for i in range(100) %}{% for j in range(100) %}{% for k in range(100) %}x{% endfor %}{% endfor %}{% endfor %}", jinja.KeyOutput, ""},
		{"step bomb", "{% for i in range(1000) %}{% for j in range(1000) %}{% endfor %}{% endfor %}", jinja.KeySteps, "render.max_steps"},
		{"output bomb one value", "{{ 'x' * 9000 }}", jinja.KeyOutput, ""},
		{"memory bomb", "{{ ('x' * 2000000) | length }}", jinja.KeyMemory, "render.max_memory"},
		{"template too big", "{{ x }}" + strings.Repeat(" ", 2048), jinja.KeyTemplateSize, "2048 bytes"},
		{"static template too big", strings.Repeat("a", 2049), jinja.KeyTemplateSize, ""},
		{"modulo by zero", "{{ 1 % 0 }}", "", "integer division or modulo by zero"},
		{"modulo by zero in loop", "{% for i in range(3) %}{{ i % (i - i) }}{% endfor %}", "", "by zero"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := renderString(t, e, tt.src, map[string]any{"x": 1})
			if err == nil {
				t.Fatalf("no error; output %d bytes", len(out))
			}
			if out != "" {
				t.Errorf("output %q returned with the error", out)
			}
			var be *jinja.BoundError
			if tt.wantKey != "" && (!errors.As(err, &be) || be.Key != tt.wantKey) {
				t.Errorf("error %q is not a bound of %s", err, tt.wantKey)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q does not contain %q", err, tt.wantMsg)
			}
		})
	}
	// The sandbox's range allows exactly 100,000 items.
	out, err := renderString(t, e, "{{ range(100000) | length }}", nil)
	if err != nil || out != "100000" {
		t.Errorf("range(100000): %q, %v", out, err)
	}
	// Output of exactly MaxOutput bytes fits.
	out, err = renderString(t, e, "{{ 'x' * 8192 }}", nil)
	if err != nil || len(out) != 8192 {
		t.Errorf("output of exactly MaxOutput: %d bytes, %v", len(out), err)
	}
}

// TestErrorIsolated checks that a render after a failing one works, from
// the same cached template and from others.
func TestErrorIsolated(t *testing.T) {
	e := NewEnv(testLimits)
	bad, err := e.Compile("{{ n % d }}")
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if _, err := bad.Render(map[string]any{"n": int64(7), "d": int64(0)}); err == nil || !strings.Contains(err.Error(), "by zero") {
			t.Fatalf("render %d: error %v, want ZeroDivisionError", i, err)
		}
		out, err := bad.Render(map[string]any{"n": int64(7), "d": int64(4)})
		if err != nil || out != "3" {
			t.Fatalf("render %d after an error: %q, %v", i, out, err)
		}
	}
}

func TestStaticTemplates(t *testing.T) {
	e := NewEnv(testLimits)
	tests := []struct {
		src, want string
		static    bool
	}{
		{"", "", true},
		{"plain text", "plain text", true},
		{"one newline\n", "one newline", true},
		{"two newlines\n\n", "two newlines\n", true},
		// Jinja2 writes every newline as \n, then drops one at the end.
		{"crlf\r\n", "crlf", true},
		{"a\r\nb\rc\n", "a\nb\nc", true},
		{"https://example.com/a?b=c&d={e}", "https://example.com/a?b=c&d={e}", true},
		{`{"a": 1, "b": [2]}`, `{"a": 1, "b": [2]}`, true},
		{"100% { not jinja }", "100% { not jinja }", true},
		{"unicode é 日本 🎉\n", "unicode é 日本 🎉", true},
		// With Jinja syntax the same newline rule holds.
		{"{{ 'a' }}\n", "a", false},
		{"{{ 'a' }}\n\n", "a\n", false},
		{"{# comment #}text\n", "text", false},
	}
	for _, tt := range tests {
		tpl, err := e.Compile(tt.src)
		if err != nil {
			t.Errorf("Compile(%q): %v", tt.src, err)
			continue
		}
		if tpl.Static() != tt.static {
			t.Errorf("Compile(%q).Static() = %v, want %v", tt.src, tpl.Static(), tt.static)
		}
		if tpl.Source() != tt.src {
			t.Errorf("Source() = %q, want %q", tpl.Source(), tt.src)
		}
		out, err := tpl.Render(map[string]any{"ignored": 1})
		if err != nil || out != tt.want {
			t.Errorf("Render(%q) = %q, %v; want %q", tt.src, out, err, tt.want)
		}
	}
}

func TestCompileCache(t *testing.T) {
	e := NewEnv(testLimits)
	const src = "Hello {{ name }}"
	a, err := e.Compile(src)
	if err != nil {
		t.Fatal(err)
	}
	if n := e.CacheLen(); n != 1 {
		t.Fatalf("CacheLen after one compile = %d, want 1", n)
	}
	b, err := e.Compile(src)
	if err != nil {
		t.Fatal(err)
	}
	if a.Jinja() != b.Jinja() {
		t.Error("same source compiled twice gave different templates")
	}
	if n := e.CacheLen(); n != 1 {
		t.Errorf("CacheLen after recompiling the same source = %d, want 1", n)
	}
	c, err := e.Compile(src + " ")
	if err != nil {
		t.Fatal(err)
	}
	if c.Jinja() == a.Jinja() {
		t.Error("different sources share a template")
	}
	if n := e.CacheLen(); n != 2 {
		t.Errorf("CacheLen after a second source = %d, want 2", n)
	}
	// Failed compiles are not cached.
	if _, err := e.Compile("{{ broken"); err == nil {
		t.Fatal("broken template compiled")
	}
	if n := e.CacheLen(); n != 2 {
		t.Errorf("CacheLen after a failed compile = %d, want 2", n)
	}
	// The cache is bounded.
	small := NewEnv(Limits{MaxCacheEntries: 3})
	for i := 0; i < 10; i++ {
		if _, err := small.Compile("{{ x }}" + strings.Repeat("!", i)); err != nil {
			t.Fatal(err)
		}
		if n := small.CacheLen(); n > 2*3 {
			t.Fatalf("CacheLen %d over twice MaxCacheEntries 3 (templates and expressions)", n)
		}
	}
}

func TestCompileConcurrent(t *testing.T) {
	e := NewEnv(testLimits)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				tpl, err := e.Compile("{{ n }}-{{ m }}")
				if err != nil {
					t.Error(err)
					return
				}
				out, err := tpl.Render(map[string]any{"n": int64(i), "m": int64(g)})
				if want := strconv.Itoa(i) + "-" + strconv.Itoa(g); err != nil || out != want {
					t.Errorf("render = %q, %v; want %q", out, err, want)
					return
				}
			}
		}()
	}
	wg.Wait()
}

func TestExprTruthiness(t *testing.T) {
	e := NewEnv(testLimits)
	vars := map[string]any{
		"empty": "", "zero": int64(0), "fzero": 0.0, "list0": []any{}, "dict0": map[string]any{}, "null": nil,
		"s": "x", "one": int64(1), "neg": int64(-1), "half": 0.5, "list1": []any{int64(0)}, "dict1": map[string]any{"a": nil},
		"yes": true, "no": false,
		"cvars": map[string]any{"age": int64(21), "lang": "en"},
	}
	tests := []struct {
		expr string
		want bool
	}{
		{"empty", false},
		{"zero", false},
		{"fzero", false},
		{"list0", false},
		{"dict0", false},
		{"null", false},
		{"none", false},
		{"None", false},
		{"missing", false},
		{"no", false},
		{"false", false},
		{"''", false},
		{"0", false},
		{"0.0", false},
		{"[]", false},
		{"{}", false},
		{"s", true},
		{"' '", true},
		{"one", true},
		{"neg", true},
		{"half", true},
		{"list1", true},
		{"dict1", true},
		{"yes", true},
		{"true", true},
		{"cvars.age > 18", true},
		{"cvars.age > 21", false},
		{"cvars.lang == 'en' and cvars.age >= 21", true},
		{"cvars.lang == 'fr' or not s", false},
		{"missing is not defined", true},
		{"'x' in s", true},
		{"s | length == 1", true},
	}
	for _, tt := range tests {
		x, err := e.CompileExpr(tt.expr)
		if err != nil {
			t.Errorf("CompileExpr(%q): %v", tt.expr, err)
			continue
		}
		got, err := x.True(vars)
		if err != nil || got != tt.want {
			t.Errorf("True(%q) = %v, %v; want %v", tt.expr, got, err, tt.want)
		}
	}
	// The expression cache returns the same compiled expression.
	a, _ := e.CompileExpr("s")
	b, _ := e.CompileExpr("s")
	if a == nil || b == nil || a.x != b.x {
		t.Error("CompileExpr did not cache")
	}
}

func TestExprErrors(t *testing.T) {
	e := NewEnv(testLimits)
	tests := []struct {
		expr, want string
	}{
		{"", "empty expression"},
		{"   ", "empty expression"},
		{"\n\t", "empty expression"},
		{"{{ x }}", "expected token"},
		{"x }}", "chunk after expression"},
		{"{% if x %}", "unexpected"},
		{"x ==", "unexpected end of template"},
		{"a b", "chunk after expression"},
		{"x | nosuchfilter", "No filter named 'nosuchfilter'"},
		{"x is nosuchtest", "No test named 'nosuchtest'"},
		{"'" + strings.Repeat("a", 2048) + "'", "render.max_template_size"},
	}
	for _, tt := range tests {
		x, err := e.CompileExpr(tt.expr)
		if err == nil {
			t.Errorf("CompileExpr(%q) succeeded", tt.expr)
			continue
		}
		if x != nil {
			t.Errorf("CompileExpr(%q) returned an Expr with its error", tt.expr)
		}
		if !strings.Contains(err.Error(), tt.want) {
			t.Errorf("CompileExpr(%q) error %q does not contain %q", tt.expr, err, tt.want)
		}
	}
	// Evaluation errors, as in Jinja2: division by zero, an attribute of
	// an undefined name.
	for _, src := range []string{"1 % 0", "missing.attr"} {
		x, err := e.CompileExpr(src)
		if err != nil {
			t.Fatalf("CompileExpr(%q): %v", src, err)
		}
		if v, err := x.True(nil); err == nil {
			t.Errorf("True(%q) = %v, want an error", src, v)
		}
	}
}

// TestRenderDoesNotModifyVars checks that {% set %} does not leak into the
// caller's map or into later renders.
func TestRenderDoesNotModifyVars(t *testing.T) {
	e := NewEnv(testLimits)
	vars := map[string]any{"a": "1"}
	out, err := renderString(t, e, "{% set a = 'changed' %}{% set b = 2 %}{{ a }}{{ b }}", vars)
	if err != nil || out != "changed2" {
		t.Fatalf("render = %q, %v", out, err)
	}
	if len(vars) != 1 || vars["a"] != "1" {
		t.Errorf("vars modified: %v", vars)
	}
	out, err = renderString(t, e, "{{ a }}{{ b }}", vars)
	if err != nil || out != "1" {
		t.Errorf("second render = %q, %v; want %q", out, err, "1")
	}
}

// sandboxBombs are templates that once crashed the process or ran without
// bound; each must now fail cleanly and quickly, with a bound exceeded.
var sandboxBombs = []struct{ name, src string }{
	// Recursion is bounded (render.max_call_depth), not a stack overflow.
	{"recursive macro", "{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(1) }}"},
	{"mutually recursive macros", "{% macro a() %}{{ b() }}{% endmacro %}{% macro b() %}{{ a() }}{% endmacro %}{{ a() }}"},
	// The step budget bounds the nest.
	{"nested loops without output", "{% for a in range(1000) %}{% for b in range(1000) %}{% for c in range(1000) %}{% for d in range(1000) %}{% endfor %}{% endfor %}{% endfor %}{% endfor %}"},
	// Output captured by {% set %} and {% filter %} blocks counts as memory.
	{"set block capture", "{% set big %}{% for i in range(1000) %}{% for j in range(1000) %}{{ 'x' * 100 }}{% endfor %}{% endfor %}{% endset %}{{ big | length }}"},
	{"filter block capture", "{% filter length %}{% for i in range(1000) %}{% for j in range(1000) %}{{ 'x' * 100 }}{% endfor %}{% endfor %}{% endfilter %}"},
	// Values that grow inside one expression are counted before they are
	// built.
	{"string repetition", "{{ ('x' * 100000000000) | length }}"},
	{"string repetition from a variable", "{% set s = 'abc' %}{% set n = 40000000000 %}{{ (s * n) | length }}"},
	{"center", "{{ ('x' | center(10000000000)) | length }}"},
	{"format width", "{{ '%999999999s' | format('x') }}"},
	{"doubling", "{% set ns = namespace(s='xx') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s | length }}"},
	{"doubling with +", "{% set ns = namespace(s='xx') %}{% for i in range(40) %}{% set ns.s = ns.s + ns.s %}{% endfor %}{{ ns.s | length }}"},
	{"replace growth", "{% set ns = namespace(s='xy') %}{% for i in range(40) %}{% set ns.s = ns.s | replace('', '--') %}{% endfor %}{{ ns.s | length }}"},
	{"list doubling", "{% set ns = namespace(l=[1]) %}{% for i in range(40) %}{% set ns.l = ns.l + ns.l %}{% endfor %}{{ ns.l | length }}"},
}

func TestSandboxBombs(t *testing.T) {
	e := NewEnv(testLimits)
	for _, b := range sandboxBombs {
		t.Run(b.name, func(t *testing.T) {
			start := time.Now()
			out, err := renderString(t, e, b.src, nil)
			if !jinja.IsBound(err) {
				t.Fatalf("rendered %d bytes, error %v; want a bound exceeded", len(out), err)
			}
			if d := time.Since(start); d > 3*time.Second {
				t.Errorf("took %s to fail: %v", d, err)
			}
		})
	}
}
