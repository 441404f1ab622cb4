package render

import (
	"strings"
	"testing"
)

func clip(s string) string {
	if len(s) > 60 {
		return s[:60] + "…"
	}
	return s
}

// gonjaRender renders t with gonja's renderer, never the fast path.
func gonjaRender(t *Template, vars map[string]any) (string, error) {
	return t.render(t.env.renderEnv(vars))
}

// TestRenderFastMatchesGonja: for every Jinja2 parity case and a table of
// request-shaped templates, wherever the fast path renders, gonja's
// renderer gives the same output; and the fast path takes the shapes it is
// for.
func TestRenderFastMatchesGonja(t *testing.T) {
	env := NewEnv(Limits{})
	vars := map[string]any{
		"self": "mine", budgetKey: "b",
		"id": int64(388), "neg": int64(-7), "name": "Ana <b> & 'x' \"y\" \\ é \u2028 \x01", "empty": "",
		"f": 1.5, "yes": true, "none": nil, "list": []any{"a"}, "big": uint64(1 << 63),
	}
	tests := []struct {
		src  string
		fast bool // the fast path must take it with vars
	}{
		{"https://x/tickets/{{ id }}", true},
		{`{"id": {{ id }}, "name": {{ name | tojson }}, "n": {{ neg|tojson }}, "e": {{ empty | tojson }}}`, true},
		{"{{name}}{{ id }}\n", true},
		{"  a {{- name -}}  b\n\n", true},
		{"{% raw %}x{% endraw %}{{ id }}", false},
		{"{{ f }}", false},
		{"{{ yes }}", false},
		{"{{ none }}", false},
		{"{{ missing }}", false},
		{"{{ list | tojson }}", false},
		{"{{ big }}", false},
		{"{{ name | upper }}", false},
		{"{{ name | tojson(indent=2) }}", false},
		{"{{ id if id }}", false},
		{"{{ cvars.x }}", false},
		{"{{ self }}", false},                // gonja's renderer sets self over the vars
		{"{{ __hookworker_budget }}", false}, // so does Template.exec
	}
	for _, tt := range tests {
		tpl, err := env.Compile(tt.src)
		if err != nil {
			t.Fatalf("%q: %v", tt.src, err)
		}
		fast, ok := "", false
		if tpl.fast != nil {
			fast, ok = tpl.renderFast(vars)
		}
		if ok != tt.fast {
			t.Errorf("%q: fast path took it: %v, want %v", tt.src, ok, tt.fast)
		}
		slow, err := gonjaRender(tpl, vars)
		if ok && (err != nil || slow != fast) {
			t.Errorf("%q: fast %q, gonja %q (%v)", tt.src, fast, slow, err)
		}
		// Through the public API, which takes the fast path when it can:
		// the same output or error as gonja.
		pub, perr := tpl.Render(vars)
		if pub != slow || (perr == nil) != (err == nil) {
			t.Errorf("%q: Render %q (%v), gonja %q (%v)", clip(tt.src), clip(pub), perr, clip(slow), err)
		}
	}

	// Text after the last variable counts against the output budget too.
	small := NewEnv(Limits{MaxOutput: 10})
	tpl, err := small.Compile("{{ s }}0123456789abc")
	if err != nil {
		t.Fatal(err)
	}
	if out, ok := tpl.renderFast(map[string]any{"s": "x"}); ok {
		t.Errorf("the fast path rendered %q, over the 10-byte budget", out)
	}
	if out, err := tpl.Render(map[string]any{"s": "x"}); err == nil {
		t.Errorf("Render gave %q, want the output budget's error", out)
	}

	took := 0
	for _, c := range loadParityCases(t) {
		vars := decodeParityContext(t, c.Context)
		tpl, err := env.Compile(c.Template)
		if err != nil || tpl.fast == nil {
			continue
		}
		fast, ok := tpl.renderFast(vars)
		if !ok {
			continue
		}
		took++
		slow, err := gonjaRender(tpl, vars)
		if err != nil || slow != fast {
			t.Errorf("parity case %s %q: fast %q, gonja %q (%v)", c.Name, c.Template, fast, slow, err)
		}
	}
	t.Logf("the fast path rendered %d parity cases, each as gonja does", took)
	if took < 10 {
		t.Errorf("the fast path rendered only %d parity cases", took)
	}
}

// FuzzRenderFast: wherever the fast path renders a template over a string
// and an integer, gonja's renderer gives the same output.
func FuzzRenderFast(f *testing.F) {
	f.Add(`{"a": {{ s | tojson }}, "n": {{ n }}} {{ s }}`, "Ana \"<x>\"\n", int64(-3))
	f.Add("{{- s -}}\n  {{ n|tojson }}  \n", "\u2028é\x00", int64(1<<62))
	// A small output budget, so that the fuzzer reaches it.
	env := NewEnv(Limits{MaxTemplateSize: 4 << 10, MaxOutput: 32, MaxRange: 100, MaxCacheEntries: 256})
	f.Add("{{ self }}{{ s }}", "x", int64(0))
	f.Add("{{ s }}0123456789abcdefghij", "y", int64(0))
	f.Fuzz(func(t *testing.T, src, s string, n int64) {
		if looksLikeSandboxHole(src) || strings.Contains(src, "{%") {
			return
		}
		tpl, err := env.Compile(src)
		if err != nil || tpl.fast == nil {
			return
		}
		vars := map[string]any{"s": s, "n": n, "self": s, budgetKey: s}
		fast, ok := tpl.renderFast(vars)
		if !ok {
			return
		}
		var slow string
		withTimeout(t, "render", func() { slow, err = gonjaRender(tpl, vars) })
		if err != nil || slow != fast {
			t.Fatalf("%q over %q, %d: fast %q, gonja %q (%v)", src, s, n, fast, slow, err)
		}
	})
}
