package jinja

import (
	"github.com/nikolalohinski/gonja/v2/nodes"
	"github.com/nikolalohinski/gonja/v2/parser"
	"github.com/nikolalohinski/gonja/v2/tokens"
)

// The statements of Jinja2's default environment, parsed as its parser.py
// parses them (parse_for, parse_if, parse_set, ...). include, import, from
// and extends need a loader, which a sandboxed template never has: they
// are refused when the template is compiled. do, break and continue need
// extensions Jinja2 does not enable by default: like any unknown tag, they
// are syntax errors.

type stmt struct{ loc *tokens.Token }

func (s *stmt) Position() *tokens.Token { return s.loc }
func (s *stmt) String() string          { return "statement" }

type forStmt struct {
	stmt
	target, iter, cond nodes.Expression
	recursive          bool
	body, els          []nodes.Node
}

type ifStmt struct {
	stmt
	tests  []nodes.Expression
	bodies [][]nodes.Node
	els    []nodes.Node
}

type setStmt struct {
	stmt
	target, expr nodes.Expression
}

type setBlockStmt struct {
	stmt
	target nodes.Expression
	filter *nodes.FilteredExpression // nil, or filters over a nil expression
	body   []nodes.Node
}

type withStmt struct {
	stmt
	targets, values []nodes.Expression
	body            []nodes.Node
}

type macroStmt struct {
	stmt
	name     string
	params   []string
	defaults []nodes.Expression // for the last len(defaults) params
	body     []nodes.Node
	// uses* are set by the analysis: whether the body reads caller,
	// varargs and kwargs.
	usesCaller, usesVarargs, usesKwargs bool
}

type callBlockStmt struct {
	stmt
	macro *macroStmt // the caller: its params, defaults and body
	call  *nodes.Call
}

type filterBlockStmt struct {
	stmt
	filter *nodes.FilteredExpression
	body   []nodes.Node
}

type autoescapeStmt struct {
	stmt
	expr nodes.Expression
	body []nodes.Node
}

type blockStmt struct {
	stmt
	name     string
	scoped   bool
	required bool
	body     []nodes.Node
}

type printStmt struct {
	stmt
	exprs []nodes.Expression
}

// loaderStmt is include, import, from or extends, parsed as Jinja2 parses
// them. They need a template loader, which a sandboxed template never has:
// running one fails as Jinja2 fails without a loader (a TypeError), after
// its template expression is evaluated.
type loaderStmt struct {
	stmt
	name          string
	template      nodes.Expression
	ignoreMissing bool
}

// statementSet is the parser's table of statements.
type statementSet map[string]parser.ControlStructureParser

func (s statementSet) Get(name string) (parser.ControlStructureParser, bool) {
	p, ok := s[name]
	return p, ok
}

var statements = statementSet{
	"for":        parseFor,
	"if":         parseIf,
	"set":        parseSet,
	"with":       parseWith,
	"macro":      parseMacro,
	"call":       parseCallBlock,
	"filter":     parseFilterBlock,
	"autoescape": parseAutoescape,
	"block":      parseBlock,
	"print":      parsePrint,
	"include":    parseLoaderStmt("include"),
	"import":     parseLoaderStmt("import"),
	"from":       parseLoaderStmt("from"),
	"extends":    parseLoaderStmt("extends"),
}

// endArgs checks that a tag has nothing left but an optional colon.
func endArgs(args *parser.Parser) error {
	args.Match(tokens.Colon)
	if args.End() {
		return nil
	}
	_, err := args.Expect(tokens.BlockEnd)
	return err
}

// body parses up to one of the end tags and checks the end tag's own
// arguments (none).
func body(p *parser.Parser, names ...string) ([]nodes.Node, string, *parser.Parser, error) {
	w, endArgsParser, err := p.WrapUntil(names...)
	if err != nil {
		return nil, "", nil, err
	}
	return w.Nodes, w.EndTag, endArgsParser, nil
}

func bodyUntil(p *parser.Parser, end string) ([]nodes.Node, error) {
	nodes, _, args, err := body(p, end)
	if err != nil {
		return nil, err
	}
	if !args.End() {
		_, err = args.Expect(tokens.BlockEnd)
		return nil, err
	}
	return nodes, nil
}

func parseFor(p *parser.Parser, args *parser.Parser) (nodes.ControlStructure, error) {
	s := &forStmt{stmt: stmt{args.Current()}}
	var err error
	if s.target, err = args.ParseAssignTarget(parser.AssignOptions{ExtraEnd: []string{"in"}}); err != nil {
		return nil, err
	}
	if _, err := args.ExpectName("in"); err != nil {
		return nil, err
	}
	if s.iter, err = args.ParseTuple(parser.TupleOptions{ExtraEnd: []string{"recursive"}}); err != nil {
		return nil, err
	}
	if args.MatchName("if") != nil {
		if s.cond, err = args.ParseExpression(); err != nil {
			return nil, err
		}
	}
	s.recursive = args.MatchName("recursive") != nil
	if err := endArgs(args); err != nil {
		return nil, err
	}
	var end string
	var endP *parser.Parser
	if s.body, end, endP, err = body(p, "endfor", "else"); err != nil {
		return nil, err
	}
	if end == "else" {
		if err := endArgs(endP); err != nil {
			return nil, err
		}
		if s.els, err = bodyUntil(p, "endfor"); err != nil {
			return nil, err
		}
	} else if err := endArgs0(endP); err != nil {
		return nil, err
	}
	return s, nil
}

// endArgs0 checks that an end tag has no arguments.
func endArgs0(args *parser.Parser) error {
	if args.End() {
		return nil
	}
	_, err := args.Expect(tokens.BlockEnd)
	return err
}

func parseIf(p *parser.Parser, args *parser.Parser) (nodes.ControlStructure, error) {
	s := &ifStmt{stmt: stmt{args.Current()}}
	for {
		test, err := args.ParseTuple(parser.TupleOptions{})
		if err != nil {
			return nil, err
		}
		if err := endArgs(args); err != nil {
			return nil, err
		}
		b, end, endP, err := body(p, "elif", "else", "endif")
		if err != nil {
			return nil, err
		}
		s.tests = append(s.tests, test)
		s.bodies = append(s.bodies, b)
		switch end {
		case "elif":
			args = endP
			continue
		case "else":
			if err := endArgs(endP); err != nil {
				return nil, err
			}
			if s.els, err = bodyUntil(p, "endif"); err != nil {
				return nil, err
			}
		default:
			if err := endArgs0(endP); err != nil {
				return nil, err
			}
		}
		return s, nil
	}
}

func parseSet(p *parser.Parser, args *parser.Parser) (nodes.ControlStructure, error) {
	loc := args.Current()
	target, err := args.ParseAssignTarget(parser.AssignOptions{WithNamespace: true})
	if err != nil {
		return nil, err
	}
	if args.Match(tokens.Assign) != nil {
		expr, err := args.ParseTuple(parser.TupleOptions{WithCondExpr: true})
		if err != nil {
			return nil, err
		}
		if err := endArgs0(args); err != nil {
			return nil, err
		}
		return &setStmt{stmt: stmt{loc}, target: target, expr: expr}, nil
	}
	s := &setBlockStmt{stmt: stmt{loc}, target: target}
	if args.Current(tokens.Pipe) != nil {
		f, err := args.ParseFilter(nil, false)
		if err != nil {
			return nil, err
		}
		s.filter = f.(*nodes.FilteredExpression)
	}
	if err := endArgs(args); err != nil {
		return nil, err
	}
	if s.body, err = bodyUntil(p, "endset"); err != nil {
		return nil, err
	}
	return s, nil
}

func parseWith(p *parser.Parser, args *parser.Parser) (nodes.ControlStructure, error) {
	s := &withStmt{stmt: stmt{args.Current()}}
	for !args.End() && args.Current(tokens.Colon) == nil {
		if len(s.targets) > 0 {
			if _, err := args.Expect(tokens.Comma); err != nil {
				return nil, err
			}
		}
		target, err := args.ParseAssignTarget(parser.AssignOptions{})
		if err != nil {
			return nil, err
		}
		if _, err := args.Expect(tokens.Assign); err != nil {
			return nil, err
		}
		value, err := args.ParseExpression()
		if err != nil {
			return nil, err
		}
		s.targets = append(s.targets, target)
		s.values = append(s.values, value)
	}
	if err := endArgs(args); err != nil {
		return nil, err
	}
	var err error
	if s.body, err = bodyUntil(p, "endwith"); err != nil {
		return nil, err
	}
	return s, nil
}

// parseSignature parses (a, b=1, ...) into m.
func parseSignature(args *parser.Parser, m *macroStmt) error {
	if _, err := args.Expect(tokens.LeftParenthesis); err != nil {
		return err
	}
	for args.Current(tokens.RightParenthesis) == nil {
		if len(m.params) > 0 {
			if _, err := args.Expect(tokens.Comma); err != nil {
				return err
			}
		}
		target, err := args.ParseAssignTarget(parser.AssignOptions{NameOnly: true})
		if err != nil {
			return err
		}
		if args.Match(tokens.Assign) != nil {
			def, err := args.ParseExpression()
			if err != nil {
				return err
			}
			m.defaults = append(m.defaults, def)
		} else if len(m.defaults) > 0 {
			return args.Error("non-default argument follows default argument", target.Position())
		}
		m.params = append(m.params, target.(*nodes.Name).Name.Val)
	}
	_, err := args.Expect(tokens.RightParenthesis)
	return err
}

func parseMacro(p *parser.Parser, args *parser.Parser) (nodes.ControlStructure, error) {
	m := &macroStmt{stmt: stmt{args.Current()}}
	name, err := args.ParseAssignTarget(parser.AssignOptions{NameOnly: true})
	if err != nil {
		return nil, err
	}
	m.name = name.(*nodes.Name).Name.Val
	if err := parseSignature(args, m); err != nil {
		return nil, err
	}
	if err := endArgs(args); err != nil {
		return nil, err
	}
	if m.body, err = bodyUntil(p, "endmacro"); err != nil {
		return nil, err
	}
	return m, nil
}

func parseCallBlock(p *parser.Parser, args *parser.Parser) (nodes.ControlStructure, error) {
	s := &callBlockStmt{stmt: stmt{args.Current()}, macro: &macroStmt{stmt: stmt{args.Current()}, name: "caller"}}
	if args.Current(tokens.LeftParenthesis) != nil {
		if err := parseSignature(args, s.macro); err != nil {
			return nil, err
		}
	}
	expr, err := args.ParseExpression()
	if err != nil {
		return nil, err
	}
	call, ok := expr.(*nodes.Call)
	if !ok {
		return nil, args.Error("expected call", s.loc)
	}
	s.call = call
	if err := endArgs(args); err != nil {
		return nil, err
	}
	if s.macro.body, err = bodyUntil(p, "endcall"); err != nil {
		return nil, err
	}
	return s, nil
}

func parseFilterBlock(p *parser.Parser, args *parser.Parser) (nodes.ControlStructure, error) {
	s := &filterBlockStmt{stmt: stmt{args.Current()}}
	f, err := args.ParseFilter(nil, true)
	if err != nil {
		return nil, err
	}
	s.filter = f.(*nodes.FilteredExpression)
	if err := endArgs(args); err != nil {
		return nil, err
	}
	if s.body, err = bodyUntil(p, "endfilter"); err != nil {
		return nil, err
	}
	return s, nil
}

func parseAutoescape(p *parser.Parser, args *parser.Parser) (nodes.ControlStructure, error) {
	s := &autoescapeStmt{stmt: stmt{args.Current()}}
	var err error
	if s.expr, err = args.ParseExpression(); err != nil {
		return nil, err
	}
	if err := endArgs(args); err != nil {
		return nil, err
	}
	if s.body, err = bodyUntil(p, "endautoescape"); err != nil {
		return nil, err
	}
	return s, nil
}

func parseBlock(p *parser.Parser, args *parser.Parser) (nodes.ControlStructure, error) {
	s := &blockStmt{stmt: stmt{args.Current()}}
	name, err := args.ExpectName()
	if err != nil {
		return nil, err
	}
	s.name = name.Val
	s.scoped = args.MatchName("scoped") != nil
	s.required = args.MatchName("required") != nil
	if args.Current(tokens.Subtraction) != nil {
		return nil, args.Error("Block names in Jinja have to be valid Python identifiers and may not contain hyphens, use an underscore instead.", args.Current())
	}
	if err := endArgs(args); err != nil {
		return nil, err
	}
	b, _, endP, err := body(p, "endblock")
	if err != nil {
		return nil, err
	}
	endP.MatchName(s.name)
	if err := endArgs0(endP); err != nil {
		return nil, err
	}
	if s.required {
		for _, n := range b {
			if d, ok := n.(*nodes.Data); !ok || !isBlank(d.Data.Val) {
				return nil, p.Error("Required blocks can only contain comments or whitespace", s.loc)
			}
		}
	}
	s.body = b
	return s, nil
}

func parsePrint(p *parser.Parser, args *parser.Parser) (nodes.ControlStructure, error) {
	s := &printStmt{stmt: stmt{args.Current()}}
	for !args.End() {
		if len(s.exprs) > 0 {
			if _, err := args.Expect(tokens.Comma); err != nil {
				return nil, err
			}
		}
		e, err := args.ParseExpression()
		if err != nil {
			return nil, err
		}
		s.exprs = append(s.exprs, e)
	}
	return s, nil
}
