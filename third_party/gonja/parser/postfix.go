package parser

import (
	"github.com/nikolalohinski/gonja/v2/nodes"
	"github.com/nikolalohinski/gonja/v2/tokens"
)

// parsePostfix parses .name, .0, [subscript] and (call) after node. Each
// link counts one level of nesting, held in *held until the caller
// leaves.
func (p *Parser) parsePostfix(node nodes.Expression, held *int) (nodes.Expression, error) {
	for {
		var err error
		switch p.Current().Type {
		case tokens.Dot, tokens.LeftBracket:
			if err = p.Enter(); err == nil {
				*held++
				node, err = p.parseSubscript(node)
			}
		case tokens.LeftParenthesis:
			if err = p.Enter(); err == nil {
				*held++
				node, err = p.parseCall(node)
			}
		default:
			return node, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// parseFilterExpr parses filters (| f), tests (is t) and calls after node.
func (p *Parser) parseFilterExpr(node nodes.Expression, held *int) (nodes.Expression, error) {
	for {
		var err error
		switch {
		case p.Current(tokens.Pipe) != nil:
			node, err = p.parseFilter(node, false, held)
		case p.CurrentName("is") != nil:
			if err = p.Enter(); err == nil {
				*held++
				node, err = p.parseTest(node)
			}
		case p.Current(tokens.LeftParenthesis) != nil:
			if err = p.Enter(); err == nil {
				*held++
				node, err = p.parseCall(node)
			}
		default:
			return node, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

func (p *Parser) parseSubscript(node nodes.Expression) (nodes.Expression, error) {
	tok := p.Next()
	if tok.Type == tokens.Dot {
		attr := p.Current()
		p.Consume()
		switch attr.Type {
		case tokens.Name:
			return &nodes.GetAttribute{Location: tok, Node: node, Attribute: attr.Val}, nil
		case tokens.Integer:
			arg, err := parseInteger(p, attr)
			if err != nil {
				return nil, err
			}
			return &nodes.GetItem{Location: tok, Node: node, Arg: arg}, nil
		}
		if err := p.lexError(); err != nil {
			return nil, err
		}
		return nil, p.Error("expected name or number", attr)
	}
	var args []nodes.Expression
	for p.Current(tokens.RightBracket) == nil {
		if len(args) > 0 {
			if _, err := p.Expect(tokens.Comma); err != nil {
				return nil, err
			}
		}
		arg, err := p.parseSubscribed()
		if err != nil {
			return nil, err
		}
		args = append(args, arg)
	}
	if _, err := p.Expect(tokens.RightBracket); err != nil {
		return nil, err
	}
	if len(args) == 1 {
		return &nodes.GetItem{Location: tok, Node: node, Arg: args[0]}, nil
	}
	return &nodes.GetItem{Location: tok, Node: node, Arg: &nodes.Tuple{Location: tok, Val: args}}, nil
}

// parseSubscribed parses an index or a slice (Jinja2's parse_subscribed).
func (p *Parser) parseSubscribed() (nodes.Expression, error) {
	loc := p.Current()
	var parts [3]nodes.Expression
	if p.Match(tokens.Colon) == nil {
		node, err := p.ParseExpression()
		if err != nil {
			return nil, err
		}
		if p.Match(tokens.Colon) == nil {
			return node, nil
		}
		parts[0] = node
	}
	if p.Current(tokens.Colon, tokens.RightBracket, tokens.Comma) == nil {
		node, err := p.ParseExpression()
		if err != nil {
			return nil, err
		}
		parts[1] = node
	}
	if p.Match(tokens.Colon) != nil && p.Current(tokens.RightBracket, tokens.Comma) == nil {
		node, err := p.ParseExpression()
		if err != nil {
			return nil, err
		}
		parts[2] = node
	}
	return &nodes.Slice{Location: loc, Start: parts[0], Stop: parts[1], Step: parts[2]}, nil
}

// ParseCallArgs parses (args, name=kwargs, *dyn, **dynkw).
func (p *Parser) ParseCallArgs() (nodes.Args, error) {
	var a nodes.Args
	tok, err := p.Expect(tokens.LeftParenthesis)
	if err != nil {
		return a, err
	}
	invalid := func() error { return p.Error("invalid syntax for function call expression", tok) }
	requireComma := false
	for p.Current(tokens.RightParenthesis) == nil {
		if requireComma {
			if _, err := p.Expect(tokens.Comma); err != nil {
				return a, err
			}
			if p.Current(tokens.RightParenthesis) != nil {
				break
			}
		}
		switch {
		case p.Match(tokens.Multiply) != nil:
			if a.DynArgs != nil || a.DynKwargs != nil {
				return a, invalid()
			}
			if a.DynArgs, err = p.ParseExpression(); err != nil {
				return a, err
			}
		case p.Match(tokens.Power) != nil:
			if a.DynKwargs != nil {
				return a, invalid()
			}
			if a.DynKwargs, err = p.ParseExpression(); err != nil {
				return a, err
			}
		case p.Current(tokens.Name) != nil && p.Peek(tokens.Assign) != nil:
			if a.DynKwargs != nil {
				return a, invalid()
			}
			name := p.Next().Val
			p.Consume()
			value, err := p.ParseExpression()
			if err != nil {
				return a, err
			}
			a.Kwargs = append(a.Kwargs, &nodes.Kwarg{Name: name, Value: value})
		default:
			if a.DynArgs != nil || a.DynKwargs != nil || a.Kwargs != nil {
				return a, invalid()
			}
			arg, err := p.ParseExpression()
			if err != nil {
				return a, err
			}
			a.Args = append(a.Args, arg)
		}
		requireComma = true
	}
	_, err = p.Expect(tokens.RightParenthesis)
	return a, err
}

func (p *Parser) parseCall(node nodes.Expression) (nodes.Expression, error) {
	tok := p.Current()
	args, err := p.ParseCallArgs()
	if err != nil {
		return nil, err
	}
	return &nodes.Call{Location: tok, Func: node, Args: args}, nil
}

// ParseFilter parses | name(args) | ... after node; with inline set (a
// filter block, {% filter upper %}) the first filter has no pipe and node
// is nil.
func (p *Parser) ParseFilter(node nodes.Expression, inline bool) (nodes.Expression, error) {
	held := 0
	defer func() { p.Leave(held) }()
	return p.parseFilter(node, inline, &held)
}

func (p *Parser) parseFilter(node nodes.Expression, inline bool, held *int) (nodes.Expression, error) {
	f := &nodes.FilteredExpression{Expression: node}
	for p.Current(tokens.Pipe) != nil || inline {
		if !inline {
			p.Consume()
		}
		inline = false
		if err := p.Enter(); err != nil {
			return nil, err
		}
		*held++
		call := &nodes.FilterCall{Token: p.Current()}
		name, err := p.dottedName()
		if err != nil {
			return nil, err
		}
		call.Name = name
		if p.Current(tokens.LeftParenthesis) != nil {
			if call.Args, err = p.ParseCallArgs(); err != nil {
				return nil, err
			}
		}
		f.Filters = append(f.Filters, call)
	}
	return f, nil
}

func (p *Parser) dottedName() (string, error) {
	tok, err := p.ExpectName()
	if err != nil {
		return "", err
	}
	name := tok.Val
	for p.Match(tokens.Dot) != nil {
		tok, err := p.ExpectName()
		if err != nil {
			return "", err
		}
		name += "." + tok.Val
	}
	return name, nil
}

func (p *Parser) parseTest(node nodes.Expression) (nodes.Expression, error) {
	isTok := p.Next()
	negated := p.MatchName("not")
	call := &nodes.TestCall{Token: p.Current()}
	name, err := p.dottedName()
	if err != nil {
		return nil, err
	}
	call.Name = name
	cur := p.Current()
	switch {
	case cur.Type == tokens.LeftParenthesis:
		if call.Args, err = p.ParseCallArgs(); err != nil {
			return nil, err
		}
	case (cur.Type == tokens.Name || cur.Type == tokens.String || cur.Type == tokens.Integer ||
		cur.Type == tokens.Float || cur.Type == tokens.LeftBracket || cur.Type == tokens.LeftBrace) &&
		p.CurrentName("else", "or", "and") == nil:
		if p.CurrentName("is") != nil {
			return nil, p.Error("You cannot chain multiple tests with is", cur)
		}
		arg, err := p.ParsePrimary()
		if err != nil {
			return nil, err
		}
		held := 0
		defer func() { p.Leave(held) }()
		if arg, err = p.parsePostfix(arg, &held); err != nil {
			return nil, err
		}
		call.Args.Args = []nodes.Expression{arg}
	}
	var out nodes.Expression = &nodes.TestExpression{Expression: node, Test: call}
	if negated != nil {
		out = &nodes.Negation{Term: out, Operator: isTok}
	}
	return out, nil
}

// AssignOptions are the options of Jinja2's parse_assign_target.
type AssignOptions struct {
	NoTuple       bool     // a single target, not a, b
	NameOnly      bool     // a plain name
	ExtraEnd      []string // names that end a tuple target ("in")
	WithNamespace bool     // ns.attr is allowed
}

// ParseAssignTarget parses the target of set, for, with and macro
// arguments: a name, a tuple of names, or ns.attr.
func (p *Parser) ParseAssignTarget(opts AssignOptions) (nodes.Expression, error) {
	var target nodes.Expression
	var err error
	switch {
	case opts.NameOnly:
		tok, err := p.ExpectName()
		if err != nil {
			return nil, err
		}
		target = &nodes.Name{Name: tok}
	case opts.NoTuple:
		target, err = p.parsePrimaryTarget(opts.WithNamespace)
	default:
		target, err = p.ParseTuple(TupleOptions{Simplified: true, ExtraEnd: opts.ExtraEnd, WithNamespace: opts.WithNamespace})
	}
	if err != nil {
		return nil, err
	}
	if what := p.cannotAssign(target); what != "" {
		return nil, p.Error("can't assign to '"+what+"'", target.Position())
	}
	return target, nil
}

// parsePrimaryTarget is Jinja2's parse_primary(with_namespace=...): with
// the namespace allowed, a name followed by a dot is a namespace
// reference ns.attr (alone or as an item of a tuple target, Jinja2 3.1.5+).
func (p *Parser) parsePrimaryTarget(withNamespace bool) (nodes.Expression, error) {
	if tok := p.Current(tokens.Name); withNamespace && tok != nil && p.Peek(tokens.Dot) != nil {
		switch tok.Val {
		case "true", "True", "false", "False", "none", "None":
		default:
			p.Consume()
			dot := p.Next()
			attr, err := p.ExpectName()
			if err != nil {
				return nil, err
			}
			ref := &nodes.GetAttribute{Location: dot, Node: &nodes.Name{Name: tok}, Attribute: attr.Val}
			p.nsRefs = append(p.nsRefs, ref)
			return ref, nil
		}
	}
	return p.ParsePrimary()
}

// cannotAssign names the kind of a target that cannot be assigned to, or
// is "" when target can be.
func (p *Parser) cannotAssign(target nodes.Expression) string {
	switch t := target.(type) {
	case *nodes.Name:
		switch t.Name.Val {
		case "true", "false", "none", "True", "False", "None":
			return "name"
		}
		return ""
	case *nodes.GetAttribute:
		// Only a namespace reference is a target: (ns.a, b) parses ns.a
		// as an expression, which Jinja2 cannot assign to.
		for _, ref := range p.nsRefs {
			if ref == t {
				return ""
			}
		}
		return "getattr"
	case *nodes.Tuple:
		for _, v := range t.Val {
			if w := p.cannotAssign(v); w != "" {
				return "tuple"
			}
		}
		return ""
	case *nodes.Bool, *nodes.None, *nodes.String, *nodes.Integer, *nodes.Float:
		return "const"
	case *nodes.List:
		return "list"
	case *nodes.Dict:
		return "dict"
	}
	return "expression"
}
