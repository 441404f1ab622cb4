package jinja

import (
	"github.com/nikolalohinski/gonja/v2/nodes"
)

// execNodes runs a template body.
func (r *Renderer) execNodes(list []nodes.Node) error {
	for _, n := range list {
		if err := r.exec(n); err != nil {
			return err
		}
	}
	return nil
}

func (r *Renderer) exec(n nodes.Node) error {
	switch n := n.(type) {
	case *nodes.Data:
		return r.write(n.Data.Val)
	case *nodes.Output:
		v, err := r.eval(n.Expression)
		if err != nil {
			return err
		}
		return r.writeValue(v)
	case *nodes.ControlStructureBlock:
		if err := r.step(); err != nil {
			return err
		}
		return r.execStmt(n.ControlStructure)
	}
	return newError(RuntimeError, "cannot run %T", n)
}

// writeValue prints v as {{ v }} does: str(v), escaped under autoescape
// unless v is Markup.
func (r *Renderer) writeValue(v Value) error {
	var s string
	var err error
	if r.autoescape {
		s, err = r.escape(v)
	} else {
		s, err = r.str(v)
	}
	if err != nil {
		return err
	}
	return r.write(s)
}

func (r *Renderer) execStmt(cs nodes.ControlStructure) error {
	switch s := cs.(type) {
	case *ifStmt:
		for i, test := range s.tests {
			v, err := r.eval(test)
			if err != nil {
				return err
			}
			if v.Truth() {
				return r.execNodes(s.bodies[i])
			}
		}
		return r.execNodes(s.els)
	case *forStmt:
		return r.execFor(s)
	case *setStmt:
		v, err := r.eval(s.expr)
		if err != nil {
			return err
		}
		return r.assign(s.target, v)
	case *setBlockStmt:
		text, err := r.captureScoped(s.body)
		if err != nil {
			return err
		}
		var v Value = Markup(text)
		if !r.autoescape {
			v = String(text)
		}
		if s.filter != nil {
			if v, err = r.applyFilters(v, s.filter.Filters); err != nil {
				return err
			}
		}
		return r.assign(s.target, v)
	case *withStmt:
		vals := make([]Value, len(s.values))
		for i, e := range s.values {
			v, err := r.eval(e)
			if err != nil {
				return err
			}
			vals[i] = v
		}
		saved := r.frame
		r.frame = &frame{parent: saved}
		defer func() { r.frame = saved }()
		for i, t := range s.targets {
			if err := r.assign(t, vals[i]); err != nil {
				return err
			}
		}
		return r.execNodes(s.body)
	case *macroStmt:
		r.frame.capture()
		m := &macro{def: s, closure: r.frame, tpl: r.tpl}
		r.frame.set(s.name, ObjectValue(m))
		return nil
	case *callBlockStmt:
		return r.execCallBlock(s)
	case *filterBlockStmt:
		text, err := r.captureScoped(s.body)
		if err != nil {
			return err
		}
		var v Value = String(text)
		if r.autoescape {
			v = Markup(text)
		}
		v, err = r.applyFilters(v, s.filter.Filters)
		if err != nil {
			return err
		}
		if v.kind != KindString {
			// Jinja2 yields the filter's result as it is, and joining the
			// output fails on anything but a str.
			return typeErrorf("sequence item %d: expected str instance, %s found", r.out.pieces, v.TypeName())
		}
		return r.writeValue(v)
	case *autoescapeStmt:
		v, err := r.eval(s.expr)
		if err != nil {
			return err
		}
		saved := r.autoescape
		r.autoescape = v.Truth()
		defer func() { r.autoescape = saved }()
		return r.execNodes(s.body)
	case *blockStmt:
		if s.required {
			return newError(RuntimeError, "Required block %s not found", pyQuote(s.name))
		}
		saved := r.frame
		if s.scoped {
			r.frame = &frame{parent: saved}
		} else {
			r.frame = &frame{parent: r.top}
		}
		defer func() { r.frame = saved }()
		return r.execNodes(s.body)
	case *loaderStmt:
		return r.execLoader(s)
	case *printStmt:
		for _, e := range s.exprs {
			v, err := r.eval(e)
			if err != nil {
				return err
			}
			if err := r.writeValue(v); err != nil {
				return err
			}
		}
		return nil
	}
	return newError(RuntimeError, "cannot run statement %T", cs)
}

// assign binds target (a name, a tuple of targets, or ns.attr) to v in
// the current scope.
func (r *Renderer) assign(target nodes.Expression, v Value) error {
	switch t := target.(type) {
	case *nodes.Name:
		r.frame.set(t.Name.Val, v)
		return nil
	case *nodes.Tuple:
		items, err := r.toList(v)
		if err != nil {
			if v.kind == KindUndefined {
				return undefinedError(v)
			}
			return err
		}
		if len(items) != len(t.Val) {
			if len(items) > len(t.Val) {
				return valueErrorf("too many values to unpack (expected %d)", len(t.Val))
			}
			return valueErrorf("not enough values to unpack (expected %d, got %d)", len(t.Val), len(items))
		}
		for i, sub := range t.Val {
			if err := r.assign(sub, items[i]); err != nil {
				return err
			}
		}
		return nil
	case *nodes.GetAttribute:
		name := t.Node.(*nodes.Name).Name.Val
		obj := r.lookup(name)
		ns, ok := obj.r.(*Namespace)
		if obj.kind != KindObject || !ok {
			return newError(RuntimeError, "cannot assign attribute on non-namespace object")
		}
		return ns.attrs.Set(String(t.Attribute), v)
	}
	return newError(RuntimeError, "cannot assign to %T", target)
}

// captureScoped renders body in a scope of its own and returns its text.
func (r *Renderer) captureScoped(body []nodes.Node) (string, error) {
	saved := r.frame
	r.frame = &frame{parent: saved}
	defer func() { r.frame = saved }()
	return r.capture(func() error { return r.execNodes(body) })
}
