package jinja

import (
	"errors"
	"slices"
	"strings"

	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/nikolalohinski/gonja/v2/config"
	"github.com/nikolalohinski/gonja/v2/nodes"
	"github.com/nikolalohinski/gonja/v2/parser"
	"github.com/nikolalohinski/gonja/v2/tokens"
)

// Env compiles templates and expressions, and caches them by source. It
// is safe for concurrent use; compiled templates are immutable.
type Env struct {
	limits    Limits
	cfg       *config.Config
	templates *lru.Cache[string, compiled[*Template]]
	exprs     *lru.Cache[string, compiled[*Expr]]
}

// compiled is a cache entry: a compiled value or the error compiling it.
type compiled[T any] struct {
	v   T
	err error
}

// NewEnv returns an environment with the given limits (zero fields take
// DefaultLimits).
func NewEnv(l Limits) *Env {
	l = l.withDefaults()
	cfg := config.New()
	cfg.MaxDepth = l.MaxDepth
	cfg.UnicodeName = lookupUnicodeName
	e := &Env{limits: l, cfg: cfg}
	e.templates, _ = lru.New[string, compiled[*Template]](l.MaxCacheEntries)
	e.exprs, _ = lru.New[string, compiled[*Expr]](l.MaxCacheEntries)
	return e
}

// Limits returns the environment's limits.
func (e *Env) Limits() Limits { return e.limits }

// Template is a compiled template.
type Template struct {
	src    string
	root   *nodes.Template
	static bool   // no Jinja syntax: the output is text
	text   string // the output of a static template
	// expr is the expression when the template is exactly one
	// {{ expression }}, with no text around the braces.
	expr    nodes.Expression
	exprErr error // the template looks like one {{ expression }} but is not one
	names   []string
	uses    *Uses
	blocks  map[string]*blockStmt // by name, for self.name()
}

// Source returns the template's source.
func (t *Template) Source() string { return t.src }

// Static reports whether the template has no Jinja syntax.
func (t *Template) Static() bool { return t.static }

// Text is the output of a static template (newlines normalised, one
// trailing newline dropped, as Jinja2 renders text).
func (t *Template) Text() string { return t.text }

// IsExpression reports whether the template is exactly one
// {{ expression }}, whose value EvalTemplate returns.
func (t *Template) IsExpression() bool { return t.expr != nil }

// ExpressionError is set when the template is one {{ ... }} whose inside
// is not one expression, as Jinja2's compile_expression refuses it ({{ 1,
// 2 }}, {{- x -}}).
func (t *Template) ExpressionError() error { return t.exprErr }

// Names returns the names the template reads, sorted (a superset: loop
// variables and macro parameters are included).
func (t *Template) Names() []string { return t.names }

// Expr is a compiled bare expression, such as a condition.
type Expr struct {
	src   string
	expr  nodes.Expression
	names []string
	uses  *Uses
}

// Names returns the names the expression reads, sorted.
func (x *Expr) Names() []string { return x.names }

// Compile compiles src, or returns it from the cache. Failures are not
// cached.
func (e *Env) Compile(src string) (*Template, error) {
	if c, ok := e.templates.Get(src); ok {
		return c.v, c.err
	}
	t, err := e.compile(src)
	if err == nil {
		e.templates.Add(src, compiled[*Template]{t, nil})
	}
	return t, err
}

// CompileExpr compiles a bare expression ("cvars.age > 18"), cached.
func (e *Env) CompileExpr(src string) (*Expr, error) {
	if c, ok := e.exprs.Get(src); ok {
		return c.v, c.err
	}
	x, err := e.compileExpr(src)
	if err == nil {
		e.exprs.Add(src, compiled[*Expr]{x, nil})
	}
	return x, err
}

// CacheLen returns the number of cached templates and expressions.
func (e *Env) CacheLen() int { return e.templates.Len() + e.exprs.Len() }

func (e *Env) checkSize(src string) error {
	if len(src) > e.limits.MaxTemplateSize {
		return &BoundError{What: "template source", Limit: int64(e.limits.MaxTemplateSize), Unit: "bytes", Key: KeyTemplateSize}
	}
	return nil
}

func (e *Env) compile(src string) (*Template, error) {
	if err := e.checkSize(src); err != nil {
		return nil, err
	}
	t := &Template{src: src, uses: &Uses{}}
	if !strings.Contains(src, "{{") && !strings.Contains(src, "{%") && !strings.Contains(src, "{#") {
		t.static = true
		t.text = strings.NewReplacer("\r\n", "\n", "\r", "\n").Replace(src)
		t.text = strings.TrimSuffix(t.text, "\n")
		return t, nil
	}
	p := parser.NewParser("template", tokens.NewStream(tokens.Tokenize(src, e.cfg)), e.cfg, statements)
	root, err := p.Parse()
	if err != nil {
		return nil, e.parseError(err)
	}
	t.root = root
	if t.names, t.blocks, err = analyze(root); err != nil {
		return nil, err
	}
	t.uses = analyzeUses(root)
	newFolder(e).template(root)
	if strings.HasPrefix(src, "{{") && strings.HasSuffix(src, "}}") && len(root.Nodes) == 1 {
		if _, ok := root.Nodes[0].(*nodes.Output); ok {
			x, err := e.compileExpr(src[2 : len(src)-2])
			if err == nil {
				t.expr = x.expr
			} else {
				t.exprErr = err
			}
		}
	}
	return t, nil
}

func (e *Env) compileExpr(src string) (*Expr, error) {
	if err := e.checkSize(src); err != nil {
		return nil, err
	}
	p := parser.NewParser("expression", tokens.NewStream(tokens.TokenizeExpression(src, e.cfg)), e.cfg, statements)
	expr, err := p.ParseExpression()
	if err != nil {
		return nil, e.parseError(err)
	}
	if !p.End() {
		if cur := p.Current(); cur.Type == tokens.Error {
			return nil, &Error{Kind: SyntaxError, Msg: cur.Val, Line: cur.Line}
		}
		return nil, &Error{Kind: SyntaxError, Msg: "chunk after expression", Line: p.Current().Line}
	}
	names, _, err := analyze(expr)
	if err != nil {
		return nil, err
	}
	uses := analyzeUses(expr)
	newFolder(e).expression(&expr)
	return &Expr{src: src, expr: expr, names: names, uses: uses}, nil
}

// parseError turns the parser's errors into ours.
func (e *Env) parseError(err error) error {
	var de *parser.DepthError
	if errors.As(err, &de) {
		return &BoundError{What: "template nesting", Limit: int64(de.Limit), Unit: "levels", Key: KeyDepth}
	}
	var se *parser.SyntaxError
	if errors.As(err, &se) {
		return &Error{Kind: SyntaxError, Msg: se.Message, Line: se.Line}
	}
	var je *Error
	if errors.As(err, &je) {
		return je
	}
	return &Error{Kind: SyntaxError, Msg: err.Error()}
}

// analyze is the compile-time pass: it refuses unknown filters and tests
// (outside soft frames, as Jinja2's compiler does), refuses a block
// defined twice, marks what macros use, and returns the names read.
func analyze(root nodes.Node) ([]string, map[string]*blockStmt, error) {
	seen := map[string]bool{}
	blocks := map[string]*blockStmt{}
	// Jinja2's code generator raises TemplateAssertionError as it goes;
	// Python's compiler, run on the generated code afterwards, raises
	// SyntaxError (a keyword argument or a macro parameter given twice).
	var err, pyErr error
	fail := func(e *Error) {
		if err == nil {
			err = e
		}
	}
	dupKwargs := func(a *nodes.Args, line int) {
		for i, k := range a.Kwargs {
			for _, prev := range a.Kwargs[:i] {
				if prev.Name == k.Name && pyErr == nil {
					pyErr = &Error{Kind: PySyntaxError, Msg: "keyword argument repeated: " + k.Name, Line: line}
				}
			}
		}
	}
	walk(root, false, func(n nodes.Node, _ *nodes.Expression, soft bool) bool {
		switch n := n.(type) {
		case *nodes.Name:
			seen[n.Name.Val] = true
		case *nodes.Call:
			dupKwargs(&n.Args, n.Location.Line)
		case *nodes.FilteredExpression:
			for _, f := range n.Filters {
				if _, ok := filters[f.Name]; !ok && !soft {
					fail(&Error{Kind: AssertionError, Msg: "No filter named " + pyQuote(f.Name) + ".", Line: f.Token.Line})
				}
				dupKwargs(&f.Args, f.Token.Line)
			}
		case *nodes.TestExpression:
			if _, ok := tests[n.Test.Name]; !ok && !soft {
				fail(&Error{Kind: AssertionError, Msg: "No test named " + pyQuote(n.Test.Name) + ".", Line: n.Test.Token.Line})
			}
			dupKwargs(&n.Test.Args, n.Test.Token.Line)
		case *blockStmt:
			if blocks[n.name] != nil {
				fail(&Error{Kind: AssertionError, Msg: "block " + pyQuote(n.name) + " defined twice", Line: n.loc.Line})
			}
			blocks[n.name] = n
		case *macroStmt:
			markMacro(n)
			for i, p := range n.params {
				if slices.Contains(n.params[:i], p) && pyErr == nil {
					pyErr = &Error{Kind: PySyntaxError, Msg: "duplicate argument " + pyQuote(p) + " in function definition", Line: n.loc.Line}
				}
			}
		}
		return err == nil
	})
	if err == nil {
		err = pyErr
	}
	if err != nil {
		return nil, nil, err
	}
	names := make([]string, 0, len(seen))
	for n := range seen {
		names = append(names, n)
	}
	slices.Sort(names)
	return names, blocks, nil
}

// markMacro records whether a macro's body reads caller, varargs or
// kwargs, which decides how its calls bind arguments.
func markMacro(m *macroStmt) {
	for _, n := range m.body {
		walk(n, false, func(n nodes.Node, _ *nodes.Expression, _ bool) bool {
			if name, ok := n.(*nodes.Name); ok {
				switch name.Name.Val {
				case "caller":
					m.usesCaller = true
				case "varargs":
					m.usesVarargs = true
				case "kwargs":
					m.usesKwargs = true
				}
			}
			return true
		})
	}
	for _, d := range m.defaults {
		walk(d, false, func(nodes.Node, *nodes.Expression, bool) bool { return true })
	}
}
