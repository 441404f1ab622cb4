package jinja

import (
	"github.com/nikolalohinski/gonja/v2/nodes"
)

// eval evaluates an expression node. Every node counts one step.
func (r *Renderer) eval(n nodes.Expression) (Value, error) {
	if err := r.step(); err != nil {
		return Value{}, err
	}
	switch n := n.(type) {
	case *nodes.Name:
		if r.folding {
			return Value{}, errImpossible
		}
		return r.lookup(n.Name.Val), nil
	case *constExpr:
		return copyConst(n.v), nil
	case *nameErrorExpr:
		return Value{}, newError(NameError, "name %s is not defined", pyQuote(n.name))
	case *nodes.String:
		return String(n.Val), nil
	case *nodes.Integer:
		if n.Big != nil {
			return BigInt(n.Big), nil
		}
		return Int(int64(n.Val)), nil
	case *nodes.Float:
		return Float(n.Val), nil
	case *nodes.Bool:
		return Bool(n.Val), nil
	case *nodes.None:
		return None, nil
	case *nodes.GetAttribute:
		obj, err := r.eval(n.Node)
		if err != nil {
			return Value{}, err
		}
		return r.getattr(obj, n.Attribute)
	case *nodes.GetItem:
		obj, err := r.eval(n.Node)
		if err != nil {
			return Value{}, err
		}
		if s, ok := n.Arg.(*nodes.Slice); ok {
			sl, err := r.evalSlice(s)
			if err != nil {
				return Value{}, err
			}
			return r.subscriptSlice(obj, sl.r.(*Slice))
		}
		key, err := r.eval(n.Arg)
		if err != nil {
			return Value{}, err
		}
		return r.getitem(obj, key)
	case *nodes.FilteredExpression:
		v, err := r.eval(n.Expression)
		if err != nil {
			return Value{}, err
		}
		return r.applyFilters(v, n.Filters)
	case *nodes.TestExpression:
		v, err := r.eval(n.Expression)
		if err != nil {
			return Value{}, err
		}
		ok, err := r.applyTest(v, n.Test)
		return Bool(ok), err
	case *nodes.Call:
		return r.evalCall(n)
	case *nodes.Negation:
		v, err := r.eval(n.Term)
		if err != nil {
			return Value{}, err
		}
		return Bool(!v.Truth()), nil
	case *nodes.UnaryExpression:
		v, err := r.eval(n.Term)
		if err != nil {
			return Value{}, err
		}
		return r.unary(n.Negative, v)
	case *nodes.BinaryExpression:
		return r.evalBinary(n)
	case *nodes.Compare:
		return r.evalCompare(n)
	case *nodes.CondExpr:
		test, err := r.eval(n.Test)
		if err != nil {
			return Value{}, err
		}
		if test.Truth() {
			return r.eval(n.Expr1)
		}
		if n.Expr2 == nil {
			if r.folding {
				return Value{}, errImpossible
			}
			return undefinedHint("the inline if-expression on line " + itoa(n.Location.Line) +
				" evaluated to false and no else section was defined."), nil
		}
		return r.eval(n.Expr2)
	case *nodes.Concat:
		return r.evalConcat(n)
	case *nodes.List:
		items, err := r.evalExprs(n.Val)
		if err != nil {
			return Value{}, err
		}
		return NewList(items), nil
	case *nodes.Tuple:
		items, err := r.evalExprs(n.Val)
		if err != nil {
			return Value{}, err
		}
		return NewTuple(items), nil
	case *nodes.Dict:
		if err := r.allocN(int64(len(n.Pairs)), 2*valueSize); err != nil {
			return Value{}, err
		}
		d := NewDict(len(n.Pairs))
		for _, p := range n.Pairs {
			k, err := r.eval(p.Key)
			if err != nil {
				return Value{}, err
			}
			v, err := r.eval(p.Value)
			if err != nil {
				return Value{}, err
			}
			if err := d.Set(k, v); err != nil {
				return Value{}, err
			}
		}
		return DictValue(d), nil
	case *nodes.Slice:
		return r.evalSlice(n)
	}
	return Value{}, newError(RuntimeError, "cannot evaluate %T", n)
}

func (r *Renderer) evalExprs(list []nodes.Expression) ([]Value, error) {
	if err := r.allocN(int64(len(list)), valueSize); err != nil {
		return nil, err
	}
	items := make([]Value, len(list))
	for i, e := range list {
		v, err := r.eval(e)
		if err != nil {
			return nil, err
		}
		items[i] = v
	}
	return items, nil
}

func (r *Renderer) evalSlice(s *nodes.Slice) (Value, error) {
	var parts [3]Value
	for i, e := range []nodes.Expression{s.Start, s.Stop, s.Step} {
		parts[i] = None
		if e != nil {
			v, err := r.eval(e)
			if err != nil {
				return Value{}, err
			}
			parts[i] = v
		}
	}
	return Value{kind: KindSlice, r: &Slice{start: parts[0], stop: parts[1], step: parts[2]}}, nil
}

func (r *Renderer) evalBinary(n *nodes.BinaryExpression) (Value, error) {
	left, err := r.eval(n.Left)
	if err != nil {
		return Value{}, err
	}
	switch op := n.Operator.Token.Val; op {
	case "and":
		if !left.Truth() {
			return left, nil
		}
		return r.eval(n.Right)
	case "or":
		if left.Truth() {
			return left, nil
		}
		return r.eval(n.Right)
	default:
		right, err := r.eval(n.Right)
		if err != nil {
			return Value{}, err
		}
		return r.binop(op, left, right)
	}
}

func (r *Renderer) evalCompare(n *nodes.Compare) (Value, error) {
	left, err := r.eval(n.Expression)
	if err != nil {
		return Value{}, err
	}
	for _, op := range n.Ops {
		right, err := r.eval(op.Expression)
		if err != nil {
			return Value{}, err
		}
		ok, err := r.compare(op.Op, left, right)
		if err != nil {
			return Value{}, err
		}
		if !ok {
			return False, nil
		}
		left = right
	}
	return True, nil
}

// evalConcat is ~: the str() of each operand joined; with autoescape, a
// Markup result when any operand is Markup, the others escaped.
func (r *Renderer) evalConcat(n *nodes.Concat) (Value, error) {
	vals, err := r.evalExprs(n.Args)
	if err != nil {
		return Value{}, err
	}
	markup := false
	if r.autoescape {
		for _, v := range vals {
			markup = markup || v.IsSafe()
		}
	}
	parts := make([]string, len(vals))
	total := 0
	for i, v := range vals {
		var s string
		if markup {
			s, err = r.escape(v)
		} else {
			s, err = r.str(v)
		}
		if err != nil {
			return Value{}, err
		}
		parts[i] = s
		total += len(s)
	}
	if err := r.alloc(int64(total)); err != nil {
		return Value{}, err
	}
	s := joinStrings(parts, "", total)
	if markup {
		return Markup(s), nil
	}
	return String(s), nil
}

func joinStrings(parts []string, sep string, total int) string {
	switch len(parts) {
	case 0:
		return ""
	case 1:
		return parts[0]
	}
	b := make([]byte, 0, total+len(sep)*(len(parts)-1))
	for i, p := range parts {
		if i > 0 {
			b = append(b, sep...)
		}
		b = append(b, p...)
	}
	return string(b)
}

// evalCall evaluates func(args).
func (r *Renderer) evalCall(n *nodes.Call) (Value, error) {
	if r.folding {
		return Value{}, errImpossible
	}
	fn, err := r.eval(n.Func)
	if err != nil {
		return Value{}, err
	}
	args, kwargs, err := r.evalArgs(&n.Args)
	if err != nil {
		return Value{}, err
	}
	return r.call(fn, args, kwargs)
}

// evalArgs evaluates call arguments, spreading *args and **kwargs.
func (r *Renderer) evalArgs(a *nodes.Args) ([]Value, []Kwarg, error) {
	var args []Value
	if len(a.Args) > 0 {
		args = make([]Value, 0, len(a.Args))
	}
	for _, e := range a.Args {
		v, err := r.eval(e)
		if err != nil {
			return nil, nil, err
		}
		args = append(args, v)
	}
	if a.DynArgs != nil {
		v, err := r.eval(a.DynArgs)
		if err != nil {
			return nil, nil, err
		}
		more, err := r.toList(v)
		if err != nil {
			return nil, nil, err
		}
		args = append(args, more...)
	}
	var kwargs []Kwarg
	for _, kw := range a.Kwargs {
		v, err := r.eval(kw.Value)
		if err != nil {
			return nil, nil, err
		}
		kwargs = append(kwargs, Kwarg{Name: kw.Name, Value: v})
	}
	if a.DynKwargs != nil {
		v, err := r.eval(a.DynKwargs)
		if err != nil {
			return nil, nil, err
		}
		d := v.Dict()
		if d == nil {
			return nil, nil, typeErrorf("argument after ** must be a mapping, not %s", v.TypeName())
		}
		for i, k := range d.keys {
			if k.kind != KindString {
				return nil, nil, typeErrorf("keywords must be strings")
			}
			kwargs = append(kwargs, Kwarg{Name: k.s, Value: d.vals[i]})
		}
	}
	return args, kwargs, nil
}
