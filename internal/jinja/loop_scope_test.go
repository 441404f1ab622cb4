package jinja

import "testing"

// TestLoopTurnScope: a for loop reuses one turn's scope for the next
// unless something kept it; what a template sees is as with a new scope
// per turn. A macro defined in a turn keeps that turn's names (the
// engine's closure; Jinja2 3.1.6 prints its internal `missing` sentinel
// for a loop name a macro defined in the loop reads after the loop, so
// these are not oracle cases), and names set in one turn are gone in the
// next (the oracle's loops/scope-* cases check that against Jinja2).
func TestLoopTurnScope(t *testing.T) {
	tests := []struct{ name, src, want string }{
		{"macro keeps its turn",
			"{% set ns = namespace(ms=[]) %}{% for i in xs %}{% set j = i * 2 %}{% macro m() %}{{ i }}/{{ j }}{% endmacro %}{% set ns.ms = ns.ms + [m] %}{% endfor %}{% for m in ns.ms %}{{ m() }} {% endfor %}",
			"1/2 2/4 3/6 "},
		{"macro sees a later set of its turn",
			"{% set ns = namespace(ms=[]) %}{% for i in xs %}{% macro m() %}{{ k }}{% endmacro %}{% set k = i %}{% set ns.ms = ns.ms + [m] %}{% endfor %}{% for m in ns.ms %}{{ m() }} {% endfor %}",
			"1 2 3 "},
		{"macro in a with block keeps its turn",
			"{% set ns = namespace(ms=[]) %}{% for i in xs %}{% with w = i %}{% macro m() %}{{ i }}{{ w }}{% endmacro %}{% set ns.ms = ns.ms + [m] %}{% endwith %}{% endfor %}{% for m in ns.ms %}{{ m() }} {% endfor %}",
			"11 22 33 "},
		{"macro in an inner loop keeps the outer turn",
			"{% set ns = namespace(ms=[]) %}{% for i in xs %}{% set o = i %}{% for x in [0] %}{% macro m() %}{{ o }}{% endmacro %}{% set ns.ms = ns.ms + [m] %}{% endfor %}{% endfor %}{% for m in ns.ms %}{{ m() }} {% endfor %}",
			"1 2 3 "},
		{"names of a turn are gone in the next",
			"{% for i in xs %}{% if loop.first %}{% set a = 1 %}{% set b = 2 %}{% set c = 3 %}{% set d = 4 %}{% set e = 5 %}{% endif %}{{ a is defined }}{{ e is defined }};{% endfor %}",
			"TrueTrue;FalseFalse;FalseFalse;"},
	}
	env := NewEnv(Limits{})
	ctx, err := DecodeJSON(`{"xs": [1, 2, 3]}`, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tpl, err := env.Compile(tt.src)
			if err != nil {
				t.Fatal(err)
			}
			got, err := env.NewRenderer(ctx.Dict()).Render(tpl)
			if err != nil || got != tt.want {
				t.Errorf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}
