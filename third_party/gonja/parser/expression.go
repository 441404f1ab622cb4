package parser

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"

	"github.com/nikolalohinski/gonja/v2/nodes"
	"github.com/nikolalohinski/gonja/v2/tokens"
)

// The grammar is Jinja2's (jinja2/parser.py), function for function:
//
//	condexpr := or ('if' or ('else' condexpr)?)*
//	or       := and ('or' and)*
//	and      := not ('and' not)*
//	not      := 'not' not | compare
//	compare  := math1 (cmp math1 | 'in' math1 | 'not' 'in' math1)*
//	math1    := concat (('+' | '-') concat)*
//	concat   := math2 ('~' math2)*
//	math2    := pow (('*' | '/' | '//' | '%') pow)*
//	pow      := unary ('**' unary)*
//	unary    := ('-' | '+') unary-without-filters | primary postfix, then filters and tests
//	primary  := name | string+ | number | '(' tuple ')' | list | dict

// ParseExpression parses an expression, inline if included.
func (p *Parser) ParseExpression() (nodes.Expression, error) {
	return p.parseCondExpr()
}

// ParseExpressionNoCond parses an expression without a top-level inline
// if (Jinja2's parse_expression(with_condexpr=False)).
func (p *Parser) ParseExpressionNoCond() (nodes.Expression, error) {
	return p.parseOr()
}

func (p *Parser) parseCondExpr() (nodes.Expression, error) {
	if err := p.Enter(); err != nil {
		return nil, err
	}
	defer p.Leave(1)
	loc := p.Current()
	expr1, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	held := 0
	defer func() { p.Leave(held) }()
	for p.MatchName("if") != nil {
		if err := p.Enter(); err != nil {
			return nil, err
		}
		held++
		test, err := p.parseOr()
		if err != nil {
			return nil, err
		}
		var expr3 nodes.Expression
		if p.MatchName("else") != nil {
			if expr3, err = p.parseCondExpr(); err != nil {
				return nil, err
			}
		}
		expr1 = &nodes.CondExpr{Location: loc, Test: test, Expr1: expr1, Expr2: expr3}
		loc = p.Current()
	}
	return expr1, nil
}

// binaryChain parses operand (op operand)* into a left-assoc tree, op
// being a name keyword (and, or) or one of types.
func (p *Parser) binaryChain(operand func() (nodes.Expression, error), keyword string, types ...tokens.Type) (nodes.Expression, error) {
	left, err := operand()
	if err != nil {
		return nil, err
	}
	held := 0
	defer func() { p.Leave(held) }()
	for {
		var op *tokens.Token
		if keyword != "" {
			op = p.MatchName(keyword)
		} else {
			op = p.Match(types...)
		}
		if op == nil {
			return left, nil
		}
		if err := p.Enter(); err != nil {
			return nil, err
		}
		held++
		right, err := operand()
		if err != nil {
			return nil, err
		}
		left = &nodes.BinaryExpression{Left: left, Right: right, Operator: &nodes.BinOperator{Token: op}}
	}
}

func (p *Parser) parseOr() (nodes.Expression, error) {
	return p.binaryChain(p.parseAnd, "or")
}

func (p *Parser) parseAnd() (nodes.Expression, error) {
	return p.binaryChain(p.parseNot, "and")
}

func (p *Parser) parseNot() (nodes.Expression, error) {
	if op := p.MatchName("not"); op != nil {
		if err := p.Enter(); err != nil {
			return nil, err
		}
		defer p.Leave(1)
		term, err := p.parseNot()
		if err != nil {
			return nil, err
		}
		return &nodes.Negation{Term: term, Operator: op}, nil
	}
	return p.parseCompare()
}

var compareOps = map[tokens.Type]string{
	tokens.Equals: "eq", tokens.Ne: "ne", tokens.LowerThan: "lt", tokens.LowerThanOrEqual: "lteq",
	tokens.GreaterThan: "gt", tokens.GreaterThanOrEqual: "gteq",
}

func (p *Parser) parseCompare() (nodes.Expression, error) {
	expr, err := p.parseMath1()
	if err != nil {
		return nil, err
	}
	var ops []*nodes.CompareOperand
	for {
		tok := p.Current()
		var op string
		if name, ok := compareOps[tok.Type]; ok {
			op = name
			p.Consume()
		} else if p.MatchName("in") != nil {
			op = "in"
		} else if p.CurrentName("not") != nil && p.Peek(tokens.Name) != nil && p.Peek().Val == "in" {
			p.Consume()
			p.Consume()
			op = "notin"
		} else {
			break
		}
		right, err := p.parseMath1()
		if err != nil {
			return nil, err
		}
		ops = append(ops, &nodes.CompareOperand{Token: tok, Op: op, Expression: right})
	}
	if ops == nil {
		return expr, nil
	}
	return &nodes.Compare{Expression: expr, Ops: ops}, nil
}

func (p *Parser) parseMath1() (nodes.Expression, error) {
	return p.binaryChain(p.parseConcat, "", tokens.Addition, tokens.Subtraction)
}

func (p *Parser) parseConcat() (nodes.Expression, error) {
	loc := p.Current()
	first, err := p.parseMath2()
	if err != nil {
		return nil, err
	}
	if p.Current(tokens.Tilde) == nil {
		return first, nil
	}
	args := []nodes.Expression{first}
	for p.Match(tokens.Tilde) != nil {
		next, err := p.parseMath2()
		if err != nil {
			return nil, err
		}
		args = append(args, next)
	}
	return &nodes.Concat{Location: loc, Args: args}, nil
}

func (p *Parser) parseMath2() (nodes.Expression, error) {
	return p.binaryChain(p.parsePow, "", tokens.Multiply, tokens.Division, tokens.FloorDivision, tokens.Modulo)
}

func (p *Parser) parsePow() (nodes.Expression, error) {
	return p.binaryChain(func() (nodes.Expression, error) { return p.parseUnary(true) }, "", tokens.Power)
}

func (p *Parser) parseUnary(withFilter bool) (nodes.Expression, error) {
	if err := p.Enter(); err != nil {
		return nil, err
	}
	defer p.Leave(1)
	var node nodes.Expression
	if op := p.Match(tokens.Subtraction, tokens.Addition); op != nil {
		term, err := p.parseUnary(false)
		if err != nil {
			return nil, err
		}
		node = &nodes.UnaryExpression{Negative: op.Type == tokens.Subtraction, Term: term, Operator: op}
	} else {
		var err error
		if node, err = p.ParsePrimary(); err != nil {
			return nil, err
		}
	}
	held := 0
	defer func() { p.Leave(held) }()
	node, err := p.parsePostfix(node, &held)
	if err != nil {
		return nil, err
	}
	if withFilter {
		return p.parseFilterExpr(node, &held)
	}
	return node, nil
}

// ParsePrimary parses a name, a literal or a bracketed expression.
func (p *Parser) ParsePrimary() (nodes.Expression, error) {
	tok := p.Current()
	switch tok.Type {
	case tokens.Name:
		p.Consume()
		switch tok.Val {
		case "true", "True":
			return &nodes.Bool{Location: tok, Val: true}, nil
		case "false", "False":
			return &nodes.Bool{Location: tok, Val: false}, nil
		case "none", "None":
			return &nodes.None{Location: tok}, nil
		}
		return &nodes.Name{Name: tok}, nil
	case tokens.String:
		p.Consume()
		val := tok.Val
		for p.Current(tokens.String) != nil {
			val += p.Next().Val
		}
		return &nodes.String{Location: tok, Val: val}, nil
	case tokens.Integer:
		p.Consume()
		return parseInteger(p, tok)
	case tokens.Float:
		p.Consume()
		f, err := strconv.ParseFloat(strings.ReplaceAll(tok.Val, "_", ""), 64)
		if err != nil && !isRangeError(err) {
			return nil, p.Error(err.Error(), tok)
		}
		return &nodes.Float{Location: tok, Val: f}, nil
	case tokens.LeftParenthesis:
		p.Consume()
		node, err := p.ParseTuple(TupleOptions{WithCondExpr: true, ExplicitParens: true})
		if err != nil {
			return nil, err
		}
		if _, err := p.Expect(tokens.RightParenthesis); err != nil {
			return nil, err
		}
		return node, nil
	case tokens.LeftBracket:
		return p.parseList()
	case tokens.LeftBrace:
		return p.parseDict()
	}
	if err := p.lexError(); err != nil {
		return nil, err
	}
	if tok.Type == tokens.EOF {
		return nil, p.Error("unexpected end of template", tok)
	}
	return nil, p.Error(fmt.Sprintf("unexpected %q", Describe(tok)), tok)
}

func isRangeError(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

func parseInteger(p *Parser, tok *tokens.Token) (nodes.Expression, error) {
	text := strings.ReplaceAll(tok.Val, "_", "")
	base := 10
	digits := text
	if len(text) > 2 && text[0] == '0' {
		switch text[1] {
		case 'x', 'X':
			base, digits = 16, text[2:]
		case 'o', 'O':
			base, digits = 8, text[2:]
		case 'b', 'B':
			base, digits = 2, text[2:]
		}
	}
	if i, err := strconv.ParseInt(digits, base, strconv.IntSize); err == nil {
		return &nodes.Integer{Location: tok, Val: int(i)}, nil
	}
	b, ok := new(big.Int).SetString(digits, base)
	if !ok {
		return nil, p.Error(fmt.Sprintf("invalid integer literal %q", tok.Val), tok)
	}
	return &nodes.Integer{Location: tok, Big: b}, nil
}

// TupleOptions are the options of Jinja2's parse_tuple.
type TupleOptions struct {
	// Simplified parses only names and literals (assignment targets).
	Simplified bool
	// WithCondExpr allows inline if in the items.
	WithCondExpr bool
	// ExtraEnd are names that end the tuple ("in" in a for loop).
	ExtraEnd []string
	// ExplicitParens allows the empty tuple ().
	ExplicitParens bool
	// WithNamespace allows ns.attr items (Simplified only: set targets).
	WithNamespace bool
}

func (p *Parser) isTupleEnd(extra []string) bool {
	switch p.Current().Type {
	case tokens.VariableEnd, tokens.BlockEnd, tokens.RightParenthesis, tokens.EOF:
		return true
	}
	return len(extra) > 0 && p.CurrentName(extra...) != nil
}

// ParseTuple parses one expression, or several separated by commas as a
// Tuple (Jinja2's parse_tuple).
func (p *Parser) ParseTuple(opts TupleOptions) (nodes.Expression, error) {
	loc := p.Current()
	parse := p.ParseExpression
	switch {
	case opts.Simplified:
		parse = func() (nodes.Expression, error) { return p.parsePrimaryTarget(opts.WithNamespace) }
	case !opts.WithCondExpr:
		parse = p.ParseExpressionNoCond
	}
	var args []nodes.Expression
	isTuple := false
	for {
		if len(args) > 0 {
			if _, err := p.Expect(tokens.Comma); err != nil {
				return nil, err
			}
		}
		if p.isTupleEnd(opts.ExtraEnd) {
			break
		}
		arg, err := parse()
		if err != nil {
			return nil, err
		}
		args = append(args, arg)
		if p.Current(tokens.Comma) == nil {
			break
		}
		isTuple = true
	}
	if !isTuple {
		if len(args) > 0 {
			return args[0], nil
		}
		if !opts.ExplicitParens {
			if err := p.lexError(); err != nil {
				return nil, err
			}
			return nil, p.Error(fmt.Sprintf("Expected an expression, got %q", Describe(p.Current())), p.Current())
		}
	}
	return &nodes.Tuple{Location: loc, Val: args}, nil
}

func (p *Parser) parseList() (nodes.Expression, error) {
	tok, err := p.Expect(tokens.LeftBracket)
	if err != nil {
		return nil, err
	}
	items := []nodes.Expression{}
	for p.Current(tokens.RightBracket) == nil {
		if len(items) > 0 {
			if _, err := p.Expect(tokens.Comma); err != nil {
				return nil, err
			}
		}
		if p.Current(tokens.RightBracket) != nil {
			break
		}
		item, err := p.ParseExpression()
		if err != nil {
			return nil, err
		}
		items = append(items, item)
	}
	if _, err := p.Expect(tokens.RightBracket); err != nil {
		return nil, err
	}
	return &nodes.List{Location: tok, Val: items}, nil
}

func (p *Parser) parseDict() (nodes.Expression, error) {
	tok, err := p.Expect(tokens.LeftBrace)
	if err != nil {
		return nil, err
	}
	dict := &nodes.Dict{Token: tok, Pairs: []*nodes.Pair{}}
	for p.Current(tokens.RightBrace) == nil {
		if len(dict.Pairs) > 0 {
			if _, err := p.Expect(tokens.Comma); err != nil {
				return nil, err
			}
		}
		if p.Current(tokens.RightBrace) != nil {
			break
		}
		key, err := p.ParseExpression()
		if err != nil {
			return nil, err
		}
		if _, err := p.Expect(tokens.Colon); err != nil {
			return nil, err
		}
		value, err := p.ParseExpression()
		if err != nil {
			return nil, err
		}
		dict.Pairs = append(dict.Pairs, &nodes.Pair{Key: key, Value: value})
	}
	if _, err := p.Expect(tokens.RightBrace); err != nil {
		return nil, err
	}
	return dict, nil
}
