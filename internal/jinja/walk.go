package jinja

import (
	"github.com/nikolalohinski/gonja/v2/nodes"
)

// walk is the one syntax-tree walker: it calls visit for n and, when visit
// returns true, for each child of n, depth first. soft tells visit whether
// n sits in a "soft" frame of Jinja2's compiler (inside an if statement or
// an inline if, not inside a deeper scope), where an unknown filter or test
// is an error only when it runs. The parser bounds the tree's depth, so
// the recursion is bounded.
func walk(n nodes.Node, soft bool, visit func(n nodes.Node, slot *nodes.Expression, soft bool) bool) {
	walkSlot(n, nil, soft, visit)
}

// walkSlot visits n; slot, when not nil, is the field holding n, which
// visit may overwrite (constant folding does) before the walk goes on.
func walkSlot(n nodes.Node, slot *nodes.Expression, soft bool, visit func(nodes.Node, *nodes.Expression, bool) bool) {
	if n == nil || !visit(n, slot, soft) {
		return
	}
	if slot != nil {
		n = *slot
	}
	ex := func(soft bool, slots ...*nodes.Expression) {
		for _, p := range slots {
			if *p != nil {
				walkSlot(*p, p, soft, visit)
			}
		}
	}
	list := func(soft bool, l []nodes.Expression) {
		for i := range l {
			ex(soft, &l[i])
		}
	}
	args := func(soft bool, a *nodes.Args) {
		list(soft, a.Args)
		for _, kw := range a.Kwargs {
			ex(soft, &kw.Value)
		}
		ex(soft, &a.DynArgs, &a.DynKwargs)
	}
	body := func(soft bool, l []nodes.Node) {
		for _, c := range l {
			walkSlot(c, nil, soft, visit)
		}
	}
	node := func(soft bool, c nodes.Node) {
		if c != nil {
			walkSlot(c, nil, soft, visit)
		}
	}
	switch n := n.(type) {
	case *nodes.Template:
		body(soft, n.Nodes)
	case *nodes.Output:
		ex(soft, &n.Expression)
	case *nodes.ControlStructureBlock:
		node(soft, n.ControlStructure)
	case *nodes.GetAttribute:
		ex(soft, &n.Node)
	case *nodes.GetItem:
		ex(soft, &n.Node, &n.Arg)
	case *nodes.Slice:
		ex(soft, &n.Start, &n.Stop, &n.Step)
	case *nodes.FilteredExpression:
		ex(soft, &n.Expression)
		for _, f := range n.Filters {
			args(soft, &f.Args)
		}
	case *nodes.TestExpression:
		ex(soft, &n.Expression)
		args(soft, &n.Test.Args)
	case *nodes.Call:
		ex(soft, &n.Func)
		args(soft, &n.Args)
	case *nodes.Negation:
		ex(soft, &n.Term)
	case *nodes.UnaryExpression:
		ex(soft, &n.Term)
	case *nodes.BinaryExpression:
		ex(soft, &n.Left, &n.Right)
	case *nodes.Compare:
		ex(soft, &n.Expression)
		for _, op := range n.Ops {
			ex(soft, &op.Expression)
		}
	case *nodes.CondExpr:
		ex(true, &n.Test, &n.Expr1, &n.Expr2)
	case *nodes.Concat:
		list(soft, n.Args)
	case *nodes.List:
		list(soft, n.Val)
	case *nodes.Tuple:
		list(soft, n.Val)
	case *nodes.Dict:
		for _, p := range n.Pairs {
			ex(soft, &p.Key, &p.Value)
		}
	case *ifStmt:
		list(true, n.tests)
		for _, b := range n.bodies {
			body(true, b)
		}
		body(true, n.els)
	case *forStmt:
		ex(soft, &n.iter)
		ex(false, &n.target, &n.cond)
		body(false, n.body)
		body(soft, n.els)
	case *setStmt:
		ex(soft, &n.target, &n.expr)
	case *setBlockStmt:
		ex(soft, &n.target)
		if n.filter != nil {
			node(soft, n.filter)
		}
		body(false, n.body)
	case *withStmt:
		list(soft, n.values)
		list(false, n.targets)
		body(false, n.body)
	case *macroStmt:
		list(false, n.defaults)
		body(false, n.body)
	case *callBlockStmt:
		node(soft, n.call)
		node(soft, n.macro)
	case *filterBlockStmt:
		node(false, n.filter)
		body(false, n.body)
	case *autoescapeStmt:
		ex(soft, &n.expr)
		body(false, n.body)
	case *blockStmt:
		body(false, n.body)
	case *loaderStmt:
		ex(soft, &n.template)
	case *printStmt:
		list(soft, n.exprs)
	}
}
