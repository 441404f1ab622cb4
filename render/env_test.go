package render

import (
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// testLimits keep sandbox tests fast: bombs hit a limit after little work.
var testLimits = Limits{MaxTemplateSize: 2048, MaxOutput: 8 << 10, MaxRange: 1000, MaxCacheEntries: 64}

// renderString compiles and renders src over vars.
func renderString(t *testing.T, e *Env, src string, vars map[string]any) (string, error) {
	t.Helper()
	tpl, err := e.Compile(src)
	if err != nil {
		return "", err
	}
	return tpl.Render(vars)
}

func TestSandboxRefusesFileStatements(t *testing.T) {
	tests := []struct {
		name, src, stmt string
	}{
		{"include", "{% include '/etc/hostname' %}", "include"},
		{"include in text", "a{% include 'x.j2' %}b", "include"},
		{"include ignore missing", "{% include '/etc/passwd' ignore missing %}", "include"},
		{"import", "{% import 'macros.j2' as m %}{{ m.x() }}", "import"},
		{"from", "{% from 'macros.j2' import x %}", "from"},
		{"extends", "{% extends 'base.j2' %}", "extends"},
		{"extends inside if", "{% if true %}{% extends '/etc/hostname' %}{% endif %}", "extends"},
	}
	e := NewEnv(testLimits)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tpl, err := e.Compile(tt.src)
			if err == nil {
				out, rerr := tpl.Render(nil)
				t.Fatalf("Compile(%q) succeeded; render gave %q, %v", tt.src, out, rerr)
			}
			want := `"` + tt.stmt + `" is not allowed`
			if !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "sandboxed") {
				t.Errorf("error %q does not say %s and sandboxed", err, want)
			}
			if e.CacheLen() != 0 {
				t.Errorf("a refused template was cached (CacheLen %d)", e.CacheLen())
			}
		})
	}
}

func TestSandboxLimits(t *testing.T) {
	e := NewEnv(testLimits)
	tests := []struct {
		name    string
		src     string
		wantIs  error  // matched with errors.Is
		wantMsg string // substring of the error
	}{
		{"range bomb", "{% for i in range(100000) %}{{ i }}{% endfor %}", nil, "range: 100000 items, over the limit of 1000"},
		{"range bomb filtered", "{{ range(100000) | length }}", nil, "over the limit of 1000"},
		{"range bomb start stop", "{{ range(-100000, 100000) | length }}", nil, "200000 items"},
		{"range negative step", "{{ range(100000, 0, -1) | length }}", nil, "100000 items"},
		{"range step zero", "{{ range(0, 10, 0) | length }}", nil, "step cannot be 0"},
		{"range not integer", "{{ range('a') | length }}", nil, "arguments must be integers"},
		{"output bomb repeat", "{% for i in range(1000) %}{{ 'x' * 1000 }}{% endfor %}", ErrOutputLimit, "8192 bytes"},
		{"output bomb nested loops", "{% for i in range(100) %}{% for j in range(100) %}{% for k in range(100) %}x{% endfor %}{% endfor %}{% endfor %}", ErrOutputLimit, ""},
		{"output bomb one value", "{{ 'x' * 9000 }}", ErrOutputLimit, ""},
		{"template too big", "{{ x }}" + strings.Repeat(" ", 2048), ErrTemplateLimit, "2055 bytes, limit 2048"},
		{"static template too big", strings.Repeat("a", 2049), ErrTemplateLimit, ""},
		{"modulo by zero", "{{ 1 % 0 }}", ErrPanic, "divide by zero"},
		{"modulo by zero in loop", "{% for i in range(3) %}{{ i % (i - i) }}{% endfor %}", ErrPanic, ""},
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
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("error %q is not %v", err, tt.wantIs)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q does not contain %q", err, tt.wantMsg)
			}
		})
	}
	// The range cap allows exactly MaxRange items.
	out, err := renderString(t, e, "{{ range(1000) | length }}", nil)
	if err != nil || out != "1000" {
		t.Errorf("range(1000) with MaxRange 1000: %q, %v", out, err)
	}
	// Output of exactly MaxOutput bytes fits.
	out, err = renderString(t, e, "{{ 'x' * 8192 }}", nil)
	if err != nil || len(out) != 8192 {
		t.Errorf("output of exactly MaxOutput: %d bytes, %v", len(out), err)
	}
}

// TestPanicIsolated checks that a render after a panicking one works, from
// the same cached template and from others.
func TestPanicIsolated(t *testing.T) {
	e := NewEnv(testLimits)
	bad, err := e.Compile("{{ n % d }}")
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if _, err := bad.Render(map[string]any{"n": int64(7), "d": int64(0)}); !errors.Is(err, ErrPanic) {
			t.Fatalf("render %d: error %v, want ErrPanic", i, err)
		}
		out, err := bad.Render(map[string]any{"n": int64(7), "d": int64(4)})
		if err != nil || out != "3" {
			t.Fatalf("render %d after a panic: %q, %v", i, out, err)
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
	if a != b {
		t.Error("same source compiled twice gave different *Template")
	}
	if n := e.CacheLen(); n != 1 {
		t.Errorf("CacheLen after recompiling the same source = %d, want 1", n)
	}
	c, err := e.Compile(src + " ")
	if err != nil {
		t.Fatal(err)
	}
	if c == a {
		t.Error("different sources share a *Template")
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
	// The cache is bounded: when full, it starts again.
	small := NewEnv(Limits{MaxCacheEntries: 3})
	for i := 0; i < 10; i++ {
		if _, err := small.Compile("{{ x }}" + strings.Repeat("!", i)); err != nil {
			t.Fatal(err)
		}
		if n := small.CacheLen(); n > 3 {
			t.Fatalf("CacheLen %d over MaxCacheEntries 3", n)
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
	if n := e.CacheLen(); n != 1 {
		t.Errorf("CacheLen = %d, want 1", n)
	}
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
		// {} as a literal is true in gonja (false in Jinja2): see the parity
		// cases; an empty dict from the variables is false, as above.
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
	// The expression cache returns the same *Expr.
	a, _ := e.CompileExpr("s")
	b, _ := e.CompileExpr("s")
	if a == nil || a != b {
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
		{"{{ x }}", "without {{ }}"},
		{"x }}", "without {{ }}"},
		{"{% if x %}", "without {{ }}"},
		{"x ==", "parse"},
		{"a b", "parse"},
		{"'" + strings.Repeat("a", 2048) + "'", "template over the size limit"},
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
	// Unknown filters and tests are refused when compiled, as Jinja2
	// does, even where they would never run.
	for _, src := range []string{"x | nosuchfilter", "x is nosuchtest", "false and (x | nosuchfilter)"} {
		if _, err := e.CompileExpr(src); err == nil || !strings.Contains(err.Error(), "no") || !strings.Contains(err.Error(), "named 'nosuch") {
			t.Errorf("CompileExpr(%q): %v, want no filter/test named ...", src, err)
		}
	}
	// Evaluation errors: a panic and a missing attribute of None.
	for _, src := range []string{"1 % 0", "missing.attr"} {
		x, err := e.CompileExpr(src)
		if err != nil {
			t.Fatalf("CompileExpr(%q): %v", src, err)
		}
		if v, err := x.True(nil); err == nil {
			t.Errorf("True(%q) = %v, want an error", src, v)
		}
	}
	x, _ := e.CompileExpr("1 % 0")
	if _, err := x.True(nil); !errors.Is(err, ErrPanic) {
		t.Errorf("True(1 %% 0) error %v, want ErrPanic", err)
	}
}

// TestTemplateExpression checks the single-expression detection used for
// typed mappers.
func TestTemplateExpression(t *testing.T) {
	e := NewEnv(testLimits)
	tests := []struct {
		src  string
		want bool
	}{
		{"{{ x }}", true},
		{"  {{ x.y[0] | upper }}\n", true},
		{"{{ x }}{{ y }}", false},
		{"a{{ x }}", false},
		{"{% if x %}{{ x }}{% endif %}", false},
		{"plain", false},
	}
	for _, tt := range tests {
		tpl, err := e.Compile(tt.src)
		if err != nil {
			t.Fatalf("Compile(%q): %v", tt.src, err)
		}
		if got := tpl.Expression() != nil; got != tt.want {
			t.Errorf("Compile(%q).Expression() != nil is %v, want %v", tt.src, got, tt.want)
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

// sandboxHoles are templates that escape the sandbox's limits today: each
// crashes the process, runs for minutes or allocates without bound. They
// are holes in env.go (or gonja below it), reported and not fixed here.
// TestSandboxKnownHoles runs them in a child process when
// HOOKWORKER_SANDBOX_HOLES=1; it passes once env.go bounds them all, and
// FuzzRender skips inputs that look like them (see looksLikeSandboxHole).
// sandboxBombs are templates that once crashed the process or ran without
// bound; each must now fail cleanly (at compile or render) and quickly.
var sandboxBombs = []struct{ name, src string }{
	// Go's stack overflow is fatal: macros are refused at compile.
	{"recursive macro", "{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(1) }}"},
	{"mutually recursive macros", "{% macro a() %}{{ b() }}{% endmacro %}{% macro b() %}{{ a() }}{% endmacro %}{{ a() }}"},
	// range is capped per call; the render's time budget bounds the nest.
	{"nested loops without output", "{% for a in range(1000) %}{% for b in range(1000) %}{% for c in range(1000) %}{% for d in range(1000) %}{% endfor %}{% endfor %}{% endfor %}{% endfor %}"},
	// Output captured by {% set %} and {% filter %} blocks is not counted
	// against MaxOutput, but the loops that fill it hit the time budget.
	{"set block capture", "{% set big %}{% for i in range(1000) %}{% for j in range(1000) %}{{ 'x' * 100 }}{% endfor %}{% endfor %}{% endset %}{{ big | length }}"},
	{"filter block capture", "{% filter length %}{% for i in range(1000) %}{% for j in range(1000) %}{{ 'x' * 100 }}{% endfor %}{% endfor %}{% endfilter %}"},
	// Values that grow inside one expression are checked before they are
	// built: `*`, `+`, `~` and the width of center, indent, wordwrap and
	// format.
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
	limits := testLimits
	limits.MaxRenderTime = 100 * time.Millisecond
	e := NewEnv(limits)
	for _, b := range sandboxBombs {
		t.Run(b.name, func(t *testing.T) {
			start := time.Now()
			out, err := renderString(t, e, b.src, nil)
			if err == nil {
				t.Fatalf("rendered %d bytes without error", len(out))
			}
			if d := time.Since(start); d > 3*time.Second {
				t.Errorf("took %s to fail: %v", d, err)
			}
		})
	}
}
