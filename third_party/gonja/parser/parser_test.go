package parser

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/nikolalohinski/gonja/v2/config"
	"github.com/nikolalohinski/gonja/v2/nodes"
	"github.com/nikolalohinski/gonja/v2/tokens"
)

// noStatements is a statement table with only "wrap": {% wrap %}...{% endwrap %}.
type noStatements struct{}

type wrapStmt struct {
	loc  *tokens.Token
	body []nodes.Node
}

func (w *wrapStmt) Position() *tokens.Token { return w.loc }
func (w *wrapStmt) String() string          { return "wrap" }

func (noStatements) Get(name string) (ControlStructureParser, bool) {
	if name != "wrap" {
		return nil, false
	}
	return func(p *Parser, args *Parser) (nodes.ControlStructure, error) {
		w, _, err := p.WrapUntil("endwrap")
		if err != nil {
			return nil, err
		}
		return &wrapStmt{loc: args.Current(), body: w.Nodes}, nil
	}, true
}

func parseExpr(src string, cfg *config.Config) (nodes.Expression, error) {
	p := NewParser("test", tokens.NewStream(tokens.TokenizeExpression(src, cfg)), cfg, noStatements{})
	expr, err := p.ParseExpression()
	if err == nil && !p.End() {
		err = p.Error("chunk after expression", p.Current())
	}
	return expr, err
}

// TestPrecedence pins Jinja2's grammar (parser.py): each expression and
// the tree it parses to.
func TestPrecedence(t *testing.T) {
	for src, want := range map[string]string{
		"a or b and c":                          "(a or (b and c))",
		"not a == b":                            "(not (a eq b))",
		"not not a":                             "(not (not a))",
		"x in s | lower":                        "(x in (s|lower))",
		"x not in y":                            "(x notin y)",
		"a < b <= c":                            "(a lt b lteq c)",
		"a + b * c ** d":                        "(a + (b * (c ** d)))",
		"a - b - c":                             "((a - b) - c)",
		"2 ** 3 ** 2":                           "((2 ** 3) ** 2)",
		"a ~ b + c":                             "(concat[a b] + c)",
		"-x | abs":                              "((-x)|abs)",
		"-x.y":                                  "(-x.y)",
		"- 2 ** 2":                              "((-2) ** 2)",
		"x | f | g(1)":                          "(x|f|g[1])",
		"x is defined":                          "(x is defined)",
		"x is not none":                         "(not (x is none))",
		"x is divisibleby 3":                    "(x is divisibleby[3])",
		"x is divisibleby(3)":                   "(x is divisibleby[3])",
		"x is number and y":                     "((x is number) and y)",
		"x is eq y.z":                           "(x is eq[y.z])",
		"('VIP' if vip else 'regular') | upper": `(("VIP" if vip else "regular")|upper)`,
		"a if b else c if d else e":             `(a if b else (c if d else e))`,
		"a if b":                                "(a if b else <nil>)",
		"(n | string).zfill(8)":                 "call((n|string).zfill, [8])",
		"x | lower.x":                           "(x|lower.x)",
		"a[1:2]":                                "a[slice(1, 2, <nil>)]",
		"a[::-1]":                               "a[slice(<nil>, <nil>, (-1))]",
		"a.0.b":                                 "a[0].b",
		"f(1, *a, k=2, **kw)":                   "call(f, [1])",
		"'a' 'b'":                               `"ab"`,
		"[1, 2,]":                               "list[1 2]",
		"{'a': 1}":                              `dict["a": 1]`,
		"(1,)":                                  "tuple[1]",
		"()":                                    "tuple[]",
	} {
		got, err := parseExpr(src, config.New())
		if err != nil {
			t.Errorf("%s: %v", src, err)
			continue
		}
		if got.String() != want {
			t.Errorf("%s\n got %s\nwant %s", src, got, want)
		}
	}
}

func TestSyntaxErrors(t *testing.T) {
	for src, want := range map[string]string{
		"a +":         "unexpected end of template",
		"x is a is b": "You cannot chain multiple tests with is",
		"f(k=1, 2)":   "invalid syntax for function call expression",
		"f(**a, *b)":  "invalid syntax for function call expression",
		"a.":          "expected name or number",
		"[1 2]":       `expected token ",", got "integer"`,
		"a b":         "chunk after expression",
		"x |":         `unexpected end of template, expected "name".`,
	} {
		_, err := parseExpr(src, config.New())
		var se *SyntaxError
		if !errors.As(err, &se) || !strings.Contains(se.Message, want) {
			t.Errorf("%s: error %v, want %q", src, err, want)
		}
	}
}

// TestNestingLimit checks that every kind of nesting and chain counts
// towards Config.MaxDepth, so no input can exhaust the stack.
func TestNestingLimit(t *testing.T) {
	cfg := config.New()
	cfg.MaxDepth = 50
	deep := map[string]string{
		"brackets":   strings.Repeat("(", 60) + "1" + strings.Repeat(")", 60),
		"lists":      strings.Repeat("[", 60) + strings.Repeat("]", 60),
		"not":        strings.Repeat("not ", 60) + "x",
		"unary":      strings.Repeat("-", 60) + "x",
		"attributes": "x" + strings.Repeat(".a", 60),
		"filters":    "x" + strings.Repeat("|f", 60),
		"additions":  "1" + strings.Repeat("+1", 60),
		"inline if":  "a" + strings.Repeat(" if b else a", 60),
		"calls":      "f" + strings.Repeat("()", 60),
	}
	for name, src := range deep {
		_, err := parseExpr(src, cfg)
		var de *DepthError
		if !errors.As(err, &de) || de.Limit != 50 {
			t.Errorf("%s: error %v, want a DepthError", name, err)
		}
	}
	if _, err := parseExpr(strings.Repeat("(", 20)+"1"+strings.Repeat(")", 20), cfg); err != nil {
		t.Errorf("20 brackets: %v", err)
	}
	// Statements nest too.
	src := strings.Repeat("{% wrap %}", 60) + strings.Repeat("{% endwrap %}", 60)
	p := NewParser("test", tokens.LexAll(src, cfg), cfg, noStatements{})
	_, err := p.Parse()
	var de *DepthError
	if !errors.As(err, &de) {
		t.Errorf("60 statements: error %v, want a DepthError", err)
	}
	// 64 KB of "{{" is an error, not a crash.
	p = NewParser("test", tokens.LexAll(strings.Repeat("{{", 32<<10), config.New()), config.New(), noStatements{})
	if _, err := p.Parse(); err == nil {
		t.Error("64 KB of {{ parsed")
	}
}

func TestStatements(t *testing.T) {
	cfg := config.New()
	for src, want := range map[string]string{
		"{% nope %}":                         "Encountered unknown tag 'nope'.",
		"{% wrap %}{% break %}{% endwrap %}": "Encountered unknown tag 'break'. Jinja was looking for the following tags: 'endwrap'.",
		"{% wrap %}":                         "Unexpected end of template. Jinja was looking for the following tags: 'endwrap'.",
		"{% wrap %}{% wrap %}{% endfor %}{% endwrap %}": "Encountered unknown tag 'endfor'.",
	} {
		p := NewParser("test", tokens.LexAll(src, cfg), cfg, noStatements{})
		_, err := p.Parse()
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want %q", src, err, want)
		}
	}
	p := NewParser("test", tokens.LexAll("a{% wrap %}b{{ c }}{% endwrap %}", cfg), cfg, noStatements{})
	tpl, err := p.Parse()
	if err != nil || len(tpl.Nodes) != 2 {
		t.Fatalf("parse: %v %v", tpl, err)
	}
	if w := tpl.Nodes[1].(*nodes.ControlStructureBlock).ControlStructure.(*wrapStmt); len(w.body) != 2 {
		t.Errorf("wrap body %v", w.body)
	}
}

// TestAssignTargets pins Jinja2 3.1.6's parse_assign_target: with the
// namespace allowed (set), ns.attr may stand alone or in a tuple target;
// without it (for), a dotted target is refused.
func TestAssignTargets(t *testing.T) {
	for _, tc := range []struct {
		src     string
		opts    AssignOptions
		want    string // String() of the target, or the error's message
		wantErr bool
	}{
		{src: "ns.a", opts: AssignOptions{WithNamespace: true}, want: "ns.a"},
		{src: "ns.a, b", opts: AssignOptions{WithNamespace: true}, want: "tuple[ns.a b]"},
		{src: "a, ns.b, c.d", opts: AssignOptions{WithNamespace: true}, want: "tuple[a ns.b c.d]"},
		{src: "ns.a", opts: AssignOptions{NoTuple: true, WithNamespace: true}, want: "ns.a"},
		{src: "ns.a, b", opts: AssignOptions{}, want: "expected token", wantErr: true},
		{src: "(ns.a, b)", opts: AssignOptions{WithNamespace: true}, want: "can't assign to 'tuple'", wantErr: true},
		{src: "true.a", opts: AssignOptions{WithNamespace: true}, want: "can't assign to 'const'", wantErr: true},
	} {
		cfg := config.New()
		p := NewParser("test", tokens.NewStream(tokens.TokenizeExpression(tc.src, cfg)), cfg, noStatements{})
		target, err := p.ParseAssignTarget(tc.opts)
		if err == nil && !p.End() {
			err = p.Error(fmt.Sprintf("expected token '=', got %q", Describe(p.Current())), p.Current())
		}
		switch {
		case tc.wantErr && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s %+v: error %v, want %q", tc.src, tc.opts, err, tc.want)
		case !tc.wantErr && err != nil:
			t.Errorf("%s %+v: %v", tc.src, tc.opts, err)
		case !tc.wantErr && target.String() != tc.want:
			t.Errorf("%s %+v: %s, want %s", tc.src, tc.opts, target, tc.want)
		}
	}
}
